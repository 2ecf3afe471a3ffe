"""Reading run folders for the page: files, tables, map layers, comparisons.

Everything here reads what :func:`accessplan.run.write_run_folder` wrote — ``manifest.json``
(its list of files), the CSV tables, ``results.gpkg`` — and knows no analysis. A file is
served only when the manifest lists it, so no request names a path of its own. Map layers
go to the page as GeoJSON in EPSG:4326 (the region works in a metric CRS), unreachable
(``inf``) as ``null``; the conversions are kept in memory, keyed by the file's size and time.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyogrio

from accessplan._errors import InputError
from accessplan.run import MANIFEST

#: Most rows a table request returns at once.
MAX_ROWS = 5000
#: A float column is a key of a comparison when both runs hold the same few values in it
#: (thresholds, years), at most this many.
KEY_VALUES = 50


R = TypeVar("R")


def single_flight(maxsize: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """An LRU cache whose misses are computed once: callers asking for the same key while it
    is computed wait for that result instead of each computing it (fifty users opening a
    new run at once convert its layers once, not fifty times)."""

    def decorate(func: Callable[..., R]) -> Callable[..., R]:
        cached = functools.lru_cache(maxsize=maxsize)(func)
        guard = threading.Lock()
        pending: dict[Any, threading.Lock] = {}

        @functools.wraps(func)
        def wrapper(*args: Any) -> R:
            with guard:
                lock = pending.setdefault(args, threading.Lock())
            with lock:
                value = cached(*args)
            with guard:
                pending.pop(args, None)
            return value

        return wrapper

    return decorate


class NotFoundError(LookupError):
    """No such file, table or layer in the run folder."""


def manifest(folder: Path) -> dict[str, Any]:
    """The run folder's manifest."""
    path = folder / MANIFEST
    if not path.is_file():
        raise NotFoundError("this run has no results yet.")
    return dict(json.loads(path.read_text("utf-8")))


def listed(folder: Path, name: str) -> Path:
    """The file ``name`` of the run folder, when its manifest lists it."""
    if name not in manifest(folder)["files"]:
        raise NotFoundError(f"the run folder has no file {name!r}.")
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        raise NotFoundError(f"the run folder has no file {name!r}.")
    return path


def tables(folder: Path) -> list[dict[str, Any]]:
    """The CSV tables of the run: ``name`` (the file, ``step/table.csv`` in a run of several
    steps), ``step`` and ``table``."""
    out = []
    for name in manifest(folder)["files"]:
        if name.endswith(".csv"):
            step, _, table = name.rpartition("/")
            out.append({"name": name, "step": step, "table": table.removesuffix(".csv")})
    return out


def table(
    path: Path,
    *,
    where: dict[str, str] | None = None,
    offset: int = 0,
    limit: int = MAX_ROWS,
) -> dict[str, Any]:
    """Rows of a CSV table as JSON-ready lists, filtered by equal values (``where``, column
    to value as text), from ``offset``, at most ``limit``; with the distinct values of the
    few-valued text columns (for filters on the page)."""
    frame = _csv(path, path.stat().st_mtime_ns, path.stat().st_size)
    choices = {
        column: sorted(frame[column].dropna().astype(str).unique().tolist())
        for column in frame.columns
        if frame[column].dtype == object and 1 < frame[column].nunique() <= KEY_VALUES
    }
    for column, value in (where or {}).items():
        if column not in frame.columns:
            raise InputError(f"table has no column {column!r}; columns are {list(frame.columns)}.")
        frame = frame[frame[column].astype(str) == value]
    page = frame.iloc[offset : offset + min(limit, MAX_ROWS)]
    return {
        "columns": list(frame.columns),
        "rows": _rows(page),
        "total": len(frame),
        "offset": offset,
        "choices": choices,
    }


@single_flight(maxsize=64)
def _csv(path: Path, _mtime: int, _size: int) -> pd.DataFrame:
    # ids and administrative codes stay text, as the CLI wrote them
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for column in frame.columns:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().sum() == frame[column].notna().sum() and not _looks_like_code(column):
            frame[column] = numbers
        else:
            frame[column] = frame[column].astype(object)
    return frame


def _looks_like_code(column: str) -> bool:
    return column == "id" or column.endswith(("_id", "code", "_code")) or column == "parent"


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    out = []
    for row in frame.itertuples(index=False):
        out.append([_cell(v) for v in row])
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is None:
        return None
    return value


def layers(gpkg: Path) -> list[dict[str, Any]]:
    """The map layers of a GeoPackage: name, geometry type, number of features, columns."""
    if not gpkg.is_file():
        return []
    out = []
    for name, geometry in pyogrio.list_layers(gpkg):
        if geometry is None:
            continue
        info = pyogrio.read_info(gpkg, layer=name)
        out.append(
            {
                "name": str(name),
                "geometry": str(geometry),
                "features": int(info["features"]),
                "columns": [str(c) for c in info["fields"]],
            }
        )
    return out


def geojson(gpkg: Path, layer: str) -> bytes:
    """A layer of ``gpkg`` as GeoJSON in EPSG:4326 (coordinates to 1e-6 degrees)."""
    if not gpkg.is_file() or layer not in {name for name, _ in pyogrio.list_layers(gpkg)}:
        raise NotFoundError(f"no map layer {layer!r}.")
    stat = gpkg.stat()
    return _geojson(gpkg, layer, stat.st_mtime_ns, stat.st_size)


@single_flight(maxsize=128)
def _geojson(gpkg: Path, layer: str, _mtime: int, _size: int) -> bytes:
    frame = pyogrio.read_dataframe(gpkg, layer=layer)
    if frame.crs is not None:
        frame = frame.to_crs(4326)
    features = []
    geometry = json.loads(frame.geometry.set_precision(1e-6).to_json())["features"]
    properties = frame.drop(columns=frame.geometry.name)
    columns = list(properties.columns)
    for shape, values in zip(geometry, properties.itertuples(index=False), strict=True):
        features.append(
            {
                "type": "Feature",
                "geometry": shape["geometry"],
                "properties": {c: _json_value(v) for c, v in zip(columns, values, strict=True)},
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()


def _json_value(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if value is not None and pd.isna(value):
        return None
    return value


#: Files served compressed from memory (text, up to this size); others are streamed.
TEXT = (".csv", ".json", ".html", ".txt")
MAX_CACHED = 32 * 1024 * 1024


def text_file(path: Path) -> bytes | None:
    """The bytes of a text file of a run folder (kept in memory while it is unchanged), or
    None for other files and large ones."""
    stat = path.stat()
    if path.suffix.lower() not in TEXT or stat.st_size > MAX_CACHED:
        return None
    return _read(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _read(path: Path, _mtime: int, _size: int) -> bytes:
    return path.read_bytes()


@functools.lru_cache(maxsize=128)
def gzipped(data: bytes) -> bytes:
    """``data`` compressed with gzip, once: the same bytes object (a cached layer or file)
    is compressed on its first request only (bytes keep their hash)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def warm(gpkg: Path) -> int:
    """Convert every layer of ``gpkg`` now (into the cache, compressed too), before anyone
    asks; how many layers."""
    names = [name for name, geometry in pyogrio.list_layers(gpkg) if geometry is not None]
    for name in names:
        gzipped(geojson(gpkg, str(name)))
    return len(names)


#: Colours of the service circle (minutes below 15, 30, 60, above) and of unreachable cells,
#: the page's own (web/frontend/src/map.js); a ramp for other quantities; a palette for classes.
MINUTE_BREAKS = (15.0, 30.0, 60.0)
MINUTE_COLOURS = ("#1a9850", "#a6d96a", "#fdae61", "#d73027")
RAMP = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
)  # fmt: skip
#: Longest side of a raster drawn on the map, in pixels (a 100 M-cell grid is shrunk).
MAX_PIXELS = 2048


def rasters(folder: Path) -> list[dict[str, Any]]:
    """The GeoTIFFs of a run folder, as the map shows them: name (the file), unit, the
    corners of the image in longitude and latitude (top left, top right, bottom right,
    bottom left) and the legend (colour, from, to)."""
    out = []
    for name in manifest(folder)["files"]:
        if name.endswith(".tif"):
            path = folder / name
            image = _raster(path, path.stat().st_mtime_ns, path.stat().st_size)
            out.append({"name": name, **{k: v for k, v in image.items() if k != "png"}})
    return out


def raster_png(path: Path) -> bytes:
    """The raster coloured as :func:`rasters` describes it, as a PNG in Web Mercator (the
    map's own projection: its corners place it exactly); no-data transparent."""
    return bytes(_raster(path, path.stat().st_mtime_ns, path.stat().st_size)["png"])


@single_flight(maxsize=16)
def _raster(path: Path, _mtime: int, _size: int) -> dict[str, Any]:
    import io

    import rasterio
    from PIL import Image
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(path) as src:
        units = str(src.tags(1).get("units", ""))
        crs = "EPSG:3857"
        transform, width, height = calculate_default_transform(
            src.crs, crs, src.width, src.height, *src.bounds
        )
        shrink = max(1.0, max(width, height) / MAX_PIXELS)
        width, height = max(1, int(width / shrink)), max(1, int(height / shrink))
        transform = transform * transform.scale(shrink, shrink)
        values = np.full((height, width), np.nan, dtype=np.float32)
        reproject(
            source=rasterio.band(src, 1),
            destination=values,
            src_nodata=src.nodata,
            dst_transform=transform,
            dst_crs=crs,
            dst_nodata=np.nan,
            resampling=Resampling.nearest,
        )
    colours, legend = _colour(values, units)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    known = np.isfinite(values)
    rgba[known, :3] = colours[known]
    rgba[known, 3] = 200
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", optimize=True)
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    corners = [transform * (0, 0), transform * (width, 0), transform * (width, height)]
    corners.append(transform * (0, height))
    return {
        "units": units,
        "corners": [[round(c, 7) for c in to_lonlat.transform(x, y)] for x, y in corners],
        "legend": legend,
        "png": buffer.getvalue(),
    }


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _colour(values: np.ndarray, units: str) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """RGB per cell and the legend: minutes in the service-circle classes, classes (land
    cover) on the palette, anything else on a five-class quantile ramp."""
    finite = values[np.isfinite(values)]
    if units == "minutes":
        colours = np.array([_rgb(c) for c in MINUTE_COLOURS], dtype=np.uint8)
        index = np.digitize(np.nan_to_num(values, nan=0.0), MINUTE_BREAKS)
        edges = [0.0, *MINUTE_BREAKS, None]
        legend = [
            {"colour": c, "from": edges[i], "to": edges[i + 1]}
            for i, c in enumerate(MINUTE_COLOURS)
        ]
        return colours[index], legend
    if units == "class":
        classes = np.unique(finite)[: len(PALETTE)]
        colours = np.array([_rgb(PALETTE[i]) for i in range(len(classes))] + [_rgb("#b0b0b0")])
        index = np.searchsorted(classes, np.nan_to_num(values, nan=0.0))
        index[~np.isin(values, classes)] = len(classes)
        legend = [{"colour": PALETTE[i], "from": float(v), "to": float(v)}
                  for i, v in enumerate(classes)]  # fmt: skip
        return colours.astype(np.uint8)[index], legend
    breaks = np.unique(np.quantile(finite, [0.2, 0.4, 0.6, 0.8])) if finite.size else np.zeros(0)
    colours = np.array([_rgb(c) for c in RAMP], dtype=np.uint8)
    index = np.digitize(np.nan_to_num(values, nan=0.0), breaks)
    low = [float(finite.min()) if finite.size else 0.0, *map(float, breaks)]
    high = [*map(float, breaks), float(finite.max()) if finite.size else 0.0]
    legend = [{"colour": RAMP[i], "from": low[i], "to": high[i]} for i in range(len(low))]
    return colours[index], legend


def summaries(folder: Path) -> list[dict[str, Any]]:
    """Each step's name, kind and summary, from the manifest."""
    return [
        {"name": s["name"], "kind": s["kind"], "summary": s["summary"]}
        for s in manifest(folder)["steps"]
    ]


def compare_summaries(a: Path, b: Path) -> list[dict[str, Any]]:
    """Key figures of two runs side by side: per step name, every number of the summaries
    with its value in each run and the difference (B - A)."""
    one = {s["name"]: s for s in summaries(a)}
    two = {s["name"]: s for s in summaries(b)}
    rows = []
    for step in [*one, *(name for name in two if name not in one)]:
        left = _flat(one.get(step, {}).get("summary", {}))
        right = _flat(two.get(step, {}).get("summary", {}))
        kind = (one.get(step) or two.get(step) or {}).get("kind")
        for key in [*left, *(k for k in right if k not in left)]:
            x, y = left.get(key), right.get(key)
            numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y))
            rows.append(
                {
                    "step": step,
                    "kind": kind,
                    "key": key,
                    "a": x,
                    "b": y,
                    "diff": (y - x) if numbers else None,  # type: ignore[operator]
                }
            )
    return rows


def _flat(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif not isinstance(value, list):
            out[name] = value
    return out


def common_tables(a: Path, b: Path) -> list[str]:
    """Tables both runs hold, by file name."""
    names = {t["name"] for t in tables(b)}
    return [t["name"] for t in tables(a) if t["name"] in names]


def compare_table(
    a: Path, b: Path, *, where: dict[str, str] | None = None, limit: int = MAX_ROWS
) -> dict[str, Any]:
    """One table of two runs, row by row.

    Rows are matched on the key columns: the text columns, and the number columns holding
    the same few values in both runs (thresholds, years). A column with one value in each
    run (the profile of a run on foot against one by car) names the run, not the row, and is
    left out. Every other number column is shown for A and B with the difference B - A; a
    row in one run only has empty cells in the other.
    """
    left = _csv(a, a.stat().st_mtime_ns, a.stat().st_size)
    right = _csv(b, b.stat().st_mtime_ns, b.stat().st_size)
    for column, value in (where or {}).items():
        for frame in (left, right):
            if column not in frame.columns:
                raise InputError(f"table has no column {column!r}.")
        left = left[left[column].astype(str) == value]
        right = right[right[column].astype(str) == value]
    shared = [c for c in left.columns if c in right.columns]
    labels = [c for c in shared if _constant(left[c]) and _constant(right[c])]
    keys = [c for c in shared if c not in labels and _is_key(left[c], right[c])]
    values = [c for c in shared if c not in keys and pd.api.types.is_numeric_dtype(left[c])]
    values = [c for c in values if pd.api.types.is_numeric_dtype(right[c])]
    if not keys:
        raise InputError("the two tables share no column to match their rows on.")
    left = left[[*keys, *values]].drop_duplicates(keys)
    right = right[[*keys, *values]].drop_duplicates(keys)
    merged = left.merge(right, on=keys, how="outer", suffixes=(" A", " B"), sort=False)
    columns = list(keys)
    for column in values:
        merged[f"{column} Δ"] = merged[f"{column} B"] - merged[f"{column} A"]
        columns += [f"{column} A", f"{column} B", f"{column} Δ"]
    merged = merged[columns]
    return {
        "keys": keys,
        "values": values,
        "columns": columns,
        "rows": _rows(merged.iloc[:limit]),
        "total": len(merged),
    }


def _constant(x: pd.Series) -> bool:
    return len(x) > 1 and x.nunique(dropna=False) == 1


def _is_key(x: pd.Series, y: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(x) or not pd.api.types.is_numeric_dtype(y):
        return True
    seen = set(x.dropna().unique())
    return seen == set(y.dropna().unique()) and 0 < len(seen) <= KEY_VALUES
