"""Readers for the classic location benchmarks (OR-Library pmed, pmedcap1, SJC, and the larger
capacitated sets SJC1-2, lin318, u724).

They return cost matrices ready for ``from_cost_matrix``; every node is both a client and a
candidate site.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import shortest_path


@dataclass(frozen=True, eq=False)
class Instance:
    """A benchmark instance: cost matrix, ``p``, and per-node demand and capacity if any."""

    name: str
    cost: np.ndarray
    p: int
    demand: np.ndarray | None = None
    capacity: np.ndarray | None = None


def read_pmed(path: str | os.PathLike[str]) -> Instance:
    """OR-Library ``pmedX.txt``: all-pairs shortest paths; the last duplicate edge wins."""
    with open(path) as handle:
        n, m, p = (int(v) for v in handle.readline().split())
        edges = np.loadtxt(handle, dtype=np.int64, ndmin=2)[:m]
    u, v, w = edges[:, 0] - 1, edges[:, 1] - 1, edges[:, 2].astype(float)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    # keep the last occurrence of each undirected edge
    _, last = np.unique((lo * n + hi)[::-1], return_index=True)
    keep = len(lo) - 1 - last
    graph = coo_array((w[keep], (lo[keep], hi[keep])), shape=(n, n)).tocsr()
    cost = shortest_path(graph, method="D", directed=False)
    return Instance(_stem(path), cost, p)


def read_cpmp(path: str | os.PathLike[str], *, floor: bool = True) -> Instance:
    """Capacitated p-median: first line ``n p``, then ``x y capacity demand`` per node.

    OR-Library ``pmedcap1`` (cpmpXX.txt) takes the floor of the Euclidean distance; the
    larger sets (SJC1-2, lin318, u724; tab- or space-separated) the distance itself
    (``floor=False``).
    """
    with open(path) as handle:
        n, p = (int(v) for v in handle.readline().split()[:2])
        rows = np.loadtxt(handle, dtype=float, ndmin=2)[:n]
    xy = rows[:, :2]
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    if floor:
        cost = np.floor(cost)
    return Instance(_stem(path), cost, p, demand=rows[:, 3], capacity=rows[:, 2])


def read_sjc(path: str | os.PathLike[str], demand_path: str | os.PathLike[str]) -> Instance:
    """São José dos Campos nodes (``SJC324.txt``) and demands: Euclidean distances, p = 0."""
    with open(path) as handle:
        n = int(handle.readline().split()[0])
        xy = np.loadtxt(handle, dtype=float, ndmin=2)[:n]
    demand = np.loadtxt(demand_path, dtype=float)[:n]
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return Instance(_stem(path), cost, 0, demand=demand)


def _stem(path: str | os.PathLike[str]) -> str:
    return os.path.splitext(os.path.basename(path))[0]
