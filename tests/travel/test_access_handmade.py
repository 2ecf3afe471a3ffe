r"""Access per mode on a four-node network whose times are worked out by hand (flat ground).

          S 0 ======== primary, foot=no, 1 km ========= 1  clinic
            |    \                                      |
            |         \                                 |
      resi- |              \  tertiary,                 |  residential,
    dential |                   \  motor_vehicle=no,    |  1 km
      1 km  |                       \  1414 m           |
            |                            \              |
            |                                 \         |
            |                                      \    |
            2 ------------ residential, 1 km ---------- 3  hospital

Nodes 0 (0, 0), 1 (1000, 0), 2 (0, -1000), 3 (1000, -1000); S at node 0.

On foot S cannot take the primary road: to the clinic it walks the diagonal and up the
residential road (1414 + 1000 m), not the 1 km primary. By car it drives the primary road,
1 km at 60 km/h. To the hospital a walker takes the diagonal (1414 m); a car may not, so it
drives 0 -> 1 -> 3 (primary 1 min + residential 1 km at 25 km/h, 2.4 min), not the diagonal
at 40 km/h (2.12 min). Walking on roads is Tobler on the flat, 6 * exp(-3.5 * 0.05) km/h.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan.region import Region, RoadNetwork, access_columns
from accessplan.travel import nearest
from tests.conftest import points

ROAD_KMH = 6 * math.exp(-3.5 * 0.05)
DIAGONAL = math.hypot(1000, 1000)


def road_walk(metres: float) -> float:
    return metres / 1000 / ROAD_KMH * 60


def network(*, closed: bool) -> RoadNetwork:
    """The drawing's roads; ``closed=False`` leaves every road open to every mode."""
    xy = np.array([(0, 0), (1000, 0), (0, -1000), (1000, -1000)], dtype=float)
    u, v = np.array([0, 0, 2, 1, 0]), np.array([1, 2, 3, 3, 3])
    attrs = pd.DataFrame(
        {"highway": ["primary", "residential", "residential", "residential", "tertiary"]}
    )
    if closed:
        for mode, road in (("foot", 0), ("motorcar", 4), ("motorcycle", 4)):
            for column in access_columns(mode):
                attrs[column] = np.arange(len(u)) != road
    return RoadNetwork.from_segments(xy, u, v, attrs)


def region(*, closed: bool) -> Region:
    settlements = points([{"id": "S", "x": 0, "y": 0, "population": 100}])
    facilities = points(
        [
            {"id": "clinic", "x": 1000, "y": 0, "service": "health", "tier": "village_clinic"},
            {"id": "hosp", "x": 1000, "y": -1000, "service": "health", "tier": "county_hospital"},
        ]
    )
    return Region(settlements=settlements, facilities=facilities, roads=network(closed=closed))


@pytest.mark.parametrize(
    ("closed", "profile", "clinic", "hospital"),
    [
        (True, "walk", road_walk(DIAGONAL + 1000), road_walk(DIAGONAL)),  # foot=no: detour
        (True, "car", 1.0, 1.0 + 2.4),  # motor_vehicle=no: the car goes round
        (True, "motorcycle", 1.0, 1.0 + 2.4),  # motor_vehicle binds motorcycles too
        (False, "walk", road_walk(1000), road_walk(DIAGONAL)),  # every road open
        (False, "car", 1.0, DIAGONAL / 1000 / 40 * 60),
    ],
)
def test_closed_roads_force_a_detour_for_their_mode_only(
    closed: bool, profile: str, clinic: float, hospital: float
) -> None:
    """Minutes from S to the clinic and the hospital equal the hand computation above (the
    motorcycle's speeds on these classes are the car's)."""
    table = nearest(region(closed=closed), profile).set_index("id")
    assert table.loc["S", "minutes_to_village_clinic"] == pytest.approx(clinic, abs=1e-9)
    assert table.loc["S", "minutes_to_county_hospital"] == pytest.approx(hospital, abs=1e-9)


def test_a_place_beside_a_road_closed_to_walkers_is_picked_up_there() -> None:
    """A village 10 m from the primary road and 500 m from any road open to walkers: on foot
    it joins the nearest open road; by car it also joins the primary road and is driven."""
    place = points([{"id": "V", "x": 500, "y": 10, "population": 1}])
    clinic = points([{"id": "c", "x": 1000, "y": 0, "service": "health", "tier": "village_clinic"}])
    village = Region(settlements=place, facilities=clinic, roads=network(closed=True))
    off_road = 10 / 1000 / (ROAD_KMH * 0.6) * 60  # Tobler off path on the flat
    by_car = nearest(village, "car").set_index("id").loc["V", "minutes_to_village_clinic"]
    assert by_car == pytest.approx(off_road + 0.5, abs=1e-9)  # 500 m of primary at 60 km/h
    on_foot = nearest(village, "walk").set_index("id").loc["V", "minutes_to_village_clinic"]
    assert on_foot > 10 * by_car  # 360 m off road to the diagonal, then round by node 3
