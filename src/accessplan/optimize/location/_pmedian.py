"""Exact p-median: Benders decomposition of Elloumi's radius formulation on HiGHS.

For client ``i`` with sorted distinct costs ``D_i1 < ... < D_iK``, the radius formulation
(Elloumi 2010) charges ``D_i1 + sum_k (D_i,k+1 - D_ik) z_ik`` with
``z_ik >= 1 - sum_{j: c_ij <= D_ik} y_j``. Projecting out ``z`` gives, for every radius ``r``,
the Benders optimality cut (Durán-Mateluna, Alès & Elloumi 2023)

.. math:: \\theta_i \\ge r - \\sum_j (r - c_{ij})^+ \\, y_j ,

and the most violated one at a point ``y`` sits at the first radius where the sites sorted
by cost reach a cumulated ``y`` of one. The root master LP is solved by cutting planes (all
clients at once, rows in CSR blocks, HiGHS dual simplex); reduced costs against the VNS
incumbent close sites for good; the rest is a branch-and-Benders-cut in Python over HiGHS LPs
(best first, diving, reduced-cost fixing at every node, cuts separated at every node).
"""

from __future__ import annotations

import heapq
import itertools
import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from accessplan.optimize.location._heuristics import finite_cost, median_cost, vns_median
from accessplan.optimize.location._highs import Deadline, Model

logger = logging.getLogger(__name__)

_TOL = 1e-6


@dataclass(frozen=True)
class MedianPlan:
    """Open sites, cost of the plan and a lower bound on the optimum."""

    open_sites: np.ndarray
    objective: float
    bound: float


class _Separator:
    """Most violated radius cuts for all clients at once, from costs sorted per client."""

    def __init__(self, cost: np.ndarray) -> None:
        self.n, self.m = cost.shape
        self.order = np.argsort(cost, axis=1, kind="stable")
        self.sorted = np.take_along_axis(cost, self.order, axis=1)

    def cuts(self, y: np.ndarray, theta: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
        """Violated cuts ``theta_i + sum_j (r_i - c_ij)^+ y_j >= r_i`` as CSR rows over
        columns ``[y, theta]``, and their right-hand sides."""
        cum = np.cumsum(y[self.order], axis=1)
        k = np.argmax(cum >= 1 - _TOL, axis=1)
        rows = np.arange(self.n)
        # a client whose cumulated y stays below one (infeasible start) gets no cut
        reached = (cum[rows, k] >= 1 - _TOL) & np.isfinite(self.sorted[rows, k])
        radius = np.where(reached, self.sorted[rows, k], 0.0)
        slope = np.maximum(radius[:, None] - self.sorted, 0.0)
        slope[np.arange(self.m)[None, :] >= k[:, None]] = 0.0
        value = radius - (slope * y[self.order]).sum(axis=1)
        violation = value - theta
        hit = np.flatnonzero(violation > _TOL * np.maximum(1.0, np.abs(value)))
        sub = slope[hit]
        r_idx, pos = np.nonzero(sub > 0)
        cols = np.concatenate([self.order[hit][r_idx, pos], self.m + hit])
        row_of = np.concatenate([r_idx, np.arange(len(hit))])
        data = np.concatenate([sub[r_idx, pos], np.ones(len(hit))])
        matrix = sp.csr_array((data, (row_of, cols)), shape=(len(hit), self.m + self.n))
        return matrix, radius[hit]


def _master(
    cost: np.ndarray, p: int, fixed: np.ndarray, allowed: np.ndarray, seed: int, integral: bool
) -> Model:
    """Master LP: ``min sum theta`` s.t. ``sum y = p``, each client can reach an open site."""
    n, m = cost.shape
    lower = np.concatenate([fixed.astype(float), cost.min(axis=1)])
    upper = np.concatenate([allowed.astype(float), np.full(n, np.inf)])
    objective = np.concatenate([np.zeros(m), np.ones(n)])
    limited = np.flatnonzero(~np.isfinite(cost).all(axis=1))
    reach_rows, reach_cols = np.nonzero(np.isfinite(cost[limited]))
    matrix = sp.vstack(
        [
            sp.csr_array(np.concatenate([np.ones(m), np.zeros(n)])[None, :]),
            sp.csr_array(
                (np.ones(len(reach_rows)), (reach_rows, reach_cols)),
                shape=(len(limited), m + n),
            ),
        ],
        format="csr",
    )
    row_lower = np.concatenate([[p], np.ones(len(limited))])
    row_upper = np.concatenate([[p], np.full(len(limited), np.inf)])
    return Model(
        objective,
        lower,
        upper,
        matrix,
        row_lower,
        row_upper,
        integral_objective=integral,
        seed=seed,
    )


def solve_median(
    cost: np.ndarray,
    p: int,
    fixed: np.ndarray,
    allowed: np.ndarray,
    *,
    deadline: Deadline,
    rng: np.random.Generator,
    exact: bool = True,
) -> MedianPlan:
    """Minimise ``sum_i min_{j open} cost_ij`` over ``p`` open sites (``fixed`` ones open,
    only ``allowed`` ones open).

    ``cost`` is clients x sites, already weighted, ``inf`` where not allowed. With
    ``exact=False`` the plan is heuristic and the bound is the master LP's. A plan that
    leaves a client unserved costs ``inf``; its bound is ``inf`` when no plan serves all.
    """
    search = _Search(cost, p, fixed, allowed, rng, exact=exact)
    root = search.node(fixed.astype(float), allowed.astype(float), deadline)
    if root.infeasible:
        return MedianPlan(search.best, np.inf, np.inf)
    if not exact or root.reduced is None or search.pruned(root.bound):
        return search.plan(root.bound)
    # Sites that reduced costs close stay closed in any better plan: go on without them,
    # so the cuts (and every node LP) only carry the sites still in play.
    free = np.flatnonzero(~search.closable(root) & allowed)
    logger.debug("reduced-cost fixing kept %d of %d sites", len(free), len(fixed))
    reach = np.isfinite(cost[:, free]).any(axis=1).all()
    if len(free) < p or not reach:
        return search.plan(search.best_cost)
    inside = np.isin(search.best, free)
    sub = _Search(
        cost[:, free],
        p,
        fixed[free],
        allowed[free],
        rng,
        exact=True,
        start=np.searchsorted(free, search.best) if inside.all() else None,
    )
    sub_root = sub.node(fixed[free].astype(float), np.ones(len(free)), deadline)
    if sub_root.infeasible:
        return search.plan(search.best_cost)
    found = sub.branch(sub_root, fixed[free].astype(float), np.ones(len(free)), deadline)
    search.offer(free[found.open_sites])
    return search.plan(found.bound)


@dataclass(frozen=True)
class _Node:
    bound: float
    y: np.ndarray | None
    reduced: np.ndarray | None = None
    infeasible: bool = False


class _Search:
    """Branch-and-Benders-cut: HiGHS solves each node's master LP, Python separates the cuts,
    picks the branching site and keeps the incumbent (best-first search)."""

    def __init__(
        self,
        cost: np.ndarray,
        p: int,
        fixed: np.ndarray,
        allowed: np.ndarray,
        rng: np.random.Generator,
        *,
        exact: bool,
        start: np.ndarray | None = None,
    ) -> None:
        self.cost = cost
        self.n, self.m = cost.shape
        self.p = p
        self.fixed = fixed
        self.allowed = allowed
        self.penalised = finite_cost(cost)
        self.integral = bool(np.all(np.mod(cost[np.isfinite(cost)], 1) == 0))
        if start is None:
            start = vns_median(cost, p, fixed, allowed, rng, shakes=10 if exact else 50)
        self.best = start
        self.best_cost = median_cost(self.penalised, self.best)
        self.separator = _Separator(cost)
        self.model = _master(cost, p, fixed, allowed, int(rng.integers(2**31 - 1)), self.integral)
        y = np.zeros(self.m)
        y[self.best] = 1.0
        self.add_cuts(y, np.zeros(self.n))

    def add_cuts(self, y: np.ndarray, theta: np.ndarray) -> int:
        matrix, rhs = self.separator.cuts(y, theta)
        self.model.add_rows(matrix, rhs, np.full(len(rhs), np.inf))
        return len(rhs)

    def rounded(self, bound: float) -> float:
        """The bound, rounded up for integer costs, never above the incumbent."""
        value = float(np.ceil(bound - _TOL)) if self.integral else bound
        return min(value, self.best_cost)

    def pruned(self, bound: float) -> bool:
        return self.rounded(bound) >= self.best_cost - _TOL * max(1.0, abs(self.best_cost))

    def plan(self, bound: float) -> MedianPlan:
        """The incumbent and the bound; a plan leaving clients unserved costs ``inf``, and
        its bound is ``inf`` when the search proved that no plan serves them all (a node
        pruned at the penalty holds no plan that serves everyone)."""
        cost = median_cost(self.cost, self.best)
        if np.isfinite(cost):
            return MedianPlan(self.best, self.best_cost, self.rounded(bound))
        proven = self.rounded(bound) >= self.best_cost - _TOL * max(1.0, self.best_cost)
        return MedianPlan(self.best, np.inf, np.inf if proven else float(bound))

    def offer(self, sites: np.ndarray) -> None:
        value = median_cost(self.penalised, sites)
        if value < self.best_cost - _TOL:
            self.best, self.best_cost = np.sort(sites), value

    def node(self, lower: np.ndarray, upper: np.ndarray, deadline: Deadline) -> _Node:
        """Solve the master LP with these bounds on ``y``, adding cuts until none is violated
        or the node cannot beat the incumbent; offer a rounded plan to the incumbent."""
        self.model.set_bounds(np.arange(self.m), lower, upper)
        while True:
            lp = self.model.solve(deadline)
            if lp.infeasible:
                return _Node(np.inf, None, infeasible=True)
            if lp.x is None or not lp.optimal:
                return _Node(-np.inf, None)
            y = lp.x[: self.m]
            if self.pruned(lp.objective) or deadline.left() <= 0:
                break
            if not self.add_cuts(y, lp.x[self.m :]):
                break
        score = np.where(self.allowed, y + lower, -np.inf)
        self.offer(np.argsort(-score, kind="stable")[: self.p])
        reduced = None if lp.col_dual is None else lp.col_dual[: self.m]
        return _Node(lp.objective, y, reduced)

    def closable(self, node: _Node) -> np.ndarray:
        """Sites whose opening would cost more than the incumbent in the node's subtree,
        by the node LP's reduced costs."""
        if node.y is None or node.reduced is None:
            return np.zeros(self.m, dtype=bool)
        target = self.best_cost - (1 - _TOL if self.integral else _TOL)
        return (node.y < _TOL) & (node.bound + node.reduced > target) & ~self.fixed

    def branch(
        self, root: _Node, lower: np.ndarray, upper: np.ndarray, deadline: Deadline
    ) -> MedianPlan:
        """Best-first branching on the most fractional ``y``, diving into the ``y_j = 0``
        child at once (its LP starts from the parent's basis)."""
        Entry = tuple[float, int, np.ndarray, np.ndarray, _Node]
        heap: list[Entry] = []
        count = itertools.count()
        dive: Entry | None = (root.bound, next(count), lower, upper, root)
        nodes = 0
        while (heap or dive) and deadline.left() > 0:
            entry, dive = (dive, None) if dive is not None else (heapq.heappop(heap), None)
            bound, _, lo, up, node = entry
            if self.pruned(bound):
                continue
            if node.y is None:
                node = self.node(lo, up, deadline)
                nodes += 1
                if deadline.left() <= 0 and not node.infeasible:
                    # unfinished: keep its bound for the report
                    heapq.heappush(heap, (max(bound, node.bound), next(count), lo, up, node))
                    break
                if node.y is None or self.pruned(node.bound):
                    continue
            y = node.y
            frac = np.minimum(y, 1 - y)
            j = int(np.argmax(frac))
            if frac[j] <= _TOL:
                self.offer(np.flatnonzero(y > 0.5))
                continue
            up = np.where(self.closable(node), 0.0, up)
            for value in (0.0, 1.0):
                child_lo, child_up = lo.copy(), up.copy()
                child_lo[j] = child_up[j] = value
                child = (node.bound, next(count), child_lo, child_up, _Node(node.bound, None))
                if value == 0.0:
                    dive = child
                else:
                    heapq.heappush(heap, child)
        remaining = min([b for b, *_ in heap] + ([dive[0]] if dive else []), default=np.inf)
        logger.debug("branch and cut: %d nodes, %d open", nodes, len(heap))
        return self.plan(remaining)
