"""The routable graph of one profile: CSR arrays in minutes, with settlements and facilities joined.

Every settlement and facility joins the road network at the nearest point of a road its
profile may use. The edge there is split at that point, and the place is linked to it by an
off-road walking leg (Tobler off path, terrain aware). Points farther than ``max_snap_m`` are
flagged, not dropped. Weakly connected parts of the network are counted and reported with the
settlements and people they hold, so a village cut off from every facility shows up in the
report rather than vanishing.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.travel.profiles import Profile, get_profile, offroad_walk_minutes

logger = logging.getLogger(__name__)

#: Default distance (m) beyond which a point's walk to the road is flagged.
MAX_SNAP_M = 1000.0
#: Snap points this close (m) to an edge end join that node instead of splitting the edge.
_NODE_TOLERANCE_M = 0.01


@dataclass(frozen=True, eq=False)
class TravelNetwork:
    """A directed graph in minutes for one profile, with access nodes for places.

    Attributes
    ----------
    profile
        The travel profile the weights come from.
    graph
        ``n x n`` CSR matrix; ``graph[a, b]`` is the minutes from node ``a`` to node ``b``.
    settlement_nodes, facility_nodes
        Graph node of each settlement / facility, in the order of the region's layers.
    node_xy, node_z
        Coordinates (working CRS) and elevation (NaN when unknown) of every graph node: road
        nodes first, then nodes that split edges at snap points, then one access node per
        settlement and facility (placed at the place itself).
    arc_edge
        For each stored arc (aligned with ``graph.data``), the road edge it runs along, or -1
        for an off-road walking leg.
    snaps
        One row per place: ``layer, id, snap_m, walk_to_road_min, walk_from_road_min,
        beyond_snap, component, in_main_component``.
    components
        One row per weakly connected component that holds a place: ``component, road_nodes,
        settlements, population, facilities, main``.
    """

    profile: Profile
    graph: sp.csr_matrix
    node_xy: np.ndarray
    node_z: np.ndarray
    arc_edge: np.ndarray
    settlement_nodes: np.ndarray
    facility_nodes: np.ndarray
    snaps: pd.DataFrame
    components: pd.DataFrame

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """The graph with every arc turned round: searches from facilities give times *to* them."""
        return self.graph.transpose().tocsr()

    @property
    def disconnected_settlements(self) -> pd.DataFrame:
        """Settlements outside the main component (they may still reach a facility there)."""
        s = self.snaps[(self.snaps["layer"] == "settlement") & ~self.snaps["in_main_component"]]
        return s.reset_index(drop=True)


# region -> {(layer ids, profile, snap distance): (layers, network)}; holding the layers keeps
# their ids from being reused while the entry lives.
_CACHE: weakref.WeakKeyDictionary[
    Region, dict[tuple[object, ...], tuple[tuple[object, ...], TravelNetwork]]
] = weakref.WeakKeyDictionary()


def network_for(
    region: Region, profile: str | Profile, *, max_snap_m: float = MAX_SNAP_M
) -> TravelNetwork:
    """The :class:`TravelNetwork` of ``region`` for ``profile``, built once and reused.

    The cache follows the region's layer objects: assigning a new ``settlements``,
    ``facilities`` or ``roads`` to the region builds a new network.
    """
    prof = get_profile(profile)
    layers = (region.settlements, region.facilities, region.roads)
    ids = tuple(id(layer) for layer in layers)
    key = (ids, prof.key(), float(max_snap_m))
    per_region = _CACHE.setdefault(region, {})
    for stale in [k for k in per_region if k[0] != ids]:
        del per_region[stale]  # built on layers the region no longer holds
    if key not in per_region:
        per_region[key] = (layers, build_network(region, prof, max_snap_m=max_snap_m))
    return per_region[key][1]


def build_network(
    region: Region, profile: str | Profile, *, max_snap_m: float = MAX_SNAP_M
) -> TravelNetwork:
    """Build the directed minute-weighted graph of ``region`` for ``profile``."""
    prof = get_profile(profile)
    roads = region.roads
    n_road = len(roads.nodes)
    forward, backward = prof.edge_minutes(roads.edges)
    usable = np.flatnonzero(np.isfinite(forward) | np.isfinite(backward))
    if usable.size == 0:
        msg = (
            f"no road in region {region.name!r} is usable by profile {prof.name!r}; check the "
            f"highway classes ({sorted(set(roads.edges['highway']))[:8]}) against the "
            f"profile's speeds."
        )
        raise InputError(msg)

    points = np.concatenate(
        [region.settlements.geometry.to_numpy(), region.facilities.geometry.to_numpy()]
    )
    layer = np.array(
        ["settlement"] * len(region.settlements) + ["facility"] * len(region.facilities)
    )
    ids = np.concatenate([region.settlements["id"].to_numpy(), region.facilities["id"].to_numpy()])

    lines = roads.edge_lines()[usable]
    tree = shapely.STRtree(lines)
    (pt_idx, line_idx), snap_m = tree.query_nearest(points, return_distance=True, all_matches=False)
    order = np.argsort(pt_idx, kind="stable")
    line_idx, snap_m = line_idx[order], snap_m[order]
    edge = usable[line_idx]
    frac = shapely.line_locate_point(lines[line_idx], points, normalized=True)

    u = roads.edges["u"].to_numpy()
    v = roads.edges["v"].to_numpy()
    z = roads.nodes["z"].to_numpy()
    snap_z = z[u[edge]] + (z[v[edge]] - z[u[edge]]) * frac
    point_xy = shapely.get_coordinates(points)
    point_z = (
        region.terrain.sample(point_xy[:, 0], point_xy[:, 1], region.crs)
        if region.terrain is not None
        else np.full(len(points), np.nan)
    )

    road_xy = roads.nodes[["x", "y"]].to_numpy()
    snap_node, split_xyz, arcs = _split_edges(
        edge, frac, road_xy, z, roads.edges, forward, backward
    )
    n_graph = n_road + len(split_xyz)
    access = n_graph + np.arange(len(points))
    dz = np.nan_to_num(snap_z - point_z, nan=0.0)
    to_road = offroad_walk_minutes(snap_m, dz)
    from_road = offroad_walk_minutes(snap_m, -dz)
    no_edge = np.full(len(points), -1, dtype=np.int64)
    src = np.concatenate([arcs[0], access, snap_node])
    dst = np.concatenate([arcs[1], snap_node, access])
    minutes = np.concatenate([arcs[2], to_road, from_road])
    arc_edge = np.concatenate([arcs[3], no_edge, no_edge])
    graph, arc_edge = _csr_min(src, dst, minutes, arc_edge, n_graph + len(points))
    node_xy = np.vstack([road_xy, split_xyz[:, :2], point_xy])
    node_z = np.concatenate([z, split_xyz[:, 2], point_z])

    n_comp, labels = connected_components(graph, directed=True, connection="weak")
    road_labels = labels[:n_road]
    road_count = np.bincount(road_labels, minlength=n_comp)
    main = int(np.argmax(road_count))
    point_comp = labels[access]
    beyond = snap_m > max_snap_m
    snaps = pd.DataFrame(
        {
            "layer": layer,
            "id": ids,
            "snap_m": snap_m,
            "walk_to_road_min": to_road,
            "walk_from_road_min": from_road,
            "beyond_snap": beyond,
            "component": point_comp,
            "in_main_component": point_comp == main,
        }
    )
    components = _component_table(snaps, region, road_count, main)
    _log_problems(snaps, components, region, prof, max_snap_m)
    n_set = len(region.settlements)
    return TravelNetwork(
        profile=prof,
        graph=graph,
        node_xy=node_xy,
        node_z=node_z,
        arc_edge=arc_edge,
        settlement_nodes=access[:n_set],
        facility_nodes=access[n_set:],
        snaps=snaps,
        components=components,
    )


def _split_edges(
    edge: np.ndarray,
    frac: np.ndarray,
    road_xy: np.ndarray,
    road_z: np.ndarray,
    edges: pd.DataFrame,
    forward: np.ndarray,
    backward: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Split edges at snap points.

    Returns each point's snap node, the ``x, y, z`` of the new split nodes, and all arcs as
    ``(src, dst, minutes, road edge)``. Times along a straight edge are proportional to the
    distance travelled on it, since its grade is constant.
    """
    n_road = len(road_xy)
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    length = edges["length_m"].to_numpy()
    at_u = frac * length[edge] <= _NODE_TOLERANCE_M
    at_v = (1.0 - frac) * length[edge] <= _NODE_TOLERANCE_M
    interior = ~(at_u | at_v)
    snap_node = np.where(at_u, u[edge], v[edge]).astype(np.int64)

    pairs = np.unique(np.stack([edge[interior], frac[interior]], axis=1), axis=0)
    split_edge = pairs[:, 0].astype(np.int64)
    split_frac = pairs[:, 1]
    new_node = n_road + np.arange(len(pairs))
    # map each interior point to its (edge, frac) pair
    where = np.searchsorted(split_edge * 2.0 + split_frac, edge[interior] * 2.0 + frac[interior])
    snap_node[interior] = new_node[where]

    # pieces: from the previous break (or u) to each break, and from the last break to v
    change = split_edge[1:] != split_edge[:-1]
    first = np.r_[True, change][: len(split_edge)]
    last = np.r_[change, True][: len(split_edge)]
    prev_node = np.where(first, u[split_edge], np.r_[0, new_node[:-1]])
    prev_frac = np.where(first, 0.0, np.r_[0.0, split_frac[:-1]])
    piece_edge = np.concatenate([split_edge, split_edge[last]])
    piece_a = np.concatenate([prev_node, new_node[last]])
    piece_b = np.concatenate([new_node, v[split_edge[last]]])
    share = np.concatenate([split_frac - prev_frac, 1.0 - split_frac[last]])

    whole = np.ones(len(u), dtype=bool)
    whole[split_edge] = False
    a = np.concatenate([u[whole], piece_a])
    b = np.concatenate([v[whole], piece_b])
    fwd = np.concatenate([forward[whole], forward[piece_edge] * share])
    bwd = np.concatenate([backward[whole], backward[piece_edge] * share])
    arc_edge = np.concatenate([np.flatnonzero(whole), piece_edge])
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    minutes = np.concatenate([fwd, bwd])
    arc_edge = np.concatenate([arc_edge, arc_edge])
    ok = np.isfinite(minutes)
    start, end = u[split_edge], v[split_edge]
    split_xy = road_xy[start] + (road_xy[end] - road_xy[start]) * split_frac[:, None]
    split_z = road_z[start] + (road_z[end] - road_z[start]) * split_frac
    split_xyz = np.column_stack([split_xy, split_z])
    return snap_node, split_xyz, (src[ok], dst[ok], minutes[ok], arc_edge[ok])


def _csr_min(
    src: np.ndarray, dst: np.ndarray, minutes: np.ndarray, tag: np.ndarray, n: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """CSR matrix keeping the fastest of parallel arcs (scipy would add them up), built from
    its arrays so that ``tag`` stays aligned with ``graph.data``."""
    order = np.lexsort((minutes, dst, src))
    src, dst, minutes, tag = src[order], dst[order], minutes[order], tag[order]
    keep = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])] & (src != dst)
    src, dst, minutes, tag = src[keep], dst[keep], minutes[keep], tag[keep]
    indptr = np.searchsorted(src, np.arange(n + 1))
    graph = sp.csr_matrix((minutes, dst, indptr), shape=(n, n))
    return graph, tag


def _component_table(
    snaps: pd.DataFrame, region: Region, road_count: np.ndarray, main: int
) -> pd.DataFrame:
    settle = snaps[snaps["layer"] == "settlement"]
    pop = region.settlements["population"].to_numpy()
    comps = sorted(set(snaps["component"]))
    rows = []
    for comp in comps:
        in_comp = (settle["component"] == comp).to_numpy()
        rows.append(
            {
                "component": comp,
                "road_nodes": int(road_count[comp]) if comp < len(road_count) else 0,
                "settlements": int(in_comp.sum()),
                "population": float(np.nansum(pop[in_comp])),
                "facilities": int(
                    ((snaps["layer"] == "facility") & (snaps["component"] == comp)).sum()
                ),
                "main": comp == main,
            }
        )
    columns = ["component", "road_nodes", "settlements", "population", "facilities", "main"]
    return pd.DataFrame(rows, columns=columns)


def _log_problems(
    snaps: pd.DataFrame,
    components: pd.DataFrame,
    region: Region,
    profile: Profile,
    max_snap_m: float,
) -> None:
    far = snaps[snaps["beyond_snap"]]
    if len(far):
        logger.warning(
            "%s: %d place(s) lie more than %.0f m from a road usable on %s (e.g. %s); "
            "they are joined by a walk and flagged",
            region.name,
            len(far),
            max_snap_m,
            profile.name,
            list(far["id"][:5]),
        )
    cut = components[~components["main"]]
    if len(cut):
        logger.warning(
            "%s: %d settlement(s) with %.0f people lie on %d road part(s) not connected to the "
            "main network for %s",
            region.name,
            int(cut["settlements"].sum()),
            float(cut["population"].sum()),
            len(cut),
            profile.name,
        )
