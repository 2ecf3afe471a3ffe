"""The routable graph of one profile: CSR arrays in minutes, with settlements and facilities joined.

Every settlement and facility joins the road network at the nearest point of a road on which
people may walk and, with a vehicle profile, also at the nearest point of a road the vehicle
may use (a village beside a road closed to walkers is picked up there). The edge is split at
each such point, and the place is linked to it by an off-road walking leg (Tobler off path,
terrain aware). Points farther than ``max_snap_m`` from every road they join are flagged, not
dropped.

A walking profile is one layer of road nodes. A vehicle profile has three copies of the road
nodes: people walk along the roads to where the vehicle can go (layer ``walk_in``), ride
(``drive``), and walk on from where they leave it (``walk_out``); changing layer is free at
every node a vehicle can use, and walking all the way stays allowed. A village on a
footpath 2 km from the road thus walks the path, not 2 km across the hillside, and no trip
is slower by car than on foot. Weakly connected parts of the network are counted and
reported with the settlements and people they hold, so a village cut off from every facility
shows up in the report rather than vanishing.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from accessplan._errors import InputError
from accessplan.region import Region, RoadNetwork, mode_access
from accessplan.travel._contract import Engine, SearchGraph, chain_arcs
from accessplan.travel.profiles import Profile, get_profile, offroad_walk_minutes

logger = logging.getLogger(__name__)

#: Default distance (m) beyond which a point's walk to the road is flagged.
MAX_SNAP_M = 1000.0
#: Points whose candidate roads are gathered at once when joining places to roads.
_CANDIDATE_CHUNK = 4096
#: Snap points this close (m) to an edge end join that node instead of splitting the edge.
_NODE_TOLERANCE_M = 0.01
#: How an arc is travelled (``TravelNetwork.arc_mode``).
OFF_ROAD, WALK, DRIVE, CHANGE = 0, 1, 2, 3
#: Free layer changes of a vehicle profile: ``(from layer, to layer, only where a vehicle
#: can go)``. Getting in and out needs a road the vehicle uses; walking on does not.
_CHANGES = ((0, 1, True), (1, 2, True), (0, 2, False))


Pieces = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Arcs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Joins:
    """Where places join the road network, and how high they lie.

    Entry ``k`` joins place ``place[k]`` (settlements, then facilities, in the region's order)
    to road edge ``edge[k]`` at the share ``frac[k]`` of its length, ``snap_m[k]`` metres from
    the place. The first entries join every place, in order, to the nearest road it may walk;
    with a vehicle, places whose nearest road only the vehicle may use (closed to walkers)
    join it too, in the entries that follow. ``z`` is each place's elevation (NaN unknown).
    """

    place: np.ndarray
    edge: np.ndarray
    frac: np.ndarray
    snap_m: np.ndarray
    z: np.ndarray

    def subset(self, places: np.ndarray, edge_index: np.ndarray) -> Joins:
        """The joins of ``places`` (sorted place indices), renumbered to their positions in
        ``places`` and to the edges' new numbers ``edge_index[old edge]``."""
        new_place = np.full(len(self.z), -1, dtype=np.int64)
        new_place[places] = np.arange(len(places))
        keep = new_place[self.place] >= 0
        return Joins(
            place=new_place[self.place[keep]],
            edge=edge_index[self.edge[keep]],
            frac=self.frac[keep],
            snap_m=self.snap_m[keep],
            z=self.z[places],
        )


@dataclass(frozen=True, eq=False)
class GraphParts:
    """What a network's graphs are made of: kept to build the full graph when it is asked
    for, so that building a network costs only the search graph."""

    search: SearchGraph
    pieces: Pieces
    layer_times: tuple[tuple[np.ndarray, np.ndarray], ...]
    place_arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    vehicle: np.ndarray
    layer_xy: np.ndarray
    layer_z: np.ndarray
    point_xy: np.ndarray
    point_z: np.ndarray
    road_u: np.ndarray
    road_v: np.ndarray


@dataclass(frozen=True, eq=False)
class TravelNetwork:
    """A directed graph in minutes for one profile, with access nodes for places.

    Attributes
    ----------
    profile
        The travel profile the weights come from.
    layers
        ``(role, profile)`` per copy of the road nodes: ``("walk", walk)`` for a walking
        profile; ``walk_in``, ``drive``, ``walk_out`` for a vehicle.
    layer_size
        Nodes per layer: road nodes, then the nodes that split edges at snap points. Node
        ``i`` of layer ``k`` is graph node ``k * layer_size + i``; one access node per
        settlement and facility follows the last layer.
    settlement_nodes, facility_nodes
        Graph node of each settlement / facility, in the order of the region's layers.
    snaps
        One row per place: ``layer, id, snap_m, walk_to_road_min, walk_from_road_min,
        beyond_snap, component, in_main_component``.
    components
        One row per weakly connected component that holds a place: ``component, road_nodes,
        settlements, population, facilities, main``.
    parts
        The arrays the graphs come from (:class:`GraphParts`); None for a network whose
        searches run elsewhere.
    remote
        Where searches run when not here (:class:`~accessplan.travel._contract.Engine`, e.g.
        the partitions of :mod:`accessplan.scale`); None: on this network's own graphs.

    The graphs: :attr:`search` (built with the network) and the full graph :attr:`graph`
    with :attr:`arc_edge`, :attr:`arc_mode`, :attr:`node_xy`, :attr:`node_z` (built on
    first use: isochrones and routes need it, nearest times and OD tables do not).
    """

    profile: Profile
    layers: tuple[tuple[str, Profile], ...]
    layer_size: int
    settlement_nodes: np.ndarray
    facility_nodes: np.ndarray
    snaps: pd.DataFrame
    components: pd.DataFrame
    parts: GraphParts | None = None
    remote: Engine | None = None

    def _parts(self) -> GraphParts:
        if self.parts is None:
            msg = (
                f"the {self.profile.name} network's graphs are not held in this process (its "
                "searches run on partitions); ask it for times, not for its graph."
            )
            raise InputError(msg)
        return self.parts

    @property
    def search(self) -> SearchGraph:
        """The graph with chains of pass-through road nodes contracted (see
        :mod:`accessplan.travel._contract`); searches between places run on it."""
        return self._parts().search

    @cached_property
    def _full(self) -> tuple[sp.csr_matrix, np.ndarray]:
        return _full_graph(self._parts(), len(self.layers))

    @property
    def graph(self) -> sp.csr_matrix:
        """``n x n`` CSR matrix; ``graph[a, b]`` is the minutes from node ``a`` to node ``b``."""
        return self._full[0]

    @property
    def arc_edge(self) -> np.ndarray:
        """For each stored arc (aligned with ``graph.data``): the road edge it runs along, -1
        for none."""
        return self._full[1][:, 0]

    @property
    def arc_mode(self) -> np.ndarray:
        """For each stored arc: how it is travelled (:data:`OFF_ROAD`, :data:`WALK`,
        :data:`DRIVE`, :data:`CHANGE`)."""
        return self._full[1][:, 1].astype(np.int8)

    @property
    def node_xy(self) -> np.ndarray:
        """Coordinates (working CRS) of every graph node; an access node sits at its place."""
        parts = self._parts()
        return np.vstack([*([parts.layer_xy] * len(self.layers)), parts.point_xy])

    @property
    def node_z(self) -> np.ndarray:
        """Elevation (NaN when unknown) of every graph node."""
        parts = self._parts()
        return np.concatenate([*([parts.layer_z] * len(self.layers)), parts.point_z])

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """The graph with every arc turned round: searches from facilities give times *to* them."""
        return self.graph.transpose().tocsr()

    @property
    def disconnected_settlements(self) -> pd.DataFrame:
        """Settlements outside the main component (they may still reach a facility there)."""
        s = self.snaps[(self.snaps["layer"] == "settlement") & ~self.snaps["in_main_component"]]
        return s.reset_index(drop=True)


NetworkFactory = Callable[[Profile, float], "TravelNetwork"]
# region -> {(layer ids, profile, snap distance): (layers, network)}; holding the layers keeps
# their ids from being reused while the entry lives.
_CACHE: weakref.WeakKeyDictionary[
    Region, dict[tuple[object, ...], tuple[tuple[object, ...], TravelNetwork]]
] = weakref.WeakKeyDictionary()


#: region -> how its networks are made when not by :func:`build_network` (a distributed run).
_FACTORIES: weakref.WeakKeyDictionary[Region, NetworkFactory] = weakref.WeakKeyDictionary()


def use_factory(region: Region, factory: NetworkFactory | None) -> None:
    """Make ``region``'s networks with ``factory(profile, max_snap_m)`` from now on (None:
    build them here again); cached networks are dropped either way.

    A distributed run (:mod:`accessplan.scale`) gives a factory of networks whose searches
    run on partitions, so that every analysis that asks :func:`network_for` for the region's
    network searches there without knowing it.
    """
    _CACHE.pop(region, None)
    if factory is None:
        _FACTORIES.pop(region, None)
    else:
        _FACTORIES[region] = factory


def network_for(
    region: Region, profile: str | Profile, *, max_snap_m: float = MAX_SNAP_M
) -> TravelNetwork:
    """The :class:`TravelNetwork` of ``region`` for ``profile``, built once and reused.

    The cache follows the region's layer objects: assigning a new ``settlements``,
    ``facilities`` or ``roads`` to the region builds a new network. A region given a
    factory (:func:`use_factory`) gets its networks from it.
    """
    prof = get_profile(profile)
    layers = (region.settlements, region.facilities, region.roads)
    ids = tuple(id(layer) for layer in layers)
    key = (ids, prof.key(), float(max_snap_m))
    per_region = _CACHE.setdefault(region, {})
    for stale in [k for k in per_region if k[0] != ids]:
        del per_region[stale]  # built on layers the region no longer holds
    if key not in per_region:
        factory = _FACTORIES.get(region)
        made = (
            factory(prof, float(max_snap_m))
            if factory is not None
            else build_network(region, prof, max_snap_m=max_snap_m)
        )
        per_region[key] = (layers, made)
    return per_region[key][1]


def network_layers(profile: str | Profile) -> tuple[tuple[str, Profile], ...]:
    """``(role, profile)`` of each layer of ``profile``'s network (see :class:`TravelNetwork`)."""
    prof = get_profile(profile)
    if prof.mode == "walk":
        return (("walk", prof),)
    walker = prof.walker()
    return (("walk_in", walker), ("drive", prof), ("walk_out", walker))


def layer_edge_times(
    edges: pd.DataFrame, layers: tuple[tuple[str, Profile], ...]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Minutes along each road edge ``u -> v`` and back, per layer role (one computation per
    distinct profile: the walks before and after a vehicle share theirs)."""
    by_key: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    out = {}
    for role, p in layers:
        out[role] = by_key.setdefault(p.key(), p.edge_minutes(edges))
    return out


def place_joins(
    region: Region,
    profile: str | Profile,
    *,
    places: np.ndarray | None = None,
    times: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Joins:
    """Where each place (or each of ``places``, indices into settlements then facilities)
    joins ``region``'s roads for ``profile``, and its elevation (:class:`Joins`)."""
    layers = network_layers(profile)
    times = times if times is not None else layer_edge_times(region.roads.edges, layers)
    points = np.concatenate(
        [region.settlements.geometry.to_numpy(), region.facilities.geometry.to_numpy()]
    )
    if places is not None:
        points = points[places]
    walkable = _usable(*times[layers[0][0]])
    edge, frac, snap_m = _nearest_roads(points, region.roads, walkable)
    place = np.arange(len(points))
    drive_only = _usable(*times["drive"]) & ~walkable if "drive" in times else None
    if drive_only is not None and drive_only.any():
        d_edge, d_frac, d_snap_m = _nearest_roads(points, region.roads, drive_only)
        nearer = np.flatnonzero(d_snap_m < snap_m)
        place = np.concatenate([place, nearer])
        edge = np.concatenate([edge, d_edge[nearer]])
        frac = np.concatenate([frac, d_frac[nearer]])
        snap_m = np.concatenate([snap_m, d_snap_m[nearer]])
    point_xy = shapely.get_coordinates(points)
    z = (
        region.terrain.sample(point_xy[:, 0], point_xy[:, 1], region.crs)
        if region.terrain is not None
        else np.full(len(points), np.nan)
    )
    return Joins(place=place, edge=edge, frac=frac, snap_m=snap_m, z=z)


def build_network(
    region: Region,
    profile: str | Profile,
    *,
    max_snap_m: float = MAX_SNAP_M,
    joins: Joins | None = None,
    keep: np.ndarray | None = None,
) -> TravelNetwork:
    """Build the directed minute-weighted graph of ``region`` for ``profile``.

    Each layer uses the roads its profile may: a vehicle's walks (``walk_in``, ``walk_out``)
    follow its walking profile (:meth:`Profile.walker`) and the foot access rules, its
    ``drive`` layer its own speeds and access rules.

    Only the search graph is built here, straight from the road pieces: the full graph (all
    layers, every road node) is built when :attr:`TravelNetwork.graph` is first read. On the
    1 M-road-node province of ``benchmarks/scale.py`` this keeps the build's peak memory to
    about a third (docs/scale.md).

    Parameters
    ----------
    joins
        Where the places join the roads (:func:`place_joins`); found here when None. A
        distributed run gives the joins it found on the whole region to each partition.
    keep
        Road nodes to keep in the search graph besides junctions, dead ends and snap points
        (a partition keeps its border nodes, where its certainty is measured).
    """
    prof = get_profile(profile)
    layers = network_layers(prof)
    roads = region.roads
    n_road = len(roads.nodes)
    times = layer_edge_times(roads.edges, layers)
    for role, (fwd, bwd) in times.items():
        if not _usable(fwd, bwd).any():
            raise InputError(_unusable(region, dict(layers)[role]))
    if joins is None:
        joins = place_joins(region, prof, times=times)
    n_points = len(region.settlements) + len(region.facilities)
    kind = np.array(
        ["settlement"] * len(region.settlements) + ["facility"] * len(region.facilities)
    )
    ids = np.concatenate([region.settlements["id"].to_numpy(), region.facilities["id"].to_numpy()])
    place, edge, frac, snap_m = joins.place, joins.edge, joins.frac, joins.snap_m

    u = roads.edges["u"].to_numpy()
    v = roads.edges["v"].to_numpy()
    z = roads.nodes["z"].to_numpy()
    snap_z = z[u[edge]] + (z[v[edge]] - z[u[edge]]) * frac
    point_xy = shapely.get_coordinates(
        np.concatenate(
            [region.settlements.geometry.to_numpy(), region.facilities.geometry.to_numpy()]
        )
    ).reshape(n_points, 2)
    point_z = joins.z

    road_xy = roads.nodes[["x", "y"]].to_numpy()
    snap_node, split_xyz, pieces = _split_edges(edge, frac, road_xy, z, roads.edges)
    size = n_road + len(split_xyz)
    layer_times = tuple(times[role] for role, _ in layers)
    vehicle = np.zeros(size, dtype=bool)  # nodes a vehicle uses
    if len(layers) == 3:
        drive = _usable(*_piece_minutes(pieces, *times["drive"]))
        vehicle[pieces[0][drive]] = True
        vehicle[pieces[1][drive]] = True
    access = len(layers) * size + np.arange(n_points)
    dz = np.nan_to_num(snap_z - point_z[place], nan=0.0)
    to_road = offroad_walk_minutes(snap_m, dz)
    from_road = offroad_walk_minutes(snap_m, -dz)
    place_arcs = (access[place], snap_node, to_road, from_road)
    n_nodes = len(layers) * size + n_points
    kept = _kept(pieces, snap_node, size, keep)
    search = _search_graph(pieces, layer_times, place_arcs, kept, vehicle, n_nodes)

    labels, n_comp = _weak_components(pieces, layer_times, place_arcs, size, len(layers))
    road_count = np.bincount(labels[:n_road], minlength=n_comp)
    main = int(np.argmax(road_count))
    point_comp = labels[size + np.arange(n_points)]
    nearest = np.arange(n_points)  # the nearest join: the vehicle's where it has one
    nearest[place[n_points:]] = np.arange(n_points, len(place))
    snaps = pd.DataFrame(
        {
            "layer": kind,
            "id": ids,
            "snap_m": snap_m[nearest],
            "walk_to_road_min": to_road[nearest],
            "walk_from_road_min": from_road[nearest],
            "beyond_snap": snap_m[nearest] > max_snap_m,
            "component": point_comp,
            "in_main_component": point_comp == main,
        }
    )
    components = _component_table(snaps, region, road_count, main)
    _log_problems(snaps, components, region, prof, max_snap_m)
    n_set = len(region.settlements)
    parts = GraphParts(
        search=search,
        pieces=pieces,
        layer_times=layer_times,
        place_arcs=place_arcs,
        vehicle=vehicle,
        layer_xy=np.vstack([road_xy, split_xyz[:, :2]]),
        layer_z=np.concatenate([z, split_xyz[:, 2]]),
        point_xy=point_xy,
        point_z=point_z,
        road_u=u,
        road_v=v,
    )
    return TravelNetwork(
        profile=prof,
        layers=layers,
        layer_size=size,
        settlement_nodes=access[:n_set],
        facility_nodes=access[n_set:],
        snaps=snaps,
        components=components,
        parts=parts,
    )


def _usable(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Edges a layer with these edge times can travel, one way or the other."""
    return np.isfinite(forward) | np.isfinite(backward)


def _nearest_roads(
    points: np.ndarray, roads: RoadNetwork, usable_edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point, the nearest of the ``usable_edges`` (a mask): its index, the share of
    its length where the point projects, and the distance (m).

    Only edges that may be the nearest become shapely lines (a line costs about 230 bytes:
    all of a 1 M-edge province's would be most of its network's memory). The nearest edge
    of point ``p`` lies within ``d`` of it, ``d`` its distance to any edge (here: the best of
    the edges with the nearest midpoints), so its midpoint lies within ``d`` plus half the
    longest edge; those edges are the candidates, and shapely's nearest among them is the
    nearest of all.
    """
    usable = np.flatnonzero(usable_edges)
    xy = roads.nodes[["x", "y"]].to_numpy()
    ends_u = xy[roads.edges["u"].to_numpy()[usable]]
    ends_v = xy[roads.edges["v"].to_numpy()[usable]]
    tree = cKDTree((ends_u + ends_v) / 2)
    reach = float(np.hypot(*(ends_v - ends_u).T).max()) / 2
    point_xy = shapely.get_coordinates(points).reshape(len(points), 2)

    def lines(rows: np.ndarray) -> np.ndarray:
        return np.asarray(shapely.linestrings(np.stack([ends_u[rows], ends_v[rows]], axis=1)))

    k = min(8, len(usable))
    _, near = tree.query(point_xy, k=k)
    near = near.reshape(len(points), k)
    bound = shapely.distance(lines(near.ravel()), np.repeat(points, k)).reshape(-1, k).min(1)
    found = []
    for start in range(0, len(points), _CANDIDATE_CHUNK):
        stop = start + _CANDIDATE_CHUNK
        hits = tree.query_ball_point(point_xy[start:stop], bound[start:stop] + reach + 1e-6)
        found.append(np.unique(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])))
    candidates = np.unique(np.concatenate(found))
    shapes = lines(candidates)
    (pt_idx, line_idx), snap_m = shapely.STRtree(shapes).query_nearest(
        points, return_distance=True, all_matches=False
    )
    order = np.argsort(pt_idx, kind="stable")
    line_idx, snap_m = line_idx[order], snap_m[order]
    frac = shapely.line_locate_point(shapes[line_idx], points, normalized=True)
    return usable[candidates[line_idx]], frac, snap_m


def _layer_arcs(
    pieces: Pieces, forward: np.ndarray, backward: np.ndarray, *, offset: int, mode: int
) -> Arcs:
    """Arcs ``(src, dst, minutes, road edge, mode)`` of one layer, both ways where allowed.

    Times along a straight edge are proportional to the distance travelled on it, since its
    grade is constant.
    """
    a, b, edge, _ = pieces
    src = np.concatenate([a, b]) + offset
    dst = np.concatenate([b, a]) + offset
    minutes = np.concatenate(_piece_minutes(pieces, forward, backward))
    edges = np.concatenate([edge, edge])
    ok = np.isfinite(minutes)
    return src[ok], dst[ok], minutes[ok], edges[ok], np.full(int(ok.sum()), mode, dtype=np.int64)


def _piece_minutes(
    pieces: Pieces, forward: np.ndarray, backward: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes along each piece ``a -> b`` and ``b -> a`` from its road edge's times."""
    _, _, edge, share = pieces
    return forward[edge] * share, backward[edge] * share


def _change(src: np.ndarray, dst: np.ndarray) -> Arcs:
    """Free arcs from one layer to another (getting on or off the vehicle)."""
    none = np.full(len(src), -1, dtype=np.int64)
    return src, dst, np.zeros(len(src)), none, np.full(len(src), CHANGE, dtype=np.int64)


def _kept(pieces: Pieces, snap_node: np.ndarray, size: int, keep: np.ndarray | None) -> np.ndarray:
    """Road nodes the search graph keeps: junctions, dead ends, snap points, the ends of
    loops, and ``keep``; the others join exactly two pieces and hold no place."""
    a, b, _, _ = pieces
    degree = np.bincount(a, minlength=size) + np.bincount(b, minlength=size)
    kept = degree != 2
    kept[snap_node] = True
    kept[a[a == b]] = True
    if keep is not None:
        kept[np.asarray(keep, dtype=np.int64)] = True
    return kept


def _search_graph(
    pieces: Pieces,
    layer_times: tuple[tuple[np.ndarray, np.ndarray], ...],
    place_arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    kept: np.ndarray,
    vehicle: np.ndarray,
    n_nodes: int,
) -> SearchGraph:
    """The search graph, straight from the road pieces: chains of road nodes that are not
    ``kept`` become one arc per pair of layers; layer changes at kept nodes and the walks to
    and from places are added as they are. No arc of the full graph is made."""
    a, b, _, _ = pieces
    size = len(vehicle)
    n_layers = len(layer_times)
    cost = np.stack([np.stack(_piece_minutes(pieces, fwd, bwd)) for fwd, bwd in layer_times])
    change = np.full((2, n_layers, n_layers), np.inf)  # at a node a vehicle cannot / can use
    change[:, np.arange(n_layers), np.arange(n_layers)] = 0.0
    src, dst, minutes = [], [], []
    if n_layers == 3:
        for l_from, l_to, only_vehicle in _CHANGES:
            kinds = slice(1, None) if only_vehicle else slice(None)
            change[kinds, l_from, l_to] = 0.0
            at = np.flatnonzero(kept & vehicle if only_vehicle else kept)
            src.append(at + l_from * size)
            dst.append(at + l_to * size)
            minutes.append(np.zeros(len(at)))
    chain_src, chain_dst, chain_min = chain_arcs(a, b, cost, kept, vehicle.astype(np.int64), change)
    access, snap_node, to_road, from_road = place_arcs
    last = (n_layers - 1) * size
    src = [chain_src, *src, access, snap_node + last]
    dst = [chain_dst, *dst, snap_node, access]
    minutes = [chain_min, *minutes, to_road, from_road]
    nodes = np.concatenate(
        [np.flatnonzero(kept) + k * size for k in range(n_layers)]
        + [np.arange(n_layers * size, n_nodes)]
    )
    position = np.full(n_nodes, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    all_min = np.concatenate(minutes)
    graph, _ = _csr_min(
        position[np.concatenate(src)],
        position[np.concatenate(dst)],
        all_min,
        np.empty((len(all_min), 0), dtype=np.int64),
        len(nodes),
    )
    return SearchGraph(graph=graph, nodes=nodes, position=position)


def _weak_components(
    pieces: Pieces,
    layer_times: tuple[tuple[np.ndarray, np.ndarray], ...],
    place_arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    size: int,
    n_layers: int,
) -> tuple[np.ndarray, int]:
    """Weakly connected components of the full graph, found on one copy of the road nodes.

    In the full graph the walk layers of a node are joined everywhere and its drive layer
    wherever a vehicle uses it, so two road nodes are connected when a piece between them is
    usable in some layer; places hang on their snap nodes. Returns a label per road node
    (``0 .. size - 1``) and per place (``size + i``), numbered as the full graph's would be
    (in the order of each component's lowest node), and the number of labels.
    """
    a, b, _, _ = pieces
    usable = np.zeros(len(a), dtype=bool)
    for fwd, bwd in layer_times:
        usable |= _usable(*_piece_minutes(pieces, fwd, bwd))
    access, snap_node, _, _ = place_arcs
    place_row = size + access - n_layers * size
    n = size + int(access.max(initial=n_layers * size - 1) - n_layers * size + 1)
    rows = np.concatenate([a[usable], place_row])
    cols = np.concatenate([b[usable], snap_node])
    links = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    n_comp, labels = connected_components(links, directed=True, connection="weak")
    return labels, n_comp


def _full_graph(parts: GraphParts, n_layers: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """The full graph of :class:`TravelNetwork` and its arcs' ``(road edge, mode)`` tags."""
    size = len(parts.vehicle)
    arcs = [
        _layer_arcs(
            parts.pieces, *times, offset=k * size, mode=DRIVE if (n_layers, k) == (3, 1) else WALK
        )
        for k, times in enumerate(parts.layer_times)
    ]
    if n_layers == 3:
        for l_from, l_to, only_vehicle in _CHANGES:
            at = np.flatnonzero(parts.vehicle) if only_vehicle else np.arange(size)
            arcs.append(_change(at + l_from * size, at + l_to * size))
    access, snap_node, to_road, from_road = parts.place_arcs
    none = np.full(len(access), -1, dtype=np.int64)
    off = np.full(len(access), OFF_ROAD, dtype=np.int64)
    last = (n_layers - 1) * size
    arcs += [
        (access, snap_node, to_road, none, off),
        (snap_node + last, access, from_road, none, off),
    ]
    src, dst, minutes, arc_edge, arc_mode = (np.concatenate(c) for c in zip(*arcs, strict=True))
    n_nodes = n_layers * size + len(parts.point_z)
    return _csr_min(src, dst, minutes, np.column_stack([arc_edge, arc_mode]), n_nodes)


def _split_edges(
    edge: np.ndarray,
    frac: np.ndarray,
    road_xy: np.ndarray,
    road_z: np.ndarray,
    edges: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, Pieces]:
    """Split edges at snap points.

    Returns each point's snap node, the ``x, y, z`` of the new split nodes, and the pieces
    ``(a, b, road edge, share of its length)`` that make up the network: whole edges, and the
    parts of split ones.
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
    whole = np.ones(len(u), dtype=bool)
    whole[split_edge] = False
    a = np.concatenate([u[whole], prev_node, new_node[last]])
    b = np.concatenate([v[whole], new_node, v[split_edge[last]]])
    piece_edge = np.concatenate([np.flatnonzero(whole), split_edge, split_edge[last]])
    share = np.concatenate(
        [np.ones(int(whole.sum())), split_frac - prev_frac, 1.0 - split_frac[last]]
    )
    start, end = u[split_edge], v[split_edge]
    split_xy = road_xy[start] + (road_xy[end] - road_xy[start]) * split_frac[:, None]
    split_z = road_z[start] + (road_z[end] - road_z[start]) * split_frac
    split_xyz = np.column_stack([split_xy, split_z])
    return snap_node, split_xyz, (a, b, piece_edge, share)


def _csr_min(
    src: np.ndarray, dst: np.ndarray, minutes: np.ndarray, tag: np.ndarray, n: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """CSR matrix keeping the fastest of parallel arcs (scipy would add them up), built from
    its arrays so that ``tag`` stays aligned with ``graph.data``."""
    order = np.lexsort((minutes, src.astype(np.int64) * n + dst))
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


def _unusable(region: Region, profile: Profile) -> str:
    """Why no road of ``region`` is usable by ``profile``: its speeds, or OSM access."""
    edges = region.roads.edges
    classes = sorted(set(edges["highway"]))
    with_speed = [c for c in classes if profile.speeds.get(c, 0) > 0]
    start = f"no road in region {region.name!r} is usable by profile {profile.name!r}: "
    if not with_speed:
        return (
            f"{start}it gives none of the region's highway classes {classes[:8]} a speed above "
            f"0 (its speeds: {dict(profile.speeds)}); give those classes a speed in the "
            "profiles file."
        )
    forward, backward = mode_access(edges, profile.osm_mode)
    if not ((forward | backward) & edges["highway"].isin(with_speed).to_numpy()).any():
        return (
            f"{start}OSM access closes every road of the classes it has speeds for "
            f"({with_speed[:8]}) to {profile.osm_mode!r} (e.g. {profile.osm_mode}=no, "
            "access=private); check the region's roads, or choose a profile of another mode."
        )
    return (
        f"{start}its surface factors are 0 on every road it may use "
        f"({dict(profile.surface_factors)}); give those surfaces a factor above 0."
    )


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
