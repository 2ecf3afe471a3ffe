"""The raster analysis like AccessMod: facilities, capacity coverage and zonal tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import CRS
from rasterio.transform import from_origin

from accessplan._errors import InputError
from accessplan.io.accessmod import Grid, read_grid_raster
from accessplan.measures.surface import SurfaceResults, measure_surface
from accessplan.travel.surface import Rules
from tests.conftest import CRS as UTM
from tests.conftest import DATA, points, shared_file, write_tif

SCENARIO = pd.DataFrame(
    {
        "class": [1, 2, 3, 4],
        "label": ["grass", "road", "bike path", "cliff"],
        "speed": [5.0, 60.0, 12.0, 0.0],
        "mode": ["WALKING", "MOTORIZED", "BICYCLING", "WALKING"],
    }
)


@pytest.fixture
def tiny_project(tmp_path: Path) -> dict[str, Path]:
    """A 20 x 20 grid of 30 m cells: grass, a road along row 10, a river along column 15
    crossing it (the road is listed above the river by default: a bridge)."""
    grid = Grid((20, 20), from_origin(500_000, 4_000_600, 30, 30), CRS(UTM))
    dem = write_tif(
        tmp_path / "dem.tif",
        np.linspace(100, 300, 400).reshape(20, 20),
        grid.transform,
        crs=grid.crs,
    )
    cover = write_tif(
        tmp_path / "cover.tif", np.ones((20, 20), np.uint8), grid.transform, crs=grid.crs
    )
    people = write_tif(
        tmp_path / "pop.tif", np.full((20, 20), 2, np.uint8), grid.transform, crs=grid.crs
    )
    y_road = 4_000_600 - 10.5 * 30
    roads = gpd.GeoDataFrame(
        {"class": [2]},
        geometry=[shapely.LineString([(500_000, y_road), (500_600, y_road)])],
        crs=grid.crs,
    )
    roads.to_file(tmp_path / "roads.gpkg")
    x_river = 500_000 + 15.5 * 30
    river = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(x_river, 4_000_000), (x_river, 4_000_600)])], crs=grid.crs
    )
    river.to_file(tmp_path / "river.gpkg")
    facilities = points(
        [
            {"id": "a", "x": 500_015, "y": y_road, "capacity": 100},
            {"id": "b", "x": 500_300, "y": y_road, "capacity": 50},
            {"id": "wet", "x": x_river, "y": y_road + 90, "capacity": 10},
        ]
    )
    facilities.to_file(tmp_path / "facilities.gpkg")
    SCENARIO.to_csv(tmp_path / "scenario.csv", index=False)
    return {
        "dem": dem,
        "landcover": cover,
        "population": people,
        "roads": tmp_path / "roads.gpkg",
        "barrier": tmp_path / "river.gpkg",
        "facilities": tmp_path / "facilities.gpkg",
        "scenario": tmp_path / "scenario.csv",
    }


def test_surface_lists_all_outputs_and_flags_the_wet_facility(
    tiny_project: dict[str, Path],
) -> None:
    """Rasters, tables and catchments plus the facility statuses; covered people never exceed
    capacity; beyond the river only what the bridge leads to is reached in time."""
    p = tiny_project
    run = measure_surface(
        p["dem"],
        p["landcover"],
        p["facilities"],
        p["scenario"],
        roads=p["roads"],
        barriers=[p["barrier"]],
        population=p["population"],
        capacity_field="capacity",
        max_minutes=30,
    )
    assert set(run.tables()) == {"facilities", "capacity", "zonal_coverage"}
    assert set(run.layers()) == {"facilities", "catchments"}
    assert set(run.rasters()) == {"travel_time", "land_cover_merged", "population_residual"}
    assert run.facilities.set_index("id")["status"].to_dict() == {
        "a": "ok",
        "b": "ok",
        "wet": "on_barrier",
    }
    capacity = run.tables()["capacity"].set_index("id")
    assert capacity.loc["wet", "status"] == "on_barrier"
    assert (capacity["covered"].dropna() <= capacity["capacity"].dropna()).all()
    assert len(run.layers()["catchments"]) == 2
    merged = run.rasters()["land_cover_merged"].values
    assert merged[10, 15] == 2 and np.isnan(np.delete(merged[:, 15], 10)).all()
    travel = run.rasters()["travel_time"].values  # whole minutes, rounded up
    assert np.isfinite(travel[10, 16:]).all()  # over the bridge
    np.testing.assert_array_equal(travel[np.isfinite(travel)] % 1, 0)
    cut = measure_surface(
        p["dem"],
        p["landcover"],
        p["facilities"],
        p["scenario"],
        roads=p["roads"],
        barriers=[p["barrier"]],
        stack="barrier,roads,landcover",
        max_minutes=30,
    )
    assert np.isinf(cut.minutes[:, 15:]).all()  # no bridge: nothing beyond the river
    assert cut.parameters()["stack"] == ["barrier:river", "roads:2", "landcover"]


def test_a_class_missing_from_the_scenario_table_is_named(
    tiny_project: dict[str, Path], tmp_path: Path
) -> None:
    """A scenario without the land-cover class on the grid: the class is named."""
    p = tiny_project
    partial = tmp_path / "partial.csv"
    SCENARIO[SCENARIO["class"] != 1].to_csv(partial, index=False)
    with pytest.raises(InputError, match=r"class\(es\) \[1\]"):
        measure_surface(p["dem"], p["landcover"], p["facilities"], partial)


DEMO = DATA / "accessmod-demo"
DEMO_STACK = (
    "barrier:barrier__demo,roads:1001,roads:1002,roads:1003,roads:1004,roads:1005,"
    "barrier:barrier__demo_river,landcover"
)
RUN = "demo_geog_cover_aniso_tow_120m_zones_orderPop"


def demo_run(rules: Rules) -> SurfaceResults:
    """The demo's coverage scenario: anisotropic, towards, 120 min, by population, by city."""
    demo = Path(shared_file("accessmod-demo"))
    return measure_surface(
        demo / "DEM" / "dem__dem.GeoTIFF",
        demo / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        demo
        / "health_facilities__demo"
        / "health_facilities__demo"
        / "health_facilities__demo.shp",
        demo / f"table_model__{RUN}" / f"table_model__{RUN}.xlsx",
        roads=demo / "road__demo" / "road__demo" / "road__demo.shp",
        barriers=[
            demo / "barrier__demo_river" / "barrier__demo_river" / "barrier__demo_river.shp",
            demo / "barrier_restricted_area" / "barrier__demo" / "barrier__demo.shp",
        ],
        stack=DEMO_STACK,
        rules=rules,
        population=demo / "population__demo" / "population__demo.GeoTIFF",
        zones=demo / "zone_admin__city" / "zone_admin__city" / "zone_admin__city.shp",
        zone_field="zone",
        capacity_field="capacity",
        order="population",
        id_field="cat",
    )


@pytest.fixture(scope="module")
def demo_2015() -> SurfaceResults:
    return demo_run("accessmod-2015")


def accessmod_raster(name: str, run: SurfaceResults) -> np.ndarray:
    """One of AccessMod's exported rasters at full precision (float64, NaN where null)."""
    path = DEMO / "analysis" / name / f"{name}.GeoTIFF"
    read_grid_raster(path, what=name, grid=run.surface.grid)  # on the run's grid
    with rasterio.open(path) as src:
        return np.asarray(src.read(1, masked=True).astype(np.float64).filled(np.nan))


def accessmod_table(name: str) -> pd.DataFrame:
    return pd.read_excel(DEMO / "analysis" / name / f"{name}.xlsx")


def test_the_demo_2015_merge_and_travel_time_are_accessmods(demo_2015: SurfaceResults) -> None:
    """The merged classes equal land_cover_merged__demo on every cell; the exported
    travel time (fractional minutes under 2015) equals cumulative_cost__demo within 0.001 s
    wherever both are defined, and only 4 cells without elevation are reached by
    AccessMod alone (r.walk enters them by a motorized move)."""
    run = demo_2015
    rasters = run.rasters()
    theirs = accessmod_raster("land_cover_merged__demo", run)
    ours = rasters["land_cover_merged"].values
    assert ((ours == theirs) | (np.isnan(ours) & np.isnan(theirs))).all()
    seconds = 60.0 * rasters["travel_time"].values
    cost = accessmod_raster("cumulative_cost__demo", run)
    both = np.isfinite(seconds) & np.isfinite(cost)
    assert both.sum() == 253_620 and not (np.isfinite(seconds) & np.isnan(cost)).any()
    assert np.isnan(run.surface.elevation[np.isinf(seconds) & np.isfinite(cost)]).all()
    assert np.abs(seconds[both] - cost[both]).max() < 1e-3


def test_the_demo_2015_capacity_table_is_accessmods(demo_2015: SurfaceResults) -> None:
    """Processing order (all four tie at 100,507 people: table order), residual people
    within 120 min before each, people of the first zone, inner and outer rings in whole
    seconds, the share of the outer ring removed and the capacity left, row by row."""
    theirs = accessmod_table(f"table_capacity__{RUN}")
    ours = demo_2015.capacity.dropna(subset=["rank"])
    assert ours["cat"].astype(int).tolist() == theirs["cat_orig"].tolist() == [2, 3, 5, 6]
    assert ours["order_value"].tolist() == [100_507] * 4
    pairs = {
        "capacity": "capacity",
        "capacity_residual": "amCapacityResidual",
        "pop_within_max": "amPopTimeMax",
        "pop_first_zone": "amPopFirstCell",
        "inner_ring_s": "amTimeLimitInnerRing",
        "outer_ring_s": "amTimeLimitOuterRing",
        "outer_share_removed": "amPopPropRemovedOuterRing",
    }
    for mine, accessmod in pairs.items():
        np.testing.assert_allclose(ours[mine], theirs[accessmod], rtol=1e-9, err_msg=mine)
    np.testing.assert_array_equal(ours["max_minutes"] * 60, theirs["amTimeMax"])


def test_the_demo_2015_residual_population_and_zonal_table_are_accessmods(
    demo_2015: SurfaceResults,
) -> None:
    """The residual population raster cell by cell (no data in the same cells: no people,
    or a covered inner ring), and population, covered people and covered percent by city."""
    run = demo_2015
    ours = run.rasters()["population_residual"].values
    theirs = accessmod_raster(f"population_residual__{RUN}", run)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours[~np.isnan(ours)], theirs[~np.isnan(theirs)], rtol=1e-14)
    zonal = accessmod_table(f"table_zonal_coverage__{RUN}").set_index("zone")
    mine = run.zonal.set_index("zone").loc[zonal.index]
    np.testing.assert_array_equal(mine["population"], zonal["amPopSum"])
    np.testing.assert_allclose(mine["covered"], zonal["amPopCovered"], rtol=1e-12)
    np.testing.assert_allclose(100 * mine["covered_share"], zonal["amPopCoveredPercent"])
    on_barrier = accessmod_raster(f"population_on_barrier__{RUN}", run)
    assert mine["on_barrier"].sum() == np.nansum(on_barrier) == 2_790


def test_the_demo_under_current_rules_exports_whole_minutes_and_minute_zones() -> None:
    """Today's rules on the same demo: the exported travel time is whole minutes rounded up,
    capacity zones are minutes, and each facility still covers its full capacity (AccessMod
    2015 found each reaching over 97,000 people, far more than its capacity)."""
    run = demo_run("current")
    exported = run.rasters()["travel_time"].values
    np.testing.assert_array_equal(exported, np.ceil(run.minutes))
    used = run.capacity.dropna(subset=["rank"])
    assert {"inner_ring_min", "outer_ring_min"} <= set(used.columns)
    np.testing.assert_array_equal(used["covered"], used["capacity"])
    assert run.summary()["covered"] == pytest.approx(40 + 300 + 3000 + 1000)
    within = run.within().to_numpy()
    assert (np.diff(within) >= 0).all() and within[-1] <= run.summary()["population"]


def test_bad_options_are_refused_before_reading_anything(tmp_path: Path) -> None:
    """A wrong direction, order, time limit, rule set or stack is named before any file is
    read (the files here do not exist)."""
    missing = [tmp_path / name for name in ("dem.tif", "cover.tif", "f.gpkg", "s.csv")]
    with pytest.raises(InputError, match=r"direction must be.*order must be.*max_minutes.*rules"):
        measure_surface(
            *missing,
            direction="up",  # type: ignore[arg-type]
            order="random",
            max_minutes=0,
            rules="2016",  # type: ignore[arg-type]
        )
    with pytest.raises(InputError, match="'accessmod-2015' have no knight's move"):
        measure_surface(*missing, rules="accessmod-2015", knight=True)
    with pytest.raises(InputError, match="stack item 2 'rivers' is not understood"):
        measure_surface(*missing, stack="roads,rivers,landcover")


def test_missing_capacity_fields_are_named(tiny_project: dict[str, Path]) -> None:
    """A capacity field the facilities lack is named."""
    p = tiny_project
    with pytest.raises(InputError, match="no capacity field 'beds'"):
        measure_surface(
            p["dem"], p["landcover"], p["facilities"], p["scenario"], capacity_field="beds"
        )
