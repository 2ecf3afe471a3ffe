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
    """Elevation in metres from SRTM (.hgt, .hgt.zip) or GeoTIFF; no-data becomes "
    "NaN."""
    with open_raster(path, what="elevation") as src:
        if src.crs is None:
            msg = (
                f"elevation file {str(path)!r} has no CRS; assign one (e.g. `gdal_edit.py "
                "-a_srs EPSG:4326`)."
            )
            raise InputError(msg)
        band = src.read(1, masked=True).astype("float32")
        elevation = band.filled(np.nan)
        return Terrain(elevation, src.transform, CRS.from_user_input(src.crs))


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
        if (values < 0).any():
            msg = (
                f"population raster {str(path)!r} holds negative values; fix or mask them "
                "as no data."
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
    dist, nearest = cKDTree(xy).query(np.column_stack([x, y]))
    near = dist <= max_distance_m
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
