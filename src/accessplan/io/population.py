"""Population onto settlements: a village table, a population raster, or a declared estimate."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from accessplan._errors import InputError, InputFileNotFoundError
from accessplan._types import PathArg
from accessplan.io import raster, tables
from accessplan.region import Region

logger = logging.getLogger(__name__)

#: Distance (m) within which a population table row given by coordinates matches a settlement.
MATCH_DISTANCE_M = 500.0
#: Most people believed of one settlement (the largest cities hold a few 10^7); a larger or
#: infinite figure is an error (wrong units, a total pasted into a row).
MAX_SETTLEMENT_POPULATION = 1e8
#: Relative size of a place of each OSM kind, for :func:`estimate_by_place`.
PLACE_WEIGHTS: dict[str, float] = {
    "city": 20.0,
    "town": 5.0,
    "suburb": 1.0,
    "quarter": 1.0,
    "neighbourhood": 1.0,
    "village": 1.0,
    "hamlet": 0.2,
    "farm": 0.02,
    "isolated_dwelling": 0.02,
}
ESTIMATE_SOURCE = "estimate: share of total by place kind"


def _check_raster(path: Path) -> None:
    """Refuse a population file that is neither a table nor a raster GDAL reads."""
    try:
        with raster.open_raster(path, what="population"):
            pass
    except InputFileNotFoundError:
        raise
    except InputError as exc:
        msg = (
            f"population file {str(path)!r} is neither a table (.csv, .xlsx) nor a raster "
            "GDAL can read; give a village table or a population raster (e.g. GeoTIFF)."
        )
        raise InputError(msg) from exc


def population_from(settle: gpd.GeoDataFrame, path: PathArg | None, crs: CRS) -> gpd.GeoDataFrame:
    """Settlements with population from a village table or a population raster.

    A file ending in a table suffix (CSV/XLSX) is a table, any other a raster. A table needs
    ``population`` and matches rows by ``id``, else by ``name`` (case-insensitive; a name
    shared by several settlements is refused), else by ``lon``/``lat`` (nearest settlement
    within 500 m). A raster gives each populated cell to its nearest settlement. Matched
    settlements get ``population_source`` "table" or "raster"; the others keep what they had.
    ``path=None`` returns the settlements unchanged.
    """
    if path is None:
        return settle
    path = Path(path)
    out = settle.copy()
    if "population" not in out:
        out["population"] = np.nan
        out["population_source"] = ""
    if path.suffix.lower() not in tables.TABLE_SUFFIXES:  # any raster GDAL reads
        _check_raster(path)
        xy = shapely.get_coordinates(out.geometry.to_numpy())
        totals, _ = raster.sum_to_points(path, xy, crs)
        labels = [f"settlement {i!r}" for i in out["id"]]
        check_plausible(pd.Series(totals), labels, what=f"population raster {str(path)!r}")
        out["population"] = totals
        out["population_source"] = "raster"
        return out
    table = tables.read_table(path, what="population table")
    if len(table) == 0:
        msg = (
            f"population table {str(path)!r} has no rows; expected one row per settlement with "
            "'population' and 'id', 'name' or 'lon'/'lat'. Fill it in, or leave it out."
        )
        raise InputError(msg)
    if "population" not in table:
        msg = (
            f"population table {str(path)!r} needs a 'population' column; found "
            f"{list(table.columns)}."
        )
        raise InputError(msg)
    values = pd.to_numeric(table["population"], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()
        msg = (
            f"population table {str(path)!r}: 'population' is missing, not a number or "
            f"negative at line(s) {rows}; give a count of 0 or more."
        )
        raise InputError(msg)
    lines = [f"line {i + 2}" for i in range(len(table))]
    check_plausible(values, lines, what=f"population table {str(path)!r}")
    target = _match_rows(out, table, path, crs)
    _refuse_repeats(target, out, path)
    matched = target >= 0
    unmatched = int((~matched).sum())
    if unmatched:
        logger.warning("%d row(s) of %s match no settlement", unmatched, path)
    pop = out["population"].to_numpy(dtype="float64").copy()
    source = out["population_source"].to_numpy(dtype=object).copy()
    pop[target[matched]] = values.to_numpy()[matched]
    source[target[matched]] = "table"
    out["population"] = pop
    out["population_source"] = source
    return out


def check_plausible(values: pd.Series, labels: list[str], *, what: str) -> None:
    """Raise when a population is infinite or above :data:`MAX_SETTLEMENT_POPULATION`;
    ``labels`` name the rows (NaN means unknown and passes)."""
    number = values.to_numpy(dtype="float64")
    bad = np.flatnonzero(~np.isnan(number) & ~(number <= MAX_SETTLEMENT_POPULATION))
    if len(bad):
        found = ", ".join(f"{labels[i]}: {number[i]:g}" for i in bad[:5])
        msg = (
            f"{what}: population above {MAX_SETTLEMENT_POPULATION:,.0f} for one settlement "
            f"({found}); expected the people living there. Correct those rows (wrong units, or "
            "a total in one row?)."
        )
        raise InputError(msg)


def _refuse_repeats(target: np.ndarray, settle: gpd.GeoDataFrame, path: Path) -> None:
    """Raise when two table rows give the population of one settlement (the last would win)."""
    rows, counts = np.unique(target[target >= 0], return_counts=True)
    repeated = rows[counts > 1]
    if len(repeated) == 0:
        return
    row = int(repeated[0])
    lines = (np.flatnonzero(target == row) + 2).tolist()
    msg = (
        f"population table {str(path)!r}: line(s) {lines} all give the population of settlement "
        f"{settle['id'].iloc[row]!r} ({settle['name'].iloc[row]!r}); expected one row per "
        f"settlement. Keep one of them ({len(repeated)} settlement(s) repeated)."
    )
    raise InputError(msg)


def _match_rows(settle: gpd.GeoDataFrame, table: pd.DataFrame, path: Path, crs: CRS) -> np.ndarray:
    """Row of ``settle`` for each table row (-1 when none), by id, then name, then position."""
    if "id" in table and table["id"].isin(settle["id"]).any():
        lookup = pd.Series(np.arange(len(settle)), index=settle["id"].to_numpy())
        return lookup.reindex(table["id"].to_numpy()).fillna(-1).to_numpy(dtype=np.int64)
    if "name" in table:
        names = settle["name"].str.strip().str.casefold()
        repeated = sorted(set(names[names.duplicated() & (names != "")]))
        wanted = table["name"].str.strip().str.casefold()
        clash = sorted(set(wanted) & set(repeated))
        if clash:
            msg = (
                f"population table {str(path)!r}: name(s) {clash[:5]} belong to several "
                f"settlements; match those rows by 'id' or by 'lon'/'lat' instead."
            )
            raise InputError(msg)
        lookup = pd.Series(np.arange(len(settle)), index=names.to_numpy())
        lookup = lookup[~lookup.index.duplicated()]
        return lookup.reindex(wanted.to_numpy()).fillna(-1).to_numpy(dtype=np.int64)
    points = tables.read_points(path, what="population table").to_crs(crs)
    xy = shapely.get_coordinates(settle.geometry.to_numpy())
    dist, nearest = cKDTree(xy).query(shapely.get_coordinates(points.geometry.to_numpy()))
    return np.where(dist <= MATCH_DISTANCE_M, nearest, -1).astype(np.int64)


def estimate_by_place(
    region: Region,
    *,
    total: float,
    weights: Mapping[str, float] | None = None,
) -> Region:
    """Declared estimate: share ``total`` people among settlements of unknown population.

    Settlements with a known population keep it. The rest of ``total`` is divided among the
    others in proportion to the weight of their OSM place kind (:data:`PLACE_WEIGHTS`: a town
    counts as five villages, a hamlet as a fifth of one). Estimated rows get
    ``population_source`` = ``"estimate: share of total by place kind"``, so every table and
    report can say which numbers are estimates. Use it only when no census table or raster
    exists.
    """
    table = dict(PLACE_WEIGHTS if weights is None else weights)
    settle = region.settlements
    if "place" not in settle:
        msg = "estimate_by_place needs a 'place' column (the OSM place kind) on the settlements."
        raise InputError(msg)
    unknown = settle["population"].isna().to_numpy()
    known_total = float(settle.loc[~unknown, "population"].sum())
    rest = total - known_total
    if rest < 0:
        msg = (
            f"the total {total:g} is smaller than the {known_total:g} people already known; "
            f"give the region's real total."
        )
        raise InputError(msg)
    kinds = settle.loc[unknown, "place"]
    missing = sorted(set(kinds) - set(table))
    if missing:
        msg = f"no weight for place kind(s) {missing}; add them to `weights`."
        raise InputError(msg)
    w = kinds.map(table).to_numpy(dtype="float64")
    if w.sum() <= 0:
        return region
    pop = settle["population"].to_numpy(dtype="float64").copy()
    pop[unknown] = _round_to_total(rest * w / w.sum(), round(rest))
    source = settle["population_source"].to_numpy(dtype=object).copy()
    source[unknown] = ESTIMATE_SOURCE
    new = settle.assign(population=pop, population_source=source)
    return dataclasses.replace(region, settlements=new)


def _round_to_total(values: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers that add up to ``total`` (largest remainders get the leftover units)."""
    floor = np.floor(values)
    leftover = int(total - floor.sum())
    order = np.argsort(-(values - floor), kind="stable")
    floor[order[:leftover]] += 1
    return floor
