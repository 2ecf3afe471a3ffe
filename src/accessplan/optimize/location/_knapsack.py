r"""One 0-1 knapsack per site, solved exactly by dynamic programming (compiled).

The capacitated engine relaxes the assignment rows with multipliers :math:`u` (Lagrangian) or
prices columns with the duals of a master LP (column generation); both ask, per site ``j``,

.. math:: K_j(u) = \min \{ \textstyle\sum_i (c_{ij} - u_i) x_i :
          \sum_i q_i x_i \le Q_j,\ x_i = 1\ (i \text{ forced to } j),\ x \in \{0,1\} \}.

Only clients with a negative reduced cost and a demand that fits are items. When all of them
fit the answer is immediate (most sites at good multipliers); otherwise the table runs over
whichever is smaller: the capacity :math:`Q_j` (items to take) or the excess
:math:`\sum q - Q_j` (items to drop, least value lost). With many small sites the excess is
small; with few large ones (p = 5 on 318 clients, capacities of 3,710) it is, too, at good
multipliers. Demands and capacities are integers (the engine scales others, see
``_capacitated``). Costs are sites x clients (``cost_t``), ``inf`` where a pair is not allowed
(or banned by a branch); ``force[i] = j`` puts client ``i`` in site ``j``'s knapsack.

Measured on lin318 and u724 (318 and 724 points): all sites' values in 2-7 ms.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _items(
    cost_row: np.ndarray,
    u: np.ndarray,
    q: np.ndarray,
    cap: int,
    force: np.ndarray,
    j: int,
    idx: np.ndarray,
) -> tuple[int, int, float]:
    """Free items of site ``j`` in ``idx[:k]``; returns ``k`` and the weight and value of the
    forced ones."""
    k = 0
    forced_w = 0
    forced_v = 0.0
    for i in range(len(u)):
        c = cost_row[i]
        if force[i] == j:  # an unusable forced pair makes the site infeasible
            forced_w += q[i] if c < np.inf else cap + 1
            forced_v += c - u[i]
        elif not c < np.inf:
            continue
        elif force[i] < 0 and c - u[i] < 0 and q[i] <= cap:
            idx[k] = i
            k += 1
    return k, forced_w, forced_v


@numba.njit(cache=True)
def _solve(
    cost_row: np.ndarray,
    u: np.ndarray,
    q: np.ndarray,
    cap: int,
    force: np.ndarray,
    j: int,
    x: np.ndarray,
    trace: bool,
) -> float:
    """``K_j``; with ``trace`` also the chosen clients in ``x`` (cleared first)."""
    n = len(u)
    idx = np.empty(n, np.int64)
    k, forced_w, forced_v = _items(cost_row, u, q, cap, force, j, idx)
    if trace:
        x[:] = False
        for i in range(n):
            if force[i] == j and cost_row[i] < np.inf:
                x[i] = True
    room = cap - forced_w
    if room < 0:
        return np.inf
    total_w = 0
    total_v = 0.0
    for t in range(k):
        total_w += q[idx[t]]
        total_v += cost_row[idx[t]] - u[idx[t]]
    if total_w <= room:
        if trace:
            for t in range(k):
                x[idx[t]] = True
        return forced_v + total_v
    excess = total_w - room
    if excess <= room:
        # drop items of total weight at least ``excess``, losing the least value
        g = np.full(excess + 1, np.inf)
        g[0] = 0.0
        drop = np.zeros((k if trace else 0, excess + 1), np.bool_)
        for t in range(k):
            i = idx[t]
            w = q[i]
            v = u[i] - cost_row[i]
            for e in range(excess, 0, -1):
                prev = e - w if e > w else 0
                value = g[prev] + v
                if value < g[e]:
                    g[e] = value
                    if trace:
                        drop[t, e] = True
        if trace:
            for t in range(k):
                x[idx[t]] = True
            e = excess
            for t in range(k - 1, -1, -1):
                if e > 0 and drop[t, e]:
                    x[idx[t]] = False
                    w = q[idx[t]]
                    e = e - w if e > w else 0
        return forced_v + total_v + g[excess]
    f = np.zeros(room + 1)
    take = np.zeros((k if trace else 0, room + 1), np.bool_)
    for t in range(k):
        i = idx[t]
        w = q[i]
        v = cost_row[i] - u[i]
        for c in range(room, w - 1, -1):
            value = f[c - w] + v
            if value < f[c]:
                f[c] = value
                if trace:
                    take[t, c] = True
    if trace:
        c = room
        for t in range(k - 1, -1, -1):
            if take[t, c]:
                x[idx[t]] = True
                c -= q[idx[t]]
    return forced_v + f[room]


@numba.njit(cache=True)
def values(
    cost_t: np.ndarray, u: np.ndarray, q: np.ndarray, cap: np.ndarray, force: np.ndarray
) -> np.ndarray:
    """``K_j(u)`` for every site (``inf`` where the forced clients overfill it)."""
    m = cost_t.shape[0]
    out = np.empty(m)
    dummy = np.zeros(0, np.bool_)
    for j in range(m):
        out[j] = _solve(cost_t[j], u, q, cap[j], force, j, dummy, False)
    return out


@numba.njit(cache=True)
def solutions(
    cost_t: np.ndarray,
    u: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    force: np.ndarray,
    sites: np.ndarray,
) -> np.ndarray:
    """Clients x ``sites`` boolean matrix: the best knapsack of each given site."""
    n = len(u)
    x = np.zeros((len(sites), n), np.bool_)
    for t in range(len(sites)):
        j = sites[t]
        _solve(cost_t[j], u, q, cap[j], force, j, x[t], True)
    return x.T.copy()


@numba.njit(cache=True)
def tables(cost_t: np.ndarray, u: np.ndarray, q: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """``table[j, c]``: least reduced cost of clients of total demand at most ``c`` at site
    ``j``, for ``c`` up to the largest capacity (for the fixing tests)."""
    m, n = cost_t.shape
    width = 0
    for j in range(m):
        width = max(width, cap[j])
    table = np.zeros((m, width + 1))
    for j in range(m):
        f = table[j]
        for i in range(n):
            v = cost_t[j, i] - u[i]
            w = q[i]
            if not v < 0 or w > cap[j]:
                continue
            for c in range(width, w - 1, -1):
                value = f[c - w] + v
                if value < f[c]:
                    f[c] = value
    return table
