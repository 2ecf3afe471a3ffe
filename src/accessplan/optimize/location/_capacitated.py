r"""Capacitated p-median: Lagrangian bound, incumbents and variable fixing before HiGHS.

Relaxing the assignment rows :math:`\sum_j x_{ij} = 1` with multipliers :math:`u` splits the
model into one 0-1 knapsack per site,

.. math:: K_j(u) = \min \{ \textstyle\sum_i (c_{ij} - u_i) x_{ij} :
          \sum_i q_i x_{ij} \le Q_j,\ x \in \{0,1\} \},

and :math:`L(u) = \sum_i u_i + \sum_{j \in S(u)} K_j(u)` over the ``p`` sites with the least
:math:`K_j` is a lower bound, as strong as the LP over each site's knapsack hull (stronger than
the plain LP). Subgradient steps raise it; the sites each step picks, with their clients
assigned greedily (by regret) or by a small HiGHS model, give incumbents. At the best
:math:`u`, a site or a pair ``(i, j)`` whose forced use lifts the bound to the incumbent's
cost cannot be part of a better plan and leaves the model handed to HiGHS, which also gets
the rows :math:`\sum_i (c_{ij} - u_i) x_{ij} \ge K_j(u) y_j` (valid; they lift its LP bound
to :math:`L(u)`). The knapsacks are solved exactly by dynamic programming over integer
capacities, all sites at once; it needs integer demands and capacities of moderate size
(:func:`applies`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from accessplan.optimize.location._heuristics import vns_median
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location.problems import CapacitatedPMedian, _capacity

logger = logging.getLogger(__name__)

_MAX_CELLS = 20_000_000  # clients x sites x capacity levels of the knapsack tables
_ITERATIONS = 600
_PATIENCE = 15  # subgradient steps without a better bound before the step halves
_ASSIGN_LIMIT = 1.0  # seconds for one assignment model
_EXACT_ASSIGNMENTS = 3  # site sets whose assignment HiGHS optimises
_RESTEP = 0.5  # subgradient step factor when resuming from the best multipliers
_CORE = 0.01  # the first core keeps what fits within this share above the bound


def _levels(problem: CapacitatedPMedian) -> tuple[np.ndarray, np.ndarray]:
    """Demands and capacities as integers, capacities clipped to the total demand."""
    q = problem.q.astype(np.int64)
    cap = np.floor(_capacity(problem, problem.capacity)).astype(np.int64)
    return q, np.clip(cap, 0, int(q.sum()))


def applies(problem: CapacitatedPMedian) -> bool:
    """The knapsacks can be solved by dynamic programming: integer demands, small tables."""
    q = problem.q
    if not (np.all(q >= 0) and np.all(np.mod(q, 1) == 0)):
        return False
    _, cap = _levels(problem)
    return problem.n_clients * problem.n_sites * (int(cap.max()) + 1) <= _MAX_CELLS


class _Knapsacks:
    """All sites' knapsacks for one vector of reduced costs, by dynamic programming.

    ``table[j, c]`` is the least reduced cost of clients of total demand at most ``c`` at
    site ``j``; ``take[i, j, c]`` records whether client ``i`` is in that best set (over the
    clients up to ``i``), for tracing the chosen clients back.
    """

    def __init__(self, reduced: np.ndarray, q: np.ndarray, cap: np.ndarray) -> None:
        n, m = reduced.shape
        width = int(cap.max()) + 1
        table = np.zeros((m, width))
        take = np.zeros((n, m, width), dtype=bool)
        for i in range(n):
            cols = np.flatnonzero(reduced[i] < 0)
            d = int(q[i])
            if len(cols) == 0 or d >= width:
                continue
            sub = table[cols]
            gain = reduced[i, cols, None]
            if d == 0:
                table[cols] = sub + gain
                take[i, cols] = True
                continue
            with_i = sub[:, : width - d] + gain
            better = with_i < sub[:, d:]
            sub[:, d:] = np.where(better, with_i, sub[:, d:])
            table[cols] = sub
            take[i, cols, d:] = better
        self.table, self.take, self.q, self.cap = table, take, q, cap
        self.value = table[np.arange(m), cap]

    def chosen(self, sites: np.ndarray) -> np.ndarray:
        """Clients x ``sites`` 0/1 matrix of the best knapsack of each given site."""
        level = self.cap[sites].copy()
        x = np.zeros((len(self.q), len(sites)))
        for i in range(len(self.q) - 1, -1, -1):
            hit = self.take[i, sites, level]
            x[i] = hit
            level -= self.q[i] * hit
        return x


def _pick(value: np.ndarray, p: int, fixed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The fixed sites and the free allowed ones of least knapsack value, ``p`` in all."""
    free = np.flatnonzero(allowed & ~fixed)
    best = free[np.argsort(value[free], kind="stable")[: p - int(fixed.sum())]]
    return np.sort(np.concatenate([np.flatnonzero(fixed), best]))


Restricted = Callable[
    [
        np.ndarray,
        np.ndarray,
        np.ndarray,
        float,
        np.ndarray | None,
        tuple[np.ndarray, np.ndarray] | None,
    ],
    tuple[np.ndarray | None, float, float],
]
"""``restricted(pairs, lower, upper, seconds, start, cut)``: HiGHS on the model narrowed to
the client-site ``pairs`` and site bounds, from the ``start`` assignment if given, with the
rows ``sum_i r_ij x_ij >= K_j y_j`` for ``cut = (r, K)``; returns the best assignment (None
if none), its cost and the bound."""


def solve_capacitated(
    problem: CapacitatedPMedian,
    restricted: Restricted,
    *,
    deadline: Deadline,
    rng: np.random.Generator,
) -> tuple[np.ndarray | None, float, float]:
    """Best assignment (site column per client), its cost, and a lower bound.

    Subgradient ascent gives the bound and plans (greedy assignments to the picked sites);
    HiGHS assigns clients exactly to the most promising site sets, solves a narrow core
    (what fits within 1 % above the bound) for a better plan, then the model without
    the pairs and sites Lagrangian fixing rules out against the best plan.
    """
    lag = _Lagrangian(problem)
    lag.ascend(deadline, lag.start(rng), 2.0)
    for sites in lag.promising():
        if lag.closed() or deadline.left() <= 0:
            break
        y = np.zeros(problem.n_sites)
        y[sites] = 1.0
        seconds = min(_ASSIGN_LIMIT, deadline.left())
        found = restricted(lag.fits & (y > 0), y, y, seconds, None, None)
        lag.offer(found[0], found[1])
    # Cores: every plan of cost at most ``limit`` uses only pairs and sites whose forced
    # Lagrangian bound is at most ``limit``. So the core's optimum is the optimum when it is
    # at most ``limit``; otherwise the optimum exceeds ``limit``. A narrow core first (a
    # better plan, cheaply), then the core below the best plan's cost, which settles it.
    for narrow in (True, False) if np.isfinite(lag.bound) else (False,):
        if lag.closed() or deadline.left() <= 0:
            break
        limit, margin = np.inf, 1 - 1e-6 if lag.integral else 0.0
        if np.isfinite(lag.best_cost):
            margin = margin or 1e-10 * max(1.0, abs(lag.best_cost))
            limit = lag.best_cost - margin
        if narrow:
            limit = min(limit, lag.bound + max(_CORE * abs(lag.bound), 1.0 * lag.integral))
        found = restricted(*lag.keep(limit), deadline.left(), lag.assignment, lag.cut())
        lag.offer(found[0], found[1])
        logger.debug(
            "core below %.6g: %.6g, bound %.6g, at %.1f s",
            limit,
            found[1],
            found[2],
            deadline.elapsed(),
        )
        if found[2] < min(found[1], limit) - 1e-9:  # out of time
            lag.raise_bound(min(found[2], limit))
            break
        lag.raise_bound(limit + (1 - margin if lag.integral else 0.0))
        # with a better plan to aim at, the multipliers climb further
        lag.ascend(deadline, lag.u, _RESTEP)
    return lag.assignment, lag.best_cost, lag.best_cost if lag.closed() else lag.rounded()


class _Lagrangian:
    """Multipliers, bound, plans found so far, and the fixing tests at the best multipliers."""

    def __init__(self, problem: CapacitatedPMedian) -> None:
        self.problem = problem
        cost = problem.weighted_cost()
        finite = np.isfinite(cost)
        self.q, self.cap = _levels(problem)
        self.fits = finite & (self.q[:, None] <= self.cap[None, :])
        self.cost = np.where(self.fits, cost, np.inf)
        self.allowed = ~problem.forbidden
        self.integral = bool(np.all(np.mod(cost[finite], 1) == 0))
        self.bound = -np.inf  # Lagrangian bound at the multipliers ``u``
        self.proven = -np.inf  # bound shown by solving cores
        self.u = np.zeros(problem.n_clients)
        self.assignment: np.ndarray | None = None
        self.best_cost = np.inf
        self.tried: dict[bytes, float] = {}  # site sets picked, latest last: greedy cost

    def offer(self, assignment: np.ndarray | None, cost: float) -> None:
        if assignment is not None and cost < self.best_cost - 1e-9:
            self.assignment, self.best_cost = assignment, float(cost)

    def raise_bound(self, value: float) -> None:
        """No plan costs less than ``value`` (shown outside the Lagrangian)."""
        self.proven = max(self.proven, value)

    def rounded(self) -> float:
        """The best lower bound, rounded up for integer costs, never above the best plan."""
        bound = max(self.bound, self.proven)
        if self.integral and np.isfinite(bound):
            bound = np.ceil(bound - 1e-6)
        return float(min(bound, self.best_cost))

    def closed(self) -> bool:
        if not np.isfinite(self.best_cost):
            return False
        gap = self.best_cost - self.rounded()
        return bool(gap <= 1e-9 * max(1.0, abs(self.best_cost)))

    def pick(self, value: np.ndarray) -> np.ndarray:
        return _pick(value, self.problem.p, self.problem.fixed, self.allowed)

    def guess(self, sites: np.ndarray) -> None:
        """Assign greedily to a picked site set not tried before."""
        key = sites.tobytes()
        if key in self.tried:
            self.tried[key] = self.tried.pop(key)  # now the latest picked
        elif self.cap[sites].sum() >= self.q.sum():
            found = _greedy_assignment(self.cost, self.q, self.cap, sites)
            self.tried[key] = np.inf if found is None else found[1]
            if found is not None:
                self.offer(*found)

    def start(self, rng: np.random.Generator) -> np.ndarray:
        """First multipliers (second cheapest cost) after a first plan from the sites of
        an uncapacitated p-median."""
        problem = self.problem
        self.guess(vns_median(self.cost, problem.p, problem.fixed, self.allowed, rng, shakes=3))
        u = np.sort(self.cost, axis=1)[:, min(1, problem.n_sites - 1)]
        return np.where(np.isfinite(u), u, 0.0)

    def ascend(self, deadline: Deadline, u: np.ndarray, step: float) -> None:
        """Subgradient steps from ``u`` (Polyak's rule towards the best plan's cost)."""
        stale = 0
        for _ in range(_ITERATIONS):
            if deadline.left() <= 0 or step < 1e-4 or self.closed():
                break
            knap = _Knapsacks(self.cost - u[:, None], self.q, self.cap)
            sites = self.pick(knap.value)
            value = float(u.sum() + knap.value[sites].sum())
            if value > self.bound + 1e-9:
                self.u, self.bound, stale = u.copy(), value, 0
            else:
                stale += 1
                if stale >= _PATIENCE:
                    step, stale = step / 2, 0
            self.guess(sites)
            slack = 1.0 - knap.chosen(sites).sum(axis=1)
            norm = float(slack @ slack)
            if norm == 0:  # the relaxed plan assigns everyone once: it is optimal
                break
            target = self.best_cost if np.isfinite(self.best_cost) else abs(value) * 1.05 + 1
            u = u + step * (target - value) / norm * slack
        logger.debug(
            "Lagrangian bound %.6g, plan %.6g after %.1f s",
            self.bound,
            self.best_cost,
            deadline.elapsed(),
        )

    def promising(self) -> list[np.ndarray]:
        """The site set of the best greedy plan and the ones picked last."""
        if not self.tried:
            return []
        best = min(self.tried, key=self.tried.__getitem__)
        keys = list(dict.fromkeys([best, *reversed(list(self.tried))]))
        return [np.frombuffer(k, dtype=np.int64) for k in keys[:_EXACT_ASSIGNMENTS]]

    def cut(self) -> tuple[np.ndarray, np.ndarray]:
        """Reduced costs and knapsack values at the best multipliers: every site ``j``
        satisfies ``sum_i (c_ij - u_i) x_ij >= K_j y_j``, which lifts the LP bound of the
        exact model to at least the Lagrangian bound."""
        knap = _Knapsacks(self.cost - self.u[:, None], self.q, self.cap)
        return self.cost - self.u[:, None], knap.value

    def keep(self, limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs and site bounds of plans whose Lagrangian bound may stay within ``limit``
        (the best plan's own always stay)."""
        problem = self.problem
        m = problem.n_sites
        knap = _Knapsacks(self.cost - self.u[:, None], self.q, self.cap)
        value = knap.value
        sites = self.pick(value)
        chosen = np.isin(np.arange(m), sites)
        free = self.allowed & ~problem.fixed
        last = float(value[sites[free[sites]]].max(initial=-np.inf))
        spare = free & ~chosen
        following = float(value[spare].min(initial=np.inf))
        swap_in = np.where(chosen, 0.0, value - last)  # bound rise from opening site j
        upper = self.allowed & ~(spare & (self.bound + swap_in > limit))
        lower = problem.fixed | (chosen & free & (self.bound - value + following > limit))
        # forcing client i into site j's knapsack costs at least this much more
        room = np.clip(self.cap[None, :] - self.q[:, None], 0, None)
        rest = knap.table[np.arange(m)[None, :], room]
        push = np.maximum(self.cost - self.u[:, None] + rest - value[None, :], 0.0)
        pairs = self.fits & (self.bound + push + swap_in[None, :] <= limit) & upper[None, :]
        if self.assignment is not None:
            own = np.isin(np.arange(m), self.assignment)
            pairs[np.arange(problem.n_clients), self.assignment] = True
            upper |= own
            lower &= own | problem.fixed
        logger.debug(
            "fixing below %.6g keeps %d of %d pairs, %d of %d sites",
            limit,
            int(pairs.sum()),
            int(self.fits.sum()),
            int(upper.sum()),
            m,
        )
        return pairs, lower.astype(float), upper.astype(float)


def _greedy_assignment(
    cost: np.ndarray, q: np.ndarray, cap: np.ndarray, sites: np.ndarray
) -> tuple[np.ndarray, float] | None:
    """Clients in order of regret (second cheapest minus cheapest site) each take the
    cheapest site with room left; None when some client finds none."""
    sub = cost[:, sites]
    two = np.sort(sub, axis=1)[:, :2] if len(sites) > 1 else np.hstack([sub, sub])
    regret = np.where(np.isfinite(two[:, 1]), two[:, 1] - two[:, 0], np.inf)
    room = cap[sites].astype(float)
    assignment = np.empty(len(cost), dtype=np.int64)
    total = 0.0
    for i in np.argsort(-regret, kind="stable"):
        options = np.where(room >= q[i], sub[i], np.inf)
        k = int(np.argmin(options))
        if not np.isfinite(options[k]):
            return None
        room[k] -= q[i]
        assignment[i] = sites[k]
        total += options[k]
    return assignment, total
