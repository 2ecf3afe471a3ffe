"""The search graph: the travel graph with chains of pass-through road nodes contracted.

Most road nodes only carry a road's shape: they join exactly two road pieces and hold no
place. A search needs only the nodes where roads meet or places join (the *kept* nodes); a
chain of pieces between two kept nodes becomes one arc per pair of layers, whose weight is
the fastest way along the chain with every layer change the full graph allows at the chain's
inner nodes (walk to a point of the chain, get in there, drive on). The weights are min-plus
products of per-piece and per-node matrices, so times on the search graph equal those on the
full graph up to the order of floating-point additions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numba
import numpy as np
import scipy.sparse as sp

Progress = Callable[[int, int], None]


class Engine(Protocol):
    """Where a network's searches run: on its own graphs (:class:`accessplan.travel.matrix.
    LocalEngine`), or on partitions of the region (:mod:`accessplan.scale`).

    Nodes are the network's place nodes (``settlement_nodes``, ``facility_nodes``). Every
    time runs from a target (or origin) *to* a source (or destination).
    """

    def nearest(self, sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from each target to the nearest source (``inf`` when none is reached),
        and that source's position in ``sources`` (-1 when none)."""
        ...

    def bounded(
        self,
        sources: np.ndarray,
        targets: np.ndarray,
        limit: float,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair within ``limit`` minutes (all reachable ones when ``inf``): positions
        in ``sources`` and ``targets``, and minutes (any order)."""
        ...

    def between(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """``origins x destinations`` minutes from each origin to each destination."""
        ...

    def reach(
        self, sources: np.ndarray, limits: Sequence[float]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per limit, the share of each road edge from which the nearest source is reached
        within it, from its ``u`` end and from its ``v`` end (see
        :func:`accessplan.travel.isochrones.isochrones`)."""
        ...


@dataclass(frozen=True, eq=False)
class SearchGraph:
    """The contracted graph searches run on.

    Attributes
    ----------
    graph
        CSR matrix in minutes over the kept nodes.
    nodes
        Full-graph node of each search-graph node.
    position
        Search-graph node of each full-graph node, -1 where the node was contracted away.
    """

    graph: sp.csr_matrix
    nodes: np.ndarray
    position: np.ndarray

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """The graph with every arc turned round."""
        return self.graph.transpose().tocsr()

    def at(self, full_nodes: np.ndarray) -> np.ndarray:
        """Search-graph nodes of full-graph nodes that were kept (places always are)."""
        found = self.position[np.asarray(full_nodes, dtype=np.int64)]
        if (found < 0).any():
            msg = "asked for a contracted node; only kept nodes are in the search graph"
            raise ValueError(msg)
        return found


def chain_arcs(
    a: np.ndarray,
    b: np.ndarray,
    cost: np.ndarray,
    kept: np.ndarray,
    changer: np.ndarray,
    change: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arcs between kept nodes that stand for the chains of road pieces joining them.

    Parameters
    ----------
    a, b
        Ends of each road piece (node ids within one layer, ``0 .. size - 1``).
    cost
        ``(layers, 2, pieces)`` minutes: ``cost[l, 0, p]`` from ``a`` to ``b`` in layer
        ``l``, ``cost[l, 1, p]`` back; ``inf`` where not allowed.
    kept
        Nodes that stay; every node not kept must join exactly two pieces.
    changer
        Per node, which change matrix applies at it (an index into ``change``).
    change
        ``(kinds, layers, layers)`` min-plus matrices of the layer changes allowed at a node:
        0 on the diagonal and where the change is free, ``inf`` where it is not allowed.

    Returns
    -------
    src, dst, minutes
        Arcs as full-graph node ids ``layer * size + node``.
    """
    size = len(kept)
    start, end, forward, backward = _walk_chains(
        np.asarray(a, dtype=np.int64),
        np.asarray(b, dtype=np.int64),
        np.ascontiguousarray(cost, dtype=np.float64),
        np.asarray(kept, dtype=np.bool_),
        np.asarray(changer, dtype=np.int64),
        np.ascontiguousarray(change, dtype=np.float64),
    )
    layers = cost.shape[0]
    src, dst, minutes = [], [], []
    for l_from in range(layers):
        for l_to in range(layers):
            for one, other, weights in ((start, end, forward), (end, start, backward)):
                w = weights[:, l_from, l_to]
                ok = np.isfinite(w)
                src.append(one[ok] + l_from * size)
                dst.append(other[ok] + l_to * size)
                minutes.append(w[ok])
    return np.concatenate(src), np.concatenate(dst), np.concatenate(minutes)


@numba.njit(cache=True)
def _walk_chains(a, b, cost, kept, changer, change):
    """Walk every chain once from a kept node; return its ends and transfer matrices."""
    n = kept.shape[0]
    n_pieces = a.shape[0]
    layers = cost.shape[0]
    ptr = np.zeros(n + 1, np.int64)
    for p in range(n_pieces):
        ptr[a[p] + 1] += 1
        ptr[b[p] + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    incident = np.empty(2 * n_pieces, np.int64)  # 2 * piece + side (0: leave by a, 1: by b)
    for p in range(n_pieces):
        incident[fill[a[p]]] = 2 * p
        fill[a[p]] += 1
        incident[fill[b[p]]] = 2 * p + 1
        fill[b[p]] += 1
    bound = 0
    for x in range(n):
        if kept[x]:
            bound += ptr[x + 1] - ptr[x]
    start = np.empty(bound, np.int64)
    end = np.empty(bound, np.int64)
    forward = np.empty((bound, layers, layers))
    backward = np.empty((bound, layers, layers))
    visited = np.zeros(n_pieces, np.bool_)
    fwd = np.empty((layers, layers))
    bwd = np.empty((layers, layers))
    tmp = np.empty((layers, layers))
    k = 0
    for s in range(n):
        if not kept[s]:
            continue
        for j in range(ptr[s], ptr[s + 1]):
            p = incident[j] // 2
            side = incident[j] % 2
            if visited[p]:
                continue
            visited[p] = True
            fwd[:, :] = np.inf
            bwd[:, :] = np.inf
            for m in range(layers):
                fwd[m, m] = cost[m, side, p]
                bwd[m, m] = cost[m, 1 - side, p]
            cur = b[p] if side == 0 else a[p]
            while not kept[cur]:
                first = incident[ptr[cur]]
                nxt = first if first // 2 != p else incident[ptr[cur] + 1]
                p = nxt // 2
                side = nxt % 2
                visited[p] = True
                c = change[changer[cur]]
                # fwd <- fwd (x) c (x) diag(piece ahead); bwd <- diag(piece back) (x) c (x) bwd
                for i in range(layers):
                    for m in range(layers):
                        best = np.inf
                        for h in range(layers):
                            best = min(best, fwd[i, h] + c[h, m])
                        tmp[i, m] = best + cost[m, side, p]
                fwd[:, :] = tmp
                for i in range(layers):
                    for m in range(layers):
                        best = np.inf
                        for h in range(layers):
                            best = min(best, c[i, h] + bwd[h, m])
                        tmp[i, m] = cost[i, 1 - side, p] + best
                bwd[:, :] = tmp
                cur = b[p] if side == 0 else a[p]
            start[k] = s
            end[k] = cur
            forward[k] = fwd
            backward[k] = bwd
            k += 1
    return start[:k], end[:k], forward[:k], backward[:k]
