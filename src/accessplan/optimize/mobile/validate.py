"""An independent validator of periodic plans.

It reads only the problem's public fields and the plan as tables — the ``schedule`` (one row
per stop: ``day`` from 1, ``vehicle`` as ``<depot id>#<number from 1>``, ``depot``, ``stop``,
``kind`` start/visit/end, ``place``, ``arrival_min``, ``service_min``, ``departure_min``) and
the ``dropped`` clients (``client_id``, ``reason``) — and recomputes everything with plain
loops from the travel matrices. It shares no code with the solver (:mod:`._search`,
:mod:`._pyvrp`, :mod:`.solve`), so a wrong day, a missing visit, a broken gap or a route over
its workday cannot hide behind the code that made it.

Rules, each reported by name:

``depot``         every route starts and ends at its vehicle's depot, stops in order 0, 1, ...
``fleet``         the vehicle exists on that day (its depot has that many vehicles that day),
                  and makes at most one route a day
``working_day``   every route runs on a working day of its depot (one with vehicles), and
                  every visit on a day its client may be visited (a day of one of its patterns)
``visits``        every client is visited as many times as it needs, or is reported dropped
                  with a reason (and only a client with a finite prize may be dropped)
``pattern``       a client's visit days form one of its allowed patterns
``gap``           the days between consecutive visits lie within its min/max gap (when given)
``continuity``    with continuity of care, one vehicle makes all visits of a client
``times``         arrival = departure from the previous stop + drive time from the matrix;
                  departure = arrival + the client's service minutes
``workday``       no route lasts longer than the workday plus the allowed overtime
``capacity``      no route carries more than its vehicle's capacity
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pandas as pd

from accessplan._errors import AccessPlanError
from accessplan.optimize.mobile.problem import PeriodicProblem

#: Minutes by which recomputed and reported times may differ (rounding in tables).
TIME_TOLERANCE = 1e-3
#: Relative slack on the workday and capacity (floating-point sums).
SLACK = 1e-9


class InvalidPlanError(RuntimeError, AccessPlanError):
    """A plan breaks a rule of its problem; the message lists the rules broken."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name and what is wrong, in words."""

    rule: str
    detail: str


@dataclass(frozen=True)
class Check:
    """What the validator found and recomputed.

    Attributes
    ----------
    violations
        The broken rules (empty for a valid plan).
    distance
        Total distance of the routes, from the matrix.
    overtime
        Total minutes beyond the workday.
    cost
        ``route_cost * routes + distance_cost * distance + overtime_cost * overtime`` plus the
        prizes of dropped clients.
    """

    violations: tuple[Violation, ...]
    distance: float
    overtime: float
    cost: float

    @property
    def ok(self) -> bool:
        return not self.violations

    def rules(self) -> set[str]:
        """Names of the rules broken."""
        return {v.rule for v in self.violations}


def validate(problem: PeriodicProblem, schedule: pd.DataFrame, dropped: pd.DataFrame) -> Check:
    """Check ``schedule`` and ``dropped`` against ``problem`` (see the module docstring)."""
    p = problem
    out: list[Violation] = []

    def bad(rule: str, detail: str) -> None:
        out.append(Violation(rule, detail))

    depot_of = {d: k for k, d in enumerate(p.depot_ids)}
    client_of = {c: i for i, c in enumerate(p.client_ids)}
    location = {**{d: k for k, d in enumerate(p.depot_ids)}}
    for c, i in client_of.items():
        location[c] = p.n_depots + i
    visit_days: dict[int, list[int]] = {i: [] for i in range(p.n_clients)}
    visit_vehicles: dict[int, set[str]] = {i: set() for i in range(p.n_clients)}
    used: set[tuple[int, str]] = set()
    distance = overtime = 0.0

    for (_, vehicle), rows in schedule.groupby(["day", "vehicle"], sort=True):
        rows = rows.sort_values("stop")
        day = int(rows["day"].iloc[0]) - 1
        where = f"day {day + 1}, vehicle {vehicle}"
        home, _, number = str(vehicle).rpartition("#")
        if home not in depot_of or not number.isdigit():
            bad("fleet", f"{where}: no such vehicle (expected <depot id>#<number>)")
            continue
        k, j = depot_of[home], int(number) - 1
        if not 0 <= day < p.n_days or p.vehicles[k, day] == 0:
            bad("working_day", f"{where}: not a working day of depot {home}")
            continue
        if not 0 <= j < p.vehicles[k, day]:
            bad("fleet", f"{where}: the depot has no vehicle number {j + 1} on that day")
            continue
        if (day, str(vehicle)) in used:
            bad("fleet", f"{where}: two routes on one day")
        used.add((day, str(vehicle)))
        kinds = list(rows["kind"])
        places = [str(x) for x in rows["place"]]
        if list(rows["stop"]) != list(range(len(rows))):
            bad("depot", f"{where}: stops are not numbered 0, 1, 2, ...")
        if (
            len(kinds) < 2
            or kinds[0] != "start"
            or kinds[-1] != "end"
            or places[0] != home
            or places[-1] != home
            or any(kd != "visit" for kd in kinds[1:-1])
        ):
            bad("depot", f"{where}: the route does not start and end at depot {home}")
            continue
        if any(str(d) != home for d in rows["depot"]):
            bad("depot", f"{where}: rows name another depot than {home}")
        clock = None
        load = 0.0
        begin = float(rows["departure_min"].iloc[0])
        previous = location[home]
        arrivals = rows["arrival_min"].to_numpy(dtype="float64")
        services = rows["service_min"].to_numpy(dtype="float64")
        departures = rows["departure_min"].to_numpy(dtype="float64")
        for n in range(1, len(rows)):
            place, kind = places[n], kinds[n]
            arrival, served, leave = float(arrivals[n]), float(services[n]), float(departures[n])
            if place not in location or (kind == "visit" and place not in client_of):
                bad("visits", f"{where}: unknown place {place!r}")
                clock = None
                break
            here = location[place]
            leg = p.duration[previous, here]
            distance += p.distance[previous, here]
            clock = (begin if clock is None else clock) + leg
            if arrival < clock - TIME_TOLERANCE:
                bad(
                    "times",
                    f"{where}: arrival at {place} at {arrival:.2f} min, but the drive ends at "
                    f"{clock:.2f} min",
                )
            clock = max(clock, arrival)  # waiting is allowed, arriving early is not
            if kind == "visit":
                i = client_of[place]
                service = float(p.service[i])
                if abs(served - service) > TIME_TOLERANCE:
                    bad("times", f"{where}: {place} served {served:g} min, needs {service:g}")
                if abs(leave - (clock + service)) > TIME_TOLERANCE:
                    bad("times", f"{where}: departure from {place} is not arrival + service")
                clock += service
                load += float(p.demand[i])
                visit_days[i].append(day)
                visit_vehicles[i].add(str(vehicle))
            previous = here
        if clock is None:
            continue
        length = clock - begin
        limit = p.workday + p.overtime
        if length > limit * (1 + SLACK) + TIME_TOLERANCE:
            bad("workday", f"{where}: the route takes {length:.1f} min, more than {limit:g}")
        if math.isfinite(p.workday):
            overtime += max(0.0, length - p.workday)
        if load > p.capacity[k] * (1 + SLACK):
            bad("capacity", f"{where}: carries {load:g}, more than {p.capacity[k]:g}")

    reasons = {str(r.client_id): str(r.reason) for r in dropped.itertuples(index=False)}
    prize_lost = 0.0
    for c, i in client_of.items():
        days = sorted(visit_days[i])
        need = len(p.patterns[i][0])
        prize = math.inf if p.prize is None else float(p.prize[i])
        if c in reasons:
            if days:
                bad("visits", f"client {c} is reported dropped but visited on days {_days(days)}")
            if not reasons[c].strip():
                bad("visits", f"client {c} is dropped without a reason")
            if math.isinf(prize):
                bad("visits", f"client {c} must be served but is dropped ({reasons[c]})")
            prize_lost += prize
            continue
        if len(days) != need:
            bad("visits", f"client {c} is visited {len(days)} times, needs {need}")
        allowed = {d for pat in p.patterns[i] for d in pat}
        for d in days:
            if d not in allowed:
                bad("working_day", f"client {c} is visited on day {d + 1}, not one of its days")
        if len(days) == need and tuple(days) not in set(p.patterns[i]) and need > 1:
            bad("pattern", f"client {c}: days {_days(days)} are not an allowed pattern")
        if p.min_gap is not None and p.max_gap is not None:
            for a, b in itertools.pairwise(days):
                if not p.min_gap[i] <= b - a <= p.max_gap[i]:
                    bad(
                        "gap",
                        f"client {c}: {b - a} days between visits on days {a + 1} and "
                        f"{b + 1}, allowed {p.min_gap[i]:g} to {p.max_gap[i]:g}",
                    )
        if p.continuity and len(visit_vehicles[i]) > 1:
            bad("continuity", f"client {c} is visited by {sorted(visit_vehicles[i])}")
    unknown = sorted(set(reasons) - set(client_of))
    if unknown:
        bad("visits", f"dropped clients {unknown[:5]} are not clients of the problem")
    routes = len(used)
    cost = (
        p.route_cost * routes + p.distance_cost * distance + p.overtime_cost * overtime + prize_lost
    )
    return Check(tuple(out), distance, overtime, cost)


def check(problem: PeriodicProblem, schedule: pd.DataFrame, dropped: pd.DataFrame) -> Check:
    """:func:`validate`, raising :class:`InvalidPlanError` naming every rule broken."""
    found = validate(problem, schedule, dropped)
    if not found.ok:
        lines = [f"{v.rule}: {v.detail}" for v in found.violations[:10]]
        more = len(found.violations) - len(lines)
        msg = "the plan breaks its rules:\n  " + "\n  ".join(lines)
        if more > 0:
            msg += f"\n  ... and {more} more"
        raise InvalidPlanError(msg)
    return found


def _days(days: list[int]) -> str:
    return ", ".join(str(d + 1) for d in days)
