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

import itertools

import numpy as np

_MIN_VIOLATION = 0.1  # a cut is added when the columns exceed it by at least this much
_MAX_PAIRS = 20_000  # fractional columns with more client pairs than this are not searched
_LONGEST_RING = 9  # rings of fractional columns searched, at most this long
# paths tried in the search for rings, at most: where many columns meet, the number of
# paths grows fast (on cpmp20, clusters of ten clients, the search without this bound had
# not ended after 40 s; with it a round of separation takes 0.1-1 s there)
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
        holding: dict[int, list[int]] = {}
        used = np.flatnonzero(lam > 1e-9).tolist()
        sets = {k: set(members[k].tolist()) for k in used}
        for k in used:
            for i in sets[k]:
                holding.setdefault(i, []).append(k)

        def lhs(subset: Subset) -> float:
            ks = {k for i in subset for k in holding.get(i, [])}
            inside = set(subset)
            return sum(lam[k] * (len(inside & sets[k]) // 2) for k in ks)

        found: dict[Subset, float] = {}
        near: dict[int, set[int]] = {}
        for k in frac:
            for a, b in itertools.combinations(sorted(sets[k]), 2):
                near.setdefault(a, set()).add(b)
                near.setdefault(b, set()).add(a)
        for a, others in near.items():
            for b in others:
                if b < a:
                    continue
                for c in others | near[b]:
                    subset = tuple(sorted((a, b, c)))
                    if c in (a, b) or subset in found or subset in self.known:
                        continue
                    found[subset] = lhs(subset)
        for ring in _rings(frac, sets):
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


def _rings(frac: list[int], sets: dict[int, set[int]]) -> list[tuple[int, ...]]:
    """Rings of an odd number (5 to ``_LONGEST_RING``) of fractional columns, each sharing
    a client with the next and none with the others (each ring once, from its least
    column, in one direction)."""
    meet = {k: {o for o in frac if o != k and sets[k] & sets[o]} for k in frac}
    rings: list[tuple[int, ...]] = []
    steps = [0]

    def extend(path: list[int], blocked: set[int]) -> None:
        # ``blocked``: the path and the columns meeting its inner columns (chords)
        steps[0] += 1
        if steps[0] > _RING_STEPS:
            return
        last = path[-1]
        for v in meet[last]:
            if v <= path[0] or v in blocked:
                continue
            if path[0] in meet[v]:  # v can only close the ring
                if len(path) % 2 == 0 and len(path) >= 4 and path[1] < v:
                    rings.append((*path, v))
                continue
            if len(path) + 1 < _LONGEST_RING:
                extend([*path, v], blocked | meet[last] | {v})

    for a in frac:
        for b in meet[a]:
            if b > a:
                extend([a, b], {a, b})
    return rings
