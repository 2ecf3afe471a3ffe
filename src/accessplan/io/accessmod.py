"""Inputs in the shape WHO's AccessMod 5 uses them: a scenario table and layers on one grid.

AccessMod keeps every raster on the grid of the DEM and burns vector layers onto it. This
module reads:

* the travel scenario table (CSV or Excel, as AccessMod exports it: ``class``, ``label``,
  ``speed`` in km/h and ``mode`` among ``WALKING``, ``BICYCLING``, ``MOTORIZED``);
* rasters that must share the DEM's grid exactly (same CRS, shape and transform) — a raster
  on another grid is refused, never resampled silently;
* road lines (burned by their ``class`` field) and barrier lines or polygons, rasterised
  onto the grid, and merged with the land cover into one class per cell
  (:func:`merge_landcover`);
* facility points and a population grid.

Rasterisation rules: roads burn the cells their centre line passes through (GDAL's default
line rule, like GRASS ``v.to.rast``); barrier lines burn every cell they touch, so a river
drawn diagonally leaves no gap that a diagonal move could slip through; barrier polygons and
zones take the cells whose centre they cover (GRASS ``v.to.rast`` for areas).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from rasterio import features

from accessplan._errors import CrsError, InputError
from accessplan._types import PathArg
from accessplan.io.raster import open_raster
from accessplan.io.tables import read_points, read_table, read_vector

logger = logging.getLogger(__name__)

#: Travel modes of an AccessMod scenario, in the order of their codes 1, 2, 3 (0: none).
MODES: tuple[str, ...] = ("WALKING", "BICYCLING", "MOTORIZED")
SCENARIO_COLUMNS: tuple[str, ...] = ("class", "label", "speed", "mode")


@dataclass(frozen=True, eq=False)
class Grid:
    """The raster grid every layer of an analysis lives on (the DEM's)."""

    shape: tuple[int, int]
    transform: Affine
    crs: CRS

    @property
    def cell_size(self) -> tuple[float, float]:
        """Cell width and height in CRS units (metres for a projected grid)."""
        return float(abs(self.transform.a)), float(abs(self.transform.e))

    def same_as(self, other: Grid) -> bool:
        """Whether two grids match cell for cell (transform within a millionth of a cell)."""
        size = min(self.cell_size)
        close = np.allclose(list(self.transform)[:6], list(other.transform)[:6], atol=1e-6 * size)
        return self.shape == other.shape and bool(close) and self.crs.equals(other.crs)


def read_scenario(path: PathArg) -> pd.DataFrame:
    """An AccessMod travel scenario: one row per land-cover or road class.

    Returns
    -------
    DataFrame
        ``class`` (int64, unique), ``label`` (str), ``speed`` (float64 km/h, >= 0; 0 makes
        the class impassable) and ``mode`` (one of :data:`MODES`).
    """
    table = read_table(path, what="scenario table")
    table.columns = [c.lower() for c in table.columns]
    missing = [c for c in ("class", "speed", "mode") if c not in table.columns]
    if missing:
        msg = (
            f"scenario table {str(path)!r}: missing column(s) {missing}; found "
            f"{list(table.columns)}. AccessMod's format is class, label, speed (km/h), mode."
        )
        raise InputError(msg)
    if "label" not in table.columns:
        table["label"] = ""
    classes = pd.to_numeric(table["class"], errors="coerce")
    speed = pd.to_numeric(table["speed"], errors="coerce")
    mode = table["mode"].fillna("").str.strip().str.upper()
    bad_class = classes.isna() | (classes != classes.round())
    bad_speed = speed.isna() | (speed < 0)
    bad_mode = ~mode.isin(MODES)
    for bad, what in (
        (bad_class, "an integer class"),
        (bad_speed, "a speed in km/h >= 0"),
        (bad_mode, f"a mode among {list(MODES)}"),
    ):
        if bad.any():
            lines = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()
            msg = f"scenario table {str(path)!r}: line(s) {lines} need {what}; fix those cells."
            raise InputError(msg)
    out = pd.DataFrame(
        {
            "class": classes.astype("int64"),
            "label": table["label"].fillna("").astype(str),
            "speed": speed.astype("float64"),
            "mode": mode,
        }
    )
    dup = out["class"][out["class"].duplicated()]
    if len(dup):
        msg = (
            f"scenario table {str(path)!r}: class(es) {sorted(set(dup))[:5]} appear more "
            "than once; give each class one speed and mode."
        )
        raise InputError(msg)
    return out


def read_grid_raster(
    path: PathArg, *, what: str, grid: Grid | None = None
) -> tuple[np.ndarray, Grid]:
    """Band 1 of a raster as float32 (no-data -> NaN) and its grid.

    When ``grid`` is given the raster must lie on it exactly; otherwise :class:`CrsError` or
    :class:`InputError` says how it differs and how to align it.
    """
    with open_raster(path, what=what) as src:
        if src.crs is None:
            msg = f"{what} raster {str(path)!r} has no CRS; assign the right one first."
            raise CrsError(msg)
        own = Grid((src.height, src.width), src.transform, CRS.from_user_input(src.crs))
        band = src.read(1, masked=True)
    values = np.asarray(band.astype("float32").filled(np.nan))
    if grid is not None and not grid.same_as(own):
        if not grid.crs.equals(own.crs):
            msg = (
                f"{what} raster {str(path)!r} is in {own.crs.to_string()} but the DEM in "
                f"{grid.crs.to_string()}; reproject it onto the DEM grid (e.g. `gdalwarp "
                "-t_srs ... -tr ... -te ...`)."
            )
            raise CrsError(msg)
        msg = (
            f"{what} raster {str(path)!r} has shape {own.shape} and origin/cell "
            f"{tuple(own.transform)[:6]}, the DEM {grid.shape} and {tuple(grid.transform)[:6]}; "
            "resample it onto the DEM grid (same extent and cell size) first."
        )
        raise InputError(msg)
    return values, own


def _on_grid(frame: gpd.GeoDataFrame, grid: Grid, *, what: str, path: PathArg) -> gpd.GeoDataFrame:
    if not CRS.from_user_input(frame.crs).equals(grid.crs):
        logger.info("%s %s: reprojecting from %s to the DEM CRS", what, path, frame.crs)
        frame = frame.to_crs(grid.crs)
    empty = frame.geometry.isna() | frame.geometry.is_empty
    return frame[~empty.to_numpy()]


def rasterize_roads(path: PathArg, grid: Grid, *, field: str = "class") -> np.ndarray:
    """Road lines burned by their class (int32 grid; 0 where no road).

    Where roads cross, the class listed last in the file wins.
    """
    roads = _on_grid(read_vector(path, what="roads"), grid, what="roads", path=path)
    lower = {c.lower(): c for c in roads.columns}
    if field.lower() not in lower:
        msg = (
            f"roads file {str(path)!r} has no {field!r} field (found {list(roads.columns)}); "
            "give each road the scenario class it belongs to."
        )
        raise InputError(msg)
    classes = pd.to_numeric(roads[lower[field.lower()]], errors="coerce")
    if classes.isna().any():
        rows = (np.flatnonzero(classes.isna().to_numpy())[:5]).tolist()
        msg = f"roads file {str(path)!r}: row(s) {rows} have no numeric {field!r}; fill them."
        raise InputError(msg)
    if len(roads) == 0:
        return np.zeros(grid.shape, dtype=np.int32)
    shapes = zip(roads.geometry, classes.astype("int32"), strict=True)
    return np.asarray(
        features.rasterize(
            shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int32"
        )
    )


def rasterize_barriers(paths: Sequence[PathArg], grid: Grid) -> np.ndarray:
    """Cells under any barrier: touched by a line, or centred in a polygon (bool grid)."""
    mask = np.zeros(grid.shape, dtype=bool)
    for path in paths:
        frame = _on_grid(read_vector(path, what="barrier"), grid, what="barriers", path=path)
        kinds = set(frame.geom_type)
        unknown = kinds - {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}
        if unknown:
            msg = (
                f"barrier file {str(path)!r} holds {sorted(unknown)}; barriers must be lines "
                "or polygons."
            )
            raise InputError(msg)
        lines = frame.geom_type.str.contains("LineString").to_numpy()
        for part, touched in ((frame[lines], True), (frame[~lines], False)):
            if len(part):
                mask |= features.rasterize(
                    ((g, 1) for g in part.geometry),
                    out_shape=grid.shape,
                    transform=grid.transform,
                    fill=0,
                    all_touched=touched,
                    dtype="uint8",
                ).astype(bool)
    return mask


def rasterize_zones(path: PathArg, grid: Grid, *, field: str) -> tuple[np.ndarray, list[str]]:
    """Zone polygons as an int32 grid of zone indices (-1 outside every zone) and their names.

    A cell belongs to the zone that covers its centre; zones are named by ``field``.
    """
    zones = _on_grid(read_vector(path, what="zones"), grid, what="zones", path=path)
    if field not in zones.columns:
        msg = (
            f"zones file {str(path)!r} has no {field!r} field (found "
            f"{[c for c in zones.columns if c != zones.geometry.name]}); pass the field that "
            "names the zones."
        )
        raise InputError(msg)
    names = zones[field].astype(str).tolist()
    if len(zones) == 0:
        return np.full(grid.shape, -1, dtype=np.int32), []
    raster = features.rasterize(
        zip(zones.geometry, range(len(zones)), strict=True),
        out_shape=grid.shape,
        transform=grid.transform,
        fill=-1,
        dtype="int32",
    )
    return np.asarray(raster), names


@dataclass(frozen=True, eq=False)
class MergedLandCover:
    """Land cover, roads and barriers merged on the DEM grid, with the scenario table.

    Attributes
    ----------
    classes
        The class of each cell (float; NaN where no land cover): a road's class over the
        land cover's.
    elevation
        Metres (float32; NaN where unknown).
    barrier
        Cells under a barrier (bool).
    scenario
        The scenario table (:func:`read_scenario`).
    grid
        The DEM grid.
    """

    classes: np.ndarray
    elevation: np.ndarray
    barrier: np.ndarray
    scenario: pd.DataFrame
    grid: Grid


def merge_landcover(
    dem: PathArg,
    landcover: PathArg,
    scenario: PathArg | pd.DataFrame,
    *,
    roads: PathArg | None = None,
    barriers: Sequence[PathArg] = (),
    road_field: str = "class",
) -> MergedLandCover:
    """Read the DEM, land cover, roads and barriers onto the DEM grid and merge them."""
    elevation, grid = read_grid_raster(dem, what="elevation")
    if not grid.crs.is_projected:
        msg = (
            f"elevation raster {str(dem)!r} is in {grid.crs.to_string()}; cost distance "
            "needs a projected grid in metres (reproject it, e.g. to UTM)."
        )
        raise InputError(msg)
    classes, _ = read_grid_raster(landcover, what="land cover", grid=grid)
    if roads is not None:
        burned = rasterize_roads(roads, grid, field=road_field)
        on_road = burned > 0
        classes[on_road] = burned[on_road]
    table = scenario if isinstance(scenario, pd.DataFrame) else read_scenario(scenario)
    barrier = rasterize_barriers(barriers, grid)
    return MergedLandCover(classes, elevation, barrier, table, grid)


def read_facilities(facilities: PathArg | gpd.GeoDataFrame, *, id_field: str) -> gpd.GeoDataFrame:
    """Facility points with a unique text ``id_field`` (a file or a GeoDataFrame)."""
    frame = (
        facilities.copy()
        if isinstance(facilities, gpd.GeoDataFrame)
        else read_points(facilities, what="facilities")
    )
    if id_field not in frame.columns:
        msg = (
            f"facilities have no {id_field!r} field (found "
            f"{[c for c in frame.columns if c != frame.geometry.name]}); name the id field."
        )
        raise InputError(msg)
    frame[id_field] = frame[id_field].astype(str)
    dup = frame[id_field][frame[id_field].duplicated()]
    if len(dup):
        msg = f"facilities: duplicate {id_field!r} value(s) {sorted(set(dup))[:5]}."
        raise InputError(msg)
    return frame.reset_index(drop=True)


def read_population_grid(path: PathArg, grid: Grid) -> np.ndarray:
    """People per cell on ``grid`` (float64; no-data counts as 0 people)."""
    people, _ = read_grid_raster(path, what="population", grid=grid)
    people = np.nan_to_num(people.astype("float64"), nan=0.0)
    if not np.isfinite(people).all() or (people < 0).any():
        msg = (
            f"population raster {str(path)!r} holds negative or infinite values; "
            "people per cell must be finite numbers >= 0."
        )
        raise InputError(msg)
    return people
