"""A six-node network whose every time is computed by hand (car profile, flat ground).

    S_mid(500,50)  S_off(1000,-100)
  0 ----primary---- 1 ----primary---- 2 ==track, oneway 2->5==> 5 (hospital)
                    |    THC(1500,0)  |
               residential        tertiary
                    |                 |
                    4 --residential-- 3
                (clinic)
Speeds (car): primary 60, tertiary 40, residential 25, track 15 km/h; so 1 km takes
1, 1.5, 2.4 and 4 minutes. Off-road walks use Tobler off path on flat ground:
6 * exp(-3.5 * 0.05) * 0.6 km/h; walks along a road Tobler on path, 6 * exp(-3.5 * 0.05).
A car traveller at S5 cannot drive against the one-way track, so walks it to node 2.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely

from accessplan.region import Region
from accessplan.travel import isochrones, nearest, place_times, travel_times
from tests.conftest import points, road_network

WALK_KMH = 6 * math.exp(-3.5 * 0.05) * 0.6


def walk(metres: float) -> float:
    return metres / 1000 / WALK_KMH * 60


def road_walk(metres: float) -> float:
    return metres / 1000 / (6 * math.exp(-3.5 * 0.05)) * 60


@pytest.fixture
def region() -> Region:
    roads = road_network(
        [(0, 0), (1000, 0), (2000, 0), (2000, 1000), (1000, 1000), (3000, 0)],
        [
            (0, 1, "primary", False),
            (1, 2, "primary", False),
            (2, 3, "tertiary", False),
            (1, 4, "residential", False),
            (4, 3, "residential", False),
            (2, 5, "track", True),
        ],
    )
    settlements = points(
        [
            {"id": "S0", "x": 0, "y": 0, "population": 100},
            {"id": "S3", "x": 2000, "y": 1000, "population": 200},
            {"id": "S5", "x": 3000, "y": 0, "population": 50},
            {"id": "S_off", "x": 1000, "y": -100, "population": 10},
            {"id": "S_mid", "x": 500, "y": 50, "population": 20},
        ]
    )
    facilities = points(
        [
            {"id": "clinic", "x": 1000, "y": 1000, "service": "health", "tier": "village_clinic"},
            {"id": "thc", "x": 1500, "y": 0, "service": "health", "tier": "township_health_center"},
            {"id": "hosp", "x": 3000, "y": 0, "service": "health", "tier": "county_hospital"},
        ]
    )
    return Region(settlements=settlements, facilities=facilities, roads=roads)


INF = math.inf
# minutes from each settlement to clinic, thc, hospital, worked out on paper
EXPECTED = {
    "S0": (1 + 2.4, 1 + 0.5, 2 + 4),
    "S3": (2.4, 1.5 + 0.5, 1.5 + 4),
    "S5": (road_walk(1000) + 1 + 2.4, road_walk(1000) + 0.5, 0.0),  # walks the one-way track
    "S_off": (walk(100) + 2.4, walk(100) + 0.5, walk(100) + 1 + 4),
    "S_mid": (walk(50) + 0.5 + 2.4, walk(50) + 0.5 + 0.5, walk(50) + 0.5 + 1 + 4),
}


def test_nearest_per_tier_equals_hand_computation(region: Region) -> None:
    """Every settlement's time to the nearest clinic, centre and hospital matches the paper."""
    table = nearest(region, "car").set_index("id")
    for sid, (clinic, thc, hosp) in EXPECTED.items():
        got = table.loc[sid]
        assert got["minutes_to_village_clinic"] == pytest.approx(clinic, abs=1e-9)
        assert got["minutes_to_township_health_center"] == pytest.approx(thc, abs=1e-9)
        assert got["minutes_to_county_hospital"] == pytest.approx(hosp, abs=1e-9)
    assert table.loc["S0", "nearest_township_health_center"] == "thc"
    assert table.loc["S5", "nearest_primary"] == ""
    assert math.isinf(table.loc["S0", "minutes_to_primary"])  # no schools at all


def test_long_table_holds_every_finite_pair_and_honours_cutoff(region: Region) -> None:
    """travel_times lists each reachable pair once, with the hand-computed minutes."""
    table = travel_times(region, "car")
    expected = [
        (sid, fid, m)
        for sid, row in EXPECTED.items()
        for fid, m in zip(("clinic", "thc", "hosp"), row, strict=True)
        if math.isfinite(m)
    ]
    got = {(r.from_id, r.to_id): r.minutes for r in table.itertuples()}
    assert len(got) == len(table) == len(expected)
    for sid, fid, m in expected:
        assert got[(sid, fid)] == pytest.approx(m, abs=1e-9)
    cut = travel_times(region, "car", cutoff=3.0)
    assert set(zip(cut.from_id, cut.to_id, strict=True)) == {
        (s, f) for s, f, m in expected if m <= 3.0
    }


def test_place_times_run_both_ways_on_a_one_way_track(region: Region) -> None:
    """S3 -> S5 drives the one-way track (1.5 + 4 min); S5 -> S3 walks the track back to node
    2, then drives 1.5 min; on foot all the way it is two road kilometres."""
    table = place_times(region, "car", ["S3", "S5"], ["S5", "S3"]).set_index(["from_id", "to_id"])
    assert table.loc[("S3", "S5"), "minutes"] == pytest.approx(5.5)
    assert table.loc[("S5", "S3"), "minutes"] == pytest.approx(road_walk(1000) + 1.5)
    walking = place_times(region, "walk", ["S5"], ["S3"])  # walkers ignore one-way tags
    assert walking["minutes"].iloc[0] == pytest.approx(road_walk(2000))


def test_walking_up_is_slower_than_down_by_tobler() -> None:
    """A 1 km path rising 100 m: up at Tobler's v(0.1), down at v(-0.1)."""
    roads = road_network([(0, 0), (1000, 0)], [(0, 1, "path", False)], z=[1000.0, 1100.0])
    region = Region(
        settlements=points([{"id": "low", "x": 0, "y": 0}, {"id": "high", "x": 1000, "y": 0}]),
        facilities=points([]),
        roads=roads,
    )
    table = place_times(region, "walk", ["low", "high"], ["high", "low"]).set_index(
        ["from_id", "to_id"]
    )
    up = 1 / (6 * math.exp(-3.5 * abs(0.1 + 0.05))) * 60
    down = 1 / (6 * math.exp(-3.5 * abs(-0.1 + 0.05))) * 60
    assert table.loc[("low", "high"), "minutes"] == pytest.approx(up, abs=1e-9)
    assert table.loc[("high", "low"), "minutes"] == pytest.approx(down, abs=1e-9)
    assert up > down


def test_removing_a_facility_changes_only_its_users(region: Region) -> None:
    """Dropping the clinic leaves the other tiers' times untouched."""
    before = nearest(region, "car")
    smaller = Region(
        settlements=region.settlements,
        facilities=region.facilities[region.facilities["id"] != "clinic"],
        roads=region.roads,
    )
    after = nearest(smaller, "car")
    assert np.isinf(after["minutes_to_village_clinic"]).all()
    pd.testing.assert_series_equal(
        before["minutes_to_county_hospital"], after["minutes_to_county_hospital"]
    )


def test_isochrones_follow_the_reached_roads(region: Region) -> None:
    """Within 1 minute of the centre (mid 1-2, 0.5 min from nodes 1 and 2): 500 m more of the
    primary road towards 0 (to x = 500), 333 m up the tertiary road (1.5 min/km), nothing of the
    one-way track, which leads away from the centre; buffered by 50 m."""
    iso = isochrones(region, "car", [1.0, 3.0], facilities=["thc"], buffer_m=50)
    one, three = iso.geometry.iloc[0], iso.geometry.iloc[1]
    assert one.contains(shapely.Point(600, 0)) and not one.contains(shapely.Point(400, 0))
    assert one.contains(shapely.Point(2000, 300)) and not one.contains(shapely.Point(2000, 400))
    assert not three.contains(shapely.Point(2300, 0))
    assert three.contains(one)
