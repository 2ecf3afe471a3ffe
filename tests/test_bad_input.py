"""Bad input, tried as a hostile but realistic user would: a catalogue, one row per case.

A row is a command line, the exit code it must end with and the fragments its one error line
must hold (the flag or scenario key as the user wrote it, what was expected, the fix). Paths
``IN/...`` are inputs made once for the module (never changed by a case); other relative
paths lie in the case's own folder, which is the current folder while it runs. Every row is
also checked for what must never happen: a traceback (an exception other than a clean exit),
a message of more than one line, a file written or deleted in the inputs or the case's
folder (a control row's own output apart).

At the end, interruptions: a run or a region build killed while writing, then run again,
leaves no temporary behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from rasterio.transform import from_origin
from typer.testing import CliRunner

from accessplan import synth
from accessplan.cli import app
from accessplan.services import Catalogue, Standard, default_catalogue, default_region_catalogue
from tests.conftest import ANDORRA, absent, write_tif

runner = CliRunner()
ACCESSPLAN = Path(sys.executable).with_name("accessplan")

# ---------------------------------------------------------------------------------------------
# Inputs, made once


def crop_pbf(src: Path, dst: Path, bbox: tuple[float, float, float, float]) -> Path:
    """The roads touching ``bbox`` (west, south, east, north) and the tagged nodes inside it:
    a small real extract that builds in a fraction of a second."""
    west, south, east, north = bbox

    class Collect(osmium.SimpleHandler):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.where: dict[int, tuple[float, float]] = {}
            self.tags: dict[int, dict[str, str]] = {}
            self.ways: list[tuple[int, list[int], dict[str, str]]] = []

        def node(self, n: osmium.osm.Node) -> None:
            self.where[n.id] = (n.location.lon, n.location.lat)
            if len(n.tags):
                self.tags[n.id] = dict(n.tags)

        def way(self, w: osmium.osm.Way) -> None:
            refs = [r.ref for r in w.nodes]
            if "highway" in w.tags and any(inside(self.where.get(r)) for r in refs):
                self.ways.append((w.id, refs, dict(w.tags)))

    def inside(xy: tuple[float, float] | None) -> bool:
        return xy is not None and west <= xy[0] <= east and south <= xy[1] <= north

    seen = Collect()
    seen.apply_file(str(src))
    keep = {r for _, refs, _ in seen.ways for r in refs if r in seen.where}
    keep |= {i for i in seen.tags if inside(seen.where[i])}
    writer = osmium.SimpleWriter(str(dst))
    for i in sorted(keep):
        node = osmium.osm.mutable.Node(id=i, location=seen.where[i], tags=seen.tags.get(i, {}))
        writer.add_node(node)
    for i, refs, tags in sorted(seen.ways):
        writer.add_way(
            osmium.osm.mutable.Way(id=i, nodes=[r for r in refs if r in keep], tags=tags)
        )
    writer.close()
    return dst


def roadless_pbf(path: Path) -> Path:
    writer = osmium.SimpleWriter(str(path))
    node = osmium.osm.mutable.Node(
        id=1, location=(1.5, 42.5), tags={"place": "village", "name": "X"}
    )
    writer.add_node(node)
    writer.close()
    return path


GRID = from_origin(500_000, 4_000_600, 30, 30)  # the tiny raster project: 20 x 20 cells of 30 m
UTM = "EPSG:32631"
Y_ROAD = 4_000_600 - 10.5 * 30
SCENARIO_TABLE = "class,label,speed,mode\n1,grass,5,WALKING\n2,road,60,MOTORIZED\n"


def raster_project(folder: Path) -> None:
    """The inputs of `accessplan surface` on a 20 x 20 grid, and bad variants of them."""
    ones = np.ones((20, 20), np.uint8)
    write_tif(folder / "dem.tif", np.linspace(100, 300, 400).reshape(20, 20), GRID, crs=UTM)
    write_tif(folder / "cover.tif", ones, GRID, crs=UTM)
    write_tif(folder / "pop.tif", ones * 2, GRID, crs=UTM)
    write_tif(folder / "pop.GeoTIFF", ones * 2, GRID, crs=UTM)  # AccessMod's demo ending
    write_tif(folder / "pop_neg.tif", ones.astype(np.float32) * -3, GRID, crs=UTM)
    write_tif(folder / "cover_small.tif", np.ones((10, 10), np.uint8), GRID, crs=UTM)
    write_tif(folder / "cover_other_crs.tif", ones, GRID, crs="EPSG:32632")
    write_tif(folder / "cover_class9.tif", ones * 9, GRID, crs=UTM)
    write_tif(folder / "dem_nocrs.tif", np.ones((20, 20), np.float32), GRID, crs=None)
    write_tif(
        folder / "dem_degrees.tif",
        np.ones((20, 20), np.float32),
        from_origin(1.5, 42.6, 0.001, 0.001),
        crs="EPSG:4326",
    )
    road = shapely.LineString([(500_000, Y_ROAD), (500_600, Y_ROAD)])
    gpd.GeoDataFrame({"class": [2]}, geometry=[road], crs=UTM).to_file(folder / "roads.gpkg")
    gpd.GeoDataFrame({"kind": ["a"]}, geometry=[road], crs=UTM).to_file(
        folder / "roads_noclass.gpkg"
    )
    fac = {"id": ["a", "b"], "capacity": [100, 50]}
    xy = shapely.points([500_015, 500_300], [Y_ROAD, Y_ROAD])
    gpd.GeoDataFrame(fac, geometry=xy, crs=UTM).to_file(folder / "fac.gpkg")
    gpd.GeoDataFrame({"id": ["a", "a"]}, geometry=xy, crs=UTM).to_file(folder / "fac_dup.gpkg")
    gpd.GeoDataFrame({"id": pd.Series([], dtype=str)}, geometry=[], crs=UTM).to_file(
        folder / "fac_none.gpkg"
    )
    square = shapely.box(500_000, 4_000_000, 500_600, 4_000_600)
    gpd.GeoDataFrame({"zone": ["z1"]}, geometry=[square], crs=UTM).to_file(folder / "zones.gpkg")
    texts = {
        "scenario.csv": SCENARIO_TABLE,
        "scenario_cols.csv": "klass,speed\n1,5\n",
        "scenario_dup.csv": SCENARIO_TABLE + "1,meadow,4,WALKING\n",
        "scenario_mode.csv": "class,label,speed,mode\n1,grass,5,FLYING\n",
        "scenario_neg.csv": "class,label,speed,mode\n1,grass,-5,WALKING\n",
        "scenario_text.csv": "class,label,speed,mode\n1,grass,fast,WALKING\n",
        "scenario_header.csv": "class,label,speed,mode\n",
        "scenario_nan.csv": "class,label,speed,mode\n1,grass,nan,WALKING\n",
        "scenario_inf.csv": "class,label,speed,mode\n1,grass,inf,WALKING\n",
        "scenario_zero.csv": "class,label,speed,mode\n1,grass,0,WALKING\n",
        "pop.csv": "id,population\na,10\n",
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")


def write_regions(folder: Path) -> None:
    """A synthetic county, the same without facilities or without settlements, and files
    that are not regions."""
    county = synth.mountain_county(1)
    county.write(folder / "county.gpkg")
    empty = {"facilities": county.facilities.iloc[:0], "settlements": county.settlements.iloc[:0]}
    for layer, none in empty.items():
        dataclasses.replace(county, **{layer: none}).write(folder / f"no_{layer}.gpkg")
    only_schools = county.facilities[county.facilities["service"] == "school"]
    dataclasses.replace(county, facilities=only_schools).write(folder / "schools.gpkg")
    # every service of the bundled catalogue, whose groups the county has no columns for
    dataclasses.replace(county, catalogue=default_catalogue()).write(folder / "services.gpkg")
    health, school = default_region_catalogue().services
    by_bike = dataclasses.replace(health, standards=(Standard("village_clinic", "bike", 15),))
    dataclasses.replace(county, catalogue=Catalogue((by_bike, school))).write(folder / "bike.gpkg")
    gpd.GeoDataFrame({"id": ["a"]}, geometry=shapely.points([1.5], [42.5]), crs=4326).to_file(
        folder / "other.gpkg"
    )


FAC = "id,name,service,tier,lon,lat"
SERVICE = (
    "[[services]]\nname = 'care'\nen = 'Care'\nzh = '照护'\n"
    "[[services.tiers]]\nname = 'point'\nen = 'Point'\nzh = '服务点'\n"
)
STANDARD = (
    "[[services.standards]]\ntier = '{tier}'\nprofile = 'walk'\nminutes = 15\ngroup = '{group}'\n"
)


def write_tables(folder: Path) -> None:
    """Small CSV, TOML and raster inputs of the region and travel commands."""
    andorra_la_vella = "1.5218,42.5063"
    texts = {
        "text.gpkg": "this is not a GeoPackage\n",
        "fake.osm.pbf": "this is not a PBF file\n",
        "table.csv": "id,name\na,b\n",
        "notes.txt": "some notes\n",
        "dem_text.tif": "not a raster\n",
        # settlements
        "set.csv": (
            f"id,name,population,lon,lat\nV1,Vella,900,{andorra_la_vella}\n"
            "V2,Escaldes,800,1.5341,42.5096\n"
        ),
        "set_nopop.csv": f"id,name,lon,lat\nV1,Vella,{andorra_la_vella}\n",
        "set_header.csv": "id,name,lon,lat\n",
        "set_nocoords.csv": "id,name\nV1,Vella\n",
        "set_noid.csv": f"name,lon,lat\nVella,{andorra_la_vella}\n",
        "set_nan.csv": "id,name,lon,lat\nV1,Vella,nan,42.5\n",
        "set_inf.csv": "id,name,lon,lat\nV1,Vella,1.52,inf\n",
        "set_huge.csv": "id,name,lon,lat\nV1,Vella,1e308,42.5\n",
        "set_range.csv": "id,name,lon,lat\nV1,Vella,1.52,95\n",
        "set_dup.csv": f"id,name,lon,lat\nV1,a,{andorra_la_vella}\nV1,b,1.5341,42.5096\n",
        "set_emptyid.csv": f"id,name,lon,lat\n,a,{andorra_la_vella}\n",
        "set_swapped.csv": "id,name,lon,lat\nV1,a,42.5063,1.5218\n",
        "set_far.csv": "id,name,lon,lat\nV1,Paris,2.35,48.85\n",
        "set_wkt.csv": "id,name,wkt\nV1,a,POINT (1.52\n",
        "set_negpop.csv": f"id,name,lon,lat,population\nV1,a,{andorra_la_vella},-4\n",
        "set_semicolon.csv": f"id;name;lon;lat\nV1;a;{andorra_la_vella.replace(',', ';')}\n",
        # facilities
        "fac.csv": f"{FAC}\nF1,Clinic,health,village_clinic,{andorra_la_vella}\n",
        "fac_header.csv": f"{FAC}\n",
        "fac_notier.csv": f"id,name,service,lon,lat\nF1,Clinic,health,{andorra_la_vella}\n",
        "fac_tier.csv": f"{FAC}\nF1,C,health,super_clinic,{andorra_la_vella}\n",
        "fac_service.csv": f"{FAC}\nF1,C,bank,village_clinic,{andorra_la_vella}\n",
        "fac_cap.csv": f"{FAC},capacity\nF1,C,health,village_clinic,{andorra_la_vella},-5\n",
        "fac_care.csv": f"{FAC}\nF1,Home,elderly_care,care_home,{andorra_la_vella}\n",
        "fac_care_tier.csv": f"{FAC}\nF1,Home,elderly_care,palace,{andorra_la_vella}\n",
        # services catalogues
        "svc_bad.toml": "[[services]\n",
        "svc_key.toml": SERVICE + "colour = 'red'\n",
        "svc_tier.toml": SERVICE + STANDARD.format(tier="nowhere", group="all"),
        "svc_group.toml": SERVICE + STANDARD.format(tier="point", group="elders"),
        # population tables
        "pop_header.csv": "name,population\n",
        "pop_cols.csv": "name,people\nOrdino,40\n",
        "pop_neg.csv": "name,population\nOrdino,-40\n",
        "pop_text.csv": "name,population\nOrdino,many\n",
        "pop_inf.csv": "name,population\nOrdino,inf\n",
        "pop_huge.csv": "name,population\nOrdino,1e308\n",
        "pop_broken.xlsx": "not a spreadsheet\n",
        "pop.json": '{"Ordino": 40}\n',
        # tier overrides
        "tiers_tier.csv": "id,tier\nn1,mega_hospital\n",
        "tiers_cols.csv": "osm,level\nn1,village_clinic\n",
        # travel profiles
        "prof_bad.toml": "[car\nspeeds = {primary = 60}\n",
        "prof_key.toml": "[car]\nspeed = { primary = 60 }\n",
        "prof_neg.toml": "[car]\nspeeds = { primary = -60 }\n",
        "prof_text.toml": '[car]\nspeeds = { primary = "fast" }\n',
        "prof_notable.toml": "car = 5\n",
        "prof_zero.toml": "[car]\nspeeds = { "
        + ", ".join(
            f"{k} = 0"
            for k in (
                "motorway motorway_link trunk trunk_link primary primary_link secondary "
                "secondary_link tertiary tertiary_link unclassified residential living_street "
                "service road track"
            ).split()
        )
        + " }\n",
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "zero.osm.pbf").write_bytes(b"")
    (folder / "zero.gpkg").write_bytes(b"")
    (folder / "zero.csv").write_bytes(b"")
    (folder / "latin1.csv").write_bytes(
        "id,name,lon,lat\nV1,Pal\xe0,1.52,42.50\n".encode("latin-1")
    )
    (folder / "dir.gpkg").mkdir()
    (folder / "adir").mkdir()
    write_tif(folder / "dem_nocrs.tif", np.ones((10, 10), np.float32), GRID, crs=None)
    gpd.GeoDataFrame({"id": ["V1"]}, geometry=shapely.points([1.52], [42.50])).to_file(
        folder / "set_nocrs.gpkg"
    )
    box = shapely.box(1.4, 42.4, 1.8, 42.7)
    gpd.GeoDataFrame({"code": ["AD"]}, geometry=[box], crs=4326).to_file(folder / "bound_cols.gpkg")
    gpd.GeoDataFrame(
        {"code": ["AD"], "name": ["Andorra"], "level": ["county"]},
        geometry=shapely.points([1.52], [42.5]),
        crs=4326,
    ).to_file(folder / "bound_points.gpkg")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every input of the catalogue, in one folder that no case may change."""
    folder = tmp_path_factory.mktemp("inputs")
    write_regions(folder)
    write_tables(folder)
    raster_project(folder)
    roadless_pbf(folder / "roadless.osm.pbf")
    pbf = ANDORRA / "andorra.osm.pbf"
    if pbf.exists():  # the rows that need it fail with a clear reason when it is absent
        crop_pbf(pbf, folder / "small.osm.pbf", (1.51, 42.50, 1.545, 42.515))
        shutil.copy(ANDORRA / "N42E001.hgt.zip", folder / "dem.hgt.zip")
    return folder


# ---------------------------------------------------------------------------------------------
# The catalogue


@dataclass(frozen=True)
class Case:
    """One row: ``args`` as typed (``IN/`` = the inputs), ``code`` and the ``words`` the
    error line holds; ``absent`` words it must not hold (Python names instead of flags).

    ``prep`` makes files in the case's folder first: path -> text (``IN/`` replaced), bytes,
    ``"@name"`` (a copy of an input) or None (an empty folder). ``readonly`` names folders to
    make unwritable. A control row (``makes``) succeeds and may write only ``makes``."""

    id: str
    args: str
    words: tuple[str, ...] = ()
    code: int = 2
    absent: tuple[str, ...] = ()
    prep: dict[str, str | bytes | None] = field(default_factory=dict)
    readonly: tuple[str, ...] = ()
    makes: str | None = None
    xfail: str | None = None


def c(id: str, args: str, *words: str, **kw: object) -> Case:
    return Case(id, args, words, **kw)  # type: ignore[arg-type]


REGION = "IN/county.gpkg"
LONG = "x" * 300
SURFACE = (
    "surface --dem IN/dem.tif --landcover IN/cover.tif --facilities IN/fac.gpkg "
    "--scenario IN/scenario.csv"
)
OLD_RUN = {
    "old/manifest.json": '{"files": ["manifest.json", "coverage.csv"]}',
    "old/coverage.csv": "a\n1\n",
}


def toml(
    body: str, region: str = f'[region]\npath = "{REGION}"\n', top: str = "", tail: str = ""
) -> dict[str, str | bytes | None]:
    """A scenario file ``s.toml`` in the case's folder: ``top`` lines, the region, ``body``
    (steps) and ``tail`` tables."""
    return {"s.toml": f"{top}{region}{body}{tail}"}


ACCESS_STEP = '[[steps]]\nkind = "access"\nprofiles = ["car"]\nthresholds = [15]\n'
SITE_STEP = '[[steps]]\nkind = "site"\ntier = "township_health_center"\n'

REGION_BUILD = [
    c("rb-osm-missing", "region build --osm nowhere.osm.pbf --out r.gpkg",
      "--osm", "nowhere.osm.pbf", "does not exist"),
    c("rb-osm-folder", "region build --osm IN/adir --out r.gpkg", "--osm", "adir", "folder"),
    c("rb-osm-text", "region build --osm IN/fake.osm.pbf --out r.gpkg",
      "fake.osm.pbf", "not a readable OpenStreetMap PBF"),
    c("rb-osm-zero-bytes", "region build --osm IN/zero.osm.pbf --out r.gpkg",
      "--osm", "zero.osm.pbf", "empty (0 bytes)"),
    c("rb-osm-csv", "region build --osm IN/set.csv --out r.gpkg", "set.csv", "PBF"),
    c("rb-osm-no-roads", "region build --osm IN/roadless.osm.pbf --out r.gpkg",
      "roadless.osm.pbf", "no routable roads"),
    c("rb-dem-missing", "region build --osm IN/small.osm.pbf --dem nowhere.tif --out r.gpkg",
      "--dem", "nowhere.tif", "does not exist"),
    c("rb-dem-text", "region build --osm IN/small.osm.pbf --dem IN/dem_text.tif --out r.gpkg",
      "dem_text.tif", "not a raster"),
    c("rb-dem-folder", "region build --osm IN/small.osm.pbf --dem IN/adir --out r.gpkg",
      "--dem", "adir", "folder"),
    c("rb-dem-no-crs", "region build --osm IN/small.osm.pbf --dem IN/dem_nocrs.tif --out r.gpkg",
      "dem_nocrs.tif", "CRS"),
    c("rb-dem-csv", "region build --osm IN/small.osm.pbf --dem IN/set.csv --out r.gpkg",
      "set.csv", "raster"),
    c("rb-smooth-negative", "region build --osm IN/small.osm.pbf --smooth-m -5 --out r.gpkg",
      "--smooth-m", "-5", "from 0 to", absent=("smooth_m",)),
    c("rb-smooth-nan", "region build --osm IN/small.osm.pbf --smooth-m nan --out r.gpkg",
      "--smooth-m", "nan", absent=("smooth_m",)),
    c("rb-smooth-inf", "region build --osm IN/small.osm.pbf --smooth-m inf --out r.gpkg",
      "--smooth-m", "inf", absent=("smooth_m",)),
    c("rb-smooth-1e308", "region build --osm IN/small.osm.pbf --smooth-m 1e308 --out r.gpkg",
      "--smooth-m", "1e+308", absent=("smooth_m",)),
    c("rb-smooth-text", "region build --osm IN/small.osm.pbf --smooth-m lots --out r.gpkg",
      "--smooth-m", "valid number"),
    c("rb-pop-missing", "region build --osm IN/small.osm.pbf --population no.csv --out r.gpkg",
      "no.csv", "does not exist"),
    c("rb-pop-zero-bytes", "region build --osm IN/small.osm.pbf --population IN/zero.csv "
      "--out r.gpkg", "zero.csv", "empty"),
    c("rb-pop-header-only", "region build --osm IN/small.osm.pbf --population IN/pop_header.csv"
      " --out r.gpkg", "pop_header.csv", "no rows"),
    c("rb-pop-columns", "region build --osm IN/small.osm.pbf --population IN/pop_cols.csv "
      "--out r.gpkg", "pop_cols.csv", "'population' column"),
    c("rb-pop-negative", "region build --osm IN/small.osm.pbf --population IN/pop_neg.csv "
      "--out r.gpkg", "pop_neg.csv", "line(s) [2]", "0 or more"),
    c("rb-pop-text", "region build --osm IN/small.osm.pbf --population IN/pop_text.csv "
      "--out r.gpkg", "pop_text.csv", "not a number"),
    c("rb-pop-inf", "region build --osm IN/small.osm.pbf --population IN/pop_inf.csv "
      "--out r.gpkg", "pop_inf.csv", "line 2"),
    c("rb-pop-1e308", "region build --osm IN/small.osm.pbf --population IN/pop_huge.csv "
      "--out r.gpkg", "pop_huge.csv", "population above"),
    c("rb-pop-broken-xlsx", "region build --osm IN/small.osm.pbf --population "
      "IN/pop_broken.xlsx --out r.gpkg", "pop_broken.xlsx", "cannot be read"),
    c("rb-pop-json", "region build --osm IN/small.osm.pbf --population IN/pop.json --out r.gpkg",
      "pop.json", ".csv"),
    c("rb-pop-folder", "region build --osm IN/small.osm.pbf --population IN/adir --out r.gpkg",
      "--population", "adir", "folder"),
    c("rb-pop-raster-elsewhere", "region build --osm IN/small.osm.pbf --population IN/pop.tif "
      "--out r.gpkg", "pop.tif", "settlement"),
    c("rb-pop-geotiff", "region build --osm IN/small.osm.pbf --population IN/pop.GeoTIFF "
      "--out r.gpkg", "pop.GeoTIFF", "gives nobody"),
    c("rb-set-missing", "region build --osm IN/small.osm.pbf --settlements no.csv --out r.gpkg",
      "no.csv", "does not exist"),
    c("rb-set-header-only", "region build --osm IN/small.osm.pbf --settlements "
      "IN/set_header.csv --out r.gpkg", "set_header.csv", "no rows"),
    c("rb-set-zero-bytes", "region build --osm IN/small.osm.pbf --settlements IN/zero.csv "
      "--out r.gpkg", "zero.csv", "empty"),
    c("rb-set-no-coords", "region build --osm IN/small.osm.pbf --settlements "
      "IN/set_nocoords.csv --out r.gpkg", "set_nocoords.csv", "'lon' and 'lat'"),
    c("rb-set-no-id", "region build --osm IN/small.osm.pbf --settlements IN/set_noid.csv "
      "--out r.gpkg", "set_noid.csv", "'id'"),
    c("rb-set-nan", "region build --osm IN/small.osm.pbf --settlements IN/set_nan.csv "
      "--out r.gpkg", "set_nan.csv", "no number", "line(s) [2]"),
    c("rb-set-inf", "region build --osm IN/small.osm.pbf --settlements IN/set_inf.csv "
      "--out r.gpkg", "set_inf.csv", "line(s) [2]"),
    c("rb-set-1e308", "region build --osm IN/small.osm.pbf --settlements IN/set_huge.csv "
      "--out r.gpkg", "set_huge.csv", "out of range"),
    c("rb-set-lat-95", "region build --osm IN/small.osm.pbf --settlements IN/set_range.csv "
      "--out r.gpkg", "set_range.csv", "out of range", "latitude"),
    c("rb-set-duplicate-ids", "region build --osm IN/small.osm.pbf --settlements "
      "IN/set_dup.csv --out r.gpkg", "set_dup.csv", "duplicate 'id'", "V1"),
    c("rb-set-empty-id", "region build --osm IN/small.osm.pbf --settlements IN/set_emptyid.csv"
      " --out r.gpkg", "set_emptyid.csv", "empty 'id'"),
    c("rb-set-swapped", "region build --osm IN/small.osm.pbf --settlements IN/set_swapped.csv "
      "--out r.gpkg", "set_swapped.csv", "swapped"),
    c("rb-set-far-away", "region build --osm IN/small.osm.pbf --settlements IN/set_far.csv "
      "--out r.gpkg", "set_far.csv", "outside the region"),
    c("rb-set-bad-wkt", "region build --osm IN/small.osm.pbf --settlements IN/set_wkt.csv "
      "--out r.gpkg", "set_wkt.csv", "invalid WKT"),
    c("rb-set-negative-population", "region build --osm IN/small.osm.pbf --settlements "
      "IN/set_negpop.csv --out r.gpkg", "set_negpop.csv", "negative 'population'"),
    c("rb-set-semicolons", "region build --osm IN/small.osm.pbf --settlements "
      "IN/set_semicolon.csv --out r.gpkg", "set_semicolon.csv", "'lon' and 'lat'"),
    c("rb-set-latin1", "region build --osm IN/small.osm.pbf --settlements IN/latin1.csv "
      "--out r.gpkg", "latin1.csv", "UTF-8"),
    c("rb-set-no-crs", "region build --osm IN/small.osm.pbf --settlements IN/set_nocrs.gpkg "
      "--out r.gpkg", "set_nocrs.gpkg", "no CRS"),
    c("rb-set-text-gpkg", "region build --osm IN/small.osm.pbf --settlements IN/text.gpkg "
      "--out r.gpkg", "text.gpkg", "cannot be read"),
    c("rb-fac-header-only", "region build --osm IN/small.osm.pbf --facilities "
      "IN/fac_header.csv --out r.gpkg", "fac_header.csv", "no rows"),
    c("rb-fac-no-tier", "region build --osm IN/small.osm.pbf --facilities IN/fac_notier.csv "
      "--out r.gpkg", "fac_notier.csv", "tier"),
    c("rb-fac-unknown-tier", "region build --osm IN/small.osm.pbf --facilities "
      "IN/fac_tier.csv --out r.gpkg", "facilities", "super_clinic", "village_clinic"),
    c("rb-fac-unknown-service", "region build --osm IN/small.osm.pbf --facilities "
      "IN/fac_service.csv --out r.gpkg", "facilities", "bank", "health"),
    c("rb-fac-negative-capacity", "region build --osm IN/small.osm.pbf --facilities "
      "IN/fac_cap.csv --out r.gpkg", "fac_cap.csv", "negative 'capacity'"),
    c("rb-tiers-unknown-tier", "region build --osm IN/small.osm.pbf --tiers IN/tiers_tier.csv "
      "--out r.gpkg", "tiers_tier.csv", "['n1']", "not facilities"),
    c("rb-tiers-columns", "region build --osm IN/small.osm.pbf --tiers IN/tiers_cols.csv "
      "--out r.gpkg", "tiers_cols.csv", "tier"),
    c("rb-services-missing", "region build --osm IN/small.osm.pbf --services no.toml "
      "--out r.gpkg", "--services", "no.toml", "does not exist"),
    c("rb-services-folder", "region build --osm IN/small.osm.pbf --services IN/adir "
      "--out r.gpkg", "--services", "adir", "folder"),
    c("rb-services-malformed", "region build --osm IN/small.osm.pbf --services "
      "IN/svc_bad.toml --out r.gpkg", "svc_bad.toml", "not valid TOML"),
    c("rb-services-unknown-key", "region build --osm IN/small.osm.pbf --services "
      "IN/svc_key.toml --out r.gpkg", "svc_key.toml", "unknown key(s) ['colour']"),
    c("rb-services-standard-on-no-tier", "region build --osm IN/small.osm.pbf --services "
      "IN/svc_tier.toml --out r.gpkg", "svc_tier.toml", "tier 'nowhere'", "does not have",
      "['point']"),
    c("rb-services-undeclared-group", "region build --osm IN/small.osm.pbf --services "
      "IN/svc_group.toml --out r.gpkg", "svc_group.toml", "group 'elders'", "not declared"),
    c("rb-services-unknown-service", "region build --osm IN/small.osm.pbf --facilities "
      "IN/fac_care.csv --out r.gpkg", "elderly_care", "--services"),
    c("rb-services-unknown-tier", "region build --osm IN/small.osm.pbf --services default "
      "--facilities IN/fac_care_tier.csv --out r.gpkg", "palace", "care_home"),
    c("rb-services-control", "region build --osm IN/small.osm.pbf --services default "
      "--out r.gpkg", "wrote", code=0, makes="r.gpkg"),
    c("rb-boundary-columns", "region build --osm IN/small.osm.pbf --boundary "
      "IN/bound_cols.gpkg --out r.gpkg", "bound_cols.gpkg", "name"),
    c("rb-boundary-points", "region build --osm IN/small.osm.pbf --boundary "
      "IN/bound_points.gpkg --out r.gpkg", "bound_points.gpkg", "polygons"),
    c("rb-boundary-text", "region build --osm IN/small.osm.pbf --boundary IN/notes.txt "
      "--out r.gpkg", "notes.txt"),
    c("rb-out-folder", "region build --osm IN/small.osm.pbf --out adir",
      "adir", "is a folder", prep={"adir": None}),
    c("rb-out-dot", "region build --osm IN/small.osm.pbf --out .", "'.'", "folder"),
    c("rb-out-parent-file", "region build --osm IN/small.osm.pbf --out f.txt/r.gpkg",
      "f.txt/r.gpkg", "'f.txt' is a file", prep={"f.txt": "mine"}),
    c("rb-out-read-only", "region build --osm IN/small.osm.pbf --out ro/r.gpkg",
      "ro/r.gpkg", "cannot write", readonly=("ro",)),
    c("rb-out-name-too-long", f"region build --osm IN/small.osm.pbf --out {LONG}.gpkg",
      "too long"),
    c("rb-out-is-the-osm-input", "region build --osm my.osm.pbf --out my.osm.pbf",
      "--out", "my.osm.pbf", "input", prep={"my.osm.pbf": "@small.osm.pbf"}),
    c("rb-out-is-the-settlements", "region build --osm IN/small.osm.pbf --settlements set.csv "
      "--out set.csv", "--out", "set.csv", "input", prep={"set.csv": "@set.csv"}),
    c("rb-out-csv-name", "region build --osm IN/small.osm.pbf --out r.csv", "--out", ".gpkg"),
    c("rb-no-out", "region build --osm IN/small.osm.pbf", "Missing option", "--out"),
    c("rb-unknown-option", "region build --osm IN/small.osm.pbf --out r.gpkg --dme x.tif",
      "No such option", "--dme"),
    c("rb-control", "region build --osm IN/small.osm.pbf --out r.gpkg", "wrote", code=0,
      makes="r.gpkg"),
    c("rb-control-settlements", "region build --osm IN/small.osm.pbf --settlements "
      "IN/set_nopop.csv --facilities IN/fac.csv --out built/r.gpkg", "wrote", code=0,
      makes="built"),
]  # fmt: skip

REGION_INFO = [
    c("ri-missing", "region info nowhere.gpkg", "nowhere.gpkg", "does not exist"),
    c("ri-folder", "region info IN/dir.gpkg", "dir.gpkg", "folder"),
    c("ri-text", "region info IN/text.gpkg", "text.gpkg", "not a GeoPackage region"),
    c("ri-zero-bytes", "region info IN/zero.gpkg", "zero.gpkg", "empty (0 bytes)"),
    c("ri-csv", "region info IN/table.csv", "table.csv", "region"),
    c("ri-pbf", "region info IN/fake.osm.pbf", "fake.osm.pbf", "region build"),
    c("ri-other-gpkg", "region info IN/other.gpkg", "other.gpkg", "lacks layer(s)"),
    c("ri-no-argument", "region info", "Missing argument"),
    c("ri-control", f"region info {REGION}", "settlements", code=0),
]

TRAVEL = [
    c("tn-region-missing", "travel nearest nowhere.gpkg --out n.csv", "nowhere.gpkg",
      "does not exist"),
    c("tn-region-folder", "travel nearest IN/dir.gpkg --out n.csv", "dir.gpkg", "folder"),
    c("tn-region-text", "travel nearest IN/text.gpkg --out n.csv", "text.gpkg", "GeoPackage"),
    c("tn-region-other", "travel nearest IN/other.gpkg --out n.csv", "other.gpkg", "lacks"),
    c("tn-profile-unknown", f"travel nearest {REGION} --profile bike --out n.csv",
      "--profile", "bike", "walk"),
    c("tn-profile-empty", f"travel nearest {REGION} --profile '' --out n.csv", "--profile"),
    c("tn-by-unknown", f"travel nearest {REGION} --by colour --out n.csv",
      "--by", "colour", "tier"),
    c("tn-profiles-missing", f"travel nearest {REGION} --profiles no.toml --out n.csv",
      "--profiles", "no.toml", "does not exist"),
    c("tn-profiles-folder", f"travel nearest {REGION} --profiles IN/adir --out n.csv",
      "--profiles", "adir", "folder"),
    c("tn-profiles-malformed", f"travel nearest {REGION} --profiles IN/prof_bad.toml "
      "--out n.csv", "prof_bad.toml", "not valid TOML"),
    c("tn-profiles-unknown-key", f"travel nearest {REGION} --profiles IN/prof_key.toml "
      "--out n.csv", "prof_key.toml", "unknown profile key(s)", "speed"),
    c("tn-profiles-negative", f"travel nearest {REGION} --profiles IN/prof_neg.toml "
      "--out n.csv", "prof_neg.toml", "primary", "-60"),
    c("tn-profiles-text", f"travel nearest {REGION} --profiles IN/prof_text.toml --out n.csv",
      "prof_text.toml", "primary", "fast"),
    c("tn-profiles-not-table", f"travel nearest {REGION} --profiles IN/prof_notable.toml "
      "--out n.csv", "prof_notable.toml", "must be a table"),
    c("tn-profiles-all-zero", f"travel nearest {REGION} --profiles IN/prof_zero.toml "
      "--out n.csv", "car", "speed", absent=("CRS",)),
    c("tn-no-facilities", "travel nearest IN/no_facilities.gpkg --out n.csv", "no facilities"),
    c("tn-no-settlements", "travel nearest IN/no_settlements.gpkg --out n.csv",
      "no settlements"),
    c("tn-out-folder", f"travel nearest {REGION} --out adir", "adir", "is a folder",
      prep={"adir": None}),
    c("tn-out-dot", f"travel nearest {REGION} --out .", "'.'", "folder"),
    c("tn-out-parent-file", f"travel nearest {REGION} --out f.txt/n.csv", "f.txt/n.csv",
      "is a file", prep={"f.txt": "mine"}),
    c("tn-out-read-only", f"travel nearest {REGION} --out ro/n.csv", "ro/n.csv", "cannot write",
      readonly=("ro",)),
    c("tn-out-name-too-long", f"travel nearest {REGION} --out {LONG}.csv", "too long"),
    c("tn-out-is-the-region", "travel nearest mine.gpkg --out mine.gpkg", "--out", "mine.gpkg",
      "input", prep={"mine.gpkg": "@county.gpkg"}),
    c("tn-out-is-the-profiles", f"travel nearest {REGION} --profiles p.toml --out p.toml",
      "--out", "p.toml", "input", prep={"p.toml": "[car]\nspeeds = { primary = 50 }\n"}),
    c("tn-no-out", f"travel nearest {REGION}", "Missing option", "--out"),
    c("tn-control", f"travel nearest {REGION} --out n.csv", "wrote", code=0, makes="n.csv"),
    c("tt-cutoff-zero", f"travel times {REGION} --cutoff 0 --out t.csv", "--cutoff", "0"),
    c("tt-cutoff-negative", f"travel times {REGION} --cutoff -5 --out t.csv", "--cutoff", "-5"),
    c("tt-cutoff-nan", f"travel times {REGION} --cutoff nan --out t.csv", "--cutoff", "nan"),
    c("tt-cutoff-inf", f"travel times {REGION} --cutoff inf --out t.csv", "--cutoff", "inf"),
    c("tt-cutoff-1e308", f"travel times {REGION} --cutoff 1e308 --out t.csv", "--cutoff",
      "1e+308", "up to"),
    c("tt-cutoff-text", f"travel times {REGION} --cutoff soon --out t.csv", "--cutoff",
      "valid number"),
    c("tt-profile-unknown", f"travel times {REGION} --profile bus --out t.csv", "--profile",
      "bus"),
    c("tt-region-missing", "travel times nowhere.gpkg --out t.csv", "nowhere.gpkg"),
    c("tt-no-facilities", "travel times IN/no_facilities.gpkg --out t.csv", "no facilities"),
    c("tt-no-settlements", "travel times IN/no_settlements.gpkg --out t.csv", "no settlements"),
    c("tt-profiles-malformed", f"travel times {REGION} --profiles IN/prof_bad.toml --out t.csv",
      "prof_bad.toml", "not valid TOML"),
    c("tt-out-folder", f"travel times {REGION} --out adir", "is a folder", prep={"adir": None}),
    c("tt-out-is-the-region", "travel times mine.gpkg --out mine.gpkg", "--out", "input",
      prep={"mine.gpkg": "@county.gpkg"}),
]  # fmt: skip

ACCESS = [
    c("ac-region-missing", "access nowhere.gpkg --out run", "nowhere.gpkg", "does not exist"),
    c("ac-region-folder", "access IN/dir.gpkg --out run", "dir.gpkg", "folder"),
    c("ac-region-text", "access IN/text.gpkg --out run", "text.gpkg", "GeoPackage"),
    c("ac-region-zero-bytes", "access IN/zero.gpkg --out run", "zero.gpkg", "empty (0 bytes)"),
    c("ac-region-other", "access IN/other.gpkg --out run", "other.gpkg", "lacks"),
    c("ac-profile-unknown", f"access {REGION} --profile walk,bike --out run", "--profile",
      "bike", "choose from"),
    c("ac-profile-duplicate", f"access {REGION} --profile walk,walk --out run", "--profile",
      "walk", "more than once"),
    c("ac-profile-empty", f"access {REGION} --profile , --out run", "--profile",
      "non-empty list"),
    c("ac-thresholds-duplicate", f"access {REGION} --thresholds 15,15 --out run",
      "--thresholds", "15", "more than once"),
    c("ac-thresholds-zero", f"access {REGION} --thresholds 0,15 --out run", "--thresholds",
      "positive"),
    c("ac-thresholds-negative", f"access {REGION} --thresholds -15 --out run", "--thresholds",
      "-15"),
    c("ac-thresholds-nan", f"access {REGION} --thresholds nan --out run", "--thresholds",
      "positive number of minutes", "nan"),
    c("ac-thresholds-inf", f"access {REGION} --thresholds inf --out run", "--thresholds",
      "positive number of minutes", "inf"),
    c("ac-thresholds-1e308", f"access {REGION} --thresholds 1e308 --out run", "--thresholds",
      "up to 10080"),
    c("ac-thresholds-text", f"access {REGION} --thresholds 15,soon --out run", "--thresholds",
      "soon"),
    c("ac-thresholds-empty", f"access {REGION} --thresholds '' --out run", "--thresholds",
      "non-empty"),
    c("ac-thresholds-semicolons", f"access {REGION} --thresholds '15;30' --out run",
      "--thresholds", "15;30"),
    c("ac-referral-zero", f"access {REGION} --referral-limit 0 --out run", "--referral-limit"),
    c("ac-referral-nan", f"access {REGION} --referral-limit nan --out run", "--referral-limit"),
    c("ac-referral-1e308", f"access {REGION} --referral-limit 1e308 --out run",
      "--referral-limit", "up to"),
    c("ac-clinic-within-negative", f"access {REGION} --clinic-within -5 --out run",
      "--clinic-within"),
    c("ac-clinic-within-inf", f"access {REGION} --clinic-within inf --out run",
      "--clinic-within"),
    c("ac-max-snap-zero", f"access {REGION} --max-snap-m 0 --out run", "--max-snap-m",
      "positive", absent=("max_snap_m",)),
    c("ac-max-snap-negative", f"access {REGION} --max-snap-m -1 --out run", "--max-snap-m"),
    c("ac-max-snap-text", f"access {REGION} --max-snap-m far --out run", "--max-snap-m",
      "valid number"),
    c("ac-lang", f"access {REGION} --lang fr --out run", "--lang", "en or zh", "fr"),
    c("ac-profiles-missing", f"access {REGION} --profiles no.toml --out run", "--profiles",
      "no.toml", "does not exist"),
    c("ac-profiles-folder", f"access {REGION} --profiles IN/adir --out run", "--profiles",
      "folder"),
    c("ac-profiles-malformed", f"access {REGION} --profiles IN/prof_bad.toml --out run",
      "prof_bad.toml", "not valid TOML"),
    c("ac-profiles-all-zero", f"access {REGION} --profile car --profiles IN/prof_zero.toml "
      "--out run", "car", "speed", absent=("CRS",)),
    c("ac-no-facilities", "access IN/no_facilities.gpkg --out run", "no facilities"),
    c("ac-no-settlements", "access IN/no_settlements.gpkg --out run", "no settlements"),
    c("ac-services-group-missing", "access IN/services.gpkg --out run",
      "no column 'children_0_2'", "--settlements", 'group = "all"'),
    c("ac-services-profile-unknown", "access IN/bike.gpkg --out run", "health/village_clinic",
      "'bike'", "not a travel profile"),
    c("ac-out-dot", f"access {REGION} --out .", "--out", "current folder"),
    c("ac-out-parent-of-cwd", f"access {REGION} --out ..", "--out", "current folder"),
    c("ac-out-is-a-file", f"access {REGION} --out f.txt", "f.txt", "is a file",
      prep={"f.txt": "mine"}),
    c("ac-out-user-folder", f"access {REGION} --out mine", "mine", "not an accessplan run",
      "notes.txt", prep={"mine/notes.txt": "keep me"}),
    c("ac-out-earlier-run-plus-user-file", f"access {REGION} --out old", "old", "notes.txt",
      prep={**OLD_RUN, "old/notes.txt": "mine"}),
    c("ac-out-region-folder", "access data/county.gpkg --out data", "data/county.gpkg",
      "inside the output folder", prep={"data/county.gpkg": "@county.gpkg"}),
    c("ac-out-parent-file", f"access {REGION} --out f.txt/run", "f.txt/run", "is a file",
      prep={"f.txt": "mine"}),
    c("ac-out-read-only", f"access {REGION} --profile car --thresholds 15 --out ro/run",
      "ro/run", "cannot write", readonly=("ro",)),
    c("ac-out-name-too-long", f"access {REGION} --profile car --thresholds 15 --out {LONG}",
      "too long"),
    c("ac-out-read-only-earlier-run", f"access {REGION} --profile car --out old",
      "old", "cannot write", prep=dict(OLD_RUN), readonly=("old",)),
    c("ac-no-out", f"access {REGION}", "Missing option", "--out"),
    c("ac-unknown-option", f"access {REGION} --threshold 15 --out run", "No such option",
      "--threshold"),
    c("ac-control-replaces-earlier-run", f"access {REGION} --profile car --thresholds 30 "
      "--out old", "report.html", code=0, makes="old", prep=dict(OLD_RUN)),
]  # fmt: skip

SITE_REGION = f"site {REGION} --tier township_health_center"
SITE = [
    c("st-pmedian-without-p", f"{SITE_REGION} --model pmedian --out run", "pmedian", "--p",
      absent=("needs add",)),
    c("st-mclp-without-threshold", f"{SITE_REGION} --p 2 --out run", "mclp", "--threshold"),
    c("st-lscp-without-threshold", f"{SITE_REGION} --model lscp --out run", "lscp",
      "--threshold"),
    c("st-mclp-without-either", f"{SITE_REGION} --out run", "--p and --threshold"),
    c("st-p-1000", f"{SITE_REGION} --p 1000 --threshold 15 --out run", "--p", "1000",
      "at most 73", absent=("1020", "p=")),
    c("st-p-zero", f"{SITE_REGION} --p 0 --threshold 15 --out run", "--p", ">= 1"),
    c("st-p-negative", f"{SITE_REGION} --p -1 --threshold 15 --out run", "--p", "-1"),
    c("st-p-text", f"{SITE_REGION} --p three --threshold 15 --out run", "--p", "valid integer"),
    c("st-p-with-lscp", f"{SITE_REGION} --model lscp --p 2 --threshold 15 --out run",
      "--p", "lscp"),
    c("st-threshold-with-pmedian", f"{SITE_REGION} --model pmedian --p 2 --threshold 15 "
      "--out run", "--threshold", "pmedian"),
    c("st-threshold-zero", f"{SITE_REGION} --p 1 --threshold 0 --out run", "--threshold",
      absent=("cutoff",)),
    c("st-threshold-negative", f"{SITE_REGION} --p 1 --threshold -15 --out run",
      "--threshold", "-15", absent=("cutoff",)),
    c("st-threshold-nan", f"{SITE_REGION} --p 1 --threshold nan --out run", "--threshold",
      absent=("cutoff",)),
    c("st-threshold-inf", f"{SITE_REGION} --p 1 --threshold inf --out run", "--threshold",
      absent=("cutoff",)),
    c("st-threshold-1e308", f"{SITE_REGION} --p 1 --threshold 1e308 --out run", "--threshold",
      "up to 10080", absent=("cutoff",)),
    c("st-max-minutes-zero", f"{SITE_REGION} --model pmedian --p 1 --max-minutes 0 --out run",
      "--max-minutes", absent=("max_minutes",)),
    c("st-max-minutes-below-threshold", f"{SITE_REGION} --p 1 --threshold 30 --max-minutes 10"
      " --out run", "--max-minutes", "--threshold"),
    c("st-time-limit-zero", f"{SITE_REGION} --p 1 --threshold 15 --time-limit 0 --out run",
      "--time-limit", "positive"),
    c("st-time-limit-nan", f"{SITE_REGION} --p 1 --threshold 15 --time-limit nan --out run",
      "--time-limit"),
    c("st-seed-negative", f"{SITE_REGION} --p 1 --threshold 15 --seed -1 --out run", "--seed",
      "0 to 4294967295", "-1"),
    c("st-seed-too-big", f"{SITE_REGION} --p 1 --threshold 15 --seed 4294967296 --out run",
      "--seed", "4294967296"),
    c("st-seed-text", f"{SITE_REGION} --p 1 --threshold 15 --seed abc --out run", "--seed"),
    c("st-tier-unknown", f"site {REGION} --tier mega_hospital --p 1 --threshold 15 --out run",
      "--tier", "mega_hospital", "township_health_center"),
    c("st-tier-lowest", f"site {REGION} --tier village_clinic --p 1 --threshold 15 --out run",
      "--p", "village_clinic", "at most 0"),
    c("st-tier-empty", f"site {REGION} --tier '' --p 1 --threshold 15 --out run", "--tier"),
    c("st-tier-missing", f"site {REGION} --p 1 --threshold 15 --out run", "Missing option",
      "--tier"),
    c("st-tier-not-in-region", "site IN/schools.gpkg --tier township_health_center --p 1 "
      "--threshold 15 --out run", "township_health_center", "health"),
    c("st-model-unknown", f"{SITE_REGION} --model kmeans --p 1 --out run", "--model",
      "kmeans", "mclp"),
    c("st-profile-unknown", f"{SITE_REGION} --p 1 --threshold 15 --profile bike --out run",
      "--profile", "bike"),
    c("st-profiles-malformed", f"{SITE_REGION} --p 1 --threshold 15 --profiles "
      "IN/prof_bad.toml --out run", "prof_bad.toml", "not valid TOML"),
    c("st-no-facilities", "site IN/no_facilities.gpkg --tier township_health_center --p 1 "
      "--threshold 15 --out run", "no facilities"),
    c("st-no-settlements", "site IN/no_settlements.gpkg --tier township_health_center --p 1 "
      "--threshold 15 --out run", "no settlements"),
    c("st-region-missing", "site nowhere.gpkg --tier township_health_center --p 1 "
      "--threshold 15 --out run", "nowhere.gpkg", "does not exist"),
    c("st-out-dot", f"{SITE_REGION} --p 1 --threshold 15 --out .", "current folder"),
    c("st-out-is-a-file", f"{SITE_REGION} --p 1 --threshold 15 --out f.txt", "is a file",
      prep={"f.txt": "mine"}),
    c("st-out-user-folder", f"{SITE_REGION} --p 1 --threshold 15 --out mine",
      "not an accessplan run", prep={"mine/a.csv": "x\n"}),
    c("st-control", f"{SITE_REGION} --p 1 --threshold 15 --out run", "report.html", code=0,
      makes="run"),
]  # fmt: skip

SURFACE_ROWS = [
    c("sf-dem-missing", SURFACE.replace("IN/dem.tif", "no.tif") + " --out run", "--dem",
      "no.tif", "does not exist"),
    c("sf-dem-folder", SURFACE.replace("IN/dem.tif", "IN/adir") + " --out run", "--dem",
      "folder"),
    c("sf-dem-text", SURFACE.replace("IN/dem.tif", "IN/dem_text.tif") + " --out run",
      "dem_text.tif", "raster"),
    c("sf-dem-no-crs", SURFACE.replace("IN/dem.tif", "IN/dem_nocrs.tif") + " --out run",
      "dem_nocrs.tif", "CRS"),
    c("sf-dem-degrees", SURFACE.replace("IN/dem.tif", "IN/dem_degrees.tif") + " --out run",
      "dem_degrees.tif", "EPSG:4326"),
    c("sf-landcover-grid", SURFACE.replace("IN/cover.tif", "IN/cover_small.tif") + " --out run",
      "cover_small.tif", "shape"),
    c("sf-landcover-crs", SURFACE.replace("IN/cover.tif", "IN/cover_other_crs.tif")
      + " --out run", "cover_other_crs.tif", "reproject"),
    c("sf-landcover-class-missing", SURFACE.replace("IN/cover.tif", "IN/cover_class9.tif")
      + " --out run", "class(es) [9]"),
    c("sf-scenario-columns", SURFACE.replace("IN/scenario.csv", "IN/scenario_cols.csv")
      + " --out run", "scenario_cols.csv", "missing column(s)"),
    c("sf-scenario-duplicate", SURFACE.replace("IN/scenario.csv", "IN/scenario_dup.csv")
      + " --out run", "scenario_dup.csv", "[1]"),
    c("sf-scenario-mode", SURFACE.replace("IN/scenario.csv", "IN/scenario_mode.csv")
      + " --out run", "scenario_mode.csv", "mode"),
    c("sf-scenario-negative", SURFACE.replace("IN/scenario.csv", "IN/scenario_neg.csv")
      + " --out run", "scenario_neg.csv", "speed"),
    c("sf-scenario-text", SURFACE.replace("IN/scenario.csv", "IN/scenario_text.csv")
      + " --out run", "scenario_text.csv", "speed"),
    c("sf-scenario-nan", SURFACE.replace("IN/scenario.csv", "IN/scenario_nan.csv")
      + " --out run", "scenario_nan.csv", "speed"),
    c("sf-scenario-inf", SURFACE.replace("IN/scenario.csv", "IN/scenario_inf.csv")
      + " --out run", "scenario_inf.csv", "speed"),
    c("sf-scenario-header-only", SURFACE.replace("IN/scenario.csv", "IN/scenario_header.csv")
      + " --out run", "scenario table", "class(es) [1]"),
    c("sf-scenario-all-zero", SURFACE.replace("IN/scenario.csv", "IN/scenario_zero.csv")
      + " --out run", "speed 0", absent=("CRS",)),
    c("sf-scenario-zero-bytes", SURFACE.replace("IN/scenario.csv", "IN/zero.csv")
      + " --out run", "zero.csv", "empty"),
    c("sf-scenario-tif", SURFACE.replace("IN/scenario.csv", "IN/pop.tif") + " --out run",
      "pop.tif", ".csv"),
    c("sf-facilities-duplicate", SURFACE.replace("IN/fac.gpkg", "IN/fac_dup.gpkg")
      + " --out run", "duplicate", "a"),
    c("sf-facilities-none", SURFACE.replace("IN/fac.gpkg", "IN/fac_none.gpkg") + " --out run",
      "fac_none.gpkg", "holds no facilities", absent=("CRS",)),
    c("sf-facilities-text", SURFACE.replace("IN/fac.gpkg", "IN/text.gpkg") + " --out run",
      "text.gpkg", "cannot be read"),
    c("sf-id-field-unknown", f"{SURFACE} --id-field code --out run", "'code'", "id field"),
    c("sf-population-csv", f"{SURFACE} --population IN/pop.csv --out run", "--population",
      "pop.csv", "raster"),
    c("sf-population-negative", f"{SURFACE} --population IN/pop_neg.tif --out run",
      "pop_neg.tif", "negative"),
    c("sf-population-grid", f"{SURFACE} --population IN/cover_small.tif --out run",
      "cover_small.tif", "shape"),
    c("sf-roads-no-class", f"{SURFACE} --roads IN/roads_noclass.gpkg --out run",
      "roads_noclass.gpkg", "'class'"),
    c("sf-roads-missing", f"{SURFACE} --roads no.gpkg --out run", "--roads", "no.gpkg"),
    c("sf-barriers-missing", f"{SURFACE} --barriers no.gpkg --out run", "--barriers",
      "no.gpkg"),
    c("sf-zone-field-without-zones", f"{SURFACE} --zone-field zone --out run", "--zone-field",
      "--zones"),
    c("sf-zone-field-unknown", f"{SURFACE} --population IN/pop.tif --zones IN/zones.gpkg "
      "--zone-field name --out run", "zones.gpkg", "'name'"),
    c("sf-zones-without-population", f"{SURFACE} --zones IN/zones.gpkg --out run", "--zones",
      "--population"),
    c("sf-order-field-without-field", f"{SURFACE} --order field --out run", "--order",
      "--order-field"),
    c("sf-order-unknown", f"{SURFACE} --order size --out run", "--order", "size"),
    c("sf-direction-unknown", f"{SURFACE} --direction away --out run", "--direction", "away"),
    c("sf-max-minutes-zero", f"{SURFACE} --max-minutes 0 --out run", "--max-minutes",
      absent=("max_minutes",)),
    c("sf-max-minutes-nan", f"{SURFACE} --max-minutes nan --out run", "--max-minutes",
      absent=("max_minutes",)),
    c("sf-max-minutes-1e308", f"{SURFACE} --max-minutes 1e308 --out run", "--max-minutes",
      "up to", absent=("max_minutes",)),
    c("sf-thresholds-duplicate", f"{SURFACE} --thresholds 10,10 --out run", "--thresholds",
      "more than once"),
    c("sf-capacity-field-unknown", f"{SURFACE} --population IN/pop.tif --capacity-field beds "
      "--out run", "'beds'"),
    c("sf-lang", f"{SURFACE} --lang de --out run", "--lang", "de"),
    c("sf-out-input-folder", "surface --dem data/dem.tif --landcover IN/cover.tif "
      "--facilities IN/fac.gpkg --scenario IN/scenario.csv --out data", "data/dem.tif",
      "inside the output folder", prep={"data/dem.tif": "@dem.tif"}),
    c("sf-out-dot", f"{SURFACE} --out .", "current folder"),
    c("sf-no-dem", "surface --landcover IN/cover.tif --facilities IN/fac.gpkg --scenario "
      "IN/scenario.csv --out run", "Missing option", "--dem"),
    c("sf-control", f"{SURFACE} --population IN/pop.tif --roads IN/roads.gpkg "
      "--capacity-field capacity --max-minutes 30 --out run", "report.html", code=0,
      makes="run"),
]  # fmt: skip

RUN = [
    c("rn-missing", "run nowhere.toml --out run", "nowhere.toml", "does not exist"),
    c("rn-folder", "run adir --out run", "adir", "folder", prep={"adir": None}),
    c("rn-malformed", "run s.toml --out run", "s.toml", "not valid TOML",
      prep={"s.toml": "[region\npath = 1\n"}),
    c("rn-zero-bytes", "run s.toml --out run", "s.toml", "[region]", prep={"s.toml": ""}),
    c("rn-not-utf8", "run s.toml --out run", "s.toml", "not valid TOML",
      prep={"s.toml": b"name = '\xff\xfe'\n"}),
    c("rn-gpkg-as-scenario", f"run {REGION} --out run", "county.gpkg", "TOML"),
    c("rn-unknown-key", "run s.toml --out run", "unknown key(s)", "colour",
      prep=toml("colour = 1\n" + ACCESS_STEP, region="")),
    c("rn-unknown-step-key", "run s.toml --out run", "[[steps]] 1 (access)", "threshold",
      "unknown key(s)", prep=toml('[[steps]]\nkind = "access"\nthreshold = [15]\n')),
    c("rn-unknown-kind", "run s.toml --out run", "[[steps]] 1", "unknown analysis kind",
      "coverage", prep=toml('[[steps]]\nkind = "coverage"\n')),
    c("rn-step-without-kind", "run s.toml --out run", "[[steps]] 1", "kind",
      prep=toml("[[steps]]\nprofiles = ['car']\n")),
    c("rn-kind-number", "run s.toml --out run", "[[steps]] 1", "kind",
      prep=toml("[[steps]]\nkind = 3\n")),
    c("rn-duplicate-step-names", "run s.toml --out run", "step names", "twice",
      prep=toml(ACCESS_STEP + 'name = "twice"\n' + ACCESS_STEP + 'name = "twice"\n')),
    c("rn-bad-step-name", "run s.toml --out run", "name", "A B",
      prep=toml(ACCESS_STEP + 'name = "A B"\n')),
    c("rn-steps-not-tables", "run s.toml --out run", "steps must be",
      prep=toml("", top="steps = 3\n")),
    c("rn-steps-empty", "run s.toml --out run", "steps must be", prep=toml("", top="steps = []\n")),
    c("rn-steps-and-access", "run s.toml --out run", "not both",
      prep=toml("[access]\nthresholds = [15]\n" + ACCESS_STEP)),
    c("rn-access-without-region", "run s.toml --out run", "missing [region]", "access",
      prep=toml(ACCESS_STEP, region="")),
    c("rn-site-without-region", "run s.toml --out run", "missing [region]", "site",
      prep=toml(SITE_STEP + "p = 1\nthreshold = 15\n", region="")),
    c("rn-region-not-table", "run s.toml --out run", "'region' must be a table",
      prep=toml(ACCESS_STEP, region='region = "county.gpkg"\n')),
    c("rn-region-path-folder", "run s.toml --out run", "path", "folder",
      prep={**toml(ACCESS_STEP, region='[region]\npath = "adir"\n'), "adir": None}),
    c("rn-region-path-missing", "run s.toml --out run", "path", "nowhere.gpkg", "not found",
      prep=toml(ACCESS_STEP, region='[region]\npath = "nowhere.gpkg"\n')),
    c("rn-region-path-relative", "run sub/s.toml --out run", "county.gpkg",
      "sub/county.gpkg", prep={
          "sub/s.toml": '[region]\npath = "county.gpkg"\n' + ACCESS_STEP,
          "county.gpkg": "@county.gpkg"}),
    c("rn-region-path-number", "run s.toml --out run", "path", "file path",
      prep=toml(ACCESS_STEP, region="[region]\npath = 3\n")),
    c("rn-region-two-sources", "run s.toml --out run", "exactly one of",
      prep=toml(ACCESS_STEP, region=f'[region]\npath = "{REGION}"\nsynthetic = '
                '"mountain_county"\n')),
    c("rn-region-no-source", "run s.toml --out run", "exactly one of",
      prep=toml(ACCESS_STEP, region="[region]\n")),
    c("rn-region-unknown-key", "run s.toml --out run", "[region]", "gpkg",
      prep=toml(ACCESS_STEP, region='[region]\ngpkg = "x"\n')),
    c("rn-region-synthetic-unknown", "run s.toml --out run", "synthetic", "flat_county",
      prep=toml(ACCESS_STEP, region='[region]\nsynthetic = "flat_county"\n')),
    c("rn-region-path-with-dem", "run s.toml --out run", "dem", "osm",
      prep=toml(ACCESS_STEP, region=f'[region]\npath = "{REGION}"\ndem = "IN/dem.tif"\n')),
    c("rn-region-estimate-negative", "run s.toml --out run", "estimate_population.total",
      prep=toml(ACCESS_STEP, region='[region]\nsynthetic = "mountain_county"\n'
                "estimate_population = { total = -1 }\n")),
    c("rn-region-osm-text", "run s.toml --out run", "fake.osm.pbf", "PBF",
      prep=toml(ACCESS_STEP, region='[region]\nosm = "IN/fake.osm.pbf"\n')),
    c("rn-region-text-gpkg", "run s.toml --out run", "text.gpkg", "GeoPackage",
      prep=toml(ACCESS_STEP, region='[region]\npath = "IN/text.gpkg"\n')),
    c("rn-region-no-facilities", "run s.toml --out run", "no facilities",
      prep=toml(ACCESS_STEP, region='[region]\npath = "IN/no_facilities.gpkg"\n')),
    c("rn-seed-negative", "run s.toml --out run", "seed", "-1", "0 to 4294967295",
      prep=toml(ACCESS_STEP, top="seed = -1\n")),
    c("rn-seed-text", "run s.toml --out run", "seed", "'1'",
      prep=toml(ACCESS_STEP, top='seed = "1"\n')),
    c("rn-seed-float", "run s.toml --out run", "seed", "1.5",
      prep=toml(ACCESS_STEP, top="seed = 1.5\n")),
    c("rn-lang-in-file", "run s.toml --out run", "lang", "fr",
      prep=toml(ACCESS_STEP, top='lang = "fr"\n')),
    c("rn-lang-flag", "run s.toml --lang fr --out run", "--lang", "fr", prep=toml(ACCESS_STEP)),
    c("rn-thresholds-text", "run s.toml --out run", "[[steps]] 1 (access) thresholds", "abc",
      prep=toml('[[steps]]\nkind = "access"\nthresholds = "abc"\n')),
    c("rn-thresholds-mixed", "run s.toml --out run", "thresholds", "'x'",
      prep=toml('[[steps]]\nkind = "access"\nthresholds = [15, "x"]\n')),
    c("rn-thresholds-1e308", "run s.toml --out run", "thresholds", "up to 10080",
      prep=toml('[[steps]]\nkind = "access"\nthresholds = [1e308]\n')),
    c("rn-thresholds-duplicate", "run s.toml --out run", "thresholds", "more than once",
      prep=toml('[[steps]]\nkind = "access"\nthresholds = [15, 15]\n')),
    c("rn-thresholds-bool", "run s.toml --out run", "thresholds", "True",
      prep=toml('[[steps]]\nkind = "access"\nthresholds = [true]\n')),
    c("rn-thresholds-table", "run s.toml --out run", "thresholds", "list",
      prep=toml('[[steps]]\nkind = "access"\nthresholds = { a = 1 }\n')),
    c("rn-profiles-unknown", "run s.toml --out run", "profiles", "bike",
      prep=toml('[[steps]]\nkind = "access"\nprofiles = ["bike"]\n')),
    c("rn-profiles-file-missing", "run s.toml --out run", "profiles_file", "no.toml",
      prep=toml('[[steps]]\nkind = "access"\nprofiles_file = "no.toml"\n')),
    c("rn-profiles-file-folder", "run s.toml --out run", "profiles_file", "folder",
      prep={**toml('[[steps]]\nkind = "access"\nprofiles_file = "adir"\n'), "adir": None}),
    c("rn-site-without-tier", "run s.toml --out run", "(site) missing tier", "it is required",
      prep=toml('[[steps]]\nkind = "site"\np = 1\nthreshold = 15\n')),
    c("rn-site-pmedian-without-p", "run s.toml --out run",
      "[[steps]] 1 (site) the pmedian model needs p",
      prep=toml(SITE_STEP + 'model = "pmedian"\n')),
    c("rn-site-p-1000", "run s.toml --out run", "(site) p", "1000", "at most 73",
      prep=toml(SITE_STEP + "p = 1000\nthreshold = 15\n")),
    c("rn-site-p-float", "run s.toml --out run", "(site) p", "1.5",
      prep=toml(SITE_STEP + "p = 1.5\nthreshold = 15\n")),
    c("rn-site-seed-negative", "run s.toml --out run", "(site) seed", "-1",
      prep=toml(SITE_STEP + "p = 1\nthreshold = 15\nseed = -1\n")),
    c("rn-site-threshold-text", "run s.toml --out run", "(site) threshold", "soon",
      prep=toml(SITE_STEP + 'p = 1\nthreshold = "soon"\n')),
    c("rn-site-max-minutes-zero", "run s.toml --out run", "(site) max_minutes",
      prep=toml(SITE_STEP + "p = 1\nthreshold = 15\nmax_minutes = 0\n")),
    c("rn-site-tier-unknown", "run s.toml --out run", "(site) tier", "mega",
      prep=toml('[[steps]]\nkind = "site"\ntier = "mega"\np = 1\nthreshold = 15\n')),
    c("rn-surface-dem-missing", "run s.toml --out run", "(surface) dem", "no.tif",
      prep=toml('[[steps]]\nkind = "surface"\ndem = "no.tif"\nlandcover = "IN/cover.tif"\n'
                'facilities = "IN/fac.gpkg"\nscenario_table = "IN/scenario.csv"\n', region="")),
    c("rn-surface-dem-folder", "run s.toml --out run", "(surface) dem", "folder",
      prep={**toml('[[steps]]\nkind = "surface"\ndem = "adir"\nlandcover = "IN/cover.tif"\n'
                   'facilities = "IN/fac.gpkg"\nscenario_table = "IN/scenario.csv"\n',
                   region=""), "adir": None}),
    c("rn-surface-missing-keys", "run s.toml --out run", "(surface) missing dem, landcover",
      "they are required",
      prep=toml('[[steps]]\nkind = "surface"\n', region="")),
    c("rn-output-not-table", "run s.toml", "'output' must be a table",
      prep=toml(ACCESS_STEP, top='output = "runs"\n')),
    c("rn-output-unknown-key", "run s.toml", "[output]", "folder",
      prep=toml(ACCESS_STEP, tail='[output]\nfolder = "x"\n')),
    c("rn-output-dir-number", "run s.toml", "[output] dir", "3",
      prep=toml(ACCESS_STEP, tail="[output]\ndir = 3\n")),
    c("rn-output-dir-scenario-folder", "run sub/s.toml", "sub/s.toml", "inside the output",
      prep={"sub/s.toml": f'[region]\npath = "{REGION}"\n{ACCESS_STEP}[output]\ndir = "."\n'}),
    c("rn-no-output", "run s.toml", "--out", prep=toml(ACCESS_STEP)),
    c("rn-out-dot", "run s.toml --out .", "current folder", prep=toml(ACCESS_STEP)),
    c("rn-out-user-folder", "run s.toml --out mine", "not an accessplan run", "notes.txt",
      prep={**toml(ACCESS_STEP), "mine/notes.txt": "keep"}),
    c("rn-out-is-a-file", "run s.toml --out s.toml", "s.toml", prep=toml(ACCESS_STEP)),
    c("rn-control", "run s.toml --out run", "report.html", code=0, makes="run",
      prep=toml(ACCESS_STEP + SITE_STEP + "p = 1\nthreshold = 15\n")),
]  # fmt: skip

DEMO = [
    c("dm-out-is-a-file", "demo --out f.txt", "f.txt", "is a file", prep={"f.txt": "mine"}),
    c("dm-out-user-folder", "demo --out mine", "not an accessplan run", "a.txt",
      prep={"mine/a.txt": "mine"}),
    c("dm-out-dot", "demo --out .", "current folder"),
    c("dm-out-parent", "demo --out ..", "current folder"),
    c("dm-out-parent-file", "demo --out f.txt/demo", "f.txt/demo", "is a file",
      prep={"f.txt": "mine"}),
    c("dm-lang", "demo --lang fr --out d", "--lang", "fr"),
    c("dm-seed-negative", "demo --seed -1 --out d", "--seed", "-1", "0 to 4294967295"),
    c("dm-seed-too-big", "demo --seed 4294967296 --out d", "--seed", "4294967296"),
    c("dm-seed-text", "demo --seed one --out d", "--seed", "valid integer"),
    c("dm-unknown-option", "demo --output d", "No such option", "--output"),
]  # fmt: skip

OTHER = [
    c("unknown-command", "frobnicate", "No such command", "frobnicate"),
    c("verbose-bad-input", f"--verbose travel times {REGION} --cutoff -1 --out t.csv", "--cutoff"),
]

EQUITY = [
    c("eq-unknown-method", f"equity {REGION} --methods 2sfca,magic --out run", "--methods",
      "magic", "2sfca"),
    c("eq-unknown-resource", f"equity {REGION} --resource nurses --out run", "'nurses'",
      "--resource", "beds"),
    c("eq-negative-catchment", f"equity {REGION} --catchment -5 --out run", "--catchment",
      "positive"),
    c("eq-unknown-profile", f"equity {REGION} --profile rocket --out run", "--profile", "rocket"),
]  # fmt: skip

MOBILE = [
    c("mb-no-days", f"mobile {REGION} --days 0 --out run", "--days", ">= 1"),
    c("mb-depot-not-a-facility", f"mobile {REGION} --vehicles V0003:1 --out run", "--vehicles",
      "'V0003' is not a facility"),
    c("mb-workday-words", f"mobile {REGION} --workday eight --out run", "--workday", "8h"),
    c("mb-supply-without-capacity", f"mobile {REGION} --fleet supply --out run", "--capacity"),
    c("mb-unknown-fleet", f"mobile {REGION} --fleet bus --out run", "--fleet", "'bus'"),
    c("mb-holidays-without-start", f"mobile {REGION} --holidays 2025-05-01 --out run",
      "--holidays", "--start"),
    c("mb-nobody-beyond", f"mobile {REGION} --threshold 900 --out run", "no village is beyond",
      "--threshold", "--villages"),
    c("mb-unknown-village", f"mobile {REGION} --villages nope,V0001 --out run", "--villages",
      "'nope'"),
    c("mb-unknown-tier", f"mobile {REGION} --tier palace --out run", "--tier", "'palace'"),
]  # fmt: skip

CATALOGUE = [*REGION_BUILD, *REGION_INFO, *TRAVEL, *ACCESS, *SITE, *SURFACE_ROWS, *RUN, *DEMO,
             *EQUITY, *MOBILE, *OTHER]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Running a row


def snapshot(*roots: Path) -> dict[str, tuple[int, int] | None]:
    """Every file (size, mtime) and folder (None) under ``roots``."""
    out: dict[str, tuple[int, int] | None] = {}
    for root in roots:
        for path in root.rglob("*"):
            stat = path.lstat()
            out[str(path)] = None if path.is_dir() else (stat.st_size, stat.st_mtime_ns)
    return out


def substitute(text: str, inputs: Path) -> str:
    return re.sub(r"(?<![\w/.])IN(?=/|$| )", str(inputs), text)


def prepare(case: Case, folder: Path, inputs: Path) -> None:
    for name, content in case.prep.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif content.startswith("@"):
            shutil.copy(inputs / content[1:], path)
        else:
            path.write_text(substitute(content, inputs), encoding="utf-8")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders made unwritable for the case, writable again afterwards."""
    made: list[Path] = []
    yield made
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        path.chmod(0o755)


def lock(path: Path) -> None:
    """Make ``path`` unwritable, even for root (which chmod does not stop): the immutable
    attribute where the file system has one; else skip the row."""
    path.mkdir(exist_ok=True)
    if os.geteuid() != 0:
        path.chmod(0o555)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0 or (os.access(path, os.W_OK) and _writable(path)):
        pytest.skip("running as root on a file system without chattr +i: cannot lock a folder")


def _writable(path: Path) -> bool:
    try:
        (path / ".probe").touch()
    except OSError:
        return False
    (path / ".probe").unlink()
    return True


def flat(text: str) -> str:
    """Output without the box drawing of usage errors, on one line."""
    return " ".join(re.sub(r"[─│╭╮╰╯]", " ", text).split())


def error_line(output: str) -> str | None:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) <= 1, f"more than one error line:\n{output}"
    return lines[0] if lines else None


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
        )
        for case in CATALOGUE
    ],
)
def test_bad_input(
    case: Case,
    inputs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read_only: list[Path],
) -> None:
    """The row's exit code and message; no traceback; nothing written or deleted."""
    if "small.osm.pbf" in case.args and not (inputs / "small.osm.pbf").exists():
        absent("the Andorra extract is absent: rows of `region build` need it")
    work = tmp_path / "work"
    work.mkdir()
    prepare(case, work, inputs)
    for name in case.readonly:
        lock(work / name)
        read_only.append(work / name)
    monkeypatch.chdir(work)
    before = snapshot(inputs, work)
    result = runner.invoke(app, [substitute(a, inputs) for a in shlex.split(case.args)])
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "accessplan" in f.filename] or frames
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}"
        pytest.fail(f"traceback: {type(exc).__name__}: {exc} (at {where})", pytrace=False)
    assert "Traceback" not in output
    assert result.exit_code == case.code, output
    line = error_line(output)
    if case.code == 2:
        assert line is not None or "Usage:" in output, output
    text = line if line is not None else flat(output)
    for word in case.words:
        assert word in (text if case.code else flat(output)), f"{word!r} not in {text!r}"
    for word in case.absent:
        assert word not in text, f"{word!r} in {text!r}"
    assert text.count("[[steps]]") <= 1, f"the step is named more than once: {text!r}"
    after = snapshot(inputs, work)
    if case.makes:
        made = str(work / case.makes)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        assert changed and all(k == made or k.startswith(made + os.sep) for k in changed), changed
        assert not [k for k in after if Path(k).name.startswith(".")], "a temporary remains"
    else:
        assert after == before, "files written or deleted"


def test_the_catalogue_covers_every_command_and_kind() -> None:
    """At least 150 rows over every command, with unique ids."""
    ids = [case.id for case in CATALOGUE]
    assert len(ids) == len(set(ids)) and len(ids) >= 150
    commands = {shlex.split(case.args)[0] for case in CATALOGUE}
    assert {"region", "travel", "access", "site", "surface", "run", "demo"} <= commands


# ---------------------------------------------------------------------------------------------
# Interruptions


def temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(".*") if ".tmp" in p.name)


def kill_while_writing(args: list[str], folder: Path, pattern: str) -> Path:
    """Start ``accessplan args`` in ``folder``, SIGKILL it as soon as a temporary named like
    ``pattern`` appears; return the temporary it left. Retries when the run won the race."""
    before = set(folder.iterdir())
    for _ in range(5):
        proc = subprocess.Popen(
            [str(ACCESSPLAN), *args],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while proc.poll() is None:
                found = list(folder.glob(pattern))
                if found:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    left = [p for p in folder.glob(pattern) if p.exists()]
                    if left:
                        return left[0]
                time.sleep(0.001)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for path in set(folder.iterdir()) - before:  # the run finished first: start again
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    pytest.fail(f"never caught {pattern} while it was being written")


def test_a_killed_run_leaves_a_temporary_that_the_next_run_removes(
    tmp_path: Path, inputs: Path
) -> None:
    """SIGKILL while the run folder is written: the hidden temporary stays (no process can
    clean up after SIGKILL); the same command run again removes it and writes the folder."""
    shutil.copy(inputs / "county.gpkg", tmp_path / "county.gpkg")
    args = ["access", "county.gpkg", "--profile", "car", "--thresholds", "15", "--out", "run"]
    left = kill_while_writing(args, tmp_path, ".run.*.tmp")
    assert left.is_dir() and not (tmp_path / "run").exists()
    done = subprocess.run([str(ACCESSPLAN), *args], cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert temporaries(tmp_path) == []
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text("utf-8"))
    assert all((tmp_path / "run" / name).is_file() for name in manifest["files"])


def test_a_killed_region_build_leaves_a_temporary_that_the_next_build_removes(
    tmp_path: Path, inputs: Path
) -> None:
    """The same for `region build`: the temporary GeoPackage beside --out."""
    if not (inputs / "small.osm.pbf").exists():
        absent("the Andorra extract is absent: rows of `region build` need it")
    args = ["region", "build", "--osm", str(inputs / "small.osm.pbf")]
    args += ["--dem", str(inputs / "dem.hgt.zip"), "--out", "andorra.gpkg"]
    left = kill_while_writing(args, tmp_path, ".andorra.gpkg.*.tmp*")
    assert left.is_file() and not (tmp_path / "andorra.gpkg").exists()
    done = subprocess.run([str(ACCESSPLAN), *args], cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert temporaries(tmp_path) == []
    assert (tmp_path / "andorra.gpkg").stat().st_size > 0
