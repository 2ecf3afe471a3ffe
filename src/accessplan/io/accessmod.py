"""Inputs in the shape WHO's AccessMod 5 uses them: a scenario table and layers on one grid.

AccessMod keeps every raster on the grid of the DEM and burns vector layers onto it. This
module reads:

* the travel scenario table (CSV or Excel, as AccessMod exports it: ``class``, ``label``,
  ``speed`` in km/h and ``mode`` among ``WALKING``, ``BICYCLING``, ``MOTORIZED``);
* rasters that must share the DEM's grid exactly (same CRS, shape and transform) — a raster
  on another grid is refused, never resampled silently;
* road lines (by their class field) and barrier lines or polygons, and merges them with the
  land cover into one class per cell (:func:`merge_landcover`);
* facility points and a population grid.

The merge is AccessMod's ordered stack (``modules/amAnalysisMergeLandCover``): the user lists
items top first — the land cover, road classes, barrier files — and **the first item listed
with a value in a cell wins it**. A barrier is never written itself: it makes null every cell
it covers that no item above it has claimed, so a road listed above a river crosses it (a
bridge) and a road listed below it is cut. Roads and barrier lines are burned dense, every
cell the line passes through, with GRASS ``v.to.rast -d``'s own algorithm (:func:`_dense_line`,
whose C truncation also burns into the first column or row a line lying within one cell
outside the west or north edge); barrier polygons and zones take the cells whose centre they
cover. "Clean artefacts" then removes the one-cell diagonal bridges a dense road leaves
through a barrier (``amBridgeFinder``). On AccessMod's demo this reproduces its
``land_cover_merged__demo`` on every cell (GDAL's ``all_touched`` instead differs on 51
cells of the west edge, where a road and a river run just outside the grid).

The default stack (:func:`default_stack`) keeps bridges and closed areas: barrier files of
polygons only (restricted areas) on top, then every road class (ascending), then the other
barrier files (rivers), then the land cover.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS
from rasterio import features
from rasterio.enums import MergeAlg

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
    bad_speed = speed.isna() | ~(speed >= 0) | ~np.isfinite(speed)
    bad_mode = ~mode.isin(MODES)
    for bad, what in (
        (bad_class, "an integer class"),
        (bad_speed, "a finite speed in km/h >= 0"),
        (bad_mode, f"a mode among {list(MODES)}"),
    ):
        if bad.any():
            lines = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()
            msg = f"scenario table {str(path)!r}: line(s) {lines} need {what}; fix those cells."
            raise InputError(msg)
    if len(speed) and (speed == 0).all():
        msg = (
            f"scenario table {str(path)!r}: every class ({classes.astype('int64').tolist()[:10]}) "
            "has speed 0, so no cell can be crossed; give the classes people travel through a "
            "speed above 0 (km/h)."
        )
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


# ---------------------------------------------------------------------------- the stack
#: How a stack is written: items top first, separated by commas.
STACK_SYNTAX = (
    "items separated by commas, top first (the first item listed wins a cell): `landcover`; "
    "`roads` (every road class not listed on its own, in ascending class order) or "
    "`roads:<class>`; `barrier` (every barrier file not listed on its own) or "
    "`barrier:<file name without extension, or its position among the barrier files>`; "
    'e.g. "barrier:restricted,roads,barrier:river,landcover"'
)
_NONE = np.iinfo(np.int16).max  # "no item burned this cell" in the rank grids
StackKind = Literal["landcover", "roads", "barrier"]
_KINDS: tuple[StackKind, ...] = ("landcover", "roads", "barrier")


@dataclass(frozen=True)
class StackItem:
    """One item of a merge stack as written: ``kind`` and, for roads and barriers, which one
    (``None``: every one not listed on its own). ``str(item)`` gives it back as text."""

    kind: StackKind
    key: str | None = None

    def __str__(self) -> str:
        return self.kind if self.key is None else f"{self.kind}:{self.key}"


def parse_stack(stack: str | Sequence[str]) -> tuple[StackItem, ...]:
    """A merge stack from text (``"barrier:restricted,roads,barrier:river,landcover"``) or a
    list of such items, top first; :data:`STACK_SYNTAX` gives the grammar.

    Only the form is checked here; whether the named classes and files exist is checked
    against the inputs by :func:`merge_landcover`.
    """
    texts = stack.split(",") if isinstance(stack, str) else [str(t) for t in stack]
    items: list[StackItem] = []
    for position, text in enumerate(texts, start=1):
        kind, _, key = (part.strip() for part in text.strip().partition(":"))
        kind = kind.lower()
        if kind not in _KINDS or (kind == "landcover" and key) or (":" in text and not key):
            msg = (
                f"stack item {position} {text.strip()!r} is not understood; a stack is "
                f"{STACK_SYNTAX}."
            )
            raise InputError(msg)
        if kind == "roads" and key and not re.fullmatch(r"-?\d+", key):
            msg = (
                f"stack item {position} {text.strip()!r}: a road class is an integer "
                f"(roads:1001); a stack is {STACK_SYNTAX}."
            )
            raise InputError(msg)
        items.append(StackItem(cast(StackKind, kind), key or None))
    return tuple(items)


@dataclass(frozen=True)
class _Layer:
    """A resolved stack item: the land cover, one road class or one barrier file."""

    label: str
    road_class: int = 0


def default_stack(
    road_classes: Sequence[int], barrier_names: Sequence[str], barrier_areas: Sequence[bool]
) -> tuple[StackItem, ...]:
    """The stack used when none is given, top first: barrier files holding only polygons
    (restricted areas: nothing crosses them), every road class in ascending order, the
    other barrier files (rivers and other lines: the roads listed above cross them, as
    bridges do), the land cover.
    """
    names = _barrier_keys(barrier_names)
    areas = [StackItem("barrier", n) for n, a in zip(names, barrier_areas, strict=True) if a]
    lines = [StackItem("barrier", n) for n, a in zip(names, barrier_areas, strict=True) if not a]
    roads = [StackItem("roads")] if len(road_classes) else []
    return (*areas, *roads, *lines, StackItem("landcover"))


def _barrier_keys(names: Sequence[str]) -> list[str]:
    """How each barrier file is named in a stack: its file name, or its position when two
    files share a name."""
    return [n if names.count(n) == 1 else str(i) for i, n in enumerate(names, start=1)]


def _resolve(
    items: Sequence[StackItem], road_classes: Sequence[int], barrier_names: Sequence[str]
) -> list[_Layer]:
    """The stack as layers; every input must appear exactly once."""
    keys = _barrier_keys(barrier_names)
    named_roads = {int(i.key) for i in items if i.kind == "roads" and i.key is not None}
    named_barriers = {
        _barrier_position(i, barrier_names, keys)
        for i in items
        if i.kind == "barrier" and i.key is not None and barrier_names
    }
    layers: list[_Layer] = []
    for item in items:
        if item.kind == "landcover":
            layers.append(_Layer("landcover"))
        elif item.kind == "roads":
            if not road_classes:
                msg = f"the stack lists {str(item)!r} but no roads file was given; add roads."
                raise InputError(msg)
            if item.key is None:
                chosen = sorted(set(road_classes) - named_roads)
            elif int(item.key) in road_classes:
                chosen = [int(item.key)]
            else:
                msg = (
                    f"the stack lists {str(item)!r} but the roads file has classes "
                    f"{sorted(set(road_classes))}; list one of those."
                )
                raise InputError(msg)
            layers += [_Layer(f"roads:{c}", road_class=c) for c in chosen]
        else:
            if not barrier_names:
                msg = f"the stack lists {str(item)!r} but no barrier file was given."
                raise InputError(msg)
            chosen = (
                [i for i in range(len(keys)) if i not in named_barriers]
                if item.key is None
                else [_barrier_position(item, barrier_names, keys)]
            )
            layers += [_Layer(f"barrier:{keys[i]}") for i in chosen]
    labels = [layer.label for layer in layers]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    missing = [
        *(f"roads:{c}" for c in sorted(set(road_classes)) if f"roads:{c}" not in labels),
        *(f"barrier:{k}" for k in keys if f"barrier:{k}" not in labels),
    ]
    if "landcover" not in labels:
        missing.insert(0, "landcover")
    if twice or missing:
        problems = []
        if twice:
            problems.append(f"lists {twice} more than once")
        if missing:
            problems.append(f"leaves out {missing}")
        msg = (
            f"the stack {[str(i) for i in items]} {' and '.join(problems)}; every input "
            f"must appear exactly once (a stack is {STACK_SYNTAX})."
        )
        raise InputError(msg)
    return layers


def _barrier_position(item: StackItem, names: Sequence[str], keys: Sequence[str]) -> int:
    key = str(item.key)
    if key in keys:
        return keys.index(key)
    lower = [n.lower() for n in names]
    if key.lower() in lower and lower.count(key.lower()) == 1:
        return lower.index(key.lower())
    if key.isdigit() and 1 <= int(key) <= len(names):
        return int(key) - 1
    listed = ", ".join(f"{n} ({i})" for i, n in enumerate(names, start=1))
    msg = (
        f"the stack lists {str(item)!r} but no barrier file is named {key!r}; the barrier "
        f"files are {listed}: name one by its file name without extension or its position."
    )
    raise InputError(msg)


# ---------------------------------------------------------------------------- burning
def _check_geometry(
    frame: gpd.GeoDataFrame, *, what: str, path: PathArg, allowed: set[str]
) -> None:
    unknown = set(frame.geom_type) - allowed
    if unknown:
        msg = (
            f"{what} file {str(path)!r} holds {sorted(unknown)}; {what}s must be {sorted(allowed)}."
        )
        raise InputError(msg)


def read_roads(
    path: PathArg, grid: Grid, *, field: str = "class"
) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Road lines on the grid's CRS and the integer class of each (the ``field``)."""
    roads = _on_grid(read_vector(path, what="roads"), grid, what="roads", path=path)
    _check_geometry(roads, what="road", path=path, allowed={"LineString", "MultiLineString"})
    lower = {c.lower(): c for c in roads.columns}
    if field.lower() not in lower:
        msg = (
            f"roads file {str(path)!r} has no {field!r} field (found {list(roads.columns)}); "
            "give each road the scenario class it belongs to."
        )
        raise InputError(msg)
    classes = pd.to_numeric(roads[lower[field.lower()]], errors="coerce")
    bad = classes.isna() | (classes != classes.round())
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5]).tolist()
        msg = f"roads file {str(path)!r}: row(s) {rows} have no integer {field!r}; fill them."
        raise InputError(msg)
    return roads.geometry, classes.to_numpy(dtype=np.int64)


def read_barriers(path: PathArg, grid: Grid) -> gpd.GeoSeries:
    """Barrier lines or polygons on the grid's CRS."""
    frame = _on_grid(read_vector(path, what="barrier"), grid, what="barriers", path=path)
    allowed = {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}
    _check_geometry(frame, what="barrier", path=path, allowed=allowed)
    return frame.geometry


def _burn_ranks(
    shapes: list[tuple[shapely.Geometry, int]], grid: Grid, *, dense: bool
) -> np.ndarray:
    """int16 grid holding, per cell, the lowest rank of the shapes burning it (else _NONE).

    ``dense``: lines, burned as GRASS ``v.to.rast -d`` does (:func:`_dense_line`). Otherwise
    areas, taking the cells whose centre they cover (GRASS ``v.to.rast`` for areas).
    """
    out = np.full(grid.shape, _NONE, dtype=np.int16)
    if not shapes:
        return out
    if dense:
        lines = shapely.get_parts([g for g, _ in shapes])
        parts = shapely.get_num_geometries([g for g, _ in shapes])
        ranks = np.repeat([r for _, r in shapes], parts)
        xy, line = shapely.get_coordinates(lines, return_index=True)
        t = grid.transform
        cols = (xy[:, 0] - t.c) / t.a  # GRASS's X(e): columns from the west edge
        rows = (t.f - xy[:, 1]) / -t.e  # Y(n): rows from the north edge
        same = line[1:] == line[:-1]  # consecutive vertices of one line: a segment
        _dense_segments(
            cols[:-1][same], rows[:-1][same], cols[1:][same], rows[1:][same],
            ranks[line[1:][same]].astype(np.int16), out,
        )  # fmt: skip
        return out
    # the last shape drawn wins a cell: draw the lowest rank last
    ordered = sorted(shapes, key=lambda shape: -shape[1])
    features.rasterize(ordered, out=out, transform=grid.transform, merge_alg=MergeAlg.replace)
    return out


@numba.njit(cache=True, error_model="numpy", inline="always")
def _dot(out, col, row, value):
    if 0 <= col < out.shape[1] and 0 <= row < out.shape[0] and value < out[row, col]:
        out[row, col] = value


@numba.njit(cache=True, error_model="numpy")
def _dense_line(x1, y1, x2, y2, value, out):
    """GRASS's ``dense_line`` (``vector/v.to.rast/dense_line.c``) from (col, row) ``x1, y1``
    to ``x2, y2`` in cell units: every cell the segment passes through, found by stepping
    along its longer axis. Cell numbers are truncated toward zero as in C, so a segment up
    to one cell outside the west or north edge burns the first column or row."""
    if x2 < x1:
        x1, y1, x2, y2 = x2, y2, x1, y1
    ix1, ix2, iy1, iy2 = int(x1), int(x2), int(y1), int(y2)
    xinc = 1 if ix2 >= ix1 else -1
    yinc = 1 if iy2 >= iy1 else -1
    if ix1 == ix2:
        while iy1 != iy2:
            _dot(out, ix1, iy1, value)
            iy1 += yinc
    elif iy1 == iy2:
        while ix1 != ix2:
            _dot(out, ix1, iy1, value)
            ix1 += xinc
    elif abs(x2 - x1) >= abs(y2 - y1):
        m = (x2 - x1) / (y2 - y1)  # x where the segment meets the next row's edge
        a = x1 - m * y1
        xnext = int(a + m * (iy1 + 1 if iy1 < iy2 else iy1))
        while ix1 != ix2:
            _dot(out, ix1, iy1, value)
            if ix1 == xnext:
                iy1 += yinc
                _dot(out, ix1, iy1, value)
                if iy1 != iy2:
                    xnext = int(a + m * (iy1 + 1 if iy1 < iy2 else iy1))
                else:
                    xnext = ix2
            ix1 += xinc
        if iy1 != iy2:
            _dot(out, ix1, iy1, value)
    else:
        if y2 < y1:
            x1, y1, x2, y2 = x2, y2, x1, y1
            ix1, ix2, iy1, iy2 = int(x1), int(x2), int(y1), int(y2)
            yinc = 1
            xinc = -1 if x2 < x1 else 1
        m = (y2 - y1) / (x2 - x1)  # y where the segment meets the next column's edge
        a = y1 - m * x1
        ynext = int(a + m * (ix1 + 1 if ix1 < ix2 else ix1))
        while iy1 != iy2:
            _dot(out, ix1, iy1, value)
            if iy1 == ynext:
                ix1 += xinc
                _dot(out, ix1, iy1, value)
                if ix1 != ix2:
                    ynext = int(a + m * (ix1 + 1 if ix1 < ix2 else ix1))
                else:
                    ynext = iy2
            iy1 += yinc
        if ix1 != ix2:
            _dot(out, ix1, iy1, value)
    _dot(out, ix2, iy2, value)


@numba.njit(cache=True, error_model="numpy")
def _dense_segments(x1, y1, x2, y2, values, out):
    """Burn each segment densely; a cell keeps the lowest value burned into it."""
    for i in range(len(x1)):
        _dense_line(x1[i], y1[i], x2[i], y2[i], values[i], out)


def rasterize_barriers(paths: Sequence[PathArg], grid: Grid) -> np.ndarray:
    """Cells under any barrier (bool grid): lines burn every cell they touch, polygons the
    cells whose centre they cover."""
    return np.asarray(
        _barrier_ranks([read_barriers(p, grid) for p in paths], range(len(paths)), grid) < _NONE
    )


def _barrier_ranks(
    geometries: Sequence[gpd.GeoSeries], ranks: Sequence[int], grid: Grid
) -> np.ndarray:
    lines: list[tuple[shapely.Geometry, int]] = []
    areas: list[tuple[shapely.Geometry, int]] = []
    for series, rank in zip(geometries, ranks, strict=True):
        is_line = series.geom_type.str.contains("LineString").to_numpy()
        lines += [(g, rank) for g in series[is_line]]
        areas += [(g, rank) for g in series[~is_line]]
    out = _burn_ranks(lines, grid, dense=True)
    return np.minimum(out, _burn_ranks(areas, grid, dense=False), out=out)


@numba.njit(cache=True, error_model="numpy")
def _merge(classes, road_rank, barrier_rank, landcover_rank, class_of_rank, barrier):
    """First item listed wins a cell: in place on ``classes`` (the land cover on entry)."""
    for i in range(len(classes)):
        lc = landcover_rank if classes[i] == classes[i] else _NONE
        top = min(road_rank[i], barrier_rank[i], lc)
        if top == _NONE:
            continue
        if top == barrier_rank[i]:
            classes[i] = np.nan
            barrier[i] = True
        elif top == road_rank[i]:
            classes[i] = class_of_rank[top]


@numba.njit(cache=True, error_model="numpy")
def _artefacts(classes, road, nrow, ncol):
    """Flat indices of AccessMod's one-cell diagonal bridges: a road cell X (of any road
    item) with W null, SW set, S null; E null, SE set, S null; N null, NE set, E null; or
    W null, NW set, N null, in the merged map (cells off the grid count as null)."""
    found = []
    for r in range(nrow):
        for c in range(ncol):
            i = r * ncol + c
            if not road[i]:
                continue
            n = r > 0 and classes[i - ncol] == classes[i - ncol]
            s = r < nrow - 1 and classes[i + ncol] == classes[i + ncol]
            w = c > 0 and classes[i - 1] == classes[i - 1]
            e = c < ncol - 1 and classes[i + 1] == classes[i + 1]
            sw = r < nrow - 1 and c > 0 and classes[i + ncol - 1] == classes[i + ncol - 1]
            se = r < nrow - 1 and c < ncol - 1 and classes[i + ncol + 1] == classes[i + ncol + 1]
            ne = r > 0 and c < ncol - 1 and classes[i - ncol + 1] == classes[i - ncol + 1]
            nw = r > 0 and c > 0 and classes[i - ncol - 1] == classes[i - ncol - 1]
            if (
                (not w and sw and not s)
                or (not e and se and not s)
                or (not n and ne and not e)
                or (not w and nw and not n)
            ):
                found.append(i)
    return np.array(found, dtype=np.int64)


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
        The class of each cell (float32; NaN where null: under a barrier, a cleaned
        artefact, or without land cover and road): the first stack item with a value there.
    elevation
        Metres (float32; NaN where unknown).
    barrier
        Cells made null by a barrier listed above every item with a value there, or by
        the artefact cleaning (bool).
    scenario
        The scenario table (:func:`read_scenario`).
    grid
        The DEM grid.
    stack
        The stack as merged, top first, one entry per layer (``"roads:1001"``,
        ``"barrier:river"``, ``"landcover"``).
    artefacts
        Road cells made null by the artefact cleaning.
    """

    classes: np.ndarray
    elevation: np.ndarray
    barrier: np.ndarray
    scenario: pd.DataFrame
    grid: Grid
    stack: tuple[str, ...] = ()
    artefacts: int = 0


def merge_landcover(
    dem: PathArg,
    landcover: PathArg,
    scenario: PathArg | pd.DataFrame,
    *,
    roads: PathArg | None = None,
    barriers: Sequence[PathArg] = (),
    road_field: str = "class",
    stack: str | Sequence[str] | None = None,
    clean_artefacts: bool = True,
) -> MergedLandCover:
    """Read the DEM, land cover, roads and barriers onto the DEM grid and merge them as
    AccessMod's ordered stack.

    Parameters
    ----------
    dem, landcover
        Rasters; the land cover must lie on the DEM's grid.
    scenario
        The travel scenario (:func:`read_scenario`) or its file.
    roads, road_field
        Road lines and the field giving each its class.
    barriers
        Barrier files (lines or polygons), each one stack item.
    stack
        Stack items, top first (text or list, :data:`STACK_SYNTAX`); the first item with a
        value in a cell wins it, and a barrier makes null every cell it covers that no item
        above it has claimed. ``None``: :func:`default_stack`.
    clean_artefacts
        Remove AccessMod's one-cell diagonal bridges (see :func:`_artefacts`): road cells
        through which a diagonal move would slip between two barrier cells.
    """
    items = None if stack is None else parse_stack(stack)  # refuse a bad stack before reading
    elevation, grid = read_grid_raster(dem, what="elevation")
    if not grid.crs.is_projected:
        msg = (
            f"elevation raster {str(dem)!r} is in {grid.crs.to_string()}; cost distance "
            "needs a projected grid in metres (reproject it, e.g. to UTM)."
        )
        raise InputError(msg)
    classes, _ = read_grid_raster(landcover, what="land cover", grid=grid)
    table = scenario if isinstance(scenario, pd.DataFrame) else read_scenario(scenario)
    road_lines, road_classes = (
        read_roads(roads, grid, field=road_field)
        if roads is not None
        else (gpd.GeoSeries([]), np.zeros(0, np.int64))
    )
    barrier_lines = [read_barriers(p, grid) for p in barriers]
    names = [Path(p).stem for p in barriers]
    if items is None:
        areas = [
            bool(s.geom_type.str.contains("Polygon").all()) and len(s) > 0 for s in barrier_lines
        ]
        items = default_stack(sorted(set(road_classes.tolist())), names, areas)
    layers = _resolve(items, road_classes.tolist(), names)
    rank = {layer.label: position for position, layer in enumerate(layers)}
    road_rank = _burn_ranks(
        [(g, rank[f"roads:{c}"]) for g, c in zip(road_lines, road_classes.tolist(), strict=True)],
        grid,
        dense=True,
    )
    barrier_rank = _barrier_ranks(
        barrier_lines, [rank[f"barrier:{k}"] for k in _barrier_keys(names)], grid
    )
    class_of_rank = np.array([layer.road_class for layer in layers], dtype=np.float32)
    flat = classes.reshape(-1)
    barrier = np.zeros(grid.shape, dtype=bool)
    _merge(
        flat,
        road_rank.reshape(-1),
        barrier_rank.reshape(-1),
        rank["landcover"],
        class_of_rank,
        barrier.reshape(-1),
    )
    del barrier_rank
    removed = 0
    if clean_artefacts and len(road_classes):
        bridges = _artefacts(flat, road_rank.reshape(-1) < _NONE, *grid.shape)
        removed = int(np.isfinite(flat[bridges]).sum())
        flat[bridges] = np.nan
        barrier.reshape(-1)[bridges] = True
        logger.info("merge: %d one-cell diagonal bridge(s) removed", removed)
    return MergedLandCover(
        classes, elevation, barrier, table, grid, tuple(layer.label for layer in layers), removed
    )


def read_facilities(facilities: PathArg | gpd.GeoDataFrame, *, id_field: str) -> gpd.GeoDataFrame:
    """Facility points with a unique text ``id_field`` (a file or a GeoDataFrame)."""
    frame = (
        facilities.copy()
        if isinstance(facilities, gpd.GeoDataFrame)
        else read_points(facilities, what="facilities")
    )
    if frame.empty:
        name = (
            "the facilities table"
            if isinstance(facilities, gpd.GeoDataFrame)
            else (f"facilities file {str(facilities)!r}")
        )
        raise InputError(f"{name} holds no facilities (no rows); give at least one point.")
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
    """People per cell on ``grid`` (float32; NaN where the raster has no data, which
    AccessMod's zonal sums skip and which counts as no people in totals)."""
    people, _ = read_grid_raster(path, what="population", grid=grid)
    if np.isinf(people).any() or (people < 0).any():
        msg = (
            f"population raster {str(path)!r} holds negative or infinite values; "
            "people per cell must be finite numbers >= 0."
        )
        raise InputError(msg)
    return people
