"""Region model: validation at the door and a lossless GeoPackage round trip."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from affine import Affine
from pandas.testing import assert_frame_equal
from pyproj import CRS

from accessplan import CrsError, InputError, Region, RoadNetwork, Terrain
from accessplan.region import ACCESS_COLUMNS
from tests.conftest import points, road_network


def small_region(**changes: object) -> Region:
    roads = road_network(
        [(0, 0), (1000, 0), (1000, 800)], [(0, 1, "primary", False), (1, 2, "track", True)]
    )
    settlements = points(
        [
            {
                "id": "A",
                "name": "甲村",
                "admin_code": "530102101001",
                "population": 120,
                "pupils_primary": 9,
            },
            {
                "id": "B",
                "name": "Bei",
                "admin_code": "530102101001",
                "population": np.nan,
                "pupils_primary": 3,
            },
        ]
        if "settlement_rows" not in changes
        else changes.pop("settlement_rows")  # type: ignore[arg-type]
    )
    facilities = points(
        [
            {
                "id": "F1",
                "name": "卫生院",
                "service": "health",
                "tier": "township_health_center",
                "capacity": 40,
                "beds": 20,
                "admin_code": "530102101",
            }
        ]
    )
    admin = pd.DataFrame(
        {
            "code": ["530102", "530102101", "530102101001"],
            "name": ["County", "Town", "Village"],
            "level": ["county", "township", "village"],
            "parent": ["", "530102", "530102101"],
        }
    )
    terrain = Terrain(
        np.arange(12, dtype="float32").reshape(3, 4) * 10,
        Affine(500, 0, -100, 0, -500, 1200),
        CRS.from_user_input("EPSG:32631"),
    )
    kwargs = dict(
        settlements=settlements,
        facilities=facilities,
        roads=roads,
        admin_units=admin,
        terrain=terrain,
        name="tiny",
    )
    kwargs.update(changes)
    return Region(**kwargs)  # type: ignore[arg-type]


def assert_regions_equal(a: Region, b: Region) -> None:
    assert_frame_equal(a.settlements, b.settlements)
    assert_frame_equal(a.facilities, b.facilities)
    assert_frame_equal(a.admin_units, b.admin_units)
    assert_frame_equal(a.roads.nodes, b.roads.nodes)
    assert_frame_equal(a.roads.edges, b.roads.edges)
    assert a.name == b.name and a.tiers == b.tiers and a.crs == b.crs
    assert (a.terrain is None) == (b.terrain is None)
    if a.terrain is not None and b.terrain is not None:
        np.testing.assert_array_equal(a.terrain.elevation, b.terrain.elevation)
        assert a.terrain.transform == b.terrain.transform
        assert a.terrain.crs == b.terrain.crs


def test_geopackage_round_trip_is_lossless(tmp_path: Path) -> None:
    """Every layer, dtype, Chinese name, NaN population, the tier table and the terrain survive."""
    region = small_region()
    path = region.write(tmp_path / "r.gpkg")
    back = Region.read(path)
    assert_regions_equal(region, back)
    assert back.settlements["admin_code"].iloc[0] == "530102101001"  # a string, not a number
    assert np.isnan(back.settlements["population"].iloc[1])


def test_andorra_round_trip_is_lossless(andorra: Region, tmp_path: Path) -> None:
    """The real region with 38k road nodes and the SRTM tile comes back identical."""
    back = Region.read(andorra.write(tmp_path / "andorra.gpkg"))
    assert_regions_equal(andorra, back)


def test_write_replaces_atomically(tmp_path: Path) -> None:
    """Writing twice leaves one valid file and no temporary files behind."""
    region = small_region()
    region.write(tmp_path / "r.gpkg")
    region.write(tmp_path / "r.gpkg")
    assert [p.name for p in tmp_path.iterdir()] == ["r.gpkg"]


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"settlement_rows": [{"id": "A"}, {"id": "A"}]}, InputError, "duplicate 'id'"),
        ({"settlement_rows": [{"id": "A", "population": -5}]}, InputError, "negative 'population'"),
        (
            {"settlement_rows": [{"id": "A", "admin_code": "999"}]},
            InputError,
            "not among the region's admin units",
        ),
    ],
)
def test_bad_settlements_are_rejected(change: dict, error: type, words: str) -> None:
    """Duplicate ids, negative population and unknown admin codes fail with a clear message."""
    with pytest.raises(error, match=words):
        small_region(**change)


def test_unknown_tier_and_service_are_rejected() -> None:
    """A tier outside the service's table names the allowed tiers."""
    bad = points([{"id": "F", "service": "health", "tier": "mega_hospital"}])
    with pytest.raises(InputError, match="expected one of \\['village_clinic'"):
        small_region(facilities=bad)
    with pytest.raises(InputError, match="unknown service"):
        small_region(facilities=points([{"id": "F", "service": "bank", "tier": "x"}]))


def test_crs_problems_are_rejected() -> None:
    """Missing and geographic CRSs are refused with the call that fixes them."""
    no_crs = points([{"id": "A"}]).set_crs(None, allow_override=True)
    with pytest.raises(CrsError, match="set_crs"):
        small_region(settlements=no_crs)
    with pytest.raises(CrsError, match="projected"):
        small_region(settlements=points([{"id": "A", "x": 1.5, "y": 42.5}], crs="EPSG:4326"))


def test_non_point_geometry_is_rejected() -> None:
    """Settlements must be points."""
    frame = points([{"id": "A"}])
    frame.geometry = frame.buffer(10)
    with pytest.raises(InputError, match="not points"):
        small_region(settlements=frame)


def test_terrain_sampling_is_bilinear() -> None:
    """Between four cell centres the elevation is the bilinear mix; outside the grid NaN."""
    terrain = small_region().terrain
    assert terrain is not None
    # centres of cells (0,0) and (0,1) are at x = 150 and 650, y = 950; values 0 and 10
    z = terrain.sample(
        np.array([400.0, 150.0, 99999.0]), np.array([950.0, 700.0, 0.0]), terrain.crs
    )
    assert z[0] == pytest.approx(5.0)
    assert z[1] == pytest.approx(20.0)  # half way to the next row (value 40)
    assert np.isnan(z[2])


def test_bridges_and_tunnels_run_level_between_their_ends() -> None:
    """A bridge over a 100 m deep gorge: the ground dips, the deck goes straight from one
    abutment (500 m) to the other (520 m); roads off the bridge follow the ground."""
    xs = np.arange(0, 1001, 100.0)
    xy = np.column_stack([xs, np.zeros_like(xs)])
    u, v = np.arange(10), np.arange(1, 11)
    structure = ["", "", "bridge", "bridge", "bridge", "bridge", "", "", "", ""]
    attrs = pd.DataFrame({"highway": "primary", "structure": structure})
    net = RoadNetwork.from_segments(xy, u, v, attrs)
    # ground: 500 m rising to 520 m, with a gorge 100 m deep between x = 250 and 550
    cols = np.arange(-50, 1100, 50.0)
    ground = 500 + 0.02 * cols - np.where((cols > 250) & (cols < 550), 100.0, 0.0)
    grid = np.tile(ground, (3, 1)).astype("float32")
    terrain = Terrain(grid, Affine(50, 0, -75, 0, -50, 75), CRS.from_user_input("EPSG:32631"))
    z = net.with_elevation(terrain, terrain.crs).nodes["z"].to_numpy()
    # abutments at x = 200 and 600: interior deck nodes at 300, 400, 500 on the straight line
    np.testing.assert_allclose(z[[3, 4, 5]], 504 + (512 - 504) * np.array([0.25, 0.5, 0.75]))
    assert z[2] == pytest.approx(504) and z[6] == pytest.approx(512)
    assert z[8] == pytest.approx(516)


def hillside(grade_x: float, grade_y: float) -> Terrain:
    """A plane ``z = 1000 + grade_x * x + grade_y * y`` on 30 m cells."""
    cols = np.arange(-60, 1100, 30.0)
    rows = np.arange(120, -121, -30.0)
    grid = 1000 + grade_x * cols[None, :] + grade_y * rows[:, None]
    return Terrain(
        grid.astype("float64"), Affine(30, 0, -75, 0, -30, 135), CRS.from_user_input("EPSG:32631")
    )


def straight_road(ys: np.ndarray) -> RoadNetwork:
    xs = np.arange(len(ys)) * 5.0
    u = np.arange(len(ys) - 1)
    return RoadNetwork.from_segments(
        np.column_stack([xs, ys]), u, u + 1, pd.DataFrame({"highway": ["primary"] * len(u)})
    )


def test_a_road_of_constant_grade_keeps_it_after_smoothing() -> None:
    """Smoothing leaves a straight road up a plane exactly on the plane."""
    terrain = hillside(0.08, 0.0)
    net = straight_road(np.zeros(201)).with_elevation(terrain, terrain.crs)
    x = net.nodes["x"].to_numpy()
    np.testing.assert_allclose(net.nodes["z"].to_numpy(), 1000 + 0.08 * x, atol=1e-6)
    np.testing.assert_allclose(net.edges["rise_m"], 0.08 * 5.0, atol=1e-6)


def test_a_level_road_across_a_steep_hillside_stays_nearly_level() -> None:
    """A road along the contour of a 50 % hillside, traced 3 m off to either side node by
    node (as a GPS trace sits on a DEM): the raw samples climb and drop 3 m between nodes
    5 m apart; smoothed over one 30 m cell the road is nearly level again, its ends as
    sampled."""
    terrain = hillside(0.0, 0.5)
    ys = np.where(np.arange(201) % 2 == 0, 3.0, -3.0)
    raw = straight_road(ys).with_elevation(terrain, terrain.crs, smooth_m=0)
    smooth = straight_road(ys).with_elevation(terrain, terrain.crs)
    raw_z, z = raw.nodes["z"].to_numpy(), smooth.nodes["z"].to_numpy()
    np.testing.assert_allclose(raw_z, 1000 + 0.5 * ys, atol=1e-6)  # smooth_m=0: the samples
    assert raw.edges["rise_m"].sum() == pytest.approx(100 * 3.0)
    assert smooth.edges["rise_m"].sum() < 0.1 * raw.edges["rise_m"].sum()
    assert np.abs(np.diff(z[10:-10])).max() / 5.0 < 0.02  # grade under 2 % away from the ends
    assert z[0] == pytest.approx(raw_z[0]) and z[-1] == pytest.approx(raw_z[-1])


def test_negative_smoothing_length_is_refused() -> None:
    terrain = hillside(0.0, 0.0)
    with pytest.raises(InputError, match="smooth_m"):
        straight_road(np.zeros(5)).with_elevation(terrain, terrain.crs, smooth_m=-1)


def test_access_per_mode_survives_the_round_trip(tmp_path: Path) -> None:
    """Closed-to-walkers and one-way-for-cars flags come back as written."""
    region = small_region()
    edges = region.roads.edges.assign(foot_forward=[False, True], motorcar_backward=[True, False])
    roads = RoadNetwork(region.roads.nodes, edges)
    back = Region.read(small_region(roads=roads).write(tmp_path / "r.gpkg"))
    assert_frame_equal(back.roads.edges, roads.edges)
    assert back.roads.edges["foot_forward"].tolist() == [False, True]


def test_a_region_written_before_access_per_mode_reads_with_open_roads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A road_edges layer without the access columns (as written before them): every road open
    to every mode, vehicles kept to ``oneway`` (the track 1 -> 2 is one-way), and a warning
    that says to rebuild."""
    path = small_region().write(tmp_path / "old.gpkg")
    edges = pyogrio.read_dataframe(path, layer="road_edges")
    pyogrio.write_dataframe(edges.drop(columns=list(ACCESS_COLUMNS)), path, layer="road_edges")
    assert not set(ACCESS_COLUMNS) & set(pyogrio.read_dataframe(path, layer="road_edges"))
    with caplog.at_level(logging.WARNING):
        back = Region.read(path)
    assert "Rebuild it with `accessplan region build`" in caplog.text
    e = back.roads.edges
    assert e["foot_forward"].all() and e["foot_backward"].all() and e["motorcar_forward"].all()
    assert e["motorcar_backward"].tolist() == [True, False]  # oneway track
    assert e["motorcycle_backward"].tolist() == [True, False]


def test_smoothing_length_must_be_finite() -> None:
    """NaN passes every comparison: `smooth_m < 0` alone let --smooth-m nan through."""
    terrain = hillside(0.0, 0.0)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(InputError, match="finite number of metres"):
            straight_road(np.zeros(5)).with_elevation(terrain, terrain.crs, smooth_m=bad)


def test_infinite_counts_are_rejected() -> None:
    """An infinite population is no count; NaN (unknown) stays allowed."""
    with pytest.raises(InputError, match="'population' is infinite in row\\(s\\) \\[0\\]"):
        small_region(settlement_rows=[{"id": "A", "population": float("inf")}])
