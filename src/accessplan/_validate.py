"""Checks at the door: ids, CRS, geometry types, columns and values."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan._errors import CrsError, InputError, InputFileNotFoundError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = (
            f"{what}: missing column(s) {missing}; found {list(frame.columns)}. "
            f"Add or rename the column(s) so that {missing} are present."
        )
        raise InputError(msg)


def unique_ids(frame: pd.DataFrame, *, what: str, column: str = "id") -> None:
    """Raise when ``frame[column]`` is empty or repeats a value."""
    ids = frame[column]
    if ids.isna().any() or (ids.astype(str).str.strip() == "").any():
        rows = (np.flatnonzero(ids.isna() | (ids.astype(str).str.strip() == ""))[:5]).tolist()
        msg = f"{what}: empty {column!r} in row(s) {rows}; give every row an id."
        raise InputError(msg)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        values = sorted(set(dup.astype(str)))[:5]
        rows = (np.flatnonzero(ids.duplicated(keep=False))[:10]).tolist()
        msg = (
            f"{what}: duplicate {column!r} value(s) {values} in row(s) {rows}; "
            f"ids must be unique within a layer."
        )
        raise InputError(msg)


def has_crs(frame: gpd.GeoDataFrame, *, what: str) -> None:
    """Raise when a GeoDataFrame carries no CRS."""
    if frame.crs is None:
        msg = (
            f"{what}: no coordinate reference system; set one with "
            f"`gdf.set_crs('EPSG:4326')` (or the file's real CRS) before use."
        )
        raise CrsError(msg)


def point_geometries(frame: gpd.GeoDataFrame, *, what: str) -> None:
    """Raise unless every geometry is a non-empty point."""
    geom = frame.geometry
    bad = geom.isna() | geom.is_empty | (geom.geom_type != "Point")
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5]).tolist()
        kinds = sorted(set(geom[bad].geom_type.dropna().astype(str)))
        msg = (
            f"{what}: row(s) {rows} are not points (found {kinds or ['empty']}); "
            f"use points, e.g. `gdf.geometry = gdf.representative_point()`."
        )
        raise InputError(msg)


def non_negative(frame: pd.DataFrame, column: str, *, what: str) -> None:
    """Raise when a numeric column holds a negative value (NaN means unknown and is fine)."""
    if column not in frame.columns:
        return
    values = pd.to_numeric(frame[column], errors="coerce")
    text_bad = values.isna() & frame[column].notna()
    if text_bad.any():
        rows = (np.flatnonzero(text_bad.to_numpy())[:5]).tolist()
        msg = f"{what}: {column!r} is not a number in row(s) {rows}; use numbers or leave empty."
        raise InputError(msg)
    negative = values < 0
    if negative.any():
        rows = (np.flatnonzero(negative.to_numpy())[:5]).tolist()
        ids = list(frame.loc[negative, "id"].astype(str)[:5]) if "id" in frame else []
        msg = (
            f"{what}: negative {column!r} in row(s) {rows} (id {ids}); "
            f"counts must be 0 or more, leave the cell empty when unknown."
        )
        raise InputError(msg)


def load_toml(path: str | Path, *, what: str) -> dict[str, Any]:
    """Read a TOML file with errors that name the file."""
    path = Path(path)
    if not path.exists():
        msg = f"{what} file {str(path)!r} does not exist; check the path."
        raise InputFileNotFoundError(msg)
    if path.is_dir():
        msg = f"{what} file {str(path)!r} is a folder; give the TOML file in it."
        raise InputError(msg)
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{what} file {str(path)!r} is not valid TOML: {exc}."
        raise InputError(msg) from exc
    except OSError as exc:
        msg = f"{what} file {str(path)!r} cannot be read ({exc.strerror}); check the path."
        raise InputError(msg) from exc


def require_places(region: Any) -> None:
    """Raise unless ``region`` (a :class:`~accessplan.region.Region`) has settlements and
    facilities, which every measure of access needs."""
    for layer, source in (("settlements", "places"), ("facilities", "health or school POIs")):
        if len(getattr(region, layer)) == 0:
            msg = (
                f"region {region.name!r} has no {layer}, so there is no access to measure; "
                f"build it from data with {source} or give a {layer} file "
                f"(`accessplan region build --{layer} FILE`)."
            )
            raise InputError(msg)
