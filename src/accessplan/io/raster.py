"""Rasters with rasterio: elevation (SRTM .hgt / .hgt.zip, GeoTIFF) and population grids."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError
from scipy.spatial import cKDTree

from accessplan._errors import InputError, InputFileNotFoundError
from accessplan._types import PathArg
from accessplan.region import Terrain

logger = logging.getLogger(__name__)

RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".img", ".vrt", ".asc", ".zip")


def _dataset_path(path: Path) -> str:
    """rasterio path of a raster, looking inside a .zip for its single raster member."""
    if path.suffix.lower() != ".zip":
        return str(path)
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if Path(m).suffix.lower() in RASTER_SUFFIXES]
    if len(members) != 1:
        msg = (
            f"{str(path)!r}: expected one raster (.hgt or .tif) inside the zip, found "
            f"{members or 'none'}; unzip it and pass the raster itself."
        )
        raise InputError(msg)
    return f"zip://{path}!/{members[0]}"


def open_raster(path: PathArg, *, what: str) -> rasterio.DatasetReader:
    """Open a raster with a clear error when it is missing or unreadable."""
    path = Path(path)
    if not path.exists():
        msg = f"{what} file {str(path)!r} does not exist; check the path."
        raise InputFileNotFoundError(msg)
    try:
        return rasterio.open(_dataset_path(path))
    except (RasterioIOError, zipfile.BadZipFile) as exc:
        msg = (
            f"{what} file {str(path)!r} is not a raster GDAL can read ({exc}); give a "
            "GeoTIFF or SRTM .hgt."
        )
        raise InputError(msg) from exc


def read_dem(path: PathArg) -> Terrain:
    """Elevation in metres from SRTM (.hgt, .hgt.zip) or GeoTIFF; no-data becomes NaN."""
    with open_raster(path, what="elevation") as src:
        if src.crs is None:
            msg = (
                f"elevation file {str(path)!r} has no CRS; assign one (e.g. `gdal_edit.py "
                "-a_srs EPSG:4326`)."
            )
            raise InputError(msg)
        band = src.read(1, masked=True).astype("float32")
        elevation = band.filled(np.nan)
        if not np.isfinite(elevation).any():
            msg = (
                f"elevation file {str(path)!r} holds no elevation: all {elevation.size} cells "
                f"are no data (nodata = {src.nodata!r}); expected heights in metres. Give a DEM "
                "with data over the region, or leave the elevation out."
            )
            raise InputError(msg)
        return Terrain(elevation, src.transform, CRS.from_user_input(src.crs))


def check_covers(
    terrain: Terrain, x: np.ndarray, y: np.ndarray, crs: CRS, *, path: PathArg, what: PathArg
) -> None:
    """Raise when ``terrain`` has an elevation at none of the points (the road nodes of
    ``what``): a DEM of another area would leave every road flat."""
    z = terrain.sample(np.asarray(x), np.asarray(y), crs)
    if np.isfinite(z).any():
        return
    to_degrees = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_degrees.transform(np.asarray(x), np.asarray(y))
    height, width = terrain.elevation.shape
    corners = np.array([terrain.transform * (c, r) for c in (0, width) for r in (0, height)])
    d_lon, d_lat = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True).transform(
        corners[:, 0], corners[:, 1]
    )
    msg = (
        f"elevation file {str(path)!r} has no elevation at any of the {len(z)} road nodes of "
        f"{str(what)!r}: it covers {_extent(d_lon, d_lat)}, the roads {_extent(lon, lat)}. "
        "Give the DEM tile(s) covering the roads (SRTM tiles are named by their south-west "
        "corner, e.g. N42E001), or leave the elevation out."
    )
    raise InputError(msg)


def _extent(lon: np.ndarray, lat: np.ndarray) -> str:
    return (
        f"lon {np.nanmin(lon):.3f}..{np.nanmax(lon):.3f}, "
        f"lat {np.nanmin(lat):.3f}..{np.nanmax(lat):.3f}"
    )


def sum_to_points(
    path: PathArg,
    xy: np.ndarray,
    crs: CRS,
    *,
    max_distance_m: float = 5000.0,
) -> tuple[np.ndarray, float]:
    """Give every populated cell of a population raster to its nearest point and sum.

    Cells farther than ``max_distance_m`` from any point are not given to any. Returns the
    people per point and the people left unallocated.
    """
    with open_raster(path, what="population") as src:
        if src.crs is None:
            msg = f"population raster {str(path)!r} has no CRS; assign the right one first."
            raise InputError(msg)
        data = src.read(1, masked=True)
        values = np.asarray(data.filled(0.0), dtype="float64")
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            msg = (
                f"population raster {str(path)!r} holds {int(bad.sum())} negative or infinite "
                f"cell(s) (e.g. {values[bad][0]!r}); expected people per cell, 0 or more. Fix "
                "them or mask them as no data."
            )
            raise InputError(msg)
        rows, cols = np.nonzero(values > 0)
        people = values[rows, cols]
        t = src.transform
        x = t.a * (cols + 0.5) + t.b * (rows + 0.5) + t.c
        y = t.d * (cols + 0.5) + t.e * (rows + 0.5) + t.f
        x, y = Transformer.from_crs(src.crs, crs, always_xy=True).transform(x, y)
    if len(xy) == 0:
        return np.zeros(0), float(people.sum())
    if len(people) == 0:
        msg = (
            f"population raster {str(path)!r} holds no people: every cell is 0 or no data; "
            "expected people per cell over the region. Check the file, or give a village table."
        )
        raise InputError(msg)
    dist, nearest = cKDTree(xy).query(np.column_stack([x, y]))
    near = dist <= max_distance_m
    if not near.any():
        to_degrees = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        msg = (
            f"population raster {str(path)!r} gives nobody to any settlement: its "
            f"{people.sum():.0f} people (within {_extent(*to_degrees.transform(x, y))}) all "
            f"lie more than {max_distance_m:.0f} m from the {len(xy)} settlements (within "
            f"{_extent(*to_degrees.transform(xy[:, 0], xy[:, 1]))}); expected a raster over "
            "the region. Check its CRS and extent, or give a village table."
        )
        raise InputError(msg)
    totals = np.bincount(nearest[near], weights=people[near], minlength=len(xy))
    left = float(people[~near].sum())
    if left:
        logger.warning(
            "%.0f people in %s lie more than %.0f m from any settlement and were not allocated",
            left,
            path,
            max_distance_m,
        )
    return totals, left
