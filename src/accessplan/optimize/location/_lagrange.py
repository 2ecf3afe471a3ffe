r"""Lagrangian relaxation of the assignment rows, by subgradient ascent.

With multipliers :math:`u` on :math:`\sum_j x_{ij} + s_i = 1`,

.. math:: L(u) = \sum_i u_i + \sum_i \min(0, e_i - u_i)
          + \min_{|S| = p,\ F \subseteq S} \sum_{j \in S} K_j(u)

is a lower bound (:math:`e_i` the cost of leaving client ``i`` unserved, :math:`K_j` site
``j``'s knapsack, see ``_knapsack``); its maximum equals the bound of the set-partitioning
LP over single-site client sets (column generation, Lorena & Senne 2004). Each step also
names the ``p`` sites of least :math:`K_j`, which the engine turns into plans.

Step sizes follow Polyak's rule towards the best plan's cost, halved after ``patience`` steps
without a better bound. Measured on lin318 and u724: a patience of 15 stopped u724_010 at
0.20 % below the optimum, 30 reached 0.09 % (its LP bound) in about 900 steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from accessplan.optimize.location import _knapsack
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location._instance import Instance

logger = logging.getLogger(__name__)

_PATIENCE = 30
_MIN_STEP = 1e-4


class Lagrangian:
    """Multipliers, the best bound found and the sites and knapsacks behind it."""

    def __init__(self, inst: Instance, force: np.ndarray | None = None) -> None:
        self.inst = inst
        self.force = np.full(inst.n, -1, np.int64) if force is None else force
        self.u = start_multipliers(inst)
        self.bound = -np.inf
        self.best_u = self.u.copy()
        self.steps = 0

    def evaluate(self, u: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``L(u)``, the chosen sites and every site's knapsack value."""
        inst = self.inst
        value = _knapsack.values(inst.cost_t, u, inst.q, inst.cap, self.force)
        sites = pick(value, inst.p, inst.fixed, inst.allowed)
        total = u.sum() + np.minimum(0.0, inst.unserved - u).sum() + value[sites].sum()
        return float(total), sites, value

    def ascend(
        self,
        deadline: Deadline,
        target: Callable[[], float],
        on_sites: Callable[[np.ndarray], None],
        *,
        steps: int,
        step: float = 2.0,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Up to ``steps`` subgradient steps from the current multipliers; ``target()`` is the
        best plan's cost (``inf`` if none), ``on_sites`` receives each step's sites."""
        inst = self.inst
        u = self.u
        stale = 0
        for _ in range(steps):
            if deadline.left() <= 0 or step < _MIN_STEP or stop():
                break
            value, sites, _ = self.evaluate(u)
            self.steps += 1
            if value > self.bound + 1e-9 * max(1.0, abs(value)):
                self.bound, self.best_u, stale = value, u.copy(), 0
            else:
                stale += 1
                if stale >= _PATIENCE:
                    step, stale = step / 2, 0
            on_sites(sites)
            x = _knapsack.solutions(inst.cost_t, u, inst.q, inst.cap, self.force, sites)
            slack = 1.0 - x.sum(axis=1) - (inst.unserved < u)
            norm = float(slack @ slack)
            if norm == 0:  # the relaxed plan is a plan: L(u) is optimal
                break
            goal = target()
            if not np.isfinite(goal) or goal <= value:
                goal = value + 0.05 * abs(value) + 1.0
            u = u + step * (goal - value) / norm * slack
        self.u = u
        logger.debug("Lagrangian bound %.8g after %d steps", self.bound, self.steps)


def start_multipliers(inst: Instance) -> np.ndarray:
    """Each client's second cheapest cost (its cheapest when it has one site), capped by
    the cost of leaving it unserved."""
    ranked = np.sort(inst.cost, axis=1)
    second = ranked[:, min(1, inst.m - 1)]
    u = np.where(np.isfinite(second), second, ranked[:, 0])
    u = np.minimum(u, inst.unserved)
    return np.where(np.isfinite(u), u, 0.0)


def pick(value: np.ndarray, p: int, fixed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The fixed sites and the free allowed ones of least value, ``p`` in all, sorted."""
    free = np.flatnonzero(allowed & ~fixed)
    best = free[np.argsort(value[free], kind="stable")[: p - int(fixed.sum())]]
    return np.sort(np.concatenate([np.flatnonzero(fixed), best]))
