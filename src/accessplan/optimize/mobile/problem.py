"""The periodic routing problem: depots, clients, days, visit patterns and the fleet.

A plan covers a horizon of ``T`` days. Each client (a village, or a customer of a benchmark)
needs ``f`` visits in the horizon on one of its allowed *patterns* (a set of ``f`` days); a
pattern of one day is an allowed day for a single visit. Each depot has, per day, a number of
vehicles (zero on days off); a vehicle leaves its depot, serves some clients and returns the
same day, within the workday (plus the allowed overtime) and its capacity. A vehicle keeps
its number over the horizon: with *continuity of care* every visit of a client is made by the
same vehicle (the same team).

The cost of a plan is

.. math:: \\sum_{routes} \\big(c_r + c_d\\, d(r) + c_o \\max(0, \\tau(r) - W)\\big)
          + \\sum_{i\\ \\text{dropped}} \\pi_i,

a fixed ``route_cost`` per vehicle-day used, distance :math:`d` (km, or the instance's
units) at ``distance_cost`` per unit, overtime beyond
the workday :math:`W` at ``overtime_cost`` per minute, and the prize :math:`\\pi_i` of every
client left out (``inf``: the client must be served).

Times are minutes in the problem's own units (Cordeau's instances use distance units);
``duration[a, b]`` is the drive from location ``a`` to ``b``; depots are locations
``0 .. K-1`` and client ``i`` is location ``K + i``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from accessplan._errors import InputError

#: A pattern: the days (0-based, ascending) a client is visited on.
Pattern = tuple[int, ...]


@dataclass(frozen=True, eq=False)
class PeriodicProblem:
    """A periodic vehicle routing problem (see the module docstring).

    Build it with :meth:`from_cost_matrix` (arrays), :meth:`from_region` (a region, through
    :func:`.build_setup`) or :func:`.read_cordeau` (Cordeau's benchmark files).

    Attributes
    ----------
    depot_ids, client_ids
        Names of the depots and clients (unique).
    distance, duration
        ``(K + N) x (K + N)`` arrays: distance (cost units) and drive minutes between locations.
    demand
        Per client, the load one visit takes (0 for a clinic visit).
    service
        Per client, minutes spent at one visit.
    patterns
        Per client, the allowed patterns (each a tuple of ``f`` ascending days, all of the same
        length ``f`` for one client).
    vehicles
        ``K x T`` vehicles available per depot and day (0 on days off).
    capacity
        Per depot, the capacity of its vehicles (``inf``: no limit).
    workday
        Longest route in minutes before overtime (``inf``: no limit).
    overtime
        Minutes a route may run beyond ``workday`` (at ``overtime_cost`` per minute).
    overtime_cost, distance_cost, route_cost
        Cost per overtime minute, per unit of distance and per route (a vehicle-day used).
    prize
        Per client, the cost of leaving it out (``inf``: it must be served).
    days
        Label of each day (a date or a day number).
    continuity
        Every visit of a client by the same vehicle.
    min_gap, max_gap
        Per client, the fewest and most days between two consecutive visits, when its
        patterns were made from such a rule (:func:`gap_patterns`); ``None`` otherwise.
    """

    depot_ids: tuple[str, ...]
    client_ids: tuple[str, ...]
    distance: np.ndarray
    duration: np.ndarray
    demand: np.ndarray
    service: np.ndarray
    patterns: tuple[tuple[Pattern, ...], ...]
    vehicles: np.ndarray
    capacity: np.ndarray
    workday: float = math.inf
    overtime: float = 0.0
    overtime_cost: float = 0.0
    distance_cost: float = 1.0
    route_cost: float = 0.0
    prize: np.ndarray | None = None
    days: tuple[str, ...] = ()
    continuity: bool = False
    min_gap: np.ndarray | None = None
    max_gap: np.ndarray | None = None

    def __post_init__(self) -> None:
        k, n = len(self.depot_ids), len(self.client_ids)
        t = self.vehicles.shape[1] if self.vehicles.ndim == 2 else -1
        _check(k >= 1, "at least one depot", f"{k} depots")
        _check(n >= 1, "at least one client", f"{n} clients")
        for name, ids in (("depot_ids", self.depot_ids), ("client_ids", self.client_ids)):
            twice = sorted({i for i in ids if list(ids).count(i) > 1})
            _check(not twice, f"unique {name}", f"{twice[:5]} more than once")
        size = k + n
        for name in ("distance", "duration"):
            a = getattr(self, name)
            _check(a.shape == (size, size), f"{name} of shape {(size, size)}", str(a.shape))
            _check(bool(np.all(a >= 0)), f"{name} >= 0 (inf where there is no road)", "a value < 0")
        for name in ("demand", "service"):
            a = getattr(self, name)
            _check(a.shape == (n,), f"{name} with one value per client ({n})", str(a.shape))
            _check(bool(np.all(np.isfinite(a) & (a >= 0))), f"finite {name} >= 0", "another")
        _check(
            self.vehicles.shape == (k, t) and t >= 1,
            f"vehicles of shape (depots, days) = ({k}, T)",
            str(self.vehicles.shape),
        )
        _check(bool(np.all(self.vehicles >= 0)), "vehicle counts >= 0", "a negative count")
        _check(
            self.capacity.shape == (k,), f"one capacity per depot ({k})", str(self.capacity.shape)
        )
        _check(bool(np.all(self.capacity > 0)), "capacities > 0", "a capacity <= 0")
        _check(self.workday > 0, "a workday > 0 minutes", repr(self.workday))
        for name in ("overtime_cost", "distance_cost", "route_cost"):
            value = getattr(self, name)
            _check(math.isfinite(value) and value >= 0, f"a finite {name} >= 0", repr(value))
        _check(
            math.isfinite(self.overtime) and self.overtime >= 0,
            "overtime >= 0",
            repr(self.overtime),
        )
        _check(
            len(self.patterns) == n,
            f"patterns for each of the {n} clients",
            str(len(self.patterns)),
        )
        for i, options in enumerate(self.patterns):
            where = f"client {self.client_ids[i]!r}"
            _check(len(options) >= 1, f"at least one pattern for {where}", "none")
            f = len(options[0])
            for p in options:
                _check(
                    len(p) == f and f >= 1 and list(p) == sorted(set(p)),
                    f"patterns of {where} as {f} distinct ascending days",
                    repr(p),
                )
                _check(0 <= p[0] and p[-1] < t, f"days of {where} in 0..{t - 1}", repr(p))
        if self.prize is not None:
            _check(self.prize.shape == (n,), f"one prize per client ({n})", str(self.prize.shape))
            _check(bool(np.all(self.prize >= 0)), "prizes >= 0 (inf: required)", "a prize < 0")
        _check(len(self.days) in (0, t), f"{t} day labels", str(len(self.days)))
        for name in ("min_gap", "max_gap"):
            a = getattr(self, name)
            _check(a is None or a.shape == (n,), f"one {name} per client ({n})", "another shape")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_cost_matrix(
        cls,
        distance: Any,
        *,
        n_depots: int = 1,
        duration: Any = None,
        demand: Any = None,
        service: Any = None,
        patterns: Sequence[Sequence[Sequence[int]]] | None = None,
        vehicles: Any = 1,
        n_days: int | None = None,
        capacity: Any = math.inf,
        workday: float = math.inf,
        overtime: float = 0.0,
        overtime_cost: float = 0.0,
        distance_cost: float = 1.0,
        route_cost: float = 0.0,
        prize: Any = None,
        depot_ids: Sequence[str] | None = None,
        client_ids: Sequence[str] | None = None,
        days: Sequence[str] | None = None,
        continuity: bool = False,
        min_gap: Any = None,
        max_gap: Any = None,
    ) -> PeriodicProblem:
        """A problem from arrays; the first ``n_depots`` locations of ``distance`` are depots.

        ``duration`` defaults to ``distance``; ``patterns`` to one visit on any day;
        ``vehicles`` is a count for every depot and day, or a ``(depots, days)`` array;
        ``capacity`` one value or one per depot; ``prize`` one value or one per client.
        """
        dist = np.asarray(distance, dtype="float64")
        if dist.ndim != 2 or dist.shape[0] != dist.shape[1] or dist.shape[0] <= n_depots:
            msg = (
                f"distance must be a square matrix with more than n_depots={n_depots} rows, "
                f"got shape {dist.shape}."
            )
            raise InputError(msg)
        size = dist.shape[0]
        n = size - n_depots
        veh = np.asarray(vehicles)
        if veh.ndim == 0:
            t = n_days if n_days is not None else _days_of(patterns)
            veh = np.full((n_depots, t), int(veh))
        t = veh.shape[-1]
        pats: tuple[tuple[Pattern, ...], ...]
        if patterns is None:
            any_day: tuple[Pattern, ...] = tuple((d,) for d in range(t) if veh[..., d].sum() > 0)
            pats = tuple(any_day for _ in range(n))
        else:
            pats = tuple(tuple(tuple(int(d) for d in p) for p in ps) for ps in patterns)
        return cls(
            depot_ids=tuple(depot_ids or (f"D{k}" for k in range(n_depots))),
            client_ids=tuple(client_ids or (str(i + 1) for i in range(n))),
            distance=dist,
            duration=dist if duration is None else np.asarray(duration, dtype="float64"),
            demand=_per(demand, n, 0.0),
            service=_per(service, n, 0.0),
            patterns=pats,
            vehicles=veh.astype("int64"),
            capacity=_per(capacity, n_depots, math.inf),
            workday=float(workday),
            overtime=float(overtime),
            overtime_cost=float(overtime_cost),
            distance_cost=float(distance_cost),
            route_cost=float(route_cost),
            prize=None if prize is None else _per(prize, n, math.inf),
            days=tuple(days) if days is not None else (),
            continuity=continuity,
            min_gap=None if min_gap is None else _per(min_gap, n, 0.0),
            max_gap=None if max_gap is None else _per(max_gap, n, math.inf),
        )

    @classmethod
    def from_region(cls, region: Any, **options: Any) -> PeriodicProblem:
        """The problem of ``region``'s villages beyond the fixed network; ``options`` as for
        :func:`~accessplan.optimize.mobile.region.build_setup`, which also returns what the
        problem was built from (villages, depots, calendar, km)."""
        from accessplan.optimize.mobile.region import build_setup

        return build_setup(region, **options).problem

    # ------------------------------------------------------------------ views
    @property
    def n_depots(self) -> int:
        return len(self.depot_ids)

    @property
    def n_clients(self) -> int:
        return len(self.client_ids)

    @property
    def n_days(self) -> int:
        return int(self.vehicles.shape[1])

    @property
    def visits(self) -> np.ndarray:
        """Visits each client needs in the horizon."""
        return np.array([len(p[0]) for p in self.patterns], dtype="int64")

    @property
    def open_days(self) -> np.ndarray:
        """The days on which some vehicle works."""
        return np.flatnonzero(self.vehicles.sum(axis=0) > 0)

    @property
    def any_day(self) -> np.ndarray:
        """Per client, whether it needs one visit and may have it on every day with a
        vehicle (the days do not constrain it)."""
        days = set(self.open_days.tolist())
        return np.array(
            [len(pats[0]) == 1 and days <= {pat[0] for pat in pats} for pats in self.patterns],
            dtype=bool,
        )

    @property
    def required(self) -> np.ndarray:
        """Whether each client must be served (its prize is infinite)."""
        if self.prize is None:
            return np.ones(self.n_clients, dtype=bool)
        return np.isinf(self.prize)

    def day_label(self, day: int) -> str:
        """The label of ``day`` (its date, or its number from 1)."""
        return self.days[day] if self.days else str(day + 1)

    def teams(self) -> list[tuple[int, int]]:
        """Every vehicle as ``(depot, number)``: number ``j`` of a depot exists on the days
        the depot has more than ``j`` vehicles."""
        return [(k, j) for k in range(self.n_depots) for j in range(int(self.vehicles[k].max()))]

    def replace(self, **changes: Any) -> PeriodicProblem:
        """A copy with some fields changed (checked again)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return PeriodicProblem(**fields)


def gap_patterns(
    working: Sequence[bool] | np.ndarray,
    visits: int,
    *,
    min_gap: int,
    max_gap: int,
    limit: int = 2000,
) -> tuple[Pattern, ...]:
    """Every set of ``visits`` working days whose consecutive gaps (in days) lie within
    ``[min_gap, max_gap]``; a single visit may fall on any working day.

    ``working`` flags the horizon's days. At most ``limit`` patterns are listed (the most
    evenly spaced first); ``InputError`` when none exists.
    """
    days = [d for d, w in enumerate(working) if w]
    if visits < 1 or min_gap < 1 or max_gap < min_gap:
        msg = f"need visits >= 1 and 1 <= min_gap <= max_gap, got {visits}, {min_gap}, {max_gap}."
        raise InputError(msg)
    if visits == 1:
        return tuple((d,) for d in days)
    found: list[Pattern] = []

    def extend(prefix: list[int]) -> None:
        if len(prefix) == visits:
            found.append(tuple(prefix))
            return
        for d in days:
            if prefix[-1] + min_gap <= d <= prefix[-1] + max_gap:
                extend([*prefix, d])

    for first in days:
        extend([first])
    if not found:
        msg = (
            f"no {visits} working days of the {len(working)}-day horizon are {min_gap} to "
            f"{max_gap} days apart; lengthen the horizon or widen the gaps."
        )
        raise InputError(msg)
    ideal = (len(working) - 1) / visits

    def unevenness(p: Pattern) -> float:
        return float(sum(abs(b - a - ideal) for a, b in itertools.pairwise(p)))

    return tuple(sorted(found, key=lambda p: (unevenness(p), p))[:limit])


def _days_of(patterns: Sequence[Sequence[Sequence[int]]] | None) -> int:
    if patterns is None:
        msg = "give n_days, a (depots, days) vehicles array or patterns to set the horizon."
        raise InputError(msg)
    return 1 + max(max(p) for ps in patterns for p in ps)


def _per(value: Any, n: int, default: float) -> np.ndarray:
    if value is None:
        return np.full(n, default)
    a = np.asarray(value, dtype="float64")
    return np.full(n, float(a)) if a.ndim == 0 else a


def _check(ok: bool, expected: str, got: str) -> None:
    if not ok:
        raise InputError(f"PeriodicProblem needs {expected}; got {got}.")
