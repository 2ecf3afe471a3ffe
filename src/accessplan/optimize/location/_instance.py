"""The capacitated models as one data set for the capacitated engine.

The engine minimises ``sum_ij cost_ij x_ij + sum_i unserved_i s_i`` over single-source
assignments (``sum_j x_ij + s_i = 1``) to ``p`` open sites within capacities. The
capacitated p-median charges the weighted cost and never leaves a client unserved
(``unserved = inf``); the capacitated maximal covering charges ``-w_i`` for a client served
within the radius and 0 for one left unserved (so the engine's objective is the covered
weight, negated). Further rules (a school's minimum size, a closure budget) are meant to
join here as data, not as new solvers.

The knapsacks of the Lagrangian and of column generation need integer demands and
capacities: ``q`` and ``cap`` are the demands rounded down and the capacities rounded up after
dividing by ``scale`` (1 when the demands are integers and the largest capacity small enough).
Rounding that way can only enlarge each site's set of feasible client subsets, so the
bounds stay valid; ``exact`` says whether they are the model's own knapsacks (which branching
needs). Plans always respect the true demands and capacities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accessplan.optimize.location.problems import CapacitatedMaxCover, CapacitatedPMedian

_MAX_WIDTH = 20_000  # largest knapsack capacity handled without scaling


@dataclass(frozen=True, eq=False)
class Instance:
    """Arrays of one capacitated problem, as the engine reads them."""

    cost: np.ndarray  # clients x sites, inf where not allowed
    distance: np.ndarray  # the problem's own costs (for nearness of sites), inf likewise
    cost_t: np.ndarray  # the same, sites x clients (contiguous, for the knapsacks)
    unserved: np.ndarray  # per client: the cost of leaving it unserved (inf: not allowed)
    demand: np.ndarray  # true demands (float)
    capacity: np.ndarray  # true capacities (float, 0 where forbidden)
    q: np.ndarray  # knapsack demands (int64)
    cap: np.ndarray  # knapsack capacities (int64)
    exact: bool  # q and cap are the true demands and capacities
    p: int
    fixed: np.ndarray
    allowed: np.ndarray
    integral: bool  # every plan's objective is an integer

    @property
    def n(self) -> int:
        return int(self.cost.shape[0])

    @property
    def m(self) -> int:
        return int(self.cost.shape[1])

    def value(self, a: np.ndarray) -> float:
        """The objective of an assignment (``inf`` if it breaks a must-serve rule)."""
        served = a >= 0
        rows = np.flatnonzero(served)
        total = float(self.cost[rows, a[rows]].sum())
        if (~served).any():
            total += float(self.unserved[~served].sum())
        return total


def instance(problem: CapacitatedPMedian | CapacitatedMaxCover) -> Instance:
    """The engine's view of a capacitated p-median or maximal covering problem."""
    allowed = ~problem.forbidden
    capacity = np.where(allowed, np.asarray(problem.capacity, dtype=float), 0.0)
    if isinstance(problem, CapacitatedPMedian):
        cost = problem.weighted_cost()
        unserved = np.full(problem.n_clients, np.inf)
        demand = np.asarray(problem.q, dtype=float)
    else:
        reach = np.isfinite(problem.cost) & (problem.cost <= problem.radius)
        cost = np.where(reach, -problem.weights[:, None], np.inf)
        unserved = np.zeros(problem.n_clients)
        demand = problem.weights.astype(float)
    cost = np.where(allowed[None, :], cost, np.inf)
    q, cap, exact = knapsack_levels(demand, capacity)
    finite = cost[np.isfinite(cost)]
    return Instance(
        cost=cost,
        distance=np.where(np.isfinite(cost), problem.cost, np.inf),
        cost_t=np.ascontiguousarray(cost.T),
        unserved=unserved,
        demand=demand,
        capacity=capacity,
        q=q,
        cap=cap,
        exact=exact,
        p=int(problem.p),
        fixed=problem.fixed.copy(),
        allowed=allowed,
        integral=bool(np.all(np.mod(finite, 1) == 0)),
    )


def knapsack_levels(
    demand: np.ndarray, capacity: np.ndarray, width: int = _MAX_WIDTH
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer demands and capacities for the knapsacks: exact when the demands are
    integers and the capacities (clipped to the total demand) at most ``width``; otherwise
    scaled and rounded so that every feasible set stays feasible."""
    total = float(demand.sum())
    top = min(float(capacity.max(initial=0.0)), total)
    integer = bool(np.all(np.mod(demand, 1) == 0))
    if integer and top <= width:
        q = demand.astype(np.int64)
        cap = np.floor(np.minimum(capacity, total) + 1e-9).astype(np.int64)
        return q, cap, True
    scale = max(top / width, 1e-12)
    q = np.floor(demand / scale).astype(np.int64)
    cap = np.ceil(np.minimum(capacity, total) / scale).astype(np.int64)
    return q, cap, False
