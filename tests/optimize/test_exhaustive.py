"""Random small instances against exhaustive enumeration (plain Python loops, no solver).

They exercise the Lagrangian bound, fixing and core models of the capacitated p-median and
the client-subset search of the p-center, with fixed and forbidden sites, unequal weights and
rectangular (clients x sites) costs; and every uncapacitated model (and the capacitated
maximal covering) on costs with many ties and clients of zero weight, where greedy and
interchange steps meet zero-gain ties that a forbidden first column would win.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import linprog

from accessplan.optimize import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    MaxCover,
    PCenter,
    PMedian,
    SetCover,
    solve,
)
from accessplan.optimize.location import InfeasibleError, _knapsack, _subset_rows
from tests.optimize.checker import check


def best_assignment(cost: list[list[float]], q: list[float], cap: list[float], sites) -> float:
    """Cheapest single-source assignment of all clients to ``sites`` within capacities."""
    best = math.inf
    for choice in itertools.product(sites, repeat=len(cost)):
        load = dict.fromkeys(sites, 0.0)
        for i, j in enumerate(choice):
            load[j] += q[i]
        if all(load[j] <= cap[j] for j in sites):
            best = min(best, sum(cost[i][j] for i, j in enumerate(choice)))
    return best


def capacitated_optimum(problem: CapacitatedPMedian) -> float:
    weighted = (problem.weights[:, None] * problem.cost).tolist()
    q, cap = problem.q.tolist(), problem.capacity.tolist()
    best = math.inf
    for sites in itertools.combinations(range(problem.n_sites), problem.p):
        if any(problem.forbidden[j] for j in sites):
            continue
        if not all(j in sites for j in np.flatnonzero(problem.fixed)):
            continue
        best = min(best, best_assignment(weighted, q, cap, sites))
    return best


@pytest.mark.parametrize("seed", range(10))
def test_capacitated_p_median_matches_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m, p = 7, 5, 2
    # integer costs (bounds round up) for most seeds, fractional ones for the last two
    cost = (
        rng.integers(1, 30, size=(n, m)).astype(float) if seed < 8 else rng.uniform(1, 30, (n, m))
    )
    demand = rng.integers(1, 6, size=n).astype(float)
    if seed == 9:  # fractional demands: no knapsack tables, HiGHS on the whole model
        demand += 0.5
    capacity = np.full(m, math.ceil(demand.sum() / p) + rng.integers(0, 4))
    extra = [{}, {"fixed": [seed % m]}, {"forbidden": [(seed + 1) % m]}][seed % 3]
    problem = CapacitatedPMedian.from_cost_matrix(
        cost,
        p=p,
        capacity=capacity,
        demand=demand,
        weights=rng.integers(1, 3, size=n).astype(float),
        **extra,
    )
    result = solve(problem, time_limit=60)
    assert result.is_optimal
    assert result.objective == pytest.approx(capacitated_optimum(problem), rel=1e-9)
    assert check(problem, result) == pytest.approx(result.objective, rel=1e-9)


def test_capacitated_p_median_keeps_open_sites_that_serve_nobody() -> None:
    # site 2 is fixed but far; site 0 holds both clients, so p = 2 opens {0, 2}
    cost = np.array([[1, 5, 9], [2, 6, 9]])
    problem = CapacitatedPMedian.from_cost_matrix(cost, p=2, capacity=[10, 10, 10], fixed=[2])
    result = solve(problem, time_limit=10)
    assert result.is_optimal and result.objective == 3
    assert result.open_sites.tolist() == [0, 2]
    assert check(problem, result) == 3
    roomy = CapacitatedPMedian.from_cost_matrix(cost, p=3, capacity=[10, 10, 10])
    assert solve(roomy, time_limit=10).open_sites.tolist() == [0, 1, 2]


def knapsack_sets(
    cost_row: np.ndarray, q: np.ndarray, cap: int, force: np.ndarray, j: int
) -> list[tuple[int, ...]]:
    """Every client set site ``j`` may take: within capacity, usable pairs only, holding
    exactly the clients forced to it."""
    n = len(q)
    return [
        s
        for r in range(n + 1)
        for s in itertools.combinations(range(n), r)
        if sum(q[i] for i in s) <= cap
        and all(np.isfinite(cost_row[i]) for i in s)
        and all((force[i] == j) == (i in s) for i in range(n) if force[i] >= 0)
    ]


def test_knapsacks_match_enumeration() -> None:
    # every site's knapsack (value, chosen clients, and the table over capacities) against
    # all subsets; with unusable pairs (inf), a zero demand, and a client forced to a site
    rng = np.random.default_rng(3)
    n, m = 8, 3
    cost_t = rng.uniform(0, 6, size=(m, n))
    cost_t[0, 2] = np.inf
    u = rng.uniform(0, 6, size=n)
    q = rng.integers(0, 5, size=n)
    cap = np.array([0, 6, 11])
    for force in (np.full(n, -1), np.where(np.arange(n) == 4, 2, -1)):
        value = _knapsack.values(cost_t, u, q, cap, force)
        chosen = _knapsack.solutions(cost_t, u, q, cap, force, np.arange(m))
        for j in range(m):
            subsets = knapsack_sets(cost_t[j], q, cap[j], force, j)
            best = min(sum(cost_t[j, i] - u[i] for i in s) for s in subsets)
            assert value[j] == pytest.approx(best)
            x = chosen[:, j]
            assert x @ q <= cap[j]
            assert np.sum((cost_t[j] - u)[x]) == pytest.approx(best)
    table = _knapsack.tables(cost_t, u, q, cap)
    for j in range(m):
        for c in range(cap[j] + 1):
            best = min(
                sum(cost_t[j, i] - u[i] for i in s)
                for r in range(n + 1)
                for s in itertools.combinations(range(n), r)
                if sum(q[i] for i in s) <= c and all(np.isfinite(cost_t[j, i]) for i in s)
            )
            assert table[j, c] == pytest.approx(best)


@pytest.mark.parametrize("seed", range(4))
def test_penalised_knapsacks_match_enumeration(seed: int) -> None:
    # the pricing of branch-and-price under subset-row cuts: a set holding c clients of a
    # cut's odd set pays floor(c / 2) times its penalty; every site's value and chosen set
    # against all subsets, with unusable pairs, zero demands, a forced client, overlapping
    # cuts of three and five clients, and a cut without penalty (which must cost nothing)
    rng = np.random.default_rng(seed)
    n, m = 9, 3
    cost_t = rng.uniform(0, 6, size=(m, n))
    cost_t[1, 3] = np.inf
    u = rng.uniform(2, 8, size=n)
    q = rng.integers(0, 4, size=n)
    cap = np.array([4, 7, 30])
    subsets = [(0, 1, 2), (1, 2, 3), (4, 5, 6), (2, 6, 8), (0, 7, 8), (0, 2, 4, 6, 8)]
    pen = np.array([3.0, 1.5, 0.0, 2.5, 4.0, 2.0]) * rng.uniform(0.5, 1.5, size=6)
    pen[2] = 0.0
    of = [[t for t, s in enumerate(subsets) if i in s] for i in range(n)]
    ptr = np.concatenate([[0], np.cumsum([len(c) for c in of])]).astype(np.int64)
    cuts = np.array([t for c in of for t in c], np.int64)

    def worth(j: int, chosen: tuple[int, ...]) -> float:
        paid = sum(pen[t] * (len(set(s) & set(chosen)) // 2) for t, s in enumerate(subsets))
        return sum(cost_t[j, i] - u[i] for i in chosen) + paid

    for force in (np.full(n, -1), np.where(np.arange(n) == 1, 2, -1)):
        value, exact, chosen = _knapsack.penalised(cost_t, u, q, cap, force, ptr, cuts, pen)
        assert exact  # nine items: far below the search's node limit
        for j in range(m):
            best = min(worth(j, c) for c in knapsack_sets(cost_t[j], q, cap[j], force, j))
            assert value[j] == pytest.approx(best)
            x = np.flatnonzero(chosen[:, j])
            assert q[x].sum() <= cap[j]
            assert worth(j, tuple(x.tolist())) == pytest.approx(best)
    # the penalties matter here: without them some site's best set is worth less
    plain = _knapsack.values(cost_t, u, q, cap, np.full(n, -1))
    penalised = _knapsack.penalised(cost_t, u, q, cap, np.full(n, -1), ptr, cuts, pen)[0]
    assert (plain < penalised - 1e-9).any()


def test_subset_row_separation_finds_odd_cycles() -> None:
    # three columns {0, 1}, {1, 2}, {0, 2} at 1/2 each: each holds two of (0, 1, 2), so the
    # cut's left side is 3/2 > 1. Five columns in a ring, each sharing one client with the
    # next ({10, 11, 20}, {11, 12}, {12, 13}, {13, 14}, {14, 10}) at 1/2 each: each holds
    # two of (10, 11, 12, 13, 14), left side 5/2 > floor(5/2) = 2, while no triple of the
    # ring is violated (two columns hold two of any three, 1 <= 1). The column {3} and the
    # integral column {4, 5} take part in nothing.
    cuts = _subset_rows.Cuts(21)
    rows = ([0, 1], [1, 2], [0, 2], [3], [4, 5])
    ring = ([10, 11, 20], [11, 12], [12, 13], [13, 14], [14, 10])
    members = [np.array(c) for c in rows + ring]
    lam = np.array([0.5, 0.5, 0.5, 1.0, 1.0] + [0.5] * 5)
    assert cuts.separate(lam, members, 10) == [(0, 1, 2), (10, 11, 12, 13, 14)]
    cuts.add((0, 1, 2))
    cuts.add((10, 11, 12, 13, 14))
    assert cuts.separate(lam, members, 10) == []  # known cuts are not found again
    assert cuts.rhs().tolist() == [1.0, 2.0]
    # a column's coefficient is the number of pairs it holds: floor(count / 2)
    hit, coefs = cuts.hit(np.array([0, 2, 10, 11, 12, 13]))
    assert hit.tolist() == [0, 1] and coefs.tolist() == [1.0, 2.0]
    assert cuts.hit(np.array([0, 10]))[0].tolist() == []


@pytest.mark.parametrize("seed", range(12))
def test_ring_search_finds_every_chordless_odd_ring(seed: int) -> None:
    # Random graphs of 9 columns, one shared client per edge. A ring of the separation is an
    # odd cycle of 5-9 columns with no chord, i.e. a set of columns whose induced subgraph is
    # a cycle: enumerated here over all column subsets (each vertex of degree 2 inside the
    # set, the set connected). The compiled search must report each such set exactly once.
    rng = np.random.default_rng(seed)
    f = 9
    edges = [(a, b) for a, b in itertools.combinations(range(f), 2) if rng.random() < 0.35]
    inside = np.zeros((len(edges), f))
    for e, (a, b) in enumerate(edges):
        inside[e, [a, b]] = 1.0
    meet = {v: {b if a == v else a for a, b in edges if v in (a, b)} for v in range(f)}

    def induced_cycle(subset: tuple[int, ...]) -> bool:
        chosen = set(subset)
        if any(len(meet[v] & chosen) != 2 for v in subset):
            return False
        seen, stack = {subset[0]}, [subset[0]]
        while stack:
            for w in meet[stack.pop()] & chosen - seen:
                seen.add(w)
                stack.append(w)
        return seen == chosen

    expected = {
        frozenset(c) for k in (5, 7, 9) for c in itertools.combinations(range(f), k)
        if induced_cycle(c)
    }  # fmt: skip
    found = _subset_rows._rings(inside)
    assert len(found) == len({frozenset(r) for r in found})
    assert {frozenset(r) for r in found} == expected
    for ring in found:  # consecutive columns meet
        assert all(ring[t - 1] in meet[ring[t]] for t in range(len(ring)))


@pytest.mark.parametrize("seed", range(6))
def test_p_center_matches_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m, p = 30, 9, 3
    cost = rng.integers(1, 60, size=(n, m)).astype(float)
    weights = rng.integers(1, 4, size=n).astype(float)
    extra = [{}, {"fixed": [seed % m]}, {"forbidden": [seed % m, (seed + 2) % m]}][seed % 3]
    problem = PCenter.from_cost_matrix(cost, p=p, weights=weights, **extra)
    allowed = [j for j in range(m) if not problem.forbidden[j]]
    must = set(np.flatnonzero(problem.fixed).tolist())
    optimum = min(
        max(min(weights[i] * cost[i, j] for j in sites) for i in range(n))
        for sites in itertools.combinations(allowed, p)
        if must <= set(sites)
    )
    result = solve(problem, time_limit=60)
    assert result.is_optimal
    assert result.objective == optimum
    assert check(problem, result) == optimum


def test_p_center_without_a_full_plan_is_infeasible_not_a_forbidden_site() -> None:
    # only the forbidden site 2 reaches both clients; one allowed site cannot serve both, so
    # the answer is "p too small", never a plan through site 2 or one leaving a client out
    cost = np.array([[1, np.inf, 1], [np.inf, 1, 1]])
    problem = PCenter.from_cost_matrix(cost, p=1, forbidden=[2])
    with pytest.raises(InfeasibleError, match="p is too small to cover"):
        solve(problem, time_limit=10)


def plans(problem, p: int | None):
    """Every set of sites a plan may open: ``p`` of them (any number when None), fixed ones
    in, forbidden ones out."""
    m = problem.n_sites
    sizes = range(1, m + 1) if p is None else [p]
    for size in sizes:
        for sites in itertools.combinations(range(m), size):
            if any(problem.forbidden[j] for j in sites):
                continue
            if all(j in sites for j in np.flatnonzero(problem.fixed)):
                yield sites


def enumerated(problem) -> float:
    """The optimum of an uncapacitated model by trying every plan (plain loops)."""
    cost, w = problem.cost.tolist(), problem.weights.tolist()
    n = problem.n_clients

    def nearest(i: int, sites) -> float:
        return min(cost[i][j] for j in sites)

    if isinstance(problem, PMedian):
        return min(sum(w[i] * nearest(i, s) for i in range(n)) for s in plans(problem, problem.p))
    if isinstance(problem, PCenter):
        return min(max(w[i] * nearest(i, s) for i in range(n)) for s in plans(problem, problem.p))
    if isinstance(problem, MaxCover):
        return max(
            sum(w[i] for i in range(n) if nearest(i, s) <= problem.radius)
            for s in plans(problem, problem.p)
        )
    assert isinstance(problem, SetCover)
    return min(
        len(s)
        for s in plans(problem, None)
        if all(nearest(i, s) <= problem.radius for i in range(n))
    )


def tied_instance(seed: int) -> dict:
    """Costs 1..3 (many ties), a third of the clients weightless, site 0 (the column an
    argmax takes on a tie) forbidden for most seeds, a fixed site for some."""
    rng = np.random.default_rng(100 + seed)
    n, m = 9, 6
    cost = rng.integers(1, 4, size=(n, m)).astype(float)
    cost[:, 1] = np.minimum(cost[:, 1], 2)  # everyone within radius 2 of an allowed site
    weights = rng.integers(0, 3, size=n).astype(float)
    forbidden = [0] if seed % 4 else [0, 3]
    fixed = [5] if seed % 3 == 0 else []
    return {"cost": cost, "weights": weights, "forbidden": forbidden, "fixed": fixed}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (PMedian, {"p": 3}),
        (PCenter, {"p": 2}),
        (MaxCover, {"p": 2, "radius": 1}),
        (SetCover, {"radius": 2}),
    ],
)
@pytest.mark.parametrize("method", ["exact", "heuristic"])
def test_uncapacitated_models_with_forbidden_sites_and_ties(
    seed: int, cls, params: dict, method: str
) -> None:
    data = tied_instance(seed)
    if cls is SetCover:
        data.pop("fixed")
    problem = cls.from_cost_matrix(data.pop("cost"), **data, **params)
    result = solve(problem, method=method, time_limit=30)
    # the checker fails on an open forbidden or a closed fixed site, or a wrong count
    assert check(problem, result) == pytest.approx(result.objective)
    if method == "exact":
        assert result.is_optimal
        assert result.objective == pytest.approx(enumerated(problem))


def capacitated_cover_optimum(problem: CapacitatedMaxCover) -> float:
    """Best covered weight over every plan and every single-source assignment within the
    radius and capacities (a client may stay unserved: site -1)."""
    cost, w, cap = problem.cost.tolist(), problem.weights.tolist(), problem.capacity.tolist()
    best = 0.0
    for sites in plans(problem, problem.p):
        for choice in itertools.product([-1, *sites], repeat=problem.n_clients):
            load = dict.fromkeys(sites, 0.0)
            ok = True
            for i, j in enumerate(choice):
                if j >= 0:
                    load[j] += w[i]
                    ok &= cost[i][j] <= problem.radius
            if ok and all(load[j] <= cap[j] for j in sites):
                best = max(best, sum(w[i] for i, j in enumerate(choice) if j >= 0))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_capacitated_max_cover_with_forbidden_sites_and_ties(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    n, m = 6, 4
    cost = rng.integers(1, 4, size=(n, m)).astype(float)
    weights = rng.integers(0, 4, size=n).astype(float)
    problem = CapacitatedMaxCover.from_cost_matrix(
        cost,
        p=2,
        radius=2,
        weights=weights,
        capacity=rng.integers(2, 7, size=m).astype(float),
        forbidden=[0],
        fixed=[3] if seed % 2 else [],
    )
    result = solve(problem, time_limit=30)
    assert result.is_optimal
    assert result.objective == capacitated_cover_optimum(problem)
    assert check(problem, result) == result.objective


def transport(problem, sites) -> float:
    """Cheapest split assignment of every client to ``sites`` within capacities: a
    transportation LP written out here (scipy's linprog), inf when infeasible."""
    n, cost = problem.n_clients, problem.weights[:, None] * problem.cost
    k = len(sites)
    c = np.array(
        [[cost[i, j] if np.isfinite(cost[i, j]) else 0.0 for j in sites] for i in range(n)]
    )
    bounds = [(0, 1 if np.isfinite(problem.cost[i, j]) else 0) for i in range(n) for j in sites]
    equal = np.zeros((n, n * k))
    for i in range(n):
        equal[i, i * k : (i + 1) * k] = 1
    room = np.zeros((k, n * k))
    for t in range(k):
        for i in range(n):
            room[t, i * k + t] = problem.q[i]
    out = linprog(
        c.ravel(),
        A_ub=room,
        b_ub=[problem.capacity[j] for j in sites],
        A_eq=equal,
        b_eq=np.ones(n),
        bounds=bounds,
    )
    return float(out.fun) if out.status == 0 else math.inf


@pytest.mark.parametrize("seed", range(5))
def test_split_demand_matches_enumeration(seed: int) -> None:
    # every set of p sites with its best split assignment (an LP) against the solver; demands
    # that often exceed one site's capacity, so that splitting matters
    rng = np.random.default_rng(300 + seed)
    n, m, p = 7, 5, 2
    cost = rng.integers(1, 20, size=(n, m)).astype(float)
    demand = rng.integers(1, 8, size=n).astype(float)
    capacity = np.full(m, math.ceil(demand.sum() / p) + 1.0)
    extra = [{}, {"fixed": [seed % m]}, {"forbidden": [(seed + 1) % m]}][seed % 3]
    problem = CapacitatedPMedian.from_cost_matrix(
        cost, p=p, capacity=capacity, demand=demand, split=True, **extra
    )
    optimum = min(transport(problem, sites) for sites in plans(problem, p))
    result = solve(problem, time_limit=60)
    assert result.is_optimal
    assert result.objective == pytest.approx(optimum, rel=1e-7)
    assert check(problem, result) == pytest.approx(result.objective, rel=1e-7)
