"""Tests of the synthetic county and province generators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.synth import mountain_county, province


@pytest.fixture(scope="module")
def county() -> Region:
    return mountain_county(7)


@pytest.fixture(scope="module")
def three() -> Region:
    return province(3, seed=1)


def _components(region: Region) -> int:
    edges = region.roads.edges
    n = len(region.roads.nodes)
    graph = coo_matrix((np.ones(len(edges)), (edges["u"], edges["v"])), shape=(n, n))
    return int(connected_components(graph, directed=False)[0])


def test_same_seed_same_county(county: Region) -> None:
    """The same seed rebuilds every layer and the terrain identically."""
    again = mountain_county(7)
    assert_geodataframe_equal(county.settlements, again.settlements)
    assert_geodataframe_equal(county.facilities, again.facilities)
    pd.testing.assert_frame_equal(county.roads.nodes, again.roads.nodes)
    pd.testing.assert_frame_equal(county.roads.edges, again.roads.edges)
    pd.testing.assert_frame_equal(county.admin_units, again.admin_units)
    assert county.terrain is not None and again.terrain is not None
    np.testing.assert_array_equal(county.terrain.elevation, again.terrain.elevation)


def test_other_seed_other_county(county: Region) -> None:
    """Another seed gives other settlements, roads and terrain."""
    other = mountain_county(8)
    first = slice(0, 150)  # every county has at least 150 settlements
    assert not np.allclose(
        county.settlements.get_coordinates()[first], other.settlements.get_coordinates()[first]
    )
    assert len(county.roads.nodes) != len(other.roads.nodes) or not np.allclose(
        county.roads.nodes[["x", "y"]], other.roads.nodes[["x", "y"]]
    )
    assert county.terrain is not None and other.terrain is not None
    assert not np.array_equal(county.terrain.elevation, other.terrain.elevation)


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_counts_within_ranges(seed: int) -> None:
    """15-25 townships, 150-400 villages, populations 20-3,000 and derived counts."""
    region = mountain_county(seed)
    levels = region.admin_units["level"].value_counts()
    assert levels["county"] == 1
    assert 15 <= levels["township"] <= 25
    assert 150 <= len(region.settlements) <= 400
    people = region.settlements["population"]
    assert people.between(20, 3_000).all()
    assert (people == people.round()).all()
    assert people.idxmax() == 0  # the county seat
    assert (region.settlements["households"] - people / 3.5).abs().max() <= 0.5
    assert region.settlements["population_source"].eq("synthetic").all()


def test_given_counts_are_kept() -> None:
    """Explicit n_townships and n_villages are honoured; impossible ones are refused."""
    region = mountain_county(3, n_townships=4, n_villages=30)
    assert (region.admin_units["level"] == "township").sum() == 4
    assert len(region.settlements) == 30
    with pytest.raises(InputError, match="n_villages >= n_townships"):
        mountain_county(3, n_townships=10, n_villages=5)


def test_admin_codes(county: Region) -> None:
    """Codes are strings of 6/9/12 digits nesting in their parent; settlements sit in villages."""
    units = county.admin_units
    lengths = {"county": 6, "township": 9, "village": 12}
    for level, length in lengths.items():
        codes = units.loc[units["level"] == level, "code"]
        assert codes.str.fullmatch(rf"\d{{{length}}}").all(), level
    nested = units[units["parent"] != ""]
    assert all(c.startswith(p) for c, p in zip(nested["code"], nested["parent"], strict=True))
    assert set(nested["parent"]) <= set(units["code"])
    villages = set(units.loc[units["level"] == "village", "code"])
    assert set(county.settlements["admin_code"]) <= villages
    assert set(county.facilities["admin_code"]) <= villages


def test_facilities_per_township(county: Region) -> None:
    """One hospital; every township has a health centre and a primary school; ids are typed."""
    facilities = county.facilities
    tiers = facilities["tier"].value_counts()
    assert tiers["county_hospital"] == 1
    assert tiers["middle"] >= 1
    for tier in ("township_health_center", "primary"):
        towns = facilities.loc[facilities["tier"] == tier, "admin_code"].str[:9]
        townships = county.admin_units.loc[county.admin_units["level"] == "township", "code"]
        assert sorted(towns) == sorted(townships), tier
    health = facilities["service"] == "health"
    assert facilities.loc[health, "id"].str.fullmatch(r"H\d{3}").all()
    assert facilities.loc[~health, "id"].str.fullmatch(r"S\d{3}").all()
    n_villages = (county.admin_units["level"] == "village").sum()
    assert 0.5 * n_villages < tiers["village_clinic"] < n_villages


def test_roads_connected_and_classed(county: Region) -> None:
    """One connected network of the four rural road classes, no edge over 100 m."""
    assert _components(county) == 1
    edges = county.roads.edges
    assert set(edges["highway"]) == {"secondary", "tertiary", "track", "path"}
    assert set(edges.loc[edges["highway"] == "secondary", "surface"]) == {"asphalt"}
    assert edges["length_m"].max() <= 100.0 + 1e-6
    assert not edges["oneway"].any()


def test_terrain_is_mountainous(county: Region) -> None:
    """The DEM spans over 1,000 m and road edges both rise and fall."""
    assert county.terrain is not None
    elevation = county.terrain.elevation
    assert elevation.dtype == np.float32
    assert county.terrain.resolution == 90.0
    assert np.nanmax(elevation) - np.nanmin(elevation) > 1_000
    assert county.roads.nodes["z"].notna().all()
    edges = county.roads.edges
    assert (edges["rise_m"] > 0).any()
    assert (edges["fall_m"] > 0).any()


def test_node_spacing_only_changes_roads() -> None:
    """A finer road_node_spacing_m adds road nodes but keeps settlements and facilities."""
    coarse = mountain_county(5, road_node_spacing_m=200)
    fine = mountain_county(5, road_node_spacing_m=50)
    assert len(fine.roads.nodes) > 2 * len(coarse.roads.nodes)
    assert_geodataframe_equal(coarse.settlements, fine.settlements)
    assert_geodataframe_equal(coarse.facilities, fine.facilities)


def test_province_of_three(three: Region) -> None:
    """province(3): three counties under one city, unique ids, one connected network."""
    units = three.admin_units
    counties = units.loc[units["level"] == "county"]
    assert list(counties["code"]) == ["530101", "530102", "530103"]
    assert set(counties["parent"]) == {"5301"}
    assert units.loc[units["level"] == "city", "parent"].tolist() == ["53"]
    assert three.settlements["id"].is_unique
    assert three.facilities["id"].is_unique
    assert (three.facilities["tier"] == "county_hospital").sum() == 3
    assert _components(three) == 1
    primary = three.roads.edges[three.roads.edges["highway"] == "primary"]
    assert len(primary) > 0
    assert three.roads.nodes["z"].notna().all()


def test_province_counties_do_not_overlap(three: Region) -> None:
    """Each county's settlements lie in its own grid cell, inside the terrain mosaic."""
    assert three.terrain is not None
    bounds = three.settlements.groupby(three.settlements["admin_code"].str[:6]).apply(
        lambda frame: frame.total_bounds
    )
    boxes = np.vstack(bounds.to_numpy())
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            apart_x = boxes[i, 2] < boxes[j, 0] or boxes[j, 2] < boxes[i, 0]
            apart_y = boxes[i, 3] < boxes[j, 1] or boxes[j, 3] < boxes[i, 1]
            assert apart_x or apart_y
    xy = three.settlements.get_coordinates()
    z = three.terrain.sample(xy["x"].to_numpy(), xy["y"].to_numpy(), three.crs)
    assert not np.isnan(z).any()


def test_province_is_reproducible(three: Region) -> None:
    """The same seed rebuilds the same province, primary roads and mosaic included."""
    again = province(3, seed=1)
    assert_geodataframe_equal(three.settlements, again.settlements)
    assert_geodataframe_equal(three.facilities, again.facilities)
    pd.testing.assert_frame_equal(three.roads.edges, again.roads.edges)
    pd.testing.assert_frame_equal(three.roads.nodes, again.roads.nodes)
    assert three.terrain is not None and again.terrain is not None
    np.testing.assert_array_equal(three.terrain.elevation, again.terrain.elevation)


@pytest.fixture(scope="module")
def county_with_services() -> Region:
    return mountain_county(7, services=("elderly_care", "preschool"))


def test_extra_services_leave_the_county_unchanged(
    county: Region, county_with_services: Region
) -> None:
    """The option draws from its own stream: roads, terrain, every settlement column of the
    plain county and every facility it has are the same; the new facilities come after."""
    extra = county_with_services
    assert_geodataframe_equal(extra.settlements[county.settlements.columns], county.settlements)
    assert_geodataframe_equal(extra.facilities.iloc[: len(county.facilities)], county.facilities)
    pd.testing.assert_frame_equal(extra.roads.edges, county.roads.edges)
    assert extra.terrain is not None and county.terrain is not None
    np.testing.assert_array_equal(extra.terrain.elevation, county.terrain.elevation)
    assert set(extra.settlements.columns) - set(county.settlements.columns) == {
        "people_over_60",
        "children_3_5",
    }


def test_extra_services_are_seeded_and_independent(county_with_services: Region) -> None:
    """Same seed, same facilities; elderly care alone draws what it draws beside preschool."""
    again = mountain_county(7, services=("elderly_care", "preschool"))
    assert_geodataframe_equal(again.facilities, county_with_services.facilities)
    alone = mountain_county(7, services=("elderly_care",))
    both = county_with_services.facilities
    assert_geodataframe_equal(
        alone.facilities, both[both["service"] != "preschool"].reset_index(drop=True)
    )


def test_extra_services_follow_the_catalogue(county_with_services: Region) -> None:
    """One care home at the county seat; centres at township seats, points at the largest
    village of administrative villages; ids by service; shares of the groups in range."""
    fac = county_with_services.facilities
    tiers = fac["tier"].value_counts()
    assert tiers["care_home"] == 1
    towns = (county_with_services.admin_units["level"] == "township").sum()
    assert 0 < tiers["township_elderly_centre"] <= towns
    assert 0 < tiers["central_kindergarten"] <= towns
    assert fac.loc[fac["service"] == "elderly_care", "id"].str.fullmatch(r"E\d{3}").all()
    assert fac.loc[fac["service"] == "preschool", "id"].str.fullmatch(r"K\d{3}").all()
    s = county_with_services.settlements
    assert ((s["people_over_60"] >= 0.14 * s["population"] - 0.5)
            & (s["people_over_60"] <= 0.30 * s["population"] + 0.5)).all()  # fmt: skip
    assert list(county_with_services.catalogue.tiers) == [
        "health", "school", "preschool", "elderly_care",
    ]  # fmt: skip
    with pytest.raises(InputError, match="services must be distinct names"):
        mountain_county(7, services=("libraries",))
