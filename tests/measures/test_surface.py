"""The raster analysis like AccessMod: facilities, capacity coverage and zonal tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from rasterio.transform import from_origin

from accessplan._errors import InputError
from accessplan.io.accessmod import Grid
from accessplan.measures.surface import measure_surface
from tests.conftest import CRS as UTM
from tests.conftest import points, shared_file, write_tif

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
    """A 20 x 20 grid of 30 m cells: grass, a road along row 10, a river along column 15."""
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
            {"id": "wet", "x": x_river, "y": y_road, "capacity": 10},
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
    """Raster, tables and catchments plus the facility statuses; covered people never exceed
    capacity."""
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
    assert run.facilities.set_index("id")["status"].to_dict() == {
        "a": "ok",
        "b": "ok",
        "wet": "on_barrier",
    }
    capacity = run.tables()["capacity"].set_index("id")
    assert capacity.loc["wet", "status"] == "on_barrier"
    assert (capacity["covered"].dropna() <= capacity["capacity"].dropna()).all()
    travel = run.rasters()["travel_time"].values
    assert np.isinf(travel[:, 16:]).all()  # beyond the river nothing is reachable
    assert np.isfinite(travel[:, :15]).any()
    assert len(run.layers()["catchments"]) == 2


def test_a_class_missing_from_the_scenario_table_is_named(
    tiny_project: dict[str, Path], tmp_path: Path
) -> None:
    """A scenario without the land-cover class on the grid: the class is named."""
    p = tiny_project
    partial = tmp_path / "partial.csv"
    SCENARIO[SCENARIO["class"] != 1].to_csv(partial, index=False)
    with pytest.raises(InputError, match=r"class\(es\) \[1\]"):
        measure_surface(p["dem"], p["landcover"], p["facilities"], partial)


def test_accessmod_demo_runs_end_to_end() -> None:
    """The demo's coverage scenario: anisotropic, towards, 120 min, by population, by city."""
    demo = Path(shared_file("accessmod-demo"))
    run = measure_surface(
        demo / "DEM" / "dem__dem.GeoTIFF",
        demo / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        demo
        / "health_facilities__demo"
        / "health_facilities__demo"
        / "health_facilities__demo.shp",
        demo
        / "table_model__demo_geog_cover_aniso_tow_120m_zones_orderPop"
        / "table_model__demo_geog_cover_aniso_tow_120m_zones_orderPop.xlsx",
        roads=demo / "road__demo" / "road__demo" / "road__demo.shp",
        barriers=[
            demo / "barrier__demo_river" / "barrier__demo_river" / "barrier__demo_river.shp",
            demo / "barrier_restricted_area" / "barrier__demo" / "barrier__demo.shp",
        ],
        population=demo / "population__demo" / "population__demo.GeoTIFF",
        zones=demo / "zone_admin__city" / "zone_admin__city" / "zone_admin__city.shp",
        zone_field="zone",
        capacity_field="capacity",
        order="population",
    )
    status = run.facilities.set_index("name")["status"]
    assert status["forest"] == "on_barrier"  # inside the restricted area
    assert (status == "ok").sum() == 4
    zonal = run.zonal.set_index("zone")
    assert zonal.loc["(total)", "population"] == 103_310
    within = run.within().to_numpy()
    assert (np.diff(within) >= 0).all() and 0 < within[-1] < 103_310
    used = run.capacity.dropna(subset=["covered"])
    assert zonal.loc["(total)", "covered"] == pytest.approx(used["covered"].sum())
    assert used["rank"].tolist() == [1, 2, 3, 4]
    assert used["order_value"].is_monotonic_decreasing


def test_bad_options_are_refused_before_reading_anything(tiny_project: dict[str, Path]) -> None:
    """A wrong direction, order or time limit is named in one message; nothing is read."""
    p = tiny_project
    with pytest.raises(InputError, match=r"direction must be.*order must be.*max_minutes"):
        measure_surface(
            p["dem"],
            p["landcover"],
            p["facilities"],
            p["scenario"],
            direction="up",  # type: ignore[arg-type]
            order="random",
            max_minutes=0,
        )
    with pytest.raises(InputError, match="no capacity field 'beds'"):
        measure_surface(
            p["dem"], p["landcover"], p["facilities"], p["scenario"], capacity_field="beds"
        )
