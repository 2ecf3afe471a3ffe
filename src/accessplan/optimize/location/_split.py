"""Capacitated models whose demand may split over several sites (multi-source).

With ``x`` continuous the compact model is a capacitated facility-location MILP with ``p``
sites, whose LP (with ``x_ij <= y_j``) is strong: HiGHS solves it directly, started from a
single-source plan of the capacitated engine (feasible when splitting too) found within a
small share of the time. The result carries each client's shares per site.
"""

from __future__ import annotations

import numpy as np

from accessplan.optimize.location import _capacitated
from accessplan.optimize.location._compact import assignment_model
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location._instance import instance
from accessplan.optimize.location.problems import CapacitatedMaxCover, CapacitatedPMedian

_START_SHARE = 0.2  # of the time limit for the engine's single-source plan
_START_SECONDS = 10.0  # ... and at most this long
_HEURISTIC = 5.0  # seconds HiGHS improves that plan by in heuristic mode


def solve_split(
    problem: CapacitatedPMedian | CapacitatedMaxCover,
    deadline: Deadline,
    rng: np.random.Generator,
    *,
    exact: bool,
) -> tuple[np.ndarray, float, float, np.ndarray | None]:
    """Open sites, objective and bound in the engine's (minimising) sense, and the
    clients x sites shares (None when no plan was found)."""
    inst = instance(problem)
    budget = min(_START_SECONDS, deadline.left() * _START_SHARE)
    start = _capacitated.solve(inst, Deadline(budget), rng, exact=False).plan
    model, pi, pj = assignment_model(
        inst.cost,
        inst.demand,
        inst.capacity,
        inst.p,
        (inst.fixed.astype(float), inst.allowed.astype(float)),
        inst.unserved,
        seed=int(rng.integers(2**31 - 1)),
        split=True,
    )
    x0 = None
    if start is not None:
        y = np.zeros(inst.m)
        y[start.sites] = 1.0
        s = (start.a < 0)[np.isfinite(inst.unserved)]
        x0 = np.concatenate([y, (start.a[pi] == pj).astype(float), s.astype(float)])
    out = model.solve(deadline if exact else Deadline(min(deadline.left(), _HEURISTIC)), start=x0)
    if out.x is None:
        if start is None:
            return np.flatnonzero(inst.fixed), np.inf, out.bound, None
        shares = np.zeros((inst.n, inst.m))
        served = np.flatnonzero(start.a >= 0)
        shares[served, start.a[served]] = 1.0
        return start.sites, start.cost, out.bound, shares
    shares = np.zeros((inst.n, inst.m))
    shares[pi, pj] = np.clip(out.x[inst.m : inst.m + len(pi)], 0.0, 1.0)
    shares[shares < 1e-9] = 0.0
    sites = np.flatnonzero(out.x[: inst.m] > 0.5)
    return sites, _value(inst.cost, inst.unserved, shares), out.bound, shares


def _value(cost: np.ndarray, unserved: np.ndarray, shares: np.ndarray) -> float:
    """Cost of the shares, and of the parts of clients left unserved."""
    served = np.where(shares > 0, cost, 0.0)
    left = 1.0 - shares.sum(axis=1)
    optional = np.isfinite(unserved)
    return float((shares * served).sum() + unserved[optional] @ left[optional])
