"""A start for the pattern layer from the days relaxed: route first, then give routes days.

Where visits are evenly spaced by a gap rule with slack (a problem made from a region), the
days are nearly interchangeable and most of a plan's cost is in how visits are grouped into
routes: with visits of one to four hours, a route holds two or three villages and the number
of trips is most of the cost. The pattern layer, which must keep every route on its day,
groups visits slowly (a PyVRP local search over one vehicle type per depot and day). This
module first solves the problem with the days relaxed, then gives the routes their days:

1. **Relaxed problem** (:func:`relaxed`): every visit of a client becomes a client of its
   own (a *copy*), and the days are pooled into a few runs of consecutive days, one vehicle
   type per depot and run holding all its vehicle-days; the copies of one client go in
   disjoint runs (so never in one route). Searched by PyVRP alone: a few dozen vehicle
   types instead of one per depot and day.
2. **Days**: each route takes a day on which its depot has a vehicle left so that the days
   of each client's routes form one of its patterns (a greedy placement, then a
   min-conflicts search: :func:`_days`). Clients left without a pattern are put back by the
   pattern layer's insertion.

The result is a plan of the original problem (same lanes) that the pattern layer then
improves; its costs are the original problem's, checked again there. A start costlier than
the pattern layer's own construction is not used (:meth:`.PatternSearch.run`).
"""

from __future__ import annotations

import logging

import numpy as np

from accessplan.optimize.mobile._pyvrp import NATIVE
from accessplan.optimize.mobile._search import PatternSearch, State, clock
from accessplan.optimize.mobile.problem import PeriodicProblem

logger = logging.getLogger(__name__)

#: Share of the time given to the relaxed problem (the rest to the pattern layer).
SHARE = 0.8
#: Seconds of one round of PyVRP's search on the relaxed problem: it restarts from the best
#: plan with a new seed after each round. On the county of benchmarks/mobile_county.py,
#: relaxed, 48 s, seeds 0 / 1 (quiet machine, 1 December 2026): one search 17,532 / 17,573;
#: rounds of 12 s 17,357 / 17,390; 6 s 17,323 / 17,298; 3 s 17,302 / 17,285; 1.5 s 17,280
#: / 17,282. Not used where PyVRP has a problem alone otherwise: on the once-per-period
#: PVRP instances at 60 s, rounds (fixed, doubling, or only while they improve) left p04 or
#: p06 at +0.40-0.62 % where one search reaches the best known. CVRP X at 3 s gained on a
#: loaded day (mean gap over seeds 0-3 0.86 % -> 0.46-0.62 %); on a quiet one, where the 3 s
#: buy twice the PyVRP iterations, one search gives 0.44-0.73 % (benchmarks/README.md).
ROUND = 2.0
#: Moves of the day assignment's min-conflicts search at most, and the share of random ones.
DAY_STEPS, DAY_NOISE = 5000, 0.1


def applies(problem: PeriodicProblem) -> bool:
    """Whether to start from the relaxed days: some client needs several visits, their
    patterns come from a gap rule (days nearly interchangeable) and teams need not be kept."""
    return (
        not problem.continuity and problem.min_gap is not None and bool(np.any(problem.visits > 1))
    )


def relaxed(problem: PeriodicProblem) -> tuple[PeriodicProblem, np.ndarray]:
    """The problem with coarse days and every visit a client of its own (a copy), and for
    each copy its client.

    The working days are cut into ``P`` runs of consecutive days (``P`` the most visits a
    client needs), each run one day of the relaxed problem with the vehicles of all its days.
    Copy ``j`` of a client needing ``v`` visits may go in runs ``[jP/v, (j+1)P/v)``, so the
    copies of one client never share a route and are spread over the horizon; a client
    needing one visit may go in any run holding one of its allowed days."""
    p = problem
    copy_of = np.repeat(np.arange(p.n_clients), p.visits)
    which = np.concatenate([np.arange(v) for v in p.visits])
    working = p.open_days
    n_runs = int(min(p.visits.max(), len(working)))
    run_of = np.full(p.n_days, -1, dtype="int64")
    for q, days in enumerate(np.array_split(working, n_runs)):
        run_of[days] = q
    vehicles = np.stack([p.vehicles[:, run_of == q].sum(axis=1) for q in range(n_runs)], axis=1)
    patterns = []
    for i, j in zip(copy_of.tolist(), which.tolist(), strict=True):
        v = int(p.visits[i])
        if v == 1:
            runs = sorted({int(run_of[d]) for (d,) in p.patterns[i] if run_of[d] >= 0})
        else:
            runs = list(range(j * n_runs // v, (j + 1) * n_runs // v))
        patterns.append(tuple((q,) for q in runs))
    loc = np.concatenate([np.arange(p.n_depots), p.n_depots + copy_of])
    made = p.replace(
        client_ids=tuple(f"{p.client_ids[c]}#{j}" for j, c in enumerate(copy_of)),
        distance=p.distance[np.ix_(loc, loc)],
        duration=p.duration[np.ix_(loc, loc)],
        demand=p.demand[copy_of],
        service=p.service[copy_of],
        patterns=tuple(patterns),
        vehicles=vehicles,
        prize=None if p.prize is None else (p.prize / p.visits)[copy_of],
        days=(),
        min_gap=None,
        max_gap=None,
    )
    return made, copy_of


def start(search: PatternSearch, seconds: float, *, iterations: int | None = None) -> State | None:
    """A plan of ``search``'s problem from its relaxed days (module docstring), searched for
    at most ``seconds`` (and a fixed amount of work with ``iterations``); ``None`` when the
    relaxed search finds no plan keeping every limit. The relaxed problem has one visit per
    client, so its search is PyVRP's alone: timed, in rounds (:func:`_rounds`)."""
    began = clock()
    problem, copy_of = relaxed(search.p)
    inner = PatternSearch(problem, seed=search.seed)
    if iterations is None:
        plan = _rounds(inner, seconds)
    else:
        plan = inner.run(seconds, iterations=iterations)
    search.stats.clock_stopped |= inner.stats.clock_stopped
    search.stats.pyvrp_iterations += inner.stats.pyvrp_iterations
    if not plan.feasible:
        return None
    routes = [
        (int(inner.lane_loc[lane]), copy_of[r].tolist()) for lane, r in enumerate(plan.routes) if r
    ]
    days, patterns = _days(search.p, routes, search.rng)
    state = _state(search, routes, days, patterns)
    logger.info(
        "relaxed days: %.1f -> %.1f with days (%d routes, %d clients re-inserted), %.1f s",
        plan.base,
        state.base,
        len(routes),
        int(np.sum(patterns < 0)),
        clock() - began,
    )
    return state


def _rounds(inner: PatternSearch, seconds: float) -> State:
    """PyVRP's iterated local search on the relaxed problem for ``seconds`` in rounds of
    :data:`ROUND` seconds, each from the best plan so far with a new seed."""
    deadline = clock() + seconds
    best = inner.intensify(inner.empty(), min(ROUND, seconds), fresh=True)
    while clock() + ROUND / 4 < deadline:
        best = inner.intensify(best, min(ROUND, deadline - clock()))
    return best


def _days(
    p: PeriodicProblem, routes: list[tuple[int, list[int]]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A day per route and a pattern index per client (-1: left unscheduled).

    Only *tied* clients constrain the days (several visits, or one visit not allowed on every
    day with a vehicle): a client is satisfied when the days of its routes, sorted, are one
    of its patterns. Routes are placed one by one, those with most tied clients first, each
    on the day (with a vehicle of its depot left) that leaves fewest of its tied clients
    unable to complete a pattern; then min-conflicts (Minton et al. 1992): a route of an
    unsatisfied client moves to the day (its own or one with a vehicle left) that satisfies
    most of its tied clients, to a random one now and then, for at most :data:`DAY_STEPS`
    moves. Clients still unsatisfied are left unscheduled."""
    n_days = p.n_days
    tied = (~p.any_day).tolist()
    members = [[i for i in stops if tied[i]] for _, stops in routes]
    routes_of: dict[int, list[int]] = {}
    for r, stops in enumerate(members):
        for i in stops:
            routes_of.setdefault(i, []).append(r)
    index = {i: {pat: j for j, pat in enumerate(p.patterns[i])} for i in routes_of}
    table = {i: _pattern_days(p.patterns[i], n_days) for i in routes_of}
    free = p.vehicles.astype("int64").copy()
    days = np.full(len(routes), -1, dtype="int64")

    def chosen(i: int) -> list[int]:
        return [int(days[r]) for r in routes_of[i] if days[r] >= 0]

    def extendable(i: int, taken: list[int]) -> bool:
        if len(taken) != len(set(taken)):
            return False
        return bool(table[i][:, taken].all(axis=1).any())

    def satisfied(i: int) -> bool:
        taken = chosen(i)
        return len(taken) == len(routes_of[i]) and tuple(sorted(taken)) in index[i]

    def place(r: int, day: int) -> None:
        if days[r] >= 0:
            free[routes[r][0], days[r]] += 1
        days[r] = day
        free[routes[r][0], day] -= 1

    for r in sorted(range(len(routes)), key=lambda r: -len(members[r])):
        options = np.flatnonzero(free[routes[r][0]] > 0)
        bad = [sum(not extendable(i, [*chosen(i), int(d)]) for i in members[r]) for d in options]
        fewest = np.flatnonzero(np.asarray(bad) == min(bad))
        place(r, int(options[rng.choice(fewest)]))
    for _ in range(DAY_STEPS):
        unhappy = [i for i in routes_of if not satisfied(i)]
        if not unhappy:
            break
        r = int(rng.choice(routes_of[int(rng.choice(unhappy))]))
        current = int(days[r])
        options = np.union1d(np.flatnonzero(free[routes[r][0]] > 0), [current])
        if rng.random() < DAY_NOISE:
            place(r, int(rng.choice(options)))
            continue
        score = []
        for d in options:
            place(r, int(d))
            score.append(sum(satisfied(i) for i in members[r]))
        place(r, current)
        best = np.flatnonzero(np.asarray(score) == max(score))
        place(r, int(options[rng.choice(best)]))
    patterns = np.full(p.n_clients, -1, dtype="int64")
    for r, (_, stops) in enumerate(routes):
        for i in stops:
            if not tied[i] and patterns[i] < 0:
                patterns[i] = p.patterns[i].index((int(days[r]),))
    for i in routes_of:
        if satisfied(i):
            patterns[i] = index[i][tuple(sorted(chosen(i)))]
    return days, patterns


def _pattern_days(patterns: tuple[tuple[int, ...], ...], n_days: int) -> np.ndarray:
    """Patterns x days: whether the day is in the pattern."""
    pats = np.asarray(patterns, dtype="int64")
    table = np.zeros((len(pats), n_days), dtype=bool)
    table[np.arange(len(pats))[:, None], pats] = True
    return table


def _state(
    search: PatternSearch,
    routes: list[tuple[int, list[int]]],
    days: np.ndarray,
    patterns: np.ndarray,
) -> State:
    """The plan of ``search``'s problem: each route on a free lane of its depot on its day,
    without the clients left unscheduled, which are then put back by insertion."""
    p, ad = search.p, search.ad
    state = search.empty()
    lanes: list[list[int]] = [[] for _ in range(search.n_lanes)]
    free = {
        (k, d): [int(lane) for lane in ad.day_lanes[d] if ad.lane_depot[lane] == k]
        for k in range(p.n_depots)
        for d in range(p.n_days)
    }
    for (depot, stops), day in zip(routes, days.tolist(), strict=True):
        # a client with a pattern has its routes on exactly the pattern's days
        lanes[free[depot, day].pop(0)] = [c for c in stops if patterns[c] >= 0]
    state.assign[:] = np.where(search.f > 1, patterns, NATIVE)
    left = np.flatnonzero(patterns < 0)
    state.assign[left] = 0  # a pattern to start from; the insertion picks the best
    search.set_routes(state, lanes)
    if len(left):
        search.recreate(state, left.tolist(), noise=0.0, feasible_first=True)
    return state
