"""Partitions of a region by administrative unit: who owns which place and road edge.

Every settlement, facility and road edge is *owned* by exactly one partition, which answers
for it: a settlement and a facility by the unit at the partition level that its
``admin_code`` lies in (the nearest settlement's unit when it lies in none), a road edge by
the unit of the settlement nearest its ``u`` end. A partition's *core* is the bounding box
of what it owns; it computes on the roads and places within a buffer around its core
(:mod:`accessplan.scale.partition`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from accessplan._errors import InputError
from accessplan.region import ADMIN_LEVELS, Region
from accessplan.travel.network import layer_edge_times, network_layers
from accessplan.travel.profiles import Profile, offroad_walk_minutes

#: Where walking off road is fastest (Tobler's function peaks at a grade of -5 %).
_FASTEST_GRADE = -0.05


@dataclass(frozen=True)
class Partition:
    """One partition: its index, its unit's code and name, and its core box ``(x0, y0, x1,
    y1)`` in the region's CRS."""

    index: int
    code: str
    name: str
    core: tuple[float, float, float, float]


@dataclass(frozen=True)
class Ownership:
    """Owning partition (an index into ``partitions``) of every settlement, facility and road
    edge, in the region's order."""

    partitions: tuple[Partition, ...]
    settlements: np.ndarray
    facilities: np.ndarray
    edges: np.ndarray


def plan(region: Region, *, level: str = "county") -> Ownership:
    """Partition ``region`` by its administrative units at ``level``."""
    if level not in ADMIN_LEVELS:
        msg = f"partition level must be one of {list(ADMIN_LEVELS)}, got {level!r}."
        raise InputError(msg)
    units = region.admin_units
    at_level = units[units["level"] == level].reset_index(drop=True)
    if at_level.empty:
        msg = (
            f"region {region.name!r} has no administrative unit at level {level!r} to "
            f"partition by (its levels: {sorted(set(units['level']))}); choose one of those."
        )
        raise InputError(msg)
    index = {code: i for i, code in enumerate(at_level["code"])}
    ancestor = _ancestor_at(units, index)
    settle_xy = _xy(region.settlements)
    owner_s = np.array([ancestor.get(c, -1) for c in region.settlements["admin_code"]])
    known = np.flatnonzero(owner_s >= 0)
    if len(known) == 0:
        msg = f"no settlement of {region.name!r} lies in a unit at level {level!r}."
        raise InputError(msg)
    tree = cKDTree(settle_xy[known])

    def nearest_owner(xy: np.ndarray) -> np.ndarray:
        return owner_s[known][tree.query(xy)[1]] if len(xy) else np.empty(0, dtype=np.int64)

    owner_s[owner_s < 0] = nearest_owner(settle_xy[owner_s < 0])
    fac_xy = _xy(region.facilities)
    owner_f = np.array([ancestor.get(c, -1) for c in region.facilities["admin_code"]], dtype=int)
    owner_f[owner_f < 0] = nearest_owner(fac_xy[owner_f < 0])
    node_xy = region.roads.nodes[["x", "y"]].to_numpy()
    u = region.roads.edges["u"].to_numpy()
    owner_e = nearest_owner(node_xy[u])
    v = region.roads.edges["v"].to_numpy()
    partitions = []
    for i, (code, name) in enumerate(zip(at_level["code"], at_level["name"], strict=True)):
        xy = np.vstack(
            [
                settle_xy[owner_s == i],
                fac_xy[owner_f == i],
                node_xy[u[owner_e == i]],
                node_xy[v[owner_e == i]],
            ]
        )
        if len(xy) == 0:
            continue  # a unit with nothing in it
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        core = (float(x0), float(y0), float(x1), float(y1))
        partitions.append(Partition(i, str(code), str(name), core))
    renumber = np.full(len(at_level), -1, dtype=np.int64)
    renumber[[p.index for p in partitions]] = np.arange(len(partitions))
    partitions = [Partition(int(renumber[p.index]), p.code, p.name, p.core) for p in partitions]
    return Ownership(
        partitions=tuple(partitions),
        settlements=renumber[owner_s],
        facilities=renumber[owner_f],
        edges=renumber[owner_e],
    )


def speed_bound(region: Region, profile: Profile) -> float:
    """The fastest any trip of ``profile`` moves across the map, in metres per minute.

    The most straight-line metres per minute of any road edge in any layer of the profile's
    network (its class speed, surface and grade, as the edge's times say), or of a walk off
    road at the best grade. A trip of ``t`` minutes thus stays within ``t`` times this of
    where it starts: the radius a partition's buffer needs for times up to ``t``.
    """
    roads = region.roads
    xy = roads.nodes[["x", "y"]].to_numpy()
    u = roads.edges["u"].to_numpy()
    v = roads.edges["v"].to_numpy()
    straight = np.hypot(*(xy[v] - xy[u]).T)
    fastest = 1.0 / float(offroad_walk_minutes(np.array([1.0]), np.array([_FASTEST_GRADE]))[0])
    for forward, backward in layer_edge_times(roads.edges, network_layers(profile)).values():
        quickest = np.minimum(forward, backward)
        ok = np.isfinite(quickest) & (quickest > 0)
        if ok.any():
            fastest = max(fastest, float((straight[ok] / quickest[ok]).max()))
    return fastest


def _ancestor_at(units: pd.DataFrame, index: dict[str, int]) -> dict[str, int]:
    """Each admin code mapped to the partition of its unit at the level (itself or above)."""
    parent = dict(zip(units["code"], units["parent"], strict=True))
    out: dict[str, int] = {}
    for code in units["code"]:
        current, seen = code, set()
        while current and current not in index and current not in seen:
            seen.add(current)
            current = parent.get(current, "")
        if current in index:
            out[code] = index[current]
    return out


def _xy(frame: pd.DataFrame) -> np.ndarray:
    if len(frame) == 0:
        return np.empty((0, 2))
    return np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()])
