"""Isochrone polygons: the area from which a facility is reached within given minutes."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.travel.network import MAX_SNAP_M, network_for
from accessplan.travel.profiles import Profile


def isochrones(
    region: Region,
    profile: str | Profile,
    minutes: Sequence[float] = (15, 30, 60),
    *,
    facilities: Sequence[str] | None = None,
    buffer_m: float = 150.0,
    max_snap_m: float = MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Polygons of the road network within ``minutes`` of the nearest facility.

    The reached part of each road edge (cut where the time budget runs out, from either end)
    is buffered by ``buffer_m`` and merged, one polygon per threshold, nested.

    Parameters
    ----------
    facilities
        Facility ids to start from; all facilities when None.
    """
    thresholds = sorted(float(m) for m in minutes)
    if not thresholds or thresholds[0] <= 0:
        msg = f"isochrone minutes must be positive numbers, got {list(minutes)!r}."
        raise InputError(msg)
    network = network_for(region, profile, max_snap_m=max_snap_m)
    fac_ids = region.facilities["id"]
    rows = (
        np.arange(len(fac_ids)) if facilities is None else np.flatnonzero(fac_ids.isin(facilities))
    )
    if facilities is not None and len(rows) != len(set(facilities)):
        unknown = sorted(set(facilities) - set(fac_ids))
        msg = f"unknown facility id(s) {unknown[:5]}; use ids from region.facilities['id']."
        raise InputError(msg)
    dist = dijkstra(network.reverse, indices=network.facility_nodes[rows], min_only=True)
    roads = region.roads
    u = roads.edges["u"].to_numpy()
    v = roads.edges["v"].to_numpy()
    xy = roads.nodes[["x", "y"]].to_numpy()
    # a journey starts on foot or, on a vehicle's road, in the vehicle: every layer but the
    # walk after leaving the vehicle; road node i of layer k is graph node k * size + i
    starts = [
        (k * network.layer_size, p.edge_minutes(roads.edges))
        for k, (role, p) in enumerate(network.layers)
        if role != "walk_out"
    ]
    geoms = []
    for limit in thresholds:
        from_u = np.zeros(len(u))
        from_v = np.zeros(len(u))
        for offset, (forward, backward) in starts:
            # a point at share s of u -> v reaches u in s * backward, v in (1 - s) * forward
            with np.errstate(invalid="ignore", divide="ignore"):  # x/0, inf/inf: see np.clip
                reach_u = np.clip((limit - dist[u + offset]) / backward, 0.0, 1.0)
                reach_v = np.clip((limit - dist[v + offset]) / forward, 0.0, 1.0)
            from_u = np.maximum(from_u, np.nan_to_num(reach_u, nan=0.0))
            from_v = np.maximum(from_v, np.nan_to_num(reach_v, nan=0.0))
        full = from_u + from_v >= 1.0
        a = from_u > 0
        b = (from_v > 0) & ~full
        lines = np.concatenate(
            [
                _sub_lines(xy[u[a]], xy[v[a]], np.where(full[a], 1.0, from_u[a])),
                _sub_lines(xy[v[b]], xy[u[b]], from_v[b]),
            ]
        )
        geoms.append(shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4)))
    return gpd.GeoDataFrame(
        {"minutes": thresholds, "profile": network.profile.name}, geometry=geoms, crs=region.crs
    )


def _sub_lines(start: np.ndarray, end: np.ndarray, share: np.ndarray) -> np.ndarray:
    stop = start + (end - start) * share[:, None]
    return np.asarray(shapely.linestrings(np.stack([start, stop], axis=1)))
