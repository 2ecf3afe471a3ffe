"""Travel times from settlements to facilities on one engine (scipy's compiled Dijkstra).

Searches run on the reversed graph from the facilities, so each number is the time *from* a
settlement *to* a facility (uphill and downhill differ). Unreachable is ``inf`` in arrays and
left out of long tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.travel.network import MAX_SNAP_M, TravelNetwork, network_for
from accessplan.travel.profiles import Profile

logger = logging.getLogger(__name__)

#: Upper bound on the doubles one bounded search batch holds (rows x nodes): about 256 MB.
_BATCH_CELLS = 32_000_000

Progress = Callable[[int, int], None]


def nearest_times(
    network: TravelNetwork, facility_rows: np.ndarray, *, targets: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from every settlement (or other ``targets`` nodes) to the nearest of the given
    facilities, and which one.

    One multi-source Dijkstra pass. Returns ``(minutes, facility_row)``; ``facility_row`` is
    -1 where no facility can be reached.
    """
    targets = network.settlement_nodes if targets is None else targets
    if len(facility_rows) == 0:
        return np.full(len(targets), np.inf), np.full(len(targets), -1, dtype=np.int64)
    search = network.search
    sources = search.at(network.facility_nodes[facility_rows])
    dist, _, origin = dijkstra(
        search.reverse, indices=sources, min_only=True, return_predecessors=True
    )
    at = search.at(targets)
    minutes = dist[at]
    origin_node = origin[at]
    lookup = pd.Series(np.asarray(facility_rows), index=sources)
    lookup = lookup[~lookup.index.duplicated()]
    row = lookup.reindex(origin_node).fillna(-1).to_numpy(dtype=np.int64)
    return minutes, row


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
    limit = np.inf if cutoff is None else float(cutoff)
    search = network.search
    n_nodes = search.graph.shape[0]
    batch = max(1, _BATCH_CELLS // max(n_nodes, 1))
    targets = search.at(network.settlement_nodes)
    parts_f, parts_s, parts_m = [], [], []
    total = len(facility_rows)
    for start in range(0, total, batch):
        chunk = facility_rows[start : start + batch]
        dist = dijkstra(
            search.reverse, indices=search.at(network.facility_nodes[chunk]), limit=limit
        )
        sub = dist[:, targets]
        f_idx, s_idx = np.nonzero(np.isfinite(sub) & (sub <= limit))
        parts_f.append(chunk[f_idx])
        parts_s.append(s_idx)
        parts_m.append(sub[f_idx, s_idx])
        if progress is not None:
            progress(min(start + batch, total), total)
    f_all = np.concatenate(parts_f) if parts_f else np.empty(0, dtype=np.int64)
    s_all = np.concatenate(parts_s) if parts_s else np.empty(0, dtype=np.int64)
    m_all = np.concatenate(parts_m) if parts_m else np.empty(0)
    order = np.lexsort((f_all, s_all))
    return f_all[order], s_all[order], m_all[order]


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
    search = network.search
    dist = dijkstra(search.graph, indices=search.at(nodes[origins].to_numpy()))
    minutes = dist[:, search.at(nodes[destinations].to_numpy())]
    return pd.DataFrame(
        {
            "from_id": np.repeat(origins, len(destinations)),
            "to_id": np.tile(destinations, len(origins)),
            "minutes": minutes.ravel(),
        }
    )
