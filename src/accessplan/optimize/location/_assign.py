"""Assigning clients to a given set of open sites within capacities (compiled heuristics).

A plan is an assignment ``a`` (per client the column of its site, -1 when unserved) and the
site loads. Every client either has a site or, where the model allows it (maximal covering),
stays unserved at its ``unserved`` cost (``inf`` when it must be served; 0 for covering, whose
costs are the negative covered weights). All functions keep the loads within the true (not
scaled) capacities.

- :func:`greedy`: clients in order of regret (second-best option minus best) take their
  cheapest open site with room (Martello & Toth's rule for the generalised assignment).
- :func:`sequential`: a whole plan from multipliers: the site whose knapsack is best opens
  with its clients, those clients leave every other knapsack, and so on ``p`` times.
- :func:`repair`: a client left without a site takes one by ejecting another client to a
  third site with room (an ejection chain of length two).
- :func:`improve`: shifts and ejection chains (a client moves to a cheaper full site whose
  client moves on to another site, possibly the one just left: a swap) until no move gains.
- :func:`recentre`: each site moves to the best place for its own clients.
"""

from __future__ import annotations

import numba
import numpy as np

from accessplan.optimize.location._knapsack import _solve, values

_EPS = 1e-9
UNPLACED = -2  # a client that must be served and has no site yet


@numba.njit(cache=True)
def _room(load: np.ndarray, cap: np.ndarray, j: int) -> float:
    return cap[j] - load[j] + _EPS * max(1.0, cap[j])


@numba.njit(cache=True)
def greedy(
    cost: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    sites: np.ndarray,
    unserved: np.ndarray,
    a: np.ndarray,
    load: np.ndarray,
) -> None:
    """Place the clients without a site (``a < 0``), in place: each takes its cheapest open
    site with room when that beats staying unserved; a client that must be served and
    finds no room gets :data:`UNPLACED`."""
    n = cost.shape[0]
    regret = np.full(n, -np.inf)
    for i in range(n):
        if a[i] >= 0:
            continue
        first = unserved[i]
        second = np.inf
        for j in sites:
            c = cost[i, j]
            if c < first:
                second = first
                first = c
            elif c < second:
                second = c
        regret[i] = second - first if second < np.inf else np.inf
    # ties: larger demands first (harder to place later)
    by_demand = np.argsort(-q, kind="mergesort")
    order = by_demand[np.argsort(-regret[by_demand], kind="mergesort")]
    for i in order:
        if a[i] >= 0:
            continue
        best = -1
        best_cost = unserved[i]
        for j in sites:
            c = cost[i, j]
            if c < best_cost and q[i] <= _room(load, cap, j):
                best = j
                best_cost = c
        if best >= 0:
            a[i] = best
            load[best] += q[i]
        else:
            a[i] = -1 if unserved[i] < np.inf else UNPLACED


@numba.njit(cache=True)
def _option(a: int, i: int, cost: np.ndarray, unserved: np.ndarray) -> float:
    return unserved[i] if a < 0 else cost[i, a]


@numba.njit(cache=True)
def repair(
    cost: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    sites: np.ndarray,
    unserved: np.ndarray,
    a: np.ndarray,
    load: np.ndarray,
) -> bool:
    """Place every :data:`UNPLACED` client, directly or by moving one client out of the way
    (the cheapest such move); in place. False when some client could not be placed."""
    n = cost.shape[0]
    ok = True
    for i in range(n):
        if a[i] != UNPLACED:
            continue
        best = np.inf
        best_b = -1
        best_k = -1
        best_c = -1
        for b in sites:
            cib = cost[i, b]
            if not cib < np.inf:
                continue
            if q[i] <= _room(load, cap, b):
                if cib < best:
                    best, best_b, best_k = cib, b, -1
                continue
            for k in range(n):
                if a[k] != b or q[i] > _room(load, cap, b) + q[k]:
                    continue
                # where k goes: another open site with room, or unserved when allowed
                for c in sites:
                    if c == b or q[k] > _room(load, cap, c):
                        continue
                    delta = cib + cost[k, c] - cost[k, b]
                    if delta < best:
                        best, best_b, best_k, best_c = delta, b, k, c
                if unserved[k] < np.inf:
                    delta = cib + unserved[k] - cost[k, b]
                    if delta < best:
                        best, best_b, best_k, best_c = delta, b, k, -1
        if best_b < 0:
            ok = False
            continue
        if best_k >= 0:
            load[best_b] -= q[best_k]
            a[best_k] = best_c
            if best_c >= 0:
                load[best_c] += q[best_k]
        a[i] = best_b
        load[best_b] += q[i]
    return ok


@numba.njit(cache=True)
def improve(
    cost: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    sites: np.ndarray,
    unserved: np.ndarray,
    a: np.ndarray,
    load: np.ndarray,
    order: np.ndarray,
) -> float:
    """Shifts and length-two ejection chains until no move gains; in place. ``order`` is,
    per client, the open sites by increasing cost (``-1`` padded). Returns the total gain."""
    n = cost.shape[0]
    width = order.shape[1]
    gained = 0.0
    members = np.full(n, -1, np.int64)  # clients by site, as linked lists
    head = np.full(cost.shape[1], -1, np.int64)
    for i in range(n):
        if a[i] >= 0:
            members[i] = head[a[i]]
            head[a[i]] = i
    changed = True
    while changed:
        changed = False
        for i in range(n):
            here = a[i]
            current = _option(here, i, cost, unserved)
            for t in range(width):
                b = order[i, t]
                if b < 0 or not cost[i, b] < current - _EPS:
                    break
                if b == here:
                    continue
                gain_i = current - cost[i, b]
                if q[i] <= _room(load, cap, b):
                    _move(i, here, b, a, load, q, members, head)
                    gained += gain_i
                    changed = True
                    break
                # eject a client k of b to its best other place with room
                best = _EPS
                best_k = -1
                best_c = -1
                k = head[b]
                while k >= 0:
                    if q[i] <= _room(load, cap, b) + q[k]:
                        for s in range(width):
                            c = order[k, s]
                            if c < 0:
                                break
                            if c == b:
                                continue
                            extra = q[i] if c == here else 0.0
                            loss = cost[k, c] - cost[k, b]
                            if loss >= gain_i - best:
                                break
                            if q[k] <= _room(load, cap, c) + extra:
                                best = gain_i - loss
                                best_k = k
                                best_c = c
                                break
                        if unserved[k] < np.inf:
                            loss = unserved[k] - cost[k, b]
                            if gain_i - loss > best:
                                best = gain_i - loss
                                best_k = k
                                best_c = -1
                    k = members[k]
                if best_k >= 0:
                    _move(best_k, b, best_c, a, load, q, members, head)
                    _move(i, here, b, a, load, q, members, head)
                    gained += best
                    changed = True
                    break
    return gained


@numba.njit(cache=True)
def _move(
    i: int,
    source: int,
    target: int,
    a: np.ndarray,
    load: np.ndarray,
    q: np.ndarray,
    members: np.ndarray,
    head: np.ndarray,
) -> None:
    if source >= 0:
        load[source] -= q[i]
        prev = -1
        k = head[source]
        while k != i:
            prev = k
            k = members[k]
        if prev < 0:
            head[source] = members[i]
        else:
            members[prev] = members[i]
    a[i] = target
    members[i] = -1
    if target >= 0:
        load[target] += q[i]
        members[i] = head[target]
        head[target] = i


def recentre(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    movable: np.ndarray,
    a: np.ndarray,
    sites: np.ndarray,
) -> bool:
    """Move each open, ``movable`` site to the allowed closed site (``movable`` too) that
    serves its clients most cheaply, capacity permitting (Mulvey & Beck's alternating
    location step); in place. Returns whether a site moved."""
    moved = False
    is_open = np.zeros(cost.shape[1], dtype=bool)
    is_open[sites] = True
    for t, j in enumerate(sites):
        if not movable[j]:
            continue
        mine = np.flatnonzero(a == j)
        if len(mine) == 0:
            continue
        total = cost[mine].sum(axis=0)
        ok = movable & ~is_open & (capacity >= demand[mine].sum() * (1 - 1e-12))
        total = np.where(ok, total, np.inf)
        k = int(np.argmin(total))
        if total[k] < cost[mine, j].sum() - 1e-9 * max(1.0, abs(total[k])):
            is_open[j], is_open[k] = False, True
            a[mine] = k
            sites[t] = k
            moved = True
    sites.sort()
    return moved


def site_order(cost: np.ndarray, sites: np.ndarray, width: int) -> np.ndarray:
    """Per client, up to ``width`` open sites with a finite cost, cheapest first (-1 padded)."""
    sub = cost[:, sites]
    width = min(width, len(sites))
    part = np.argpartition(sub, width - 1, axis=1)[:, :width] if width < len(sites) else None
    cols = np.broadcast_to(np.arange(len(sites)), sub.shape) if part is None else part
    ranked = np.take_along_axis(cols, np.argsort(np.take_along_axis(sub, cols, 1), 1), 1)
    order = sites[ranked]
    order[~np.isfinite(np.take_along_axis(sub, ranked, 1))] = -1
    return np.ascontiguousarray(order, dtype=np.int64)


@numba.njit(cache=True)
def sequential(
    cost_t: np.ndarray,
    u: np.ndarray,
    q: np.ndarray,
    cap: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    p: int,
    jitter: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sites and a partial assignment from multipliers ``u``: ``p`` times, open the site
    whose knapsack (over the clients still free) is least, fixed sites first, and give it
    those clients. ``jitter`` (per site, in [0, 1)) scales values down by up to 5 % to vary
    the choice between calls. Clients left over have ``a = -1``."""
    m, n = cost_t.shape
    c = cost_t.copy()
    force = np.full(n, -1, np.int64)
    value = values(c, u, q, cap, force)
    available = allowed.copy()
    chosen = np.empty(p, np.int64)
    a = np.full(n, -1, np.int64)
    x = np.zeros(n, np.bool_)
    for step in range(p):
        best = -1
        score = np.inf
        for j in range(m):
            if not available[j]:
                continue
            if fixed[j]:
                best = j
                break
            s = value[j] * (1.0 - 0.05 * jitter[j]) if value[j] < 0 else value[j]
            if s < score:
                score = s
                best = j
        chosen[step] = best
        available[best] = False
        _solve(c[best], u, q, cap[best], force, best, x, True)
        # sites that had a taken client among their items need new values
        stale = np.zeros(m, np.bool_)
        for i in range(n):
            if not x[i]:
                continue
            a[i] = best
            for k in range(m):
                if c[k, i] - u[i] < 0:
                    stale[k] = True
                c[k, i] = np.inf
        for k in range(m):
            if stale[k] and available[k]:
                value[k] = _solve(c[k], u, q, cap[k], force, k, x[:0], False)
    return np.sort(chosen), a
