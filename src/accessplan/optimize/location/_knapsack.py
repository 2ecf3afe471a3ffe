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


# ---- with subset-row penalties -------------------------------------------------------------
#
# Branch-and-price adds subset-row cuts to its master (see ``_subset_rows``): a cut over an
# odd set of clients has dual rho <= 0, and a set holding ``c`` of them pays
# ``floor(c / 2) * pen`` more (``pen = -rho``).
# Sites whose items touch no penalised cut keep the table above; the others are solved by a
# depth-first search over their items (most value per unit of demand first), pruned by the
# exact knapsack of the items left without penalties (a table per site; penalties only
# add, so that bound stays valid). With the LP bound instead, the search ran past its
# limit on lin318_015 (columns of 21 clients) within the first rounds of cuts.
# ``ptr``/``cuts`` list each client's cuts (CSR), ``pen`` their penalties. Many large items
# under many cuts can make that search long: it stops after ``_SEARCH_NODES`` nodes (about
# 10 ms) and says so; the master then drops its cuts (see ``_price``).

_SEARCH_NODES = 200_000


@numba.njit(cache=True)
def _enter(i: int, ptr: np.ndarray, cuts: np.ndarray, pen: np.ndarray, count: np.ndarray) -> float:
    """Count client ``i`` into its cuts; the penalties of the pairs it completes."""
    paid = 0.0
    for c in range(ptr[i], ptr[i + 1]):
        t = cuts[c]
        count[t] += 1
        if count[t] % 2 == 0:
            paid += pen[t]
    return paid


@numba.njit(cache=True)
def _penalised(
    cost_row: np.ndarray,
    u: np.ndarray,
    q: np.ndarray,
    cap: int,
    force: np.ndarray,
    j: int,
    ptr: np.ndarray,
    cuts: np.ndarray,
    pen: np.ndarray,
    x: np.ndarray,
    trace: bool,
) -> tuple[float, bool]:
    """``K_j`` with penalties, and whether it is exact: past ``_SEARCH_NODES`` nodes the
    search stops with the bound of all items (a lower bound) and its best set so far."""
    n = len(u)
    idx = np.empty(n, np.int64)
    k, forced_w, forced_v = _items(cost_row, u, q, cap, force, j, idx)
    # the plain table where no penalised cut touches an item or a forced client
    touched = False
    for i in np.concatenate((idx[:k], np.flatnonzero(force == j))):
        for c in range(ptr[i], ptr[i + 1]):
            touched = touched or pen[cuts[c]] > 0
    if not touched:
        return _solve(cost_row, u, q, cap, force, j, x, trace), True
    room = cap - forced_w
    if room < 0:
        return np.inf, True
    count = np.zeros(len(pen), np.int64)
    base = forced_v
    for i in range(n):
        if force[i] == j and cost_row[i] < np.inf:
            base += _enter(i, ptr, cuts, pen, count)
    # items by value per unit of demand, best first (demand 0 first)
    ratio = np.empty(k)
    for t in range(k):
        i = idx[t]
        ratio[t] = (cost_row[i] - u[i]) / max(q[i], 1e-9)
    order = idx[:k][np.argsort(ratio, kind="mergesort")]
    value = np.empty(k)
    weight = np.empty(k, np.int64)
    for t in range(k):
        value[t] = cost_row[order[t]] - u[order[t]]
        weight[t] = q[order[t]]
    # tail[d, c]: the best of items d.. within demand c, without penalties (a bound)
    width = min(room, int(weight.sum()))
    tail = np.zeros((k + 1, width + 1))
    for d in range(k - 1, -1, -1):
        tail[d] = tail[d + 1]
        for c in range(weight[d], width + 1):
            alt = tail[d + 1, c - weight[d]] + value[d]
            if alt < tail[d, c]:
                tail[d, c] = alt
    taken = np.zeros(k + 1, np.bool_)
    delta = np.zeros(k + 1)
    phase = np.zeros(k + 1, np.int8)
    chosen = np.zeros(k, np.bool_)
    best = 0.0  # the empty set
    w = 0
    v = 0.0
    d = 0
    nodes = 0
    lowest = 0.0  # the bound at the root
    while d >= 0:
        if phase[d] == 0:
            nodes += 1
            if nodes > _SEARCH_NODES:
                break
            if v < best - 1e-12:
                best = v
                chosen[:] = taken[:k]
            if d == k:
                d -= 1
                continue
            lp = v + tail[d, min(room - w, width)]
            if nodes == 1:
                lowest = lp
            if lp >= best - 1e-12:
                d -= 1
                continue
            phase[d] = 1
            if w + weight[d] <= room:
                extra = value[d] + _enter(order[d], ptr, cuts, pen, count)
                taken[d] = True
                delta[d] = extra
                w += weight[d]
                v += extra
                d += 1
                phase[d] = 0
                continue
        if phase[d] == 1:
            if taken[d]:
                i = order[d]
                for c in range(ptr[i], ptr[i + 1]):
                    count[cuts[c]] -= 1
                w -= weight[d]
                v -= delta[d]
                taken[d] = False
            phase[d] = 2
            d += 1
            phase[d] = 0
            continue
        d -= 1
    if trace:
        x[:] = False
        for i in range(n):
            if force[i] == j and cost_row[i] < np.inf:
                x[i] = True
        for t in range(k):
            if chosen[t]:
                x[order[t]] = True
    if nodes > _SEARCH_NODES:
        return base + min(best, lowest), False
    return base + best, True


@numba.njit(cache=True)
def penalised(
    cost_t: np.ndarray,
    u: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    force: np.ndarray,
    ptr: np.ndarray,
    cuts: np.ndarray,
    pen: np.ndarray,
) -> tuple[np.ndarray, bool, np.ndarray]:
    """:func:`values` and :func:`solutions` (every site) in one pass, with the penalties of
    subset-row cuts; values are lower bounds where the search stopped early, and the flag
    says whether all are exact."""
    m = cost_t.shape[0]
    n = len(u)
    out = np.empty(m)
    x = np.zeros((m, n), np.bool_)
    exact = True
    for j in range(m):
        out[j], done = _penalised(cost_t[j], u, q, cap[j], force, j, ptr, cuts, pen, x[j], True)
        exact = exact and done
    return out, exact, x.T.copy()
