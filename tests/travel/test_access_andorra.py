"""OSM access per mode on the real Andorra extract: walkers keep off roads tagged foot=no,
drivers off roads tagged motor_vehicle=no, and a track closed to all but walkers is walked.

The expectation is built here from the OSM tags, read again with pyosmium, not from the edge
columns accessplan writes. Routes are traced arc by arc on the full graph (``arc_edge``,
``arc_mode``); each arc's road edge leads to its OSM way by ``way_id``. The same routes traced
with every road open to every mode (the access columns dropped: the rules before OSM access
was read) show what the rules change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import osmium
import pytest
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from accessplan.region import ACCESS_COLUMNS, Region, RoadNetwork
from accessplan.travel import build_network, network_for
from accessplan.travel.network import DRIVE, WALK, TravelNetwork

ENVALIRA_TUNNEL = 6176755  # Túnel d'Envalira, CG-2: foot=no
MERITXELL = (144382955, 191582650, 191582651)  # Avinguda Meritxell: motor_vehicle=no, foot=yes
TRACK = 189097587  # access=no, foot=designated, motor_vehicle=no
BUS_LANE = 25768868  # access=no, psv=yes, motorcycle=yes: a bus lane open to motorcycles
VEHICLES = ("car", "motorcycle", "mobile_clinic")


@pytest.fixture(scope="module")
def tags(andorra_pbf: Path) -> dict[int, dict[str, str]]:
    """OSM tags of every highway way."""
    return {
        w.id: dict(w.tags)
        for w in osmium.FileProcessor(str(andorra_pbf), osmium.osm.WAY)
        if "highway" in w.tags
    }


@pytest.fixture(scope="module")
def foot_no(tags: dict[int, dict[str, str]]) -> set[int]:
    return {i for i, t in tags.items() if t.get("foot") == "no"}


@pytest.fixture(scope="module")
def motor_vehicle_no(tags: dict[int, dict[str, str]]) -> set[int]:
    return {i for i, t in tags.items() if t.get("motor_vehicle") == "no"}


@pytest.fixture(scope="module")
def unrestricted(andorra: Region) -> Region:
    """Andorra with every road open to every mode (one-way roads kept)."""
    edges = andorra.roads.edges.drop(columns=list(ACCESS_COLUMNS))
    return dataclasses.replace(andorra, roads=RoadNetwork(andorra.roads.nodes, edges))


def arcs_on(net: TravelNetwork, region: Region, mode: int, ways: set[int]) -> np.ndarray:
    """Per arc of the full graph: travelled in ``mode`` along one of the OSM ``ways``."""
    way_id = region.roads.edges["way_id"].to_numpy()
    on_way = np.isin(way_id[np.maximum(net.arc_edge, 0)], list(ways))
    return (net.arc_mode == mode) & (net.arc_edge >= 0) & on_way


def count_routes(
    net: TravelNetwork, sources: np.ndarray, targets: np.ndarray, flagged: np.ndarray
) -> tuple[int, int]:
    """(routes found, routes with a flagged arc) over every source -> target shortest path,
    each traced back node by node through scipy's predecessors."""
    dist, pred = dijkstra(net.graph, indices=sources, return_predecessors=True)
    indptr, indices = net.graph.indptr, net.graph.indices
    found = hits = 0
    for row, source in enumerate(sources):
        crosses = {int(source): False}  # node -> the route to it holds a flagged arc
        for target in targets:
            if target == source or not np.isfinite(dist[row, target]):
                continue
            path, node = [], int(target)
            while node not in crosses:
                path.append(node)
                node = int(pred[row, node])
            hit = crosses[node]
            for node in reversed(path):
                before = int(pred[row, node])
                arc = (
                    indptr[before]
                    + np.flatnonzero(indices[indptr[before] : indptr[before + 1]] == node)[0]
                )
                hit = hit or bool(flagged[arc])
                crosses[node] = hit
            found += 1
            hits += hit
    return found, hits


def route_ways(
    net: TravelNetwork, region: Region, source: int, target: int
) -> list[tuple[int, int]]:
    """``(OSM way, mode)`` of each road arc on the shortest path, in order; [] if none."""
    dist, pred = dijkstra(net.graph, indices=source, return_predecessors=True)
    if not np.isfinite(dist[target]):
        return []
    way_id = region.roads.edges["way_id"].to_numpy()
    indptr, indices = net.graph.indptr, net.graph.indices
    out, node = [], target
    while node != source:
        before = int(pred[node])
        arc = (
            indptr[before] + np.flatnonzero(indices[indptr[before] : indptr[before + 1]] == node)[0]
        )
        if net.arc_edge[arc] >= 0:
            out.append((int(way_id[net.arc_edge[arc]]), int(net.arc_mode[arc])))
        node = before
    return out[::-1]


@pytest.fixture(scope="module")
def way_ends(andorra_pbf: Path, andorra: Region) -> Callable[[int], tuple[int, int]]:
    """The road nodes at the first and last OSM node of a way, found by position."""
    wanted = {ENVALIRA_TUNNEL, TRACK, BUS_LANE, *MERITXELL}
    ends = {
        w.id: (w.nodes[0].location, w.nodes[-1].location)
        for w in osmium.FileProcessor(str(andorra_pbf)).with_locations()
        if w.is_way() and w.id in wanted
    }
    project = Transformer.from_crs("EPSG:4326", andorra.crs, always_xy=True)
    tree = cKDTree(andorra.roads.nodes[["x", "y"]].to_numpy())

    def find(way: int) -> tuple[int, int]:
        xy = [project.transform(loc.lon, loc.lat) for loc in ends[way]]
        gap, node = tree.query(xy)
        assert gap.max() < 1e-6  # an OSM node is a road node
        return int(node[0]), int(node[1])

    return find


def test_the_named_ways_carry_the_tags_of_the_issue(
    tags: dict[int, dict[str, str]], foot_no: set[int], motor_vehicle_no: set[int]
) -> None:
    """The extract holds what the rules are tested on: 94 ways of the CG-1 and CG-2 (primary,
    one primary_link) closed to walkers, the Envalira tunnel among them; Avinguda Meritxell
    closed to motor vehicles; the track open to walkers only; the bus lane open to
    motorcycles."""
    assert len(foot_no) == 94 and {tags[i]["highway"] for i in foot_no} == {
        "primary",
        "primary_link",
    }
    assert ENVALIRA_TUNNEL in foot_no and tags[ENVALIRA_TUNNEL].get("tunnel") == "yes"
    assert set(MERITXELL) <= motor_vehicle_no
    assert {k: tags[TRACK][k] for k in ("access", "foot", "motor_vehicle")} == {
        "access": "no",
        "foot": "designated",
        "motor_vehicle": "no",
    }
    assert tags[BUS_LANE]["access"] == "no" and tags[BUS_LANE]["motorcycle"] == "yes"


@pytest.mark.parametrize("profile", ["walk", *VEHICLES])
def test_no_arc_walks_a_foot_no_way_or_drives_a_motor_vehicle_no_way(
    andorra: Region, foot_no: set[int], motor_vehicle_no: set[int], profile: str
) -> None:
    """Checked on every arc of the graph, so on every route: walking arcs (a walk profile, and
    the walks to and from a vehicle) never run on a foot=no way, driving arcs never on a
    motor_vehicle=no way."""
    net = network_for(andorra, profile)
    assert not arcs_on(net, andorra, WALK, foot_no).any()
    assert not arcs_on(net, andorra, DRIVE, motor_vehicle_no).any()


def test_walks_between_settlements_keep_off_foot_no_ways(
    andorra: Region, unrestricted: Region, foot_no: set[int]
) -> None:
    """Every walk between two settlements, traced: none uses a foot=no way. With every road
    open, about 2,400 of the 3,540 walks did (most along the CG-2 up the valley)."""
    for region, expected in (
        (andorra, lambda hits: hits == 0),
        (unrestricted, lambda hits: hits > 2000),
    ):
        net = build_network(region, "walk")
        nodes = net.settlement_nodes
        found, hits = count_routes(net, nodes, nodes, arcs_on(net, region, WALK, foot_no))
        assert found > 2000
        assert expected(hits), (found, hits)


def test_car_trips_to_and_from_facilities_keep_off_closed_ways(
    andorra: Region, foot_no: set[int], motor_vehicle_no: set[int]
) -> None:
    """Every car trip between a settlement and a facility, both ways, traced: no arc drives a
    motor_vehicle=no way or walks a foot=no way."""
    net = network_for(andorra, "car")
    closed = arcs_on(net, andorra, DRIVE, motor_vehicle_no) | arcs_on(net, andorra, WALK, foot_no)
    places = (net.settlement_nodes, net.facility_nodes)
    for sources, targets in (places, places[::-1]):
        found, hits = count_routes(net, sources, targets, closed)
        assert found == len(sources) * len(targets) and hits == 0


def test_a_car_traveller_walks_avinguda_meritxell(
    andorra: Region, unrestricted: Region, way_ends: Callable[[int], tuple[int, int]]
) -> None:
    """From one end of each motor_vehicle=no piece of Avinguda Meritxell to the other with a
    car: with every road open the car drove it; now the traveller walks it (foot=yes)."""
    for way in MERITXELL:
        start, end = way_ends(way)
        for region, mode in ((unrestricted, DRIVE), (andorra, WALK)):
            net = build_network(region, "car")
            size = net.layer_size  # start on foot (walk_in), arrive on foot (walk_out)
            route = route_ways(net, region, start, end + 2 * size)
            assert (way, mode) in route
            assert (way, DRIVE if mode == WALK else WALK) not in route


def test_the_envalira_tunnel_is_driven_but_never_walked(
    andorra: Region, unrestricted: Region, way_ends: Callable[[int], tuple[int, int]]
) -> None:
    """The 2.95 km tunnel (foot=no) is the car's way through; with every road open a walker
    took it too, now no walk from one portal to the other goes through it."""
    start, end = way_ends(ENVALIRA_TUNNEL)
    car = network_for(andorra, "car")
    size = car.layer_size
    driven = route_ways(car, andorra, start + size, end + size)
    assert driven and {w for w, _ in driven} == {ENVALIRA_TUNNEL}
    before = route_ways(build_network(unrestricted, "walk"), unrestricted, start, end)
    assert (ENVALIRA_TUNNEL, WALK) in before
    walked = route_ways(network_for(andorra, "walk"), andorra, start, end)
    assert all(w != ENVALIRA_TUNNEL for w, _ in walked)


def test_the_foot_designated_track_is_walked_not_driven(
    andorra: Region, way_ends: Callable[[int], tuple[int, int]]
) -> None:
    """Track 189097587 (access=no, foot=designated; 13.5 km) is in the walking network and is
    the walk between its ends, both ways; no vehicle drives it."""
    start, end = way_ends(TRACK)
    walk = network_for(andorra, "walk")
    for a, b in ((start, end), (end, start)):
        route = route_ways(walk, andorra, a, b)
        assert len(route) > 100 and set(route) == {(TRACK, WALK)}
    for profile in VEHICLES:
        net = network_for(andorra, profile)
        assert not arcs_on(net, andorra, DRIVE, {TRACK}).any()
        assert arcs_on(net, andorra, WALK, {TRACK}).any()  # its walks use the track


def test_motorcycles_ride_the_bus_lane_cars_do_not(
    andorra: Region, way_ends: Callable[[int], tuple[int, int]]
) -> None:
    """The bus lane (access=no, psv=yes, motorcycle=yes) is ridden by motorcycles only."""
    assert arcs_on(network_for(andorra, "motorcycle"), andorra, DRIVE, {BUS_LANE}).any()
    for profile in ("car", "mobile_clinic"):
        assert not arcs_on(network_for(andorra, profile), andorra, DRIVE, {BUS_LANE}).any()
    assert not arcs_on(network_for(andorra, "walk"), andorra, WALK, {BUS_LANE}).any()
