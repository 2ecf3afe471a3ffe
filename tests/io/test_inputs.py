"""Inputs: population from a table (id, name, coordinates) or a raster; point files of every "
"kind."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from rasterio.transform import from_origin

from accessplan.io import region_from_osm, tables
from tests.conftest import write_tif

ORDINO = (1.5332, 42.5560)


def test_population_table_by_name_and_unknown_reported(
    andorra_pbf: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows match by name; the others keep the OSM tag or stay unknown, and are reported."""
    table = tmp_path / "pop.csv"
    table.write_text("name,population\nOrdino,1800\nSoldeu,550\nNowhere,10\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        region = region_from_osm(andorra_pbf, population=table)
    s = region.settlements.set_index("name")
    assert s.loc["Ordino", "population"] == 1800 and s.loc["Ordino", "population_source"] == "table"
    assert s.loc["Andorra la Vella", "population"] == 24678  # its OSM tag
    assert s.loc["Andorra la Vella", "population_source"] == "osm"
    assert np.isnan(s.loc["Canillo", "population"])
    assert "1 row(s)" in caplog.text and "match no settlement" in caplog.text
    assert "have no population source" in caplog.text


def test_population_table_by_id_and_by_coordinates(andorra_pbf: Path, tmp_path: Path) -> None:
    """An id column matches ids; lon/lat match the nearest settlement within 500 m."""
    by_id = tmp_path / "id.xlsx"
    import pandas as pd

    pd.DataFrame({"id": ["n58963219"], "population": ["1800"]}).to_excel(by_id, index=False)
    region = region_from_osm(andorra_pbf, population=by_id)
    assert region.settlements.set_index("id").loc["n58963219", "population"] == 1800
    by_xy = tmp_path / "xy.csv"
    by_xy.write_text(f"lon,lat,population\n{ORDINO[0]},{ORDINO[1]},1700\n", encoding="utf-8")
    region = region_from_osm(andorra_pbf, population=by_xy)
    assert region.settlements.set_index("name").loc["Ordino", "population"] == 1700


def test_population_raster_is_summed_to_nearest_settlement(
    andorra_pbf: Path, tmp_path: Path
) -> None:
    """Every populated cell goes to its nearest settlement; the total is kept."""
    path = tmp_path / "pop.tif"
    data = np.zeros((60, 60), dtype="float32")
    data[10:20, 10:20] = 3.0  # 300 people
    transform = from_origin(1.40, 42.66, 0.005, 0.005)
    write_tif(path, data, transform, crs="EPSG:4326")
    region = region_from_osm(andorra_pbf, population=path)
    pop = region.settlements["population"]
    assert pop.sum() == pytest.approx(300.0)
    assert (region.settlements["population_source"] == "raster").all()


def test_point_files_of_every_kind(tmp_path: Path) -> None:
    """CSV with lon/lat, CSV with WKT, GeoPackage and Shapefile give the same points."""
    csv = tmp_path / "a.csv"
    csv.write_text("id,lon,lat\nA,1.5,42.5\n", encoding="utf-8")
    wkt = tmp_path / "b.csv"
    wkt.write_text('id,wkt\nA,"POINT (1.5 42.5)"\n', encoding="utf-8")
    frame = tables.read_points(csv, what="test")
    frame.to_file(tmp_path / "c.gpkg")
    frame.to_file(tmp_path / "d.shp")
    for path in (csv, wkt, tmp_path / "c.gpkg", tmp_path / "d.shp"):
        got = tables.read_points(path, what="test")
        assert isinstance(got, gpd.GeoDataFrame)
        assert got.crs.to_epsg() == 4326
        assert (got.geometry.x.iloc[0], got.geometry.y.iloc[0]) == (1.5, 42.5)
        assert str(got["id"].iloc[0]) == "A"


def test_boundary_assigns_admin_codes_and_tiers_table_overrides(
    andorra_pbf: Path, tmp_path: Path
) -> None:
    """Places take the code of the finest unit holding them; a tier table re-tiers one hospital."""
    import shapely

    west = shapely.box(1.40, 42.40, 1.55, 42.70)
    east = shapely.box(1.55, 42.40, 1.80, 42.70)
    whole = shapely.box(1.40, 42.40, 1.80, 42.70)
    units = gpd.GeoDataFrame(
        {
            "code": ["200001", "200001001", "200001002"],
            "name": ["All", "West", "East"],
            "level": ["county", "township", "township"],
            "parent": ["", "200001", "200001"],
        },
        geometry=[whole, west, east],
        crs="EPSG:4326",
    )
    units.to_file(tmp_path / "units.gpkg")
    (tmp_path / "tiers.csv").write_text("id,tier\nn2050364490,township_health_center\n")
    region = region_from_osm(
        andorra_pbf, boundary=tmp_path / "units.gpkg", tiers=tmp_path / "tiers.csv"
    )
    s = region.settlements.set_index("name")
    assert s.loc["Arinsal", "admin_code"] == "200001001"  # 1.48 E
    assert s.loc["Soldeu", "admin_code"] == "200001002"  # 1.67 E
    assert set(region.admin_units["code"]) == {"200001", "200001001", "200001002"}
    f = region.facilities.set_index("id")
    assert f.loc["n2050364490", "tier"] == "township_health_center"
    assert f.loc["n522787974", "tier"] == "county_hospital"
