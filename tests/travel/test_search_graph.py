"""The contracted search graph gives the times of the full node-by-node graph.

The reference is scipy's Dijkstra on ``TravelNetwork.graph`` (every road node, every layer
change): it shares no code with the chain contraction, which is checked against it on real
OSM roads (Andorra) and on a synthetic county, and on a chain where the fastest trip changes
mode in the middle of the chain.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from accessplan import synth
from accessplan.region import Region
from accessplan.travel import nearest, network_for
from accessplan.travel.matrix import bounded_times, nearest_times
from accessplan.travel.profiles import Profile
from tests.conftest import points, road_network


def full_graph_minutes(net, facility_rows: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Facilities x settlements minutes on the full graph."""
    dist = dijkstra(net.reverse, indices=net.facility_nodes[facility_rows])
    return dist[:, net.settlement_nodes]


def check_against_full_graph(region: Region, profile: str) -> None:
    net = network_for(region, profile)
    assert len(net.search.nodes) < 0.5 * net.graph.shape[0]  # the contraction does something
    fac_rows = np.arange(len(region.facilities))
    full = full_graph_minutes(net, fac_rows)
    minutes, row = nearest_times(net, fac_rows)
    np.testing.assert_allclose(minutes, full.min(axis=0), rtol=0, atol=1e-9)
    reached = np.isfinite(minutes)
    chosen = full[row[reached], np.flatnonzero(reached)]
    np.testing.assert_allclose(chosen, minutes[reached], rtol=0, atol=1e-9)
    f, s, m = bounded_times(net, cutoff=30.0)
    np.testing.assert_allclose(m, full[f, s], rtol=0, atol=1e-9)
    assert len(m) == int((full <= 30.0).sum())


@pytest.mark.parametrize("profile", ["car", "walk", "mobile_clinic"])
def test_search_graph_equals_full_graph_on_andorra(andorra: Region, profile: str) -> None:
    check_against_full_graph(andorra, profile)


@pytest.mark.parametrize("profile", ["motorcycle", "walk"])
def test_search_graph_equals_full_graph_on_a_synthetic_county(profile: str) -> None:
    check_against_full_graph(synth.mountain_county(4), profile)


def test_a_trip_can_change_mode_inside_a_chain() -> None:
    """Node 0 --track 1 km-- 1 --primary 1 km-- 2 --primary 1 km-- 3, nodes 1 and 2 inner.

    The vehicle crawls on the track (2 km/h), so the fastest trip walks the track and rides
    the primary road from node 1, which the contraction must keep: 11.9 + 2 minutes, not
    all on foot (35.7) nor all in the vehicle (32).
    """
    roads = road_network(
        [(0, 0), (1000, 0), (2000, 0), (3000, 0)],
        [(0, 1, "track", False), (1, 2, "primary", False), (2, 3, "primary", False)],
    )
    settlements = points(
        [{"id": "A", "x": 0, "y": 0, "population": 1}, {"id": "B", "x": 3000, "y": 0}]
    )
    facilities = points(
        [
            {"id": "clinic", "x": 0, "y": 0, "service": "health", "tier": "village_clinic"},
            {"id": "hosp", "x": 3000, "y": 0, "service": "health", "tier": "county_hospital"},
        ]
    )
    region = Region(settlements=settlements, facilities=facilities, roads=roads)
    crawler = Profile(name="crawler", mode="vehicle", speeds={"track": 2, "primary": 60})
    walk_track = 1000 / 1000 / (6 * math.exp(-3.5 * 0.05)) * 60
    table = nearest(region, crawler).set_index("id")
    assert table.loc["A", "minutes_to_county_hospital"] == pytest.approx(walk_track + 2.0)
    assert table.loc["B", "minutes_to_village_clinic"] == pytest.approx(2.0 + walk_track)
    assert table.loc["A", "minutes_to_village_clinic"] == pytest.approx(0.0)
    net = network_for(region, crawler)
    assert len(net.search.nodes) == 3 * 2 + 4  # two kept road nodes per layer, four places


def contracted_from_the_full_graph(net) -> tuple[np.ndarray, ...]:  # type: ignore[no-untyped-def]
    """The search graph as it was built before the full graph stopped being built first: the
    chains of the road pieces, then the full graph's layer changes and walks to and from
    places that start at a kept node (read from ``net.graph`` and ``net.arc_mode``)."""
    from accessplan.travel._contract import chain_arcs
    from accessplan.travel.network import CHANGE, OFF_ROAD, _csr_min

    parts, search = net.parts, net.search
    size, n_layers = net.layer_size, len(net.layers)
    kept = np.zeros(size, dtype=bool)
    kept[search.nodes[search.nodes < size]] = True
    a, b, edge, share = parts.pieces
    cost = np.stack([np.stack([f[edge] * share, w[edge] * share]) for f, w in parts.layer_times])
    change = np.full((2, n_layers, n_layers), np.inf)
    change[:, np.arange(n_layers), np.arange(n_layers)] = 0.0
    if n_layers == 3:
        change[1, 0, 1] = change[1, 1, 2] = change[:, 0, 2] = 0.0
    src, dst, minutes = chain_arcs(a, b, cost, kept, parts.vehicle.astype(np.int64), change)
    g = net.graph.tocoo()
    other = np.isin(net.arc_mode, [CHANGE, OFF_ROAD])
    stays = other & ((g.row >= n_layers * size) | kept[g.row % size])
    position = search.position
    graph, _ = _csr_min(
        position[np.concatenate([src, g.row[stays]])],
        position[np.concatenate([dst, g.col[stays]])],
        np.concatenate([minutes, g.data[stays]]),
        np.empty((len(src) + int(stays.sum()), 0), dtype=np.int64),
        len(search.nodes),
    )
    return graph.indptr, graph.indices, graph.data


@pytest.mark.parametrize("profile", ["car", "walk"])
@pytest.mark.parametrize("where", ["andorra", "county", "province"])
def test_the_search_graph_built_without_the_full_graph_is_the_same(
    where: str, profile: str, request: pytest.FixtureRequest
) -> None:
    """Built straight from the road pieces, the search graph holds the same arrays as the
    one contracted from the full graph, and the components are the full graph's weakly
    connected ones (scipy on ``net.graph``)."""
    from scipy.sparse.csgraph import connected_components

    region = {
        "andorra": lambda: request.getfixturevalue("andorra"),
        "county": lambda: synth.mountain_county(0),
        "province": lambda: synth.province(3, seed=1, road_node_spacing_m=250.0),
    }[where]()
    net = network_for(region, profile)
    built = (net.search.graph.indptr, net.search.graph.indices, net.search.graph.data)
    for got, expected in zip(built, contracted_from_the_full_graph(net), strict=True):
        np.testing.assert_array_equal(got, expected)
    _, labels = connected_components(net.graph, directed=True, connection="weak")
    places = np.concatenate([net.settlement_nodes, net.facility_nodes])
    np.testing.assert_array_equal(net.snaps["component"].to_numpy(), labels[places])
