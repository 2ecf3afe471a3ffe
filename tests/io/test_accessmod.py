"""AccessMod-style inputs: the scenario table, rasters on the DEM grid, the merge stack."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from rasterio.transform import from_origin

from accessplan._errors import CrsError, InputError
from accessplan.io.accessmod import (
    Grid,
    merge_landcover,
    parse_stack,
    rasterize_barriers,
    read_grid_raster,
    read_scenario,
)
from accessplan.travel.surface import SpeedSurface
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


# ---------------------------------------------------------------------------- the stack
def test_stacks_are_read_from_text_or_lists_and_bad_items_are_named() -> None:
    """Items top first, spaces and case ignored; a wrong item is named with the syntax."""
    text = " Barrier:restricted, roads:1001 ,roads, barrier, landcover "
    items = parse_stack(text)
    assert [str(i) for i in items] == [
        "barrier:restricted",
        "roads:1001",
        "roads",
        "barrier",
        "landcover",
    ]
    assert parse_stack([str(i) for i in items]) == items
    for bad, named in (
        ("roads:1001,river,landcover", "stack item 2 'river'"),
        ("roads:main,landcover", "road class is an integer"),
        ("landcover:1", "stack item 1 'landcover:1'"),
        ("barrier:,landcover", "stack item 1 'barrier:'"),
    ):
        with pytest.raises(InputError, match=re.escape(named)) as error:
            parse_stack(bad)
        assert "e.g. " in str(error.value)


# A 5 x 5 grid of 10 m cells, all grass (class 1): a river line down the middle column and
# a road line along the middle row, crossing it.
RIVER_GRID = Grid((5, 5), from_origin(0, 50, 10, 10), CRS.from_epsg(32631))
SCENARIO = pd.DataFrame(
    {"class": [1, 2], "label": ["grass", "road"], "speed": [4.0, 60.0], "mode": ["WALKING"] * 2}
)


@pytest.fixture
def river_and_road(tmp_path: Path) -> dict[str, Path]:
    frame = points([{"id": "a", "x": 0, "y": 0}])
    river = frame.assign(geometry=[shapely.LineString([(25, 0), (25, 50)])])
    road = frame.assign(geometry=[shapely.LineString([(0, 25), (50, 25)])], **{"class": [2]})
    river.to_file(tmp_path / "river.gpkg")
    road.to_file(tmp_path / "road.gpkg")
    return {
        "dem": write_tif(tmp_path / "dem.tif", np.zeros((5, 5), np.float32), RIVER_GRID.transform),
        "cover": write_tif(tmp_path / "cover.tif", np.ones((5, 5), np.uint8), RIVER_GRID.transform),
        "roads": tmp_path / "road.gpkg",
        "barriers": tmp_path / "river.gpkg",
    }


def drawn(classes: np.ndarray) -> list[str]:
    """The merged classes as text: g grass, r road, ~ null."""
    symbol = {1.0: "g", 2.0: "r"}
    return [" ".join(symbol.get(v, "~") for v in row) for row in classes.tolist()]


@pytest.mark.parametrize(
    ("stack", "picture", "crosses"),
    [
        (
            "roads,barrier:river,landcover",
            ["g g ~ g g", "g g ~ g g", "r r r r r", "g g ~ g g", "g g ~ g g"],
            True,
        ),
        (
            "barrier:river,roads,landcover",
            ["g g ~ g g", "g g ~ g g", "r r ~ r r", "g g ~ g g", "g g ~ g g"],
            False,
        ),
    ],
)
def test_a_road_listed_above_the_river_bridges_it_one_listed_below_is_cut(
    river_and_road: dict[str, Path], stack: str, picture: list[str], crosses: bool
) -> None:
    """First item listed wins a cell; a barrier masks every item listed after it. Walking
    from the west bank's corner, the east bank is reached only over the bridge."""
    p = river_and_road
    merged = merge_landcover(
        p["dem"], p["cover"], SCENARIO, roads=p["roads"], barriers=[p["barriers"]], stack=stack
    )
    assert drawn(merged.classes) == picture
    assert merged.stack == tuple(stack.replace("roads", "roads:2").split(","))
    minutes = SpeedSurface.from_merged(merged).travel_minutes([0], [0])
    assert bool(np.isfinite(minutes[:, 3:]).all()) is crosses
    assert bool(np.isinf(minutes[:, 3:]).all()) is not crosses


def test_the_default_stack_puts_restricted_areas_over_roads_over_rivers(
    river_and_road: dict[str, Path], tmp_path: Path
) -> None:
    """Without a stack: polygon barriers on top, then roads (ascending class), then line
    barriers, then the land cover; so the road crosses the river but not the closed area."""
    p = river_and_road
    area = points([{"id": "a", "x": 0, "y": 0}]).assign(geometry=[shapely.box(40, 20, 50, 30)])
    area.to_file(tmp_path / "closed.gpkg")
    merged = merge_landcover(
        p["dem"],
        p["cover"],
        SCENARIO,
        roads=p["roads"],
        barriers=[p["barriers"], tmp_path / "closed.gpkg"],
    )
    assert merged.stack == ("barrier:closed", "roads:2", "barrier:river", "landcover")
    assert drawn(merged.classes)[2] == "r r r r ~"


def test_stacks_must_name_every_input_once_and_only_inputs_that_exist(
    river_and_road: dict[str, Path],
) -> None:
    """A missing, repeated or unknown item is named, with the inputs that exist."""
    p = river_and_road
    cases = {
        "roads,landcover": "leaves out ['barrier:river']",
        "roads,barrier:river": "leaves out ['landcover']",
        "roads:2,roads:2,barrier:river,landcover": "lists ['roads:2'] more than once",
        "roads:7,barrier:river,landcover": "the roads file has classes [2]",
        "roads,barrier:lake,landcover": "the barrier files are river (1)",
    }
    for stack, message in cases.items():
        with pytest.raises(InputError, match=re.escape(message)):
            merge_landcover(
                p["dem"],
                p["cover"],
                SCENARIO,
                roads=p["roads"],
                barriers=[p["barriers"]],
                stack=stack,
            )
    merged = merge_landcover(  # a barrier named by its position among the barrier files
        p["dem"],
        p["cover"],
        SCENARIO,
        roads=p["roads"],
        barriers=[p["barriers"]],
        stack="roads,barrier:1,landcover",
    )
    assert merged.stack == ("roads:2", "barrier:river", "landcover")


def test_clean_artefacts_removes_a_road_cell_a_diagonal_move_would_slip_through(
    tmp_path: Path,
) -> None:
    """A one-cell road X above a barrier whose cells W and S are null while SW is not: a
    diagonal move X -> SW would pass between two barrier cells. Cleaning makes X null."""
    grid = Grid((3, 3), from_origin(0, 30, 10, 10), CRS.from_epsg(32631))
    frame = points([{"id": "a", "x": 0, "y": 0}])
    # barrier polygons on the cells west of and south of the centre (centre rule)
    frame.assign(geometry=[shapely.box(0, 10, 10, 20) | shapely.box(10, 0, 20, 10)]).to_file(
        tmp_path / "wall.gpkg"
    )
    frame.assign(geometry=[shapely.LineString([(14, 15), (16, 15)])], **{"class": [2]}).to_file(
        tmp_path / "road.gpkg"
    )
    inputs = {
        "dem": write_tif(tmp_path / "dem.tif", np.zeros((3, 3), np.float32), grid.transform),
        "landcover": write_tif(tmp_path / "lc.tif", np.ones((3, 3), np.uint8), grid.transform),
        "scenario": SCENARIO,
        "roads": tmp_path / "road.gpkg",
        "barriers": [tmp_path / "wall.gpkg"],
        "stack": "roads,barrier,landcover",
    }
    kept = merge_landcover(**inputs, clean_artefacts=False)  # type: ignore[arg-type]
    assert drawn(kept.classes) == ["g g g", "~ r g", "g ~ g"] and kept.artefacts == 0
    cleaned = merge_landcover(**inputs)  # type: ignore[arg-type]
    assert drawn(cleaned.classes) == ["g g g", "~ ~ g", "g ~ g"] and cleaned.artefacts == 1
    assert cleaned.barrier[1, 1]


def test_the_demo_merges_as_accessmod_merged_it(tmp_path: Path) -> None:
    """AccessMod's demo stack (restricted areas, roads 1001 > ... > 1005, rivers, land
    cover; clean artefacts on), which is also the default stack here: the merged classes
    equal its land_cover_merged__demo on every cell (roads burned into every cell a line
    touches, 13,213 road cells), and cleaning the 60 one-cell bridges is what makes them
    equal."""
    folder = Path(shared_file("accessmod-demo"))
    inputs = {
        "dem": folder / "DEM" / "dem__dem.GeoTIFF",
        "landcover": folder / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        "scenario": folder / "table_model__demo" / "table_model__demo.xlsx",
        "roads": folder / "road__demo" / "road__demo" / "road__demo.shp",
        "barriers": [
            folder / "barrier__demo_river" / "barrier__demo_river" / "barrier__demo_river.shp",
            folder / "barrier_restricted_area" / "barrier__demo" / "barrier__demo.shp",
        ],
    }
    name = "land_cover_merged__demo"
    theirs, _ = read_grid_raster(folder / "analysis" / name / f"{name}.GeoTIFF", what="merged")
    merged = merge_landcover(**inputs)  # type: ignore[arg-type]
    assert merged.stack == (
        "barrier:barrier__demo",
        *(f"roads:{c}" for c in range(1001, 1006)),
        "barrier:barrier__demo_river",
        "landcover",
    )
    assert differing(merged.classes, theirs) == 0
    assert (merged.classes > 1000).sum() == 13_213
    raw = merge_landcover(**inputs, clean_artefacts=False)  # type: ignore[arg-type]
    assert merged.artefacts == 60 and differing(raw.classes, theirs) == 60


def differing(a: np.ndarray, b: np.ndarray) -> int:
    """Cells whose values differ, null (NaN) counting as a value."""
    return int((~((a == b) | (np.isnan(a) & np.isnan(b)))).sum())
