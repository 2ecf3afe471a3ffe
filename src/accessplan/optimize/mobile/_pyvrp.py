"""accessplan's thin adapter to PyVRP: one time axis over the horizon, one vehicle type per
vehicle and day, and the visits of a pattern assignment as clients with time windows.

The time axis is cut into *lanes*, one per vehicle-day ``(day, team)`` in day-major order;
lane ``l`` spans ``[l H, l H + W]`` where ``W`` is the workday plus overtime (or, without a
limit, a bound no route can exceed) and ``H = 3 W + 1``. One vehicle type per depot and day
holds that depot's vehicles of that day (one per lane with continuity of care): they leave no
earlier than their first lane's start and are back by their last lane's end, so they can only
serve clients whose window meets their day. When every client needs one visit on any day
with vehicles (and teams need not be kept), the days are alike: one vehicle type per depot
holds all its vehicle-days, without time windows (a plain CVRP), and each route takes the
next free vehicle-day of its depot. A visit fixed to day ``d`` has the window
of all lanes of ``d`` (of one team's lane with continuity of care). A client needing one
visit is a single client whose window spans all its allowed days, so PyVRP itself chooses the
day; where the allowed days are not one run of lanes, it is a mutually exclusive group of one
client per run. Distances, durations, loads and prizes are scaled to integers (durations
rounded up, so a route PyVRP finds feasible is feasible in minutes too).

Only this module imports PyVRP; :func:`pyvrp_version` checks the supported range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from accessplan._errors import MissingExtraError
from accessplan.optimize.mobile.problem import PeriodicProblem

#: PyVRP versions this adapter is written and tested against ([low, high)).
PYVRP_RANGE = ((0, 14), (0, 15))
#: Integers per unit of distance and per minute handed to PyVRP.
DIST_SCALE = 1000
TIME_SCALE = 1000
#: Integers per unit of load: keeps PyVRP's load penalties (at most 1e5 per integer unit) on
#: the scale of the scaled distances.
LOAD_SCALE = 1000
#: PyVRP cost per scaled distance unit: leaves room for overtime costs of a tenth of a unit.
UNIT_DISTANCE_COST = 10
#: Largest integer a scaled matrix entry may take (no road): keeps sums far from overflow.
MISSING = 10**12

#: Assignment codes besides a pattern index.
NATIVE, DROPPED = -1, -2


def pyvrp_version() -> str:
    """The installed PyVRP version; :class:`MissingExtraError` outside :data:`PYVRP_RANGE`."""
    try:
        version = metadata.version("pyvrp")
    except metadata.PackageNotFoundError:
        version = ""
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    low, high = PYVRP_RANGE
    if not version or not low <= parts < high:
        msg = (
            f"mobile tours need PyVRP {'.'.join(map(str, low))}.x (found {version or 'none'}); "
            "install it with `pip install 'accessplan[optimize]'`."
        )
        raise MissingExtraError(msg)
    return version


@dataclass(frozen=True, eq=False)
class Induced:
    """The PyVRP data of one assignment and how its clients map back to the problem.

    ``customer[c]`` is the problem's client of PyVRP client ``c``, ``window[c]`` its time
    window and ``lanes[c]`` the first and last lane it may be served on; ``runs[i]`` lists
    ``(first lane, last lane, c)`` for the PyVRP clients of client ``i`` (each serves a range
    of consecutive lanes).
    """

    data: Any
    customer: np.ndarray
    window: np.ndarray
    runs: list[list[tuple[int, int, int]]]
    lanes: np.ndarray

    def client_at(self, i: int, lane: int) -> int:
        """The PyVRP client serving client ``i`` on ``lane``, -1 if none."""
        for lo, hi, c in self.runs[i]:
            if lo <= lane <= hi:
                return c
        return -1


class Adapter:
    """Builds PyVRP data for assignments of one problem (see the module docstring)."""

    def __init__(self, problem: PeriodicProblem) -> None:
        pyvrp_version()
        import pyvrp

        self._pyvrp = pyvrp
        self.problem = p = problem
        self.teams = p.teams()
        n_teams = len(self.teams)
        #: lanes with a vehicle: (day, team); their index is the PyVRP vehicle type
        self.lanes = [
            (d, t)
            for d in range(p.n_days)
            for t, (k, j) in enumerate(self.teams)
            if p.vehicles[k, d] > j
        ]
        self.lane_of = {lane: i for i, lane in enumerate(self.lanes)}
        self.lane_day = np.array([d for d, _ in self.lanes], dtype="int64")
        self.lane_team = np.array([t for _, t in self.lanes], dtype="int64")
        self.lane_depot = np.array([self.teams[t][0] for _, t in self.lanes], dtype="int64")
        self.day_lanes = [np.flatnonzero(self.lane_day == d) for d in range(p.n_days)]
        #: position of each lane on the time axis (all day-team pairs, with or without vehicle)
        self._axis = np.array([d * n_teams + t for d, t in self.lanes], dtype="int64")
        limit = p.workday + p.overtime
        self.window = math.ceil(TIME_SCALE * (limit if math.isfinite(limit) else _bound(p)))
        #: without continuity, when every client needs one visit and may have it on any day
        #: with vehicles, the days are alike: a route can go on any day that has a vehicle of
        #: its depot left, so the problem is a plain CVRP with one vehicle type per depot
        #: (no time windows); otherwise time windows keep the days (and teams) apart
        self.day_free = not p.continuity and bool(p.any_day.all())
        self.timed = not self.day_free
        # lanes three windows apart: reaching a neighbouring lane's client costs a vehicle
        # at least two workdays of time warp, which PyVRP's penalties never accept
        self.period = 3 * self.window + 1
        self.distance = _scaled(p.distance, DIST_SCALE, round_up=False)
        self.duration = _scaled(p.duration, TIME_SCALE, round_up=True)
        self.service = np.ceil(p.service * TIME_SCALE).astype("int64")
        self.load = np.ceil(p.demand * LOAD_SCALE - 1e-9).astype("int64")
        ratio = p.overtime_cost / p.distance_cost if p.distance_cost > 0 else 0.0
        per_unit = DIST_SCALE * UNIT_DISTANCE_COST / max(p.distance_cost, 1e-12)
        self.route_unit = round(p.route_cost * per_unit)
        self.overtime_unit = max(
            int(ratio > 0), round(ratio * DIST_SCALE * UNIT_DISTANCE_COST / TIME_SCALE)
        )
        prize = p.prize if p.prize is not None else np.full(p.n_clients, np.inf)
        self.prize = (
            np.where(np.isinf(prize), 0, np.minimum(prize / max(p.distance_cost, 1e-12), 1e9))
            * DIST_SCALE
            * UNIT_DISTANCE_COST
        )
        self.required = p.required
        self.multi = p.visits > 1
        self._locations = [
            pyvrp.Location(0.0, 0.0, name=name) for name in (*p.depot_ids, *p.client_ids)
        ]
        self._depots = [pyvrp.Depot(location=k, name=p.depot_ids[k]) for k in range(p.n_depots)]
        #: PyVRP vehicle types: one per depot and day (its lanes' vehicles are alike), or
        #: one per lane with continuity of care (a team keeps its vehicle)
        keys = [
            (
                int(self.lane_depot[i]),
                -1 if self.day_free else int(self.lane_day[i]),
                i if p.continuity else -1,
            )
            for i in range(len(self.lanes))
        ]
        order = {key: g for g, key in enumerate(dict.fromkeys(keys))}
        self.lane_group = np.array([order[key] for key in keys], dtype="int64")
        self.group_lanes = [np.flatnonzero(self.lane_group == g) for g in range(len(order))]
        self._vehicle_types = [self._vehicle_type(g) for g in range(len(order))]
        self._clients: dict[tuple[int, int, int, int], Any] = {}
        self._runs: dict[tuple[int, int, int], list[tuple[int, int]]] = {}

    # ------------------------------------------------------------------ building
    def _vehicle_type(self, group: int) -> Any:
        """The vehicles of one depot on one day (or one team's on one day): they leave no
        earlier than their first lane's start and are back by their last lane's end."""
        p, lanes = self.problem, self.group_lanes[group]
        day, team = self.lanes[lanes[0]]
        depot = self.teams[team][0]
        start = int(self._axis[lanes[0]]) * self.period
        end = int(self._axis[lanes[-1]]) * self.period + self.window
        cap = p.capacity[depot]
        capacity = [int(cap * LOAD_SCALE) if math.isfinite(cap) else int(self.load.sum()) + 1]
        timed = math.isfinite(p.workday)
        who = f"#{self.teams[team][1] + 1}" if p.continuity else ""
        when = "" if self.day_free else f"@{p.day_label(day)}"
        return self._pyvrp.VehicleType(
            num_available=len(lanes),
            capacity=capacity,
            start_depot=depot,
            end_depot=depot,
            tw_early=start if self.timed else 0,
            tw_late=end if self.timed else 2 * MISSING,
            shift_duration=math.ceil(p.workday * TIME_SCALE) if timed else 2 * MISSING,
            max_overtime=math.ceil(p.overtime * TIME_SCALE) if timed else 0,
            unit_overtime_cost=self.overtime_unit if timed else 0,
            unit_distance_cost=UNIT_DISTANCE_COST,
            fixed_cost=self.route_unit,
            name=f"{p.depot_ids[depot]}{who}{when}",
        )

    def lanes_for(self, client: int, day: int, team: int = -1) -> np.ndarray:
        """Lanes a visit of ``client`` on ``day`` may use (one team's with continuity)."""
        lanes = self.day_lanes[day]
        return lanes[self.lane_team[lanes] == team] if team >= 0 else lanes

    def build(self, assign: np.ndarray, team: np.ndarray) -> Induced:
        """PyVRP data for ``assign`` (per client: a pattern index, :data:`NATIVE` for a
        single visit PyVRP places, :data:`DROPPED`) and ``team`` (per client, -1 for any).
        A dropped client with one visit that may be dropped stays in the data, optional."""
        pv, p = self._pyvrp, self.problem
        clients: list[Any] = []
        groups: list[Any] = []
        customer: list[int] = []
        windows: list[tuple[int, int]] = []
        runs_of: list[list[tuple[int, int, int]]] = [[] for _ in range(p.n_clients)]
        for i in range(p.n_clients):
            code = int(assign[i])
            if code == DROPPED:
                if self.multi[i] or self.required[i]:
                    continue
                code = NATIVE  # PyVRP may still find room for it (it is optional)
            runs = self._lane_runs(i, code, int(team[i]))
            group = None
            exclusive = code == NATIVE and len(runs) > 1
            if exclusive:
                group = len(groups)
                groups.append(pv.ClientGroup(required=bool(self.required[i])))
            share = len(runs) if not exclusive else 1
            for lo, hi in runs:
                c = len(clients)
                early = int(self._axis[lo]) * self.period
                late = int(self._axis[hi]) * self.period + self.window
                clients.append(self._client(i, early, late, share, exclusive, group))
                if group is not None:
                    groups[group].add_client(c)
                customer.append(i)
                windows.append((early, late))
                runs_of[i].append((lo, hi, c))
        data = pv.ProblemData(
            self._locations,
            clients,
            self._depots,
            self._vehicle_types,
            [self.distance],
            [self.duration],
            groups,
        )
        window = np.asarray(windows, dtype="int64").reshape(-1, 2)
        lanes = np.zeros((len(customer), 2), dtype="int64")
        for of_client in runs_of:
            for lo, hi, c in of_client:
                lanes[c] = (lo, hi)
        return Induced(data, np.asarray(customer, dtype="int64"), window, runs_of, lanes)

    def _lane_runs(self, i: int, code: int, team: int) -> list[tuple[int, int]]:
        """Ranges of consecutive lanes of client ``i``'s PyVRP clients (cached)."""
        key = (i, code, team)
        runs = self._runs.get(key)
        if runs is None:
            p = self.problem
            if code == NATIVE:
                days = sorted({pat[0] for pat in p.patterns[i]})
                lanes = np.sort(np.concatenate([self.lanes_for(i, d) for d in days]))
                parts = _runs(lanes)
            else:
                parts = [self.lanes_for(i, d, team) for d in p.patterns[i][code]]
            runs = [(int(r[0]), int(r[-1])) for r in parts if len(r)]
            self._runs[key] = runs
        return runs

    def _client(
        self, i: int, early: int, late: int, share: int, exclusive: bool, group: int | None
    ) -> Any:
        """PyVRP client for a visit of ``i`` in ``[early, late]`` (cached: clients are
        rebuilt for every assignment, mostly with windows seen before)."""
        key = (i, early, late, -1 if group is None else group)
        made = self._clients.get(key)
        if made is None:
            p = self.problem
            if not self.timed:
                early, late = 0, 2 * MISSING
            made = self._pyvrp.Client(
                location=p.n_depots + i,
                delivery=[int(self.load[i])],
                service_duration=int(self.service[i]),
                tw_early=early,
                tw_late=late,
                prize=int(self.prize[i] / share),
                required=bool(self.required[i]) and not exclusive,
                group=group,
                name=f"{p.client_ids[i]}",
            )
            self._clients[key] = made
        return made

    # ------------------------------------------------------------------ solutions
    def solution(self, induced: Induced, routes: list[list[int]]) -> Any:
        """A PyVRP solution of ``induced`` from client lists per lane (clients without a
        slot on their lane are left out)."""
        pv = self._pyvrp
        made = []
        for lane, stops in enumerate(routes):
            visits = [c for c in (induced.client_at(i, lane) for i in stops) if c >= 0]
            if visits:
                made.append(pv.Route(induced.data, visits, int(self.lane_group[lane])))
        return pv.Solution(induced.data, made)

    def routes(self, induced: Induced, solution: Any) -> list[list[int]]:
        """Client lists per lane of a PyVRP solution; a visit on a lane outside its window
        (an infeasible solution) is left out."""
        out: list[list[int]] = [[] for _ in self.lanes]
        customer = induced.customer.tolist()
        lo, hi = induced.lanes[:, 0].tolist(), induced.lanes[:, 1].tolist()
        free = [list(lanes) for lanes in self.group_lanes]
        for route in solution.routes():
            lane = int(free[route.vehicle_type()].pop(0))
            out[lane] = [
                customer[a.idx] for a in route if a.is_client() and lo[a.idx] <= lane <= hi[a.idx]
            ]
        return out


def _bound(p: PeriodicProblem) -> float:
    """Minutes no route can exceed: every visit of every client with its longest arc."""
    dur = np.where(np.isfinite(p.duration), p.duration, 0.0)
    longest = dur.max(axis=1)[p.n_depots :]
    return float(((p.service + longest) * p.visits).sum() + dur[: p.n_depots].max() + 1.0)


def _scaled(a: np.ndarray, scale: int, *, round_up: bool) -> np.ndarray:
    finite = np.isfinite(a)
    out = np.full(a.shape, MISSING, dtype="int64")
    values = a[finite] * scale
    out[finite] = np.minimum(np.ceil(values - 1e-9) if round_up else np.round(values), MISSING)
    return out


def _runs(lanes: np.ndarray) -> list[np.ndarray]:
    """``lanes`` (sorted) cut where consecutive lane indices are not adjacent."""
    cuts = np.flatnonzero(np.diff(lanes) != 1) + 1
    return [r for r in np.split(lanes, cuts) if len(r)]
