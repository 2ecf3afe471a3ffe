"""Tables and point layers: CSV (lon/lat or WKT), Excel, GeoPackage and Shapefile."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from accessplan._errors import CrsError, InputError, InputFileNotFoundError
from accessplan._types import PathArg

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
WKT_NAMES = ("wkt", "geometry", "geom")


def _exists(path: Path, what: str) -> None:
    if not path.exists():
        msg = f"{what} file {str(path)!r} does not exist; check the path."
        raise InputFileNotFoundError(msg)


def read_table(path: PathArg, *, what: str) -> pd.DataFrame:
    """A CSV or Excel table with every column read as text (ids and codes stay strings)."""
    path = Path(path)
    _exists(path, what)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            frame = pd.read_excel(path, dtype=str)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, skipinitialspace=True, encoding="utf-8-sig")
        else:
            msg = (
                f"{what} file {str(path)!r}: expected .csv or .xlsx, got {suffix or 'no suffix'!r}."
            )
            raise InputError(msg)
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        msg = (
            f"{what} file {str(path)!r} cannot be read as a table ({exc}); save it as UTF-8 "
            "CSV or .xlsx."
        )
        raise InputError(msg) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def read_vector(path: PathArg, *, what: str) -> gpd.GeoDataFrame:
    """A vector layer (GeoPackage, Shapefile, GeoJSON) that must carry a CRS."""
    path = Path(path)
    _exists(path, what)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:
        msg = f"{what} file {str(path)!r} cannot be read as a vector layer ({exc})."
        raise InputError(msg) from exc
    if frame.crs is None:
        msg = f"{what} file {str(path)!r} has no CRS; define it (a .prj file for a Shapefile)."
        raise CrsError(msg)
    return frame


def read_polygons(path: PathArg, *, what: str) -> gpd.GeoDataFrame:
    """Polygons from a vector file."""
    frame = read_vector(path, what=what)
    bad = ~frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5]).tolist()
        msg = f"{what} file {str(path)!r}: row(s) {rows} are not polygons; give area features."
        raise InputError(msg)
    return frame


def read_points(path: PathArg, *, what: str) -> gpd.GeoDataFrame:
    """Points from a vector file, or from a table with ``lon``/``lat`` (EPSG:4326) or WKT.

    Attribute columns come back as text or numbers as stored; polygons are reduced to a
    representative point.
    """
    path = Path(path)
    _exists(path, what)
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        frame = read_vector(path, what=what)
        frame.geometry = frame.geometry.representative_point()
        return frame
    table = read_table(path, what=what)
    columns = list(table.columns)
    lon, lat, wkt = _find(columns, LON_NAMES), _find(columns, LAT_NAMES), _find(columns, WKT_NAMES)
    if wkt is not None:
        try:
            geometry = shapely.from_wkt(table[wkt].fillna("").to_numpy())
        except shapely.errors.GEOSException as exc:
            msg = f"{what} file {str(path)!r}: column {wkt!r} holds invalid WKT ({exc})."
            raise InputError(msg) from exc
        frame = gpd.GeoDataFrame(table.drop(columns=wkt), geometry=geometry, crs="EPSG:4326")
    elif lon is not None and lat is not None:
        xs = pd.to_numeric(table[lon], errors="coerce")
        ys = pd.to_numeric(table[lat], errors="coerce")
        frame = gpd.GeoDataFrame(
            table.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326"
        )
        bad = (xs.isna() | ys.isna()).to_numpy()
        if bad.any():
            rows = (np.flatnonzero(bad)[:5] + 2).tolist()
            msg = (
                f"{what} file {str(path)!r}: no number in column {lon!r} or {lat!r} at line(s) "
                f"{rows}; fill in the coordinates (decimal degrees, WGS84)."
            )
            raise InputError(msg)
        out_of_range = ((xs.abs() > 180) | (ys.abs() > 90)).to_numpy()
        if out_of_range.any():
            rows = (np.flatnonzero(out_of_range)[:5] + 2).tolist()
            msg = (
                f"{what} file {str(path)!r}: coordinates out of range at line(s) {rows}; "
                f"{lon!r} must be longitude (-180..180) and {lat!r} latitude (-90..90)."
            )
            raise InputError(msg)
    else:
        msg = (
            f"{what} file {str(path)!r} has no coordinates: expected columns 'lon' and 'lat' "
            f"(WGS84 degrees) or a 'wkt' column; found {columns}."
        )
        raise InputError(msg)
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        rows = (np.flatnonzero(empty.to_numpy())[:5] + 2).tolist()
        msg = (
            f"{what} file {str(path)!r}: empty geometry at line(s) {rows}; give every row "
            "coordinates."
        )
        raise InputError(msg)
    frame.geometry = frame.geometry.representative_point()
    return frame


def check_inside(
    frame: gpd.GeoDataFrame,
    extent: BaseGeometry,
    *,
    what: str,
    path: PathArg,
    margin_m: float,
) -> None:
    """Raise when points (in the extent's CRS) lie farther than ``margin_m`` outside ``extent``.

    The usual cause is longitude and latitude given the wrong way round.
    """
    distance = frame.geometry.distance(extent).to_numpy()
    far = distance > margin_m
    if far.any():
        rows = (np.flatnonzero(far)[:5]).tolist()
        ids = list(frame.loc[far, "id"].astype(str)[:5]) if "id" in frame else []
        msg = (
            f"{what} file {str(path)!r}: row(s) {rows} (id {ids}) lie "
            f"{distance[far].min() / 1000:.0f} km or more outside the region; are longitude "
            f"and latitude swapped, or is it the wrong area? Longitude goes in 'lon' (x), "
            f"latitude in 'lat' (y)."
        )
        raise InputError(msg)
