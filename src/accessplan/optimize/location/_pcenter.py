"""Exact p-center: a search over the distinct costs, each probe a set covering on a few clients.

Whether ``p`` sites can serve every client within radius ``r`` is a set-covering question.
Most clients are redundant for it: sites that cover a handful of far-apart clients cover the
rest too. So each probe solves the covering for a growing subset of clients (in the manner
of Contardo, Iori & Kramer 2019): when even the subset needs more than ``p`` sites the
radius is too small; when the subset's cover serves everyone the radius is feasible;
otherwise the clients it misses join the subset. The subset carries over between probes.
"""

from __future__ import annotations

import logging

import numpy as np

from accessplan.optimize.location import _heuristics
from accessplan.optimize.location._compact import set_cover_model
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location.problems import PCenter

logger = logging.getLogger(__name__)

_JOIN = 20  # most clients joining the subset per round


def solve_center(
    problem: PCenter, cost: np.ndarray, *, deadline: Deadline, rng: np.random.Generator
) -> tuple[np.ndarray, float, float]:
    """Open sites, their radius and a lower bound, for the weighted ``cost``."""
    values = np.unique(cost[np.isfinite(cost)])
    best = _heuristics.farthest_first(cost, problem.p, problem.fixed, problem.forbidden)
    radius = _radius(cost, best)
    allowed = ~problem.forbidden
    lo = int(np.searchsorted(values, np.where(allowed, cost, np.inf).min(axis=1).max()))
    hi = int(np.searchsorted(values, radius))
    subset = np.zeros(problem.n_clients, dtype=bool)
    subset[_far_apart(cost, best, problem.p + 1)] = True
    while lo < hi and deadline.left() > 0:
        mid = (lo + hi) // 2
        sites, infeasible = _probe(problem, cost <= values[mid], subset, deadline, rng)
        if infeasible:
            lo = mid + 1
        elif sites is None:  # out of time
            break
        else:
            best = _pad(sites, problem)
            radius = _radius(cost, best)
            hi = int(np.searchsorted(values, radius))
        logger.debug(
            "p-center: radius in [%g, %g], %d clients", _at(values, lo), radius, subset.sum()
        )
    return best, radius, _at(values, lo)


def _at(values: np.ndarray, k: int) -> float:
    """``values[k]``, or ``inf`` past the end (no radius serves everyone)."""
    return float(values[k]) if k < len(values) else np.inf


def _probe(
    problem: PCenter,
    cover: np.ndarray,
    subset: np.ndarray,
    deadline: Deadline,
    rng: np.random.Generator,
) -> tuple[np.ndarray | None, bool]:
    """Sites (at most ``p``) covering every client (None if none found), and whether none
    exist; clients found necessary join ``subset`` in place."""
    allowed = ~problem.forbidden
    cover = cover & allowed[None, :]
    greedy = _heuristics.greedy_set_cover(cover, np.ones(problem.n_sites), problem.fixed, allowed)
    if greedy is None:  # some client has no allowed site within the radius
        return None, True
    if len(greedy) <= problem.p:
        return greedy, False
    ones = np.ones(problem.n_sites)
    while deadline.left() > 0:
        rows = np.flatnonzero(subset)
        model = set_cover_model(
            problem,
            cover[rows],
            ones,
            integer=True,
            seed=int(rng.integers(2**31 - 1)),
            max_sites=problem.p,
        )
        model.stop_at(problem.p)
        out = model.solve(deadline)
        if out.x is None:
            return None, out.infeasible
        sites = np.flatnonzero(out.x[: problem.n_sites] > 0.5)
        missed = np.flatnonzero(~cover[:, sites].any(axis=1))
        if len(missed) == 0:
            return sites, False
        # the hardest to cover first: fewest sites within reach
        order = np.argsort(cover[missed].sum(axis=1), kind="stable")
        subset[missed[order[:_JOIN]]] = True
    return None, False


def _far_apart(cost: np.ndarray, sites: np.ndarray, k: int) -> np.ndarray:
    """``k`` clients far from each other's serving sites (farthest first from the plan)."""
    reach = cost[:, sites].min(axis=1)
    chosen = [int(np.argmax(np.where(np.isfinite(reach), reach, -np.inf)))]
    near = cost[:, cost[chosen[0]].argmin()].copy()
    for _ in range(min(k, len(cost)) - 1):
        far = np.where(np.isfinite(near), near, np.inf)
        far[chosen] = -np.inf
        nxt = int(np.argmax(far))
        chosen.append(nxt)
        near = np.minimum(near, cost[:, cost[nxt].argmin()])
    return np.asarray(chosen, dtype=np.int64)


def _radius(cost: np.ndarray, sites: np.ndarray) -> float:
    return float(cost[:, sites].min(axis=1).max())


def _pad(sites: np.ndarray, problem: PCenter) -> np.ndarray:
    """Fill a cover of fewer than ``p`` sites up to ``p`` with allowed closed sites."""
    spare = np.setdiff1d(np.flatnonzero(~problem.forbidden), sites)
    return np.union1d(sites, spare[: problem.p - len(sites)])
