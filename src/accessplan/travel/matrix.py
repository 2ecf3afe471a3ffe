"""Travel times from settlements to facilities on one engine (scipy's compiled Dijkstra).

Searches run on the reversed graph from the facilities, so each number is the time *from* a
settlement *to* a facility (uphill and downhill differ). Unreachable is ``inf`` in arrays and
left out of long tables.

Every search goes through the network's :class:`~accessplan.travel._contract.Engine`: a
:class:`LocalEngine` on the network's own graphs, or the network's ``remote`` engine (a
distributed run, :mod:`accessplan.scale`, whose partitions give the same numbers).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.travel._contract import Engine, Progress
from accessplan.travel.network import MAX_SNAP_M, TravelNetwork, network_for
from accessplan.travel.profiles import Profile

logger = logging.getLogger(__name__)

#: Upper bound on the doubles one bounded search batch holds (rows x nodes): about 256 MB.
_BATCH_CELLS = 32_000_000


class LocalEngine:
    """Searches on a network's own graphs: the search graph for times between places, the
    full graph for times at every road node (isochrones)."""

    def __init__(self, network: TravelNetwork) -> None:
        self.network = network

    def nearest(self, sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One multi-source Dijkstra pass (see :class:`~accessplan.travel._contract.Engine`)."""
        if len(sources) == 0:
            return np.full(len(targets), np.inf), np.full(len(targets), -1, dtype=np.int64)
        search = self.network.search
        start = search.at(sources)
        dist, _, origin = dijkstra(
            search.reverse, indices=start, min_only=True, return_predecessors=True
        )
        at = search.at(targets)
        lookup = pd.Series(np.arange(len(start)), index=start)
        lookup = lookup[~lookup.index.duplicated()]
        which = lookup.reindex(origin[at]).fillna(-1).to_numpy(dtype=np.int64)
        return dist[at], which

    def bounded(
        self,
        sources: np.ndarray,
        targets: np.ndarray,
        limit: float,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Searches from batches of sources whose dense rows stay under about 256 MB."""
        search = self.network.search
        batch = max(1, _BATCH_CELLS // max(search.graph.shape[0], 1))
        at = search.at(targets)
        parts_s, parts_t, parts_m = [], [], []
        total = len(sources)
        for start in range(0, total, batch):
            chunk = np.arange(start, min(start + batch, total))
            dist = dijkstra(search.reverse, indices=search.at(sources[chunk]), limit=limit)
            sub = dist[:, at]
            s_idx, t_idx = np.nonzero(np.isfinite(sub) & (sub <= limit))
            parts_s.append(chunk[s_idx])
            parts_t.append(t_idx)
            parts_m.append(sub[s_idx, t_idx])
            if progress is not None:
                progress(min(start + batch, total), total)
        return _joined(parts_s, np.int64), _joined(parts_t, np.int64), _joined(parts_m, float)

    def between(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """One search per origin on the search graph."""
        search = self.network.search
        dist = dijkstra(search.graph, indices=search.at(origins))
        return np.asarray(dist[:, search.at(destinations)])

    def reach(
        self, sources: np.ndarray, limits: Sequence[float]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """One multi-source search on the full graph, then :func:`edge_reach` per limit."""
        starts = road_times(self.network, sources)
        return [edge_reach(starts, limit) for limit in limits]


StartTimes = list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def road_times(network: TravelNetwork, sources: np.ndarray) -> StartTimes:
    """Minutes from both ends of every road edge to the nearest source, in each layer a
    journey may start in (on foot, or in the vehicle on its roads; not the walk after leaving
    it): ``(at u, at v, minutes u -> v, minutes v -> u)`` per such layer."""
    parts = network.parts
    if parts is None:
        msg = "road_times needs a network built in this process"
        raise InputError(msg)
    dist = dijkstra(network.reverse, indices=sources, min_only=True)
    size = network.layer_size
    return [
        (dist[parts.road_u + k * size], dist[parts.road_v + k * size], *parts.layer_times[k])
        for k, (role, _) in enumerate(network.layers)
        if role != "walk_out"
    ]


def edge_reach(starts: StartTimes, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """The share of each road edge reached within ``limit`` from its ``u`` end and from its
    ``v`` end (a point at share ``s`` of ``u -> v`` reaches ``u`` in ``s * backward`` and
    ``v`` in ``(1 - s) * forward`` minutes), the best of the starting layers."""
    from_u = np.zeros(len(starts[0][0]))
    from_v = np.zeros(len(starts[0][0]))
    for at_u, at_v, forward, backward in starts:
        with np.errstate(invalid="ignore", divide="ignore"):  # x/0, inf/inf: see np.clip
            reach_u = np.clip((limit - at_u) / backward, 0.0, 1.0)
            reach_v = np.clip((limit - at_v) / forward, 0.0, 1.0)
        from_u = np.maximum(from_u, np.nan_to_num(reach_u, nan=0.0))
        from_v = np.maximum(from_v, np.nan_to_num(reach_v, nan=0.0))
    return from_u, from_v


def engine(network: TravelNetwork) -> Engine:
    """Where ``network``'s searches run: its remote engine, or here."""
    return network.remote if network.remote is not None else LocalEngine(network)


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def nearest_times(
    network: TravelNetwork, facility_rows: np.ndarray, *, targets: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from every settlement (or other ``targets`` nodes) to the nearest of the given
    facilities, and which one.

    One multi-source Dijkstra pass. Returns ``(minutes, facility_row)``; ``facility_row`` is
    -1 where no facility can be reached.
    """
    targets = network.settlement_nodes if targets is None else targets
    rows = np.asarray(facility_rows, dtype=np.int64)
    minutes, which = engine(network).nearest(network.facility_nodes[rows], np.asarray(targets))
    return minutes, np.where(which >= 0, rows[np.maximum(which, 0)] if len(rows) else -1, -1)


def nearest(
    region: Region,
    profile: str | Profile,
    *,
    by: str = "tier",
    max_snap_m: float = MAX_SNAP_M,
) -> pd.DataFrame:
    """Time from every settlement to the nearest facility of each tier (or service).

    Parameters
    ----------
    region
        The region.
    profile
        Travel profile name or object.
    by
        ``"tier"`` (one group per tier, across services) or ``"service"``.
    max_snap_m
        Distance beyond which a place's walk to the road is flagged.

    Returns
    -------
    DataFrame
        One row per settlement: ``id`` then, per group ``g``, ``minutes_to_<g>`` (``inf`` when
        unreachable) and ``nearest_<g>`` (facility id, empty when unreachable).
    """
    if by not in ("tier", "service"):
        msg = f"`by` must be 'tier' or 'service', got {by!r}."
        raise InputError(msg)
    network = network_for(region, profile, max_snap_m=max_snap_m)
    fac = region.facilities
    groups = (
        [t for tiers in region.tiers.values() for t in tiers]
        if by == "tier"
        else list(region.tiers)
    )
    out = pd.DataFrame({"id": region.settlements["id"].to_numpy()})
    ids = fac["id"].to_numpy()
    for group in groups:
        rows = np.flatnonzero((fac[by] == group).to_numpy())
        minutes, which = nearest_times(network, rows)
        out[f"minutes_to_{group}"] = minutes
        out[f"nearest_{group}"] = np.where(which >= 0, ids[np.maximum(which, 0)], "")
    return out


def travel_times(
    region: Region,
    profile: str | Profile,
    *,
    cutoff: float | None = None,
    max_snap_m: float = MAX_SNAP_M,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Settlements x facilities travel times as a long table ``from_id, to_id, minutes``.

    Facilities are searched in batches whose dense rows stay under about 256 MB, so no
    facilities x nodes array is ever held whole. Pairs beyond ``cutoff`` minutes (or
    unreachable) are left out. ``progress(done, total)`` is called after each batch.
    """
    if cutoff is not None and not cutoff > 0:
        msg = f"cutoff must be a positive number of minutes, got {cutoff!r}."
        raise InputError(msg)
    network = network_for(region, profile, max_snap_m=max_snap_m)
    rows, cols, minutes = bounded_times(network, cutoff=cutoff, progress=progress)
    return pd.DataFrame(
        {
            "from_id": region.settlements["id"].to_numpy()[cols],
            "to_id": region.facilities["id"].to_numpy()[rows],
            "minutes": minutes,
        }
    )


def bounded_times(
    network: TravelNetwork,
    *,
    cutoff: float | None = None,
    facility_rows: np.ndarray | None = None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse facility x settlement times within ``cutoff``: ``(facility_row, settlement_row,
    minutes)``, sorted by settlement then facility."""
    if facility_rows is None:
        facility_rows = np.arange(len(network.facility_nodes))
    rows = np.asarray(facility_rows, dtype=np.int64)
    limit = np.inf if cutoff is None else float(cutoff)
    which, settle, minutes = engine(network).bounded(
        network.facility_nodes[rows], network.settlement_nodes, limit, progress
    )
    f_all = rows[which]
    order = np.lexsort((f_all, settle))
    return f_all[order], settle[order], minutes[order]


def place_times(
    region: Region,
    profile: str | Profile,
    origins: list[str],
    destinations: list[str],
    *,
    max_snap_m: float = MAX_SNAP_M,
) -> pd.DataFrame:
    """Times between named places (settlement or facility ids) as ``from_id, to_id, minutes``.

    For a handful of places (one search per origin); use :func:`travel_times` for whole layers.
    """
    network = network_for(region, profile, max_snap_m=max_snap_m)
    nodes = pd.Series(
        np.concatenate([network.settlement_nodes, network.facility_nodes]),
        index=np.concatenate([region.settlements["id"], region.facilities["id"]]),
    )
    unknown = sorted((set(origins) | set(destinations)) - set(nodes.index))
    if unknown:
        msg = f"unknown place id(s) {unknown[:5]}; use settlement or facility ids of the region."
        raise InputError(msg)
    minutes = engine(network).between(nodes[origins].to_numpy(), nodes[destinations].to_numpy())
    return pd.DataFrame(
        {
            "from_id": np.repeat(origins, len(destinations)),
            "to_id": np.tile(destinations, len(origins)),
            "minutes": minutes.ravel(),
        }
    )
