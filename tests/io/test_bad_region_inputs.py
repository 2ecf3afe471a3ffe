"""Bad input at region build is refused with one InputError naming the file, what was expected,
what came and the fix, before anything is written (regressions: each used to build a region
that was empty, flat, or held wrong people).

The inputs are tiny and synthetic: an extract with one road from a village to a clinic near
(1.50 E, 42.50 N), DEMs and population rasters of a few cells, tables of a few lines.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
from rasterio.transform import from_origin
from typer.testing import CliRunner

from accessplan import InputError
from accessplan.io import region_from_osm
from tests.conftest import write_tif

VILLAGE = {"place": "village", "name": "Vila", "population": "120"}
CLINIC = {"amenity": "clinic", "name": "Clinic"}


def extract(path: Path, *, village: dict[str, str] | None = None, clinic: bool = True) -> Path:
    """A 1 km road along 42.50 N with a village at its west end and a clinic at its east end;
    ``village=None`` leaves the place out, ``clinic=False`` the clinic."""
    writer = osmium.SimpleWriter(str(path))
    for i in range(1, 12):
        tags = {}
        if i == 1 and village is not None:
            tags = village
        if i == 11 and clinic:
            tags = CLINIC
        loc = (1.50 + 0.0012 * (i - 1), 42.50)
        writer.add_node(osmium.osm.mutable.Node(id=i, location=loc, tags=tags))
    road = osmium.osm.mutable.Way(id=100, nodes=list(range(1, 12)), tags={"highway": "track"})
    writer.add_way(road)
    writer.close()
    return path


@pytest.fixture
def pbf(tmp_path: Path) -> Path:
    return extract(tmp_path / "vila.osm.pbf", village=VILLAGE)


def refused(words: list[str], **kwargs: object) -> None:
    """region_from_osm raises an InputError whose message holds every word."""
    with pytest.raises(InputError) as error:
        region_from_osm(**kwargs)  # type: ignore[arg-type]
    message = " ".join(str(error.value).split())
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_the_good_inputs_build(pbf: Path, tmp_path: Path) -> None:
    """The baseline every other case spoils: one settlement of 120, one clinic, a DEM."""
    dem = write_tif(
        tmp_path / "dem.tif",
        np.full((10, 10), 1000.0, dtype="float32"),
        from_origin(1.49, 42.51, 0.004, 0.004),
        crs="EPSG:4326",
    )
    region = region_from_osm(pbf, dem=dem)
    assert region.settlements["population"].tolist() == [120.0]
    assert len(region.facilities) == 1 and region.terrain is not None


def test_an_extract_without_places_or_facilities_is_refused(tmp_path: Path) -> None:
    """Roads alone make an empty region every later step fails on: refused, naming the file
    and the fix (an extract with places, or a settlements file)."""
    path = extract(tmp_path / "roads.osm.pbf", village=None, clinic=False)
    refused(["roads.osm.pbf", "holds no settlements", "0 facilities", "--settlements"], pbf=path)


def test_facilities_without_settlements_are_refused(tmp_path: Path) -> None:
    """Every measure counts people in settlements: a region of facilities alone answers
    nothing, so it is refused too."""
    path = extract(tmp_path / "clinic.osm.pbf", village=None)
    refused(["clinic.osm.pbf", "holds no settlements", "1 facilities"], pbf=path)


def test_settlements_without_facilities_build_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A region with people but no facility yet is worth building (sites can be chosen for
    it); the build says facilities are missing."""
    path = extract(tmp_path / "vila.osm.pbf", village=VILLAGE, clinic=False)
    with caplog.at_level(logging.WARNING):
        region = region_from_osm(path)
    assert len(region.settlements) == 1 and len(region.facilities) == 0
    assert "holds no facilities" in caplog.text


def test_a_dem_of_another_area_is_refused(pbf: Path, tmp_path: Path) -> None:
    """A DEM 10 degrees away samples nothing, and every road came out flat with terrain:
    True; refused, giving both extents."""
    dem = write_tif(
        tmp_path / "elsewhere.tif",
        np.full((10, 10), 500.0, dtype="float32"),
        from_origin(11.0, 52.0, 0.01, 0.01),
        crs="EPSG:4326",
    )
    refused(
        ["elsewhere.tif", "no elevation at any of the", "vila.osm.pbf", "lon 11.000..11.100"],
        pbf=pbf,
        dem=dem,
    )


def test_a_dem_of_nodata_only_is_refused(pbf: Path, tmp_path: Path) -> None:
    """A DEM whose every cell is nodata holds no elevation at all."""
    dem = write_tif(
        tmp_path / "void.tif",
        np.full((10, 10), -32768.0, dtype="float32"),
        from_origin(1.49, 42.51, 0.004, 0.004),
        crs="EPSG:4326",
        nodata=-32768.0,
    )
    refused(["void.tif", "holds no elevation", "100 cells are no data", "-32768"], pbf=pbf, dem=dem)


def table(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_population_table_giving_one_settlement_twice_is_refused(
    pbf: Path, tmp_path: Path
) -> None:
    """Two rows for one id: the last won silently; now both lines are named."""
    path = table(tmp_path / "pop.csv", "id,population\nn1,100\nn1,150\n")
    refused(
        ["pop.csv", "line(s) [2, 3]", "settlement 'n1'", "'Vila'", "one row"],
        pbf=pbf,
        population=path,
    )


@pytest.mark.parametrize("value", ["inf", "1e300", "200000000"])
def test_an_implausible_population_is_refused(pbf: Path, tmp_path: Path, value: str) -> None:
    """inf and 1e300 are numbers to pandas; above 1e8 people no settlement is believed."""
    path = table(tmp_path / "pop.csv", f"id,population\nn1,{value}\n")
    refused(["pop.csv", "population above 100,000,000", "line 2"], pbf=pbf, population=path)


def test_an_implausible_population_in_a_settlements_file_is_refused(
    pbf: Path, tmp_path: Path
) -> None:
    """The same bound holds for a settlements file's population column, naming the row."""
    path = table(tmp_path / "villages.csv", "id,lon,lat,population\nV1,1.501,42.5,1e300\n")
    words = ["villages.csv", "population above 100,000,000", "row 0 (id 'V1')"]
    refused(words, pbf=pbf, settlements=path)


def test_an_implausible_osm_population_tag_is_taken_as_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A tag cannot be fixed by the user short of editing OSM: it is dropped, with a warning,
    so that a population table can still give the figure."""
    path = extract(tmp_path / "big.osm.pbf", village={**VILLAGE, "population": "999999999999"})
    with caplog.at_level(logging.WARNING):
        region = region_from_osm(path)
    assert np.isnan(region.settlements["population"].iloc[0])
    assert "above 100,000,000 are taken as unknown" in caplog.text


def test_a_population_raster_of_another_area_is_refused(pbf: Path, tmp_path: Path) -> None:
    """Its people reached no settlement, and every settlement was set to 0, overwriting the
    OSM figure; refused, giving both extents."""
    path = write_tif(
        tmp_path / "people.tif",
        np.full((5, 5), 10.0, dtype="float32"),
        from_origin(11.0, 52.0, 0.01, 0.01),
        crs="EPSG:4326",
    )
    refused(
        ["people.tif", "gives nobody to any settlement", "250 people", "Check its CRS"],
        pbf=pbf,
        population=path,
    )


@pytest.mark.parametrize(("cells", "words"), [(0.0, ["holds no people"]), (np.inf, ["infinite"])])
def test_an_empty_or_infinite_population_raster_is_refused(
    pbf: Path, tmp_path: Path, cells: float, words: list[str]
) -> None:
    """A raster of zeros gives nobody; an infinite cell no count."""
    path = write_tif(
        tmp_path / "people.tif",
        np.full((5, 5), cells, dtype="float32"),
        from_origin(1.49, 42.51, 0.004, 0.004),
        crs="EPSG:4326",
    )
    refused(["people.tif", *words], pbf=pbf, population=path)


def test_a_boundary_that_holds_no_settlement_is_refused(pbf: Path, tmp_path: Path) -> None:
    """Every place fell outside and was dropped, leaving an empty region."""
    units = gpd.GeoDataFrame(
        {"code": ["1"], "name": ["Far"], "level": ["county"]},
        geometry=[shapely.box(10.0, 50.0, 11.0, 51.0)],
        crs="EPSG:4326",
    )
    path = tmp_path / "far.gpkg"
    units.to_file(path)
    refused(["far.gpkg", "hold none of the 1 settlements", "CRS"], pbf=pbf, boundary=path)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
def test_the_smoothing_length_must_be_finite_metres(pbf: Path, value: float) -> None:
    """NaN passed `smooth_m < 0`; refused before the extract is read."""
    refused(
        ["smooth_m (--smooth-m)", "finite number of metres >= 0", repr(value)],
        pbf=pbf,
        smooth_m=value,
    )


def test_the_command_line_exits_2_and_writes_nothing(pbf: Path, tmp_path: Path) -> None:
    """`region build --smooth-m nan` stops with the message and leaves no region file."""
    from accessplan.cli import app

    out = tmp_path / "out.gpkg"
    result = CliRunner().invoke(
        app, ["region", "build", "--osm", str(pbf), "--smooth-m", "nan", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "--smooth-m" in flat and "from 0 to 100000, got nan" in flat
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "name", "text"),
    [
        ("population", "pop.csv", "name,population\n"),
        ("facilities", "fac.csv", "id,service,tier,lon,lat\n"),
        ("settlements", "villages.csv", "id,name,lon,lat\n"),
    ],
)
def test_a_table_with_no_rows_is_refused(
    pbf: Path, tmp_path: Path, option: str, name: str, text: str
) -> None:
    """A file given on purpose but empty is a mistake: an empty population table left every
    settlement as it was, an empty facilities file built a region without facilities."""
    refused([name, "has no rows"], pbf=pbf, **{option: table(tmp_path / name, text)})


def test_a_settlements_file_without_population_leaves_it_unknown(pbf: Path, tmp_path: Path) -> None:
    """No population column is fine (another source may give it): NaN, not a KeyError."""
    path = table(tmp_path / "villages.csv", "id,name,lon,lat\nV1,Vella,1.501,42.5\n")
    region = region_from_osm(pbf, settlements=path)
    assert np.isnan(region.settlements["population"].iloc[0])
    assert region.settlements["population_source"].iloc[0] == ""
