"""Isochrone polygons: the area from which a facility is reached within given minutes."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.travel.matrix import engine
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

    The reached part of each road edge (cut where the time budget runs out, from either end,
    :func:`accessplan.travel.matrix.edge_reach`) is buffered by ``buffer_m`` and merged, one
    polygon per threshold, nested. A journey starts on foot or, on a vehicle's road, in the
    vehicle.

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
    reached = engine(network).reach(network.facility_nodes[rows], thresholds)
    roads = region.roads
    u = roads.edges["u"].to_numpy()
    v = roads.edges["v"].to_numpy()
    xy = roads.nodes[["x", "y"]].to_numpy()
    geoms = []
    for from_u, from_v in reached:
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
