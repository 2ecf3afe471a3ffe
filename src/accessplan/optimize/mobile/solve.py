"""``solve_periodic(problem)``: patterns and routes over the horizon, a frozen, validated result."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.optimize.mobile import _relax
from accessplan.optimize.mobile._pyvrp import DROPPED
from accessplan.optimize.mobile._search import PatternSearch
from accessplan.optimize.mobile.problem import PeriodicProblem
from accessplan.optimize.mobile.validate import Check, check

logger = logging.getLogger(__name__)

#: Why a client is left out (``dropped.reason``).
REASONS = {
    "unreachable": "no road between it and any depot with a vehicle on its days",
    "too_far": "a round trip from the nearest depot with its service takes longer than a workday",
    "too_heavy": "one visit needs more than a vehicle carries",
    "fleet_short": "the fleet's working time and capacity go to other clients",
}
SCHEDULE_COLUMNS = [
    "day",
    "date",
    "vehicle",
    "depot",
    "stop",
    "kind",
    "place",
    "arrival_min",
    "service_min",
    "departure_min",
    "distance",
]


@dataclass(frozen=True, eq=False)
class PeriodicResult:
    """A solved periodic problem.

    Attributes
    ----------
    problem
        The problem solved.
    schedule
        One row per stop (see :data:`SCHEDULE_COLUMNS`): ``day`` from 1, its ``date`` label,
        ``vehicle`` (``<depot>#<n>``), ``stop`` from 0 (the depot) to the return, ``kind``
        (start, visit, end), ``place``, ``arrival_min``, ``service_min`` and
        ``departure_min`` in minutes after the vehicle leaves, and the ``distance`` of the
        leg that ends there.
    dropped
        ``client_id, reason, detail``: clients left out (see :data:`REASONS`).
    check
        The independent validator's findings (no violations: the plan is valid) and its
        recomputed distance, overtime and cost.
    runtime, time_limit, seed, iterations
        Seconds used and allowed, the seed, and the pattern search's iterations.
    pyvrp_iterations
        Iterations of PyVRP's searches within the run (how much routing search the time
        bought: it varies with the machine and its load).
    """

    problem: PeriodicProblem
    schedule: pd.DataFrame
    dropped: pd.DataFrame
    check: Check
    runtime: float
    time_limit: float
    seed: int
    iterations: int
    pyvrp_iterations: int = 0

    def cost(self) -> float:
        """The plan's cost, recomputed by the validator."""
        return self.check.cost

    def is_feasible(self) -> bool:
        return self.check.ok

    def routes(self) -> pd.DataFrame:
        """One row per route: ``day, date, vehicle, depot, visits, distance, minutes, load``."""
        s = self.schedule
        if s.empty:
            return pd.DataFrame(
                columns=["day", "date", "vehicle", "depot", "visits", "distance", "minutes", "load"]
            )
        visits = s[s["kind"] == "visit"]
        demand = dict(zip(self.problem.client_ids, self.problem.demand, strict=True))
        load = visits.assign(_q=visits["place"].map(demand)).groupby(["day", "vehicle"])["_q"].sum()
        g = s.groupby(["day", "date", "vehicle", "depot"], sort=True)
        out = g.agg(
            visits=("kind", lambda k: int((k == "visit").sum())),
            distance=("distance", "sum"),
            minutes=("arrival_min", "max"),
        ).reset_index()
        out["load"] = [
            float(load.get((d, v), 0.0)) for d, v in zip(out["day"], out["vehicle"], strict=True)
        ]
        return out

    def summary(self) -> dict[str, Any]:
        routes = self.routes()
        p = self.problem
        return {
            "cost": self.cost(),
            "distance": self.check.distance,
            "overtime_min": self.check.overtime,
            "routes": len(routes),
            "visits": int((self.schedule["kind"] == "visit").sum()),
            "clients": p.n_clients,
            "dropped": len(self.dropped),
            "valid": self.check.ok,
            "runtime_s": self.runtime,
            "seed": self.seed,
        }


def solve_periodic(
    problem: PeriodicProblem,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    iterations: int | None = None,
) -> PeriodicResult:
    """Plan the visits and routes of ``problem`` within ``time_limit`` seconds (and, with
    ``iterations``, a fixed amount of search work: the same seed then gives the same plan
    unless the clock stops the search first, which is logged).

    Clients that cannot be served on their own (no road, a round trip longer than a workday,
    a visit heavier than a vehicle) are left out with their reason when they may be (finite
    prize); otherwise the problem is refused (:class:`InputError`). The rest is searched by
    the pattern layer around PyVRP (:mod:`._search`), started, where visits are spaced by a
    gap rule, from a plan made with the days relaxed (:mod:`._relax`, most of the time). The
    plan is checked by the independent validator, and a plan that breaks a rule is withheld
    (:class:`.InvalidPlanError`).
    """
    if not time_limit > 0:
        raise InputError(f"time_limit must be a positive number of seconds, got {time_limit!r}.")
    started = time.perf_counter()
    hopeless = _hopeless(problem)
    required = [i for i in hopeless if problem.required[i]]
    if required:
        names = [f"{problem.client_ids[i]} ({REASONS[hopeless[i]]})" for i in required[:5]]
        msg = (
            f"{len(required)} client(s) cannot be served by any vehicle: {'; '.join(names)}. "
            "Give them a finite prize to let the plan drop them, lengthen the workday or add "
            "vehicles closer to them."
        )
        raise InputError(msg)
    keep = np.array([i not in hopeless for i in range(problem.n_clients)])
    sub = _subproblem(problem, keep)
    search = PatternSearch(sub, seed=seed) if sub is not None else None
    if iterations is not None and (isinstance(iterations, bool) or iterations < 1):
        raise InputError(f"iterations must be a whole number >= 1, got {iterations!r}.")
    best = None
    if search is not None:
        initial = None
        if _relax.applies(search.p):
            share = _relax.SHARE * (time_limit - (time.perf_counter() - started))
            initial = _relax.start(search, share, iterations=iterations)
        budget = time_limit - (time.perf_counter() - started)
        best = search.run(budget, iterations=iterations, initial=initial)
    if search is not None and search.stats.clock_stopped:
        logger.warning(
            "the search stopped at the %g s time limit before its %d iterations: the same "
            "seed may give another plan; raise the time limit",
            time_limit,
            iterations,
        )
    rows: list[dict[str, Any]] = []
    dropped = [
        {"client_id": problem.client_ids[i], "reason": hopeless[i], "detail": REASONS[hopeless[i]]}
        for i in sorted(hopeless)
    ]
    if search is not None and best is not None:
        kept = np.flatnonzero(keep)
        rows = _schedule(problem, search, best.routes, kept)
        for c in np.flatnonzero(best.assign == DROPPED):
            dropped.append(
                {
                    "client_id": problem.client_ids[kept[c]],
                    "reason": "fleet_short",
                    "detail": REASONS["fleet_short"],
                }
            )
    schedule = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    dropped_table = pd.DataFrame(dropped, columns=["client_id", "reason", "detail"])
    found = check(problem, schedule, dropped_table)
    return PeriodicResult(
        problem=problem,
        schedule=schedule,
        dropped=dropped_table.sort_values("client_id", kind="stable").reset_index(drop=True),
        check=found,
        runtime=time.perf_counter() - started,
        time_limit=float(time_limit),
        seed=seed,
        iterations=search.stats.iterations if search else 0,
        pyvrp_iterations=search.stats.pyvrp_iterations if search else 0,
    )


def _hopeless(p: PeriodicProblem) -> dict[int, str]:
    """Clients no vehicle can serve on its own, with the reason."""
    out: dict[int, str] = {}
    limit = p.workday + p.overtime
    for i in range(p.n_clients):
        loc = p.n_depots + i
        days = sorted({d for pat in p.patterns[i] for d in pat})
        depots = [k for k in range(p.n_depots) if any(p.vehicles[k, d] > 0 for d in days)]
        trips = [p.duration[k, loc] + p.duration[loc, k] for k in depots]
        finite = [t for t in trips if math.isfinite(t)]
        if not finite:
            out[i] = "unreachable"
        elif min(finite) + p.service[i] > limit:
            out[i] = "too_far"
        elif all(p.demand[i] > p.capacity[k] for k in depots):
            out[i] = "too_heavy"
    return out


def _subproblem(p: PeriodicProblem, keep: np.ndarray) -> PeriodicProblem | None:
    if keep.all():
        return p
    if not keep.any():
        return None
    locs = np.concatenate([np.arange(p.n_depots), p.n_depots + np.flatnonzero(keep)])

    def sub(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[keep]

    return p.replace(
        client_ids=tuple(c for c, k in zip(p.client_ids, keep, strict=True) if k),
        distance=p.distance[np.ix_(locs, locs)],
        duration=p.duration[np.ix_(locs, locs)],
        demand=p.demand[keep],
        service=p.service[keep],
        patterns=tuple(pt for pt, k in zip(p.patterns, keep, strict=True) if k),
        prize=sub(p.prize),
        min_gap=sub(p.min_gap),
        max_gap=sub(p.max_gap),
    )


def _schedule(
    p: PeriodicProblem, search: PatternSearch, routes: list[list[int]], kept: np.ndarray
) -> list[dict[str, Any]]:
    """Schedule rows of the routes per lane (client numbers of the sub-problem ``kept``)."""
    ad = search.ad
    rows: list[dict[str, Any]] = []
    order = sorted(
        (lane for lane, r in enumerate(routes) if r),
        key=lambda lane: (ad.lanes[lane][0], ad.lanes[lane][1]),
    )
    for lane in order:
        day, team = ad.lanes[lane]
        k, j = ad.teams[team]
        depot = p.depot_ids[k]
        vehicle = f"{depot}#{j + 1}"
        base = {"day": day + 1, "date": p.day_label(day), "vehicle": vehicle, "depot": depot}
        rows.append(
            {
                **base,
                "stop": 0,
                "kind": "start",
                "place": depot,
                "arrival_min": 0.0,
                "service_min": 0.0,
                "departure_min": 0.0,
                "distance": 0.0,
            }
        )
        clock, here = 0.0, k
        for n, c in enumerate(routes[lane], start=1):
            i = int(kept[c])
            there = p.n_depots + i
            clock += float(p.duration[here, there])
            rows.append(
                {
                    **base,
                    "stop": n,
                    "kind": "visit",
                    "place": p.client_ids[i],
                    "arrival_min": clock,
                    "service_min": float(p.service[i]),
                    "departure_min": clock + float(p.service[i]),
                    "distance": float(p.distance[here, there]),
                }
            )
            clock += float(p.service[i])
            here = there
        clock += float(p.duration[here, k])
        rows.append(
            {
                **base,
                "stop": len(routes[lane]) + 1,
                "kind": "end",
                "place": depot,
                "arrival_min": clock,
                "service_min": 0.0,
                "departure_min": clock,
                "distance": float(p.distance[here, k]),
            }
        )
    return rows
