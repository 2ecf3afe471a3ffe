"""One partition's answers, exact or not given: buffers, certainty and growth.

A partition answers for the places (and road edges) it owns, computing on the roads whose
boxes meet its core box grown by a *buffer radius*, every place joined to those roads and
the roads those places join (:meth:`accessplan.scale._store.Store.sub_region`). The first
radius is the profile's fastest speed across the map (:func:`~accessplan.scale._plan.
speed_bound`) times the minutes the query cares about: no trip of that length leaves it.

**Certainty.** What the partition holds differs from the whole region only at its
*frontier*: road nodes that lose an edge to the cut, or touch an edge some of whose places
were left out, and places joined to such an edge. Everything else — each road piece, each
layer change, each place's join, each chain the search graph contracts — is the same as in
the whole region's network, node for node in the same order (the sub-region keeps the
region's order), so every search that stays off the frontier adds the same numbers in the
same order. Let ``tau(x)`` be the time from ``x`` to the nearest frontier node (one search
from the frontier). A time ``t < tau(x)`` found here is then the whole region's, to the bit:
a faster trip would have to leave through the frontier, which takes ``tau(x)`` already. So:

* nearest: exact when ``t < tau`` (``inf`` is exact when the frontier is out of reach too);
* bounded within ``L``: every pair is found, exactly, when ``L < tau``;
* isochrone reach up to ``L``: an edge end's time counts only below ``L``; exact when
  ``min(t, L) < tau``.

Answers that are not certain (and owned places that are not even here, joined to roads
beyond the buffer) are reported with the radius; the partition then grows its radius — to
the fastest speed times the largest uncertain time, or twice, whichever is more — and
computes again, until every answer is certain or the buffer holds the whole region. A
settlement whose nearest county hospital is two hours away thus gets the exact two hours,
as the single-process run does, from a second, wider pass of its own partition only.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from accessplan.scale._plan import Partition
from accessplan.scale._store import Box, Store, SubRegion
from accessplan.travel.matrix import LocalEngine, edge_reach, road_times
from accessplan.travel.network import TravelNetwork, build_network
from accessplan.travel.profiles import Profile

logger = logging.getLogger(__name__)

#: A time counts as below ``tau`` when below ``tau * (1 - _MARGIN)``: sums in another
#: order may differ in the last bits.
_MARGIN = 1e-9


@dataclass(frozen=True, eq=False)
class Query:
    """A search a partitioned network answers, partition by partition.

    Attributes
    ----------
    kind
        ``nearest`` (the nearest source from each target), ``bounded`` (every pair within
        ``limits[0]``) or ``reach`` (isochrone reach of every road edge for each of
        ``limits``).
    sources, targets
        Place indices (settlements, then facilities, in the region's order); ``reach`` has
        no targets (every road edge).
    limits
        Minutes, as the kind says; ``nearest`` has none.
    hint
        Minutes the first buffer is made for (the limit, or the largest threshold a
        nearest time is compared with).
    """

    kind: str
    sources: np.ndarray
    targets: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    limits: tuple[float, ...] = ()
    hint: float = 60.0

    def key(self) -> str:
        """A digest of the query (its answers are cached and stored under it)."""
        digest = hashlib.sha256(self.kind.encode())
        for array in (self.sources, self.targets):
            digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
            digest.update(b"|")
        digest.update(repr(self.limits).encode())
        return digest.hexdigest()[:20]


def buffer_box(core: Box, radius: float) -> Box:
    """``core`` grown by ``radius`` on every side."""
    x0, y0, x1, y1 = core
    return (x0 - radius, y0 - radius, x1 + radius, y1 + radius)


def solve_partition(
    store_root: str,
    partition: Partition,
    profile: Profile,
    joins_key: str,
    queries: list[Query],
    speed: float,
    round_key: str,
    max_snap_m: float,
) -> dict[str, Any]:
    """Answer ``queries`` for what ``partition`` owns, every answer certain.

    Returns (and writes to the store under ``round_key``) ``{"partition": index, "answers":
    {query key: answer}, "passes": [{"radius_m", "places", "road_edges", "uncertain"}]}``;
    a partition whose answers are in the store already returns them without computing.
    """
    store = Store(store_root)
    done = store.load_result(round_key, partition.index)
    if done is not None:
        return dict(done)
    owned = {
        "places": np.concatenate(
            [
                store.owned("settlements", partition.index),
                store.owned("facilities", partition.index) + int(store.meta()["settlements"]),
            ]
        ),
        "edges": store.owned("road_edges", partition.index),
    }
    radius = speed * max(q.hint for q in queries) * (1 + 1e-6) + 1.0
    passes = []
    while True:
        sub = store.sub_region(buffer_box(partition.core, radius), joins_key)
        answers, _, worst, n_uncertain = _answer(sub, profile, queries, owned, max_snap_m)
        passes.append(
            {
                "radius_m": radius,
                "places": len(sub.places),
                "road_edges": len(sub.edges),
                "uncertain": n_uncertain,
            }
        )
        if n_uncertain == 0 or sub.covers_all:
            break
        logger.info(
            "partition %s (%s): %d answer(s) could depend on roads beyond its %.0f m buffer "
            "(up to %.1f min); computing again with a wider one",
            partition.code,
            partition.name,
            n_uncertain,
            radius,
            worst,
        )
        grown = speed * worst * (1 + 1e-6) + 1.0 if np.isfinite(worst) else 0.0
        radius = max(2.0 * radius, grown)
    result = {"partition": partition.index, "answers": answers, "passes": passes}
    store.save_result(round_key, partition.index, result)
    return result


def _answer(
    sub: SubRegion,
    profile: Profile,
    queries: list[Query],
    owned: dict[str, np.ndarray],
    max_snap_m: float,
) -> tuple[dict[str, Any], dict[str, np.ndarray], float, int]:
    """Answers for the owned targets on ``sub``, whether each target's (or edge's) is
    certain, the largest uncertain time and how many answers are uncertain."""
    quiet = logging.getLogger("accessplan.travel.network")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # a cut network's far places and parts are expected
    try:
        net = build_network(
            sub.region, profile, joins=sub.joins, keep=sub.frontier, max_snap_m=max_snap_m
        )
    finally:
        quiet.setLevel(level)
    place_node = np.concatenate([net.settlement_nodes, net.facility_nodes])
    local = pd.Series(np.arange(len(sub.places)), index=sub.places)
    frontier = np.concatenate(
        [sub.frontier + k * net.layer_size for k in range(len(net.layers))]
        + [place_node[sub.frontier_places]]
    )
    engine = LocalEngine(net)
    tau = _Tau(net, frontier)
    answers: dict[str, Any] = {}
    certain: dict[str, np.ndarray] = {}
    worst, n_uncertain = 0.0, 0
    for query in queries:
        src = local.reindex(query.sources).to_numpy()
        present = np.flatnonzero(~np.isnan(src))
        src_nodes = place_node[src[present].astype(np.int64)]
        if query.kind == "reach":
            edges = owned["edges"]
            at = np.searchsorted(sub.edges, edges)
            starts = road_times(net, src_nodes)
            limit = max(query.limits)
            sure = np.ones(len(edges), dtype=bool)
            offsets = [k * net.layer_size for k, (r, _) in enumerate(net.layers) if r != "walk_out"]
            road_u, road_v = sub.road_u, sub.road_v
            for (at_u, at_v, _, _), offset in zip(starts, offsets, strict=True):
                for ends, nodes in ((at_u, road_u), (at_v, road_v)):
                    sure &= tau.certain(
                        np.minimum(ends[at], limit), tau.road(nodes[at] + offset, net)
                    )
            reach = [edge_reach(starts, lim) for lim in query.limits]
            answers[query.key()] = (edges, [(fu[at], fv[at]) for fu, fv in reach])
            certain[query.key()] = sure
            unsure = int((~sure).sum())
            if unsure:
                worst = max(worst, limit)
            n_uncertain += unsure
            continue
        is_owned = np.isin(query.targets, owned["places"])
        tpos = np.flatnonzero(is_owned)
        tgt = local.reindex(query.targets[tpos]).to_numpy()
        here = ~np.isnan(tgt)
        n_uncertain += int((~here).sum())
        if (~here).any():
            worst = np.inf
        tpos, tgt_nodes = tpos[here], place_node[tgt[here].astype(np.int64)]
        t_tau = tau.place(tgt_nodes)
        if query.kind == "nearest":
            minutes, which = engine.nearest(src_nodes, tgt_nodes)
            sure = tau.certain(minutes, t_tau)
            answers[query.key()] = (
                tpos,
                minutes,
                np.where(which >= 0, present[np.maximum(which, 0)] if len(present) else -1, -1),
            )
            bad = minutes[~sure]
        else:
            limit = query.limits[0]
            s_pos, t_idx, minutes = engine.bounded(src_nodes, tgt_nodes, limit)
            sure = tau.certain(np.full(len(tgt_nodes), limit), t_tau)
            answers[query.key()] = (present[s_pos], tpos[t_idx], minutes)
            bad = np.full(int((~sure).sum()), limit)
        certain[query.key()] = sure
        n_uncertain += len(bad)
        if len(bad):
            worst = max(worst, float(bad.max()))
    return answers, certain, worst, n_uncertain


class _Tau:
    """Minutes from nodes to the nearest frontier node (``inf`` without a frontier), on the
    search graph for places and on the full graph for road nodes, each found once."""

    def __init__(self, net: TravelNetwork, frontier: np.ndarray) -> None:
        self.net = net
        self.frontier = frontier
        self._place: np.ndarray | None = None
        self._road: np.ndarray | None = None

    def place(self, nodes: np.ndarray) -> np.ndarray:
        if len(self.frontier) == 0:
            return np.full(len(nodes), np.inf)
        search = self.net.search
        if self._place is None:
            self._place = dijkstra(search.reverse, indices=search.at(self.frontier), min_only=True)
        return np.asarray(self._place[search.at(nodes)])

    def road(self, nodes: np.ndarray, net: TravelNetwork) -> np.ndarray:
        if len(self.frontier) == 0:
            return np.full(len(nodes), np.inf)
        if self._road is None:
            self._road = dijkstra(net.reverse, indices=self.frontier, min_only=True)
        return np.asarray(self._road[nodes])

    @staticmethod
    def certain(minutes: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Whether each time is the whole region's: below ``tau``, or nothing to cross."""
        return np.isinf(tau) | (minutes < tau * (1 - _MARGIN))
