"""The travel engine on the real Andorra extract and SRTM terrain."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from accessplan.region import Region
from accessplan.travel import network_for, place_times, travel_times

HOSPITAL_NODES = {
    "n522787974",
    "n666793601",
    "n666793602",
    "n666793607",
    "n666793610",
    "n2050364490",
}


def settlement_id(region: Region, name: str) -> str:
    return str(region.settlements.loc[region.settlements["name"] == name, "id"].iloc[0])


def joined_settlements(region: Region, profile: str) -> int:
    """Settlements joined within the snap distance to the main part of the profile's network."""
    snaps = network_for(region, profile).snaps
    return int(
        (
            (snaps["layer"] == "settlement") & ~snaps["beyond_snap"] & snaps["in_main_component"]
        ).sum()
    )


def test_andorra_builds_with_settlements_hospitals_and_one_main_network(andorra: Region) -> None:
    """All 60 settlements joined within the snap distance, on the main network, by car; the six
    hospital nodes are county hospitals; the main component holds >= 95 % of road nodes.

    On foot only 45: the valley roads closed to walkers (foot=no on 94 ways of the CG-1 and
    CG-2) cut off Sant Julià de Lòria and its ten villages, Meritxell, Sant Joan de Caselles,
    La Margineda and one l'Aldosa, which the extract joins to the rest only by those roads."""
    assert joined_settlements(andorra, "car") == 60
    assert joined_settlements(andorra, "walk") == 45
    hospitals = andorra.facilities[andorra.facilities["tier"] == "county_hospital"]
    assert HOSPITAL_NODES <= set(hospitals["id"])
    assert andorra.roads.largest_component_share() >= 0.95
    assert andorra.roads.edges["rise_m"].max() > 10  # the terrain reached the roads


def test_car_times_equal_networkx_dijkstra_on_200_pairs(andorra: Region) -> None:
    """Settlement -> facility car times equal networkx's Dijkstra on the same weighted graph."""
    net = network_for(andorra, "car")
    coo = net.graph.tocoo()
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    rng = np.random.default_rng(7)
    s_rows = rng.integers(0, len(net.settlement_nodes), 200)
    f_rows = rng.integers(0, len(net.facility_nodes), 200)
    table = travel_times(andorra, "car").set_index(["from_id", "to_id"])["minutes"]
    s_ids = andorra.settlements["id"].to_numpy()
    f_ids = andorra.facilities["id"].to_numpy()
    checked = 0
    for s, f in zip(s_rows, f_rows, strict=True):
        source, target = int(net.settlement_nodes[s]), int(net.facility_nodes[f])
        try:
            expected = nx.dijkstra_path_length(graph, source, target)
        except nx.NetworkXNoPath:
            assert (s_ids[s], f_ids[f]) not in table.index
            continue
        assert table[(s_ids[s], f_ids[f])] == pytest.approx(expected, abs=1e-6)
        checked += 1
    assert checked >= 150


def test_walking_up_the_valley_takes_longer_than_down(andorra: Region) -> None:
    """Andorra la Vella (1,020 m) -> Soldeu (1,800 m) on foot is slower than the way back."""
    alv, soldeu = settlement_id(andorra, "Andorra la Vella"), settlement_id(andorra, "Soldeu")
    walk = place_times(andorra, "walk", [alv, soldeu], [soldeu, alv]).set_index(
        ["from_id", "to_id"]
    )
    up, down = walk.loc[(alv, soldeu), "minutes"], walk.loc[(soldeu, alv), "minutes"]
    assert up > down * 1.05


def test_driving_andorra_la_vella_to_soldeu_takes_20_to_45_minutes(andorra: Region) -> None:
    """About 25 km up the CG-2 valley road: a real drive takes about half an hour."""
    alv, soldeu = settlement_id(andorra, "Andorra la Vella"), settlement_id(andorra, "Soldeu")
    minutes = place_times(andorra, "car", [alv], [soldeu])["minutes"].iloc[0]
    assert 20 <= minutes <= 45


def test_the_valley_road_profile_climbs_without_terrain_noise(andorra: Region) -> None:
    """The CG-2 climbs steadily from Andorra la Vella (about 1,020 m) to Soldeu (about
    1,800 m). Raw SRTM samples at road nodes a few metres apart add some 300 m of false
    descent on this route (the hillside slope across the road); the smoothed profile keeps
    the net climb and little descent."""
    from scipy.sparse.csgraph import dijkstra

    net = network_for(andorra, "car")
    rows = andorra.settlements.reset_index(drop=True)
    start = int(net.settlement_nodes[rows.index[rows["name"] == "Andorra la Vella"][0]])
    end = int(net.settlement_nodes[rows.index[rows["name"] == "Soldeu"][0]])
    _, pred = dijkstra(net.graph, indices=start, return_predecessors=True)
    path = [end]
    while path[-1] != start:
        path.append(int(pred[path[-1]]))
    z = net.node_z[path[::-1]]
    z = z[np.isfinite(z)]
    step = np.diff(z)
    assert 700 < z[-1] - z[0] < 900
    assert -step[step < 0].sum() < 120
