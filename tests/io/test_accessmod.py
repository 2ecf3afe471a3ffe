"""AccessMod-style inputs: the scenario table, rasters on the DEM grid, burned barriers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import CRS
from rasterio.transform import from_origin

from accessplan._errors import CrsError, InputError
from accessplan.io.accessmod import (
    Grid,
    rasterize_barriers,
    read_grid_raster,
    read_scenario,
)
from tests.conftest import points, shared_file, write_tif

GRID = Grid((4, 4), from_origin(0, 40, 10, 10), CRS.from_epsg(32631))


def test_demo_scenario_table_reads_as_accessmod_wrote_it() -> None:
    """The demo's Excel scenario: 6 land-cover and 5 road classes with speeds and modes."""
    path = shared_file("accessmod-demo", "table_model__demo", "table_model__demo.xlsx")
    table = read_scenario(path).set_index("class")
    assert len(table) == 11
    assert table.loc[1, "mode"] == "WALKING" and table.loc[1, "speed"] == 2
    assert table.loc[2, "mode"] == "BICYCLING" and table.loc[2, "speed"] == 15
    assert table.loc[1001, "mode"] == "MOTORIZED" and table.loc[1001, "speed"] == 80


def test_scenario_csv_lower_cases_modes_and_rejects_bad_rows(tmp_path: Path) -> None:
    """Modes are read case-insensitively; a bad mode, speed or duplicate class is an error."""
    good = tmp_path / "good.csv"
    good.write_text("Class,Label,Speed,Mode\n1,grass,4,walking\n2,road,60,MOTORIZED\n")
    assert read_scenario(good)["mode"].tolist() == ["WALKING", "MOTORIZED"]
    cases = {
        "class,label,speed,mode\n1,a,4,FLYING\n": "line(s) [2]",
        "class,label,speed,mode\n1,a,-4,WALKING\n": "speed in km/h",
        "class,label,speed,mode\n1,a,4,WALKING\n1,b,5,WALKING\n": "more than once",
        "class,label,mode\n1,a,WALKING\n": "missing column(s) ['speed']",
    }
    for i, (text, message) in enumerate(cases.items()):
        bad = tmp_path / f"bad{i}.csv"
        bad.write_text(text)
        with pytest.raises(InputError, match=re.escape(message)):
            read_scenario(bad)


def test_rasters_on_another_grid_or_crs_are_refused(tmp_path: Path) -> None:
    """A raster shifted by one cell or in another CRS never gets resampled silently."""
    values = np.ones((4, 4), np.uint8)
    same = write_tif(tmp_path / "same.tif", values, GRID.transform)
    shifted = write_tif(tmp_path / "shifted.tif", values, from_origin(10, 40, 10, 10))
    other_crs = write_tif(tmp_path / "crs.tif", values, GRID.transform, crs="EPSG:32632")
    data, grid = read_grid_raster(same, what="land cover", grid=GRID)
    assert grid.same_as(GRID) and data.sum() == 16
    with pytest.raises(InputError, match="resample it onto the DEM grid"):
        read_grid_raster(shifted, what="land cover", grid=GRID)
    with pytest.raises(CrsError, match="reproject it"):
        read_grid_raster(other_crs, what="land cover", grid=GRID)


def test_barrier_lines_leave_no_diagonal_gap_and_polygons_take_centres(tmp_path: Path) -> None:
    """A diagonal river burns every cell it touches; a polygon only cells centred inside."""
    river = points([{"id": "r", "x": 0, "y": 0}])
    river.geometry = [shapely.LineString([(0.5, 39.0), (39.5, 1.0)])]
    river.to_file(tmp_path / "river.gpkg")
    lake = points([{"id": "l", "x": 0, "y": 0}])
    lake.geometry = [shapely.box(0, 0, 14, 14)]  # covers the centre (5, 5) only
    lake.to_file(tmp_path / "lake.gpkg")
    mask = rasterize_barriers([tmp_path / "river.gpkg"], GRID)
    # the river runs down the main diagonal; a diagonal move from (r, r + 1) to (r + 1, r)
    # would cross it unless one of those two cells is a barrier too
    assert mask[np.arange(4), np.arange(4)].all()
    assert all(mask[r, r + 1] or mask[r + 1, r] for r in range(3))
    lake_mask = rasterize_barriers([tmp_path / "lake.gpkg"], GRID)
    assert lake_mask.sum() == 1 and lake_mask[3, 0]
