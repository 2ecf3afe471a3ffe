r"""Subset-row cuts for the branch-and-price master (Jepsen, Petersen, Spoorendonk & Pisinger
2008), over odd sets of clients: triples, and one client per link of rings of columns.

Every client is served by one site, so the client sets :math:`C_k` of a plan are disjoint,
and for an odd set :math:`S` of clients

.. math:: \sum_k \lfloor |C_k \cap S| / 2 \rfloor \lambda_k \le \lfloor |S| / 2 \rfloor

(the plan's sets share out the members of :math:`S`; each pair costs one). The master's
fractional solutions break these where clusters overlap in odd cycles: three columns
{a, b}, {b, c}, {a, c} at 1/2 each (``|S| = 3``), or an odd ring of columns, each sharing a
client with the next, at 1/2 each (``|S|`` = the ring's length, one shared client per link:
five columns give 5/2 > 2). Many small
clusters are where this happens: at the root of lin318_100 (318 clients, p = 100) 68 of the
419 triples met within the fractional columns were violated, most by 0.5; with the 118
triples that column generation then added, the root bound rose from 3.7 % to 0.9 % below
the optimum, and what was left fractional were rings of five, seven and nine columns at
1/2; with rings too (256 cuts in all, 6 s) it ended 0.005 % below. A cut's dual
:math:`\rho_S \le 0` is a penalty :math:`-\rho_S` per pair of ``S`` that a set holds, which
the pricing knapsacks take into account (``_knapsack.penalised``).
"""

from __future__ import annotations

import numba
import numpy as np

_MIN_VIOLATION = 0.1  # a cut is added when the columns exceed it by at least this much
_MAX_PAIRS = 20_000  # fractional columns with more client pairs than this are not searched
_LONGEST_RING = 9  # rings of fractional columns searched, at most this long
# paths tried in the search for rings, at most: where many columns meet, the number of
# paths grows fast (on cpmp20, clusters of ten clients, the search without this bound had
# not ended after 40 s). With it, and the search compiled (``_ring_search``) and the
# triples valued in arrays, cpmp20's 19 rounds of separation take 0.96 s (3.85 s in
# Python loops; cpmp11 0.43 -> 0.15 s, cpmp15 0.59 -> 0.26 s)
_RING_STEPS = 20_000

Subset = tuple[int, ...]


class Cuts:
    """The cuts so far: their client sets and, per client, the cuts it belongs to."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.sets: list[Subset] = []
        self.known: set[Subset] = set()
        self.of: list[list[int]] = [[] for _ in range(n)]
        self._csr: tuple[np.ndarray, np.ndarray] | None = None
        self._rhs = np.zeros(0)

    def __len__(self) -> int:
        return len(self.sets)

    def rhs(self) -> np.ndarray:
        """The cuts' right-hand sides, ``floor(|S| / 2)``."""
        return self._rhs[: len(self.sets)]

    def add(self, subset: Subset) -> None:
        t = len(self.sets)
        if t == len(self._rhs):
            self._rhs = np.concatenate([self._rhs, np.zeros(max(t, 64))])
        self._rhs[t] = len(subset) // 2
        self.sets.append(subset)
        self.known.add(subset)
        for i in subset:
            self.of[i].append(t)
        self._csr = None

    def hit(self, clients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cuts a column of ``clients`` enters, and its coefficients there."""
        if not self.sets:
            return np.zeros(0, np.int64), np.zeros(0)
        touched = [t for i in clients for t in self.of[int(i)]]
        pairs = np.bincount(np.asarray(touched, np.int64), minlength=len(self.sets)) // 2
        rows = np.flatnonzero(pairs)
        return rows, pairs[rows].astype(float)

    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """Each client's cuts as ``(ptr, cuts)`` for the knapsacks."""
        if self._csr is None:
            sizes = np.array([len(c) for c in self.of], np.int64)
            ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            flat = [t for c in self.of for t in c]
            self._csr = (ptr, np.asarray(flat, np.int64))
        return self._csr

    def separate(self, lam: np.ndarray, members: list[np.ndarray], limit: int) -> list[Subset]:
        """At most ``limit`` new sets most violated by the column values ``lam``: triples
        met in the fractional columns, and one client per link of rings of five of them."""
        frac = np.flatnonzero((lam > 1e-9) & (lam < 1 - 1e-9)).tolist()
        if sum(len(members[k]) * (len(members[k]) - 1) // 2 for k in frac) > _MAX_PAIRS:
            return []
        used = np.flatnonzero(lam > 1e-9)
        sets = {int(k): set(members[k].tolist()) for k in used}
        held = np.zeros((self.n, len(used)), np.bool_)  # client i in used column t
        for t, k in enumerate(used):
            held[members[k], t] = True
        weight = lam[used]

        def lhs(subset: Subset) -> float:
            return float((held[list(subset)].sum(axis=0) // 2) @ weight)

        # triples {a, b, c} with a pair in a fractional column and c meeting a or b in one;
        # floor(count / 2) is ab + ac + bc - 2abc over a column's 0/1 memberships, so the
        # left-hand sides come from the pairs' weights and one product per triple
        inside = held[:, np.isin(used, frac)].astype(float)
        near = inside @ inside.T > 0.5
        np.fill_diagonal(near, False)
        pair = (held * weight) @ held.T.astype(float)
        triples = []
        for a, b in zip(*np.nonzero(np.triu(near)), strict=True):
            c = np.flatnonzero(near[a] | near[b])
            c = c[(c != a) & (c != b)]
            triples.append(np.column_stack([np.full(len(c), a), np.full(len(c), b), c]))
        found: dict[Subset, float] = {}
        if triples:
            abc = np.unique(np.sort(np.concatenate(triples), axis=1), axis=0)
            value = pair[abc[:, 0], abc[:, 1]] + pair[abc[:, 0], abc[:, 2]]
            value += pair[abc[:, 1], abc[:, 2]]
            keep = value >= 1 + _MIN_VIOLATION  # the triple term only lowers it
            abc, value = abc[keep], value[keep]
            a, b, c = abc.T
            value -= 2 * ((held[a] & held[b] & held[c]) @ weight)
            for r in np.flatnonzero(value >= 1 + _MIN_VIOLATION):
                subset = (int(a[r]), int(b[r]), int(c[r]))
                if subset not in self.known:
                    found[subset] = float(value[r])
        for found_ring in _rings(inside):
            ring = [frac[t] for t in found_ring]
            size = len(ring)
            links = [sets[ring[t]] & sets[ring[(t + 1) % size]] for t in range(size)]
            # a client of each link that the ring's other columns do not hold
            picks = []
            for t, link in enumerate(links):
                others = set().union(*(sets[ring[(t + s) % size]] for s in range(2, size)))
                only = sorted(link - others)
                if not only:
                    break
                picks.append(only[0])
            if len(picks) < size:
                continue
            subset = tuple(sorted(picks))
            if subset in found or subset in self.known:
                continue
            found[subset] = lhs(subset)
        ranked = sorted(
            (s for s, v in found.items() if v >= len(s) // 2 + _MIN_VIOLATION),
            key=lambda s: len(s) // 2 - found[s],
        )
        return ranked[:limit]


def _rings(inside: np.ndarray) -> list[list[int]]:
    """Rings of an odd number (5 to ``_LONGEST_RING``) of fractional columns, each sharing
    a client with the next and none with the others (each ring once, from its least
    column, in one direction), as positions among the columns of ``inside`` (clients x
    fractional columns, 0/1)."""
    meet = inside.T @ inside > 0.5
    np.fill_diagonal(meet, False)
    ptr = np.concatenate([[0], np.cumsum(meet.sum(axis=1))]).astype(np.int64)
    nbr = np.nonzero(meet)[1].astype(np.int64)  # each column's neighbours, in order
    found = _ring_search(ptr, nbr, meet, _LONGEST_RING, _RING_STEPS)
    return [[int(v) for v in ring if v >= 0] for ring in found]


@numba.njit(cache=True)
def _ring_search(
    ptr: np.ndarray, nbr: np.ndarray, meet: np.ndarray, longest: int, limit: int
) -> np.ndarray:
    """Depth-first search for the rings of :func:`_rings` over the graph of columns that
    meet (``ptr``/``nbr``: neighbours, ``meet``: the same as a matrix). A path grows only
    by columns that meet none of its inner ones (``blocked`` counts, per column, the path's
    columns and inner columns' neighbours holding it); a column meeting the first closes the
    ring instead. After ``limit`` paths no path grows further (the open ones still close)."""
    f = len(ptr) - 1
    rings = np.full((16, longest), -1, np.int64)
    count = 0
    blocked = np.zeros(f, np.int64)
    path = np.empty(longest, np.int64)
    pos = np.empty(longest, np.int64)
    steps = 0
    for a in range(f):
        for e in range(ptr[a], ptr[a + 1]):
            b = nbr[e]
            if b <= a:
                continue
            steps += 1
            if steps > limit:
                continue
            path[0], path[1] = a, b
            blocked[a] += 1
            blocked[b] += 1
            pos[1] = ptr[b]
            depth = 2
            while depth >= 2:
                last = path[depth - 1]
                if pos[depth - 1] == ptr[last + 1]:  # neighbours done: step back
                    if depth > 2:
                        prev = path[depth - 2]
                        for g in range(ptr[prev], ptr[prev + 1]):
                            blocked[nbr[g]] -= 1
                    blocked[last] -= 1
                    depth -= 1
                    continue
                v = nbr[pos[depth - 1]]
                pos[depth - 1] += 1
                if v <= a or blocked[v] > 0:
                    continue
                if meet[v, a]:  # v can only close the ring
                    if depth % 2 == 0 and depth >= 4 and path[1] < v:
                        if count == len(rings):
                            grown = np.full((2 * count, longest), -1, np.int64)
                            grown[:count] = rings
                            rings = grown
                        rings[count, :depth] = path[:depth]
                        rings[count, depth] = v
                        count += 1
                    continue
                if depth + 1 < longest:
                    steps += 1
                    if steps > limit:
                        continue
                    for g in range(ptr[last], ptr[last + 1]):
                        blocked[nbr[g]] += 1
                    blocked[v] += 1
                    path[depth] = v
                    pos[depth] = ptr[v]
                    depth += 1
            blocked[a] -= 1
    return rings[:count]
