"""Construction and improvement heuristics; they give HiGHS its first incumbent.

All work on dense arrays: ``cost`` is clients x sites (already weighted), ``cover`` a boolean
clients x sites matrix. Sites are column indices; ``fixed`` columns are always open and only
``allowed`` columns ever open, even when opening them gains nothing (ties at zero gain).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def finite_cost(cost: np.ndarray) -> np.ndarray:
    """``cost`` with ``inf`` replaced by a penalty larger than any feasible plan's cost."""
    finite = np.isfinite(cost)
    top = float(cost[finite].max()) if finite.any() else 1.0
    return np.where(finite, cost, cost.shape[0] * max(top, 1.0) + 1.0)


def nearest_two(cost: np.ndarray, open_sites: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per client: nearest open cost, second nearest (penalty when absent), nearest site."""
    sub = cost[:, open_sites]
    first = np.argmin(sub, axis=1)
    rows = np.arange(len(cost))
    d1 = sub[rows, first]
    if len(open_sites) > 1:
        d2 = np.partition(sub, 1, axis=1)[:, 1]
    else:
        d2 = np.full(len(cost), float(cost.max()))
    return d1, d2, open_sites[first]


def greedy_median(cost: np.ndarray, p: int, fixed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Add allowed sites one by one, each time the one that lowers the total cost most."""
    chosen = [int(j) for j in np.flatnonzero(fixed)]
    d1 = cost[:, chosen].min(axis=1) if chosen else np.full(len(cost), float(cost.max()))
    while len(chosen) < p:
        gain = np.maximum(d1[:, None] - cost, 0.0).sum(axis=0)
        gain[chosen] = -1.0
        gain[~allowed] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        d1 = np.minimum(d1, cost[:, best])
    return np.sort(np.asarray(chosen, dtype=np.int64))


def interchange(
    cost: np.ndarray, open_sites: np.ndarray, fixed: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """Best-improvement swaps (Whitaker's fast interchange, evaluated for all pairs at once).

    The change of swapping site ``j`` in for open site ``r`` is
    ``-gain_j + loss_r - extra_rj`` with ``gain_j = sum_i (d1_i - c_ij)^+``,
    ``loss_r = sum_{i: nearest(i)=r} (d2_i - d1_i)`` and
    ``extra_rj = sum_{i: nearest(i)=r} (d2_i - max(d1_i, c_ij))^+``.
    """
    n = cost.shape[0]
    open_sites = np.sort(open_sites)
    scale = max(float(np.abs(cost).max()), 1.0)
    while True:
        d1, d2, nearest = nearest_two(cost, open_sites)
        gain = np.maximum(d1[:, None] - cost, 0.0).sum(axis=0)
        position = np.searchsorted(open_sites, nearest)
        owner = sp.csr_array((np.ones(n), (position, np.arange(n))), shape=(len(open_sites), n))
        loss = owner @ (d2 - d1)
        extra = owner @ np.maximum(d2[:, None] - np.maximum(d1[:, None], cost), 0.0)
        delta = loss[:, None] - extra - gain[None, :]
        delta[:, open_sites] = np.inf
        delta[:, ~allowed] = np.inf
        delta[fixed[open_sites], :] = np.inf
        r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[r, j] < -1e-9 * scale:
            return open_sites
        open_sites = np.sort(np.append(np.delete(open_sites, r), j))


def median_cost(cost: np.ndarray, open_sites: np.ndarray) -> float:
    return float(cost[:, open_sites].min(axis=1).sum())


def vns_median(
    cost: np.ndarray,
    p: int,
    fixed: np.ndarray,
    allowed: np.ndarray,
    rng: np.random.Generator,
    *,
    shakes: int,
) -> np.ndarray:
    """Greedy start, interchange, then ``shakes`` rounds of variable neighbourhood search.

    A shake swaps ``k`` random open (not fixed) sites for random closed allowed ones, ``k``
    cycling through 1, 2, 3; the result is improved by interchange and kept when cheaper.
    """
    cost = finite_cost(cost)
    best = interchange(cost, greedy_median(cost, p, fixed, allowed), fixed, allowed)
    best_cost = median_cost(cost, best)
    movable_count = p - int(fixed.sum())
    for round_ in range(shakes):
        closed = np.setdiff1d(np.flatnonzero(allowed), best)
        k = min(1 + round_ % 3, movable_count, len(closed))
        if k <= 0:
            break
        movable = best[~fixed[best]]
        out = rng.choice(movable, size=k, replace=False)
        into = rng.choice(closed, size=k, replace=False)
        trial = interchange(cost, np.union1d(np.setdiff1d(best, out), into), fixed, allowed)
        trial_cost = median_cost(cost, trial)
        if trial_cost < best_cost - 1e-9:
            best, best_cost = trial, trial_cost
    return best


def greedy_cover(
    cover: np.ndarray, weights: np.ndarray, p: int, fixed: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """Maximal covering: add the allowed site covering the most uncovered weight, ``p`` sites
    in all."""
    chosen = [int(j) for j in np.flatnonzero(fixed)]
    covered = cover[:, chosen].any(axis=1)
    while len(chosen) < p:
        gain = (weights[~covered] @ cover[~covered]).astype(float)
        gain[chosen] = -1.0
        gain[~allowed] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        covered |= cover[:, best]
    return np.sort(np.asarray(chosen, dtype=np.int64))


def greedy_set_cover(
    cover: np.ndarray, site_cost: np.ndarray, fixed: np.ndarray, allowed: np.ndarray
) -> np.ndarray | None:
    """Set covering: add the allowed site with the most newly covered clients per unit of
    cost; None when the allowed sites cannot cover every client."""
    chosen = [int(j) for j in np.flatnonzero(fixed)]
    covered = cover[:, chosen].any(axis=1)
    while not covered.all():
        ratio = cover[~covered].sum(axis=0) / np.maximum(site_cost, 1e-12)
        ratio[~allowed] = 0.0
        best = int(np.argmax(ratio))
        if ratio[best] <= 0:
            return None
        chosen.append(best)
        covered |= cover[:, best]
    return np.sort(np.asarray(chosen, dtype=np.int64))


def farthest_first(
    cost: np.ndarray, p: int, fixed: np.ndarray, forbidden: np.ndarray
) -> np.ndarray:
    """p-center: repeatedly open the allowed site nearest to the worst-served client."""
    cost = finite_cost(cost)
    chosen = [int(j) for j in np.flatnonzero(fixed)]
    if not chosen:
        chosen.append(int(np.argmin(np.where(forbidden, np.inf, cost.max(axis=0)))))
    d1 = cost[:, chosen].min(axis=1)
    while len(chosen) < p:
        row = cost[int(np.argmax(d1))].copy()
        row[chosen] = np.inf
        row[forbidden] = np.inf
        best = int(np.argmin(row))
        chosen.append(best)
        d1 = np.minimum(d1, cost[:, best])
    return np.sort(np.asarray(chosen, dtype=np.int64))
