"""An independent checker: recomputes a plan's objective from the data with plain loops.

It shares nothing with the solver but the problem's public fields, so a wrong objective, an
open forbidden site, a closed fixed one or a too-long assignment cannot hide behind the same code.
"""

from __future__ import annotations

import math

from accessplan.optimize import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    Result,
    SetCover,
)


def check(problem: LocationProblem, result: Result, *, max_cost: float = math.inf) -> float:
    """Assert the plan is feasible and return its objective recomputed from scratch."""
    cost = problem.cost.tolist()
    weights = problem.weights.tolist()
    opened = {int(j) for j in result.open_sites}
    n, m = problem.n_clients, problem.n_sites
    for j in range(m):
        if problem.fixed[j]:
            assert j in opened, f"fixed site {j} is closed"
        if problem.forbidden[j]:
            assert j not in opened, f"forbidden site {j} is open"
    p = getattr(problem, "p", None)
    if p is not None:
        assert len(opened) == p, f"{len(opened)} sites open, p = {p}"

    def nearest(i: int) -> float:
        return min(cost[i][j] for j in opened)

    if isinstance(problem, PMedian | PCenter):
        values = [weights[i] * nearest(i) for i in range(n)]
        assert all(nearest(i) <= max_cost for i in range(n))
        assert all(math.isfinite(v) for v in values)
        for i in range(n):
            a = int(result.assignment[i])
            assert a in opened and cost[i][a] == nearest(i)
        return sum(values) if isinstance(problem, PMedian) else max(values)
    if isinstance(problem, MaxCover):
        return sum(weights[i] for i in range(n) if nearest(i) <= problem.radius)
    if isinstance(problem, SetCover):
        assert all(nearest(i) <= problem.radius for i in range(n)), "a client is uncovered"
        f = [1.0] * m if problem.site_cost is None else list(problem.site_cost)
        return sum(f[j] for j in opened)
    assert isinstance(problem, CapacitatedPMedian | CapacitatedMaxCover)
    demand = problem.q.tolist() if isinstance(problem, CapacitatedPMedian) else weights
    if result.shares is not None:
        return check_split(problem, result, opened, demand, max_cost)
    load = [0.0] * m
    total = 0.0
    for i in range(n):
        a = int(result.assignment[i])
        if a < 0:
            assert isinstance(problem, CapacitatedMaxCover), f"client {i} is not served"
            continue
        assert a in opened, f"client {i} is served by closed site {a}"
        assert cost[i][a] <= max_cost
        load[a] += demand[i]
        if isinstance(problem, CapacitatedPMedian):
            total += weights[i] * cost[i][a]
        else:
            assert cost[i][a] <= problem.radius
            total += weights[i]
    for j in range(m):
        assert load[j] <= float(problem.capacity[j]) + 1e-9, f"site {j} over capacity"
    return total


def check_split(
    problem: CapacitatedPMedian | CapacitatedMaxCover,
    result: Result,
    opened: set[int],
    demand: list[float],
    max_cost: float,
) -> float:
    """Split demand: shares in [0, 1], a whole client served (or at most whole when
    covering), only by open sites within reach, loads within capacity."""
    assert result.shares is not None
    shares = result.shares.tolist()
    cost, weights = problem.cost.tolist(), problem.weights.tolist()
    n, m = problem.n_clients, problem.n_sites
    load = [0.0] * m
    total = 0.0
    for i in range(n):
        row = shares[i]
        assert all(0.0 <= v <= 1.0 + 1e-9 for v in row), f"client {i} has a share out of [0, 1]"
        whole = sum(row)
        if isinstance(problem, CapacitatedPMedian):
            assert abs(whole - 1.0) <= 1e-6, f"client {i} is served {whole:g} of its demand"
        else:
            assert whole <= 1.0 + 1e-6
        for j in range(m):
            if row[j] <= 0:
                continue
            assert j in opened, f"client {i} is served by closed site {j}"
            assert cost[i][j] <= max_cost
            if isinstance(problem, CapacitatedMaxCover):
                assert cost[i][j] <= problem.radius
                total += weights[i] * row[j]
            else:
                total += weights[i] * cost[i][j] * row[j]
            load[j] += demand[i] * row[j]
    for j in range(m):
        assert load[j] <= float(problem.capacity[j]) + 1e-6, f"site {j} over capacity"
    return total
