"""The service circle on Andorra: hospitals within 15/30/60 minutes by car and on foot, with a
declared population estimate, and three routes re-added edge by edge."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from accessplan.io.population import ESTIMATE_SOURCE, estimate_by_place
from accessplan.measures import access_times, coverage
from accessplan.region import Region
from accessplan.travel import network_for
from accessplan.travel.network import CHANGE, DRIVE, OFF_ROAD, WALK

#: Andorra's population on its OSM country node (CIA World Factbook 2009).
ANDORRA_TOTAL = 83_888
# The car profile's numbers, typed here again so the check does not reuse the library's code.
CAR_KMH = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50, "primary": 60,
    "primary_link": 40, "secondary": 50, "secondary_link": 35, "tertiary": 40,
    "tertiary_link": 30, "unclassified": 30, "residential": 25, "living_street": 10,
    "service": 15, "road": 25, "track": 15,
}  # fmt: skip
CAR_SURFACE = {"gravel": 0.7, "fine_gravel": 0.7, "compacted": 0.8, "unpaved": 0.6, "dirt": 0.5,
               "ground": 0.5, "earth": 0.5, "grass": 0.4, "mud": 0.3, "sand": 0.4}  # fmt: skip


@pytest.fixture(scope="module")
def estimated(andorra: Region) -> Region:
    return estimate_by_place(andorra, total=ANDORRA_TOTAL)


def test_population_estimate_is_declared_and_adds_up(estimated: Region) -> None:
    """Andorra la Vella keeps its tagged 24,678; the rest is shared by place kind and marked."""
    s = estimated.settlements.set_index("name")
    assert s.loc["Andorra la Vella", "population"] == 24_678
    assert s.loc["Andorra la Vella", "population_source"] == "osm"
    assert s["population"].sum() == ANDORRA_TOTAL
    others = s.drop(index="Andorra la Vella")
    assert (others["population_source"] == ESTIMATE_SOURCE).all()
    assert s.loc["Ordino", "population"] == pytest.approx(
        5 * s.loc["Soldeu", "population"], rel=0.01
    )


def test_hospital_coverage_by_car_and_on_foot(estimated: Region) -> None:
    """Driving covers more people than walking at every threshold; shares rise with time."""
    times = access_times(estimated, ("walk", "car"))
    table = coverage(estimated, times, [15, 30, 60])
    rows = table[(table["tier"] == "county_hospital") & (table["level"] == "region")]
    share = rows.set_index(["profile", "threshold_min"])["share"]
    for limit in (15, 30, 60):
        assert share[("car", limit)] >= share[("walk", limit)]
    assert share[("car", 15)] <= share[("car", 30)] <= share[("car", 60)]
    assert share[("car", 60)] > 0.95  # every valley reaches a hospital within the hour
    assert share[("walk", 15)] < 0.6  # on foot, most Andorrans are far from one


def car_minutes(length: float, dz: float, highway: str, surface: str) -> float:
    grade = float(np.clip(dz / length, -0.5, 0.5)) if length > 0 else 0.0
    slope = 1 - 3.0 * max(grade - 0.03, 0) - 1.5 * max(-grade - 0.03, 0)
    speed = CAR_KMH[highway] * CAR_SURFACE.get(surface, 1.0) * max(slope, 0.3)
    return length / (speed * 1000 / 60)


def walk_minutes(distance: float, dz: float, *, off_road: bool, steps: bool = False) -> float:
    limit, factor = (1.0, 0.6) if off_road else (0.5, 0.6 if steps else 1.0)
    grade = float(np.clip(dz / distance, -limit, limit)) if distance > 0 else 0.0
    return distance / (6 * math.exp(-3.5 * abs(grade + 0.05)) * factor * 1000 / 60)


@pytest.mark.parametrize("name", ["Soldeu", "Arinsal", "Sant Julià de Lòria"])
def test_route_time_equals_an_independent_sum_of_edge_times(estimated: Region, name: str) -> None:
    """Follow the route to the nearest hospital and re-add each edge from its length, grade,
    class and surface with the car and walking rules written out above."""
    net = network_for(estimated, "car")
    hospitals = np.flatnonzero((estimated.facilities["tier"] == "county_hospital").to_numpy())
    dist, pred, _ = dijkstra(
        net.reverse, indices=net.facility_nodes[hospitals], min_only=True, return_predecessors=True
    )
    row = int(np.flatnonzero((estimated.settlements["name"] == name).to_numpy())[0])
    node = int(net.settlement_nodes[row])
    edges = estimated.roads.edges
    total, hops = 0.0, 0
    while pred[node] >= 0:
        nxt = int(pred[node])  # the next node towards the hospital
        lo, hi = net.graph.indptr[node], net.graph.indptr[node + 1]
        k = lo + int(np.flatnonzero(net.graph.indices[lo:hi] == nxt)[0])
        length = float(np.hypot(*(net.node_xy[nxt] - net.node_xy[node])))
        dz = float(np.nan_to_num(net.node_z[nxt] - net.node_z[node]))
        edge, mode = int(net.arc_edge[k]), int(net.arc_mode[k])
        if mode == OFF_ROAD:
            total += walk_minutes(length, dz, off_road=True)
        elif mode == WALK:
            steps = edges["highway"].iat[edge] == "steps"
            total += walk_minutes(length, dz, off_road=False, steps=steps)
        elif mode == DRIVE:
            total += car_minutes(length, dz, edges["highway"].iat[edge], edges["surface"].iat[edge])
        else:
            assert mode == CHANGE and length == 0  # getting in or out of the car
        node, hops = nxt, hops + 1
    assert hops > 10
    assert total == pytest.approx(dist[net.settlement_nodes[row]], abs=1e-6)
    nearest = (
        access_times(estimated, ("car",)).set_index("name").loc[name, "minutes_to_county_hospital"]
    )
    assert total == pytest.approx(nearest, abs=1e-6)
