"""Raster accessibility as AccessMod computes it: travel time, capacity coverage, zonal tables.

:func:`measure_surface` reads AccessMod-shaped inputs and merges them as AccessMod's ordered
stack (:mod:`accessplan.io.accessmod`), builds the speed surface and searches it under one
rule set (:mod:`accessplan.travel.surface`), then runs the capacity coverage and the zonal
tables (:mod:`accessplan.measures.capacity`). Its :class:`SurfaceResults` lists the rasters
(travel time, merged land cover, residual population), the tables and the catchments in the
shape every analysis uses (:mod:`accessplan._result`).

Run with ``rules="accessmod-2015"`` and the demo's stack on AccessMod's own demo project,
it reproduces what AccessMod exported (``tests/measures/test_surface.py``): the merged map on
every cell, the travel time within 0.0001 s on every cell AccessMod reaches but 4 cells
without elevation, the capacity table, the residual population and the zonal table.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan._types import PathArg
from accessplan.io.accessmod import (
    Grid,
    merge_landcover,
    parse_stack,
    rasterize_zones,
    read_facilities,
    read_population_grid,
)
from accessplan.measures.capacity import (
    ORDERS,
    CoverageResult,
    geographic_coverage,
    population_within,
    zonal_coverage,
)
from accessplan.travel.surface import RULES, Rules, SpeedSurface, locate_facilities

logger = logging.getLogger(__name__)

Direction = Literal["towards", "from"]
#: Thresholds (minutes) of the "people within" columns by default.
DEFAULT_THRESHOLDS: tuple[float, ...] = (15.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True, eq=False)
class SurfaceResults:
    """Everything :func:`measure_surface` computed.

    Attributes
    ----------
    minutes
        Travel time to (or from) the nearest usable facility, minutes (float), ``inf``
        beyond the maximum time.
    facilities
        The facilities with ``row, col, status`` (flagged ones are kept, with a status).
    capacity
        Per-facility coverage table in processing order (empty without population).
    zonal
        Per-zone table: population, people on barriers, covered, covered share, and people
        within each threshold (a ``(total)`` row last); empty without population.
    catchments
        One polygon per processed facility, in the grid CRS.
    residual
        Residual population after the coverage analysis (None without population).
    surface
        The speed surface searched.
    options
        The options as used (see :func:`measure_surface`).
    land_cover
        The merged class of each cell (NaN where null), AccessMod's ``land_cover_merged``.
    """

    minutes: np.ndarray
    facilities: gpd.GeoDataFrame
    capacity: pd.DataFrame
    zonal: pd.DataFrame
    catchments: gpd.GeoDataFrame
    residual: np.ndarray | None
    surface: SpeedSurface
    options: dict[str, Any] = field(default_factory=dict)
    land_cover: np.ndarray | None = None

    def within(self) -> pd.Series:
        """Total people within each threshold (the ``(total)`` row of the zonal table)."""
        columns = [c for c in self.zonal.columns if c.startswith("within_")]
        return pd.Series(self.zonal.set_index("zone").loc["(total)", columns], dtype=float)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``facilities`` (cell and status of each), and with a population ``capacity`` and
        ``zonal_coverage``."""
        geometry = self.facilities.geometry.name
        tables = {"facilities": pd.DataFrame(self.facilities.drop(columns=geometry))}
        if not self.capacity.empty:
            tables["capacity"] = self.capacity
            tables["zonal_coverage"] = self.zonal
        return tables

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``facilities`` (points with their status) and ``catchments`` (with a population)."""
        layers = {"facilities": self.facilities}
        if not self.capacity.empty:
            layers["catchments"] = self.catchments
        return layers

    def rasters(self) -> dict[str, Raster]:
        """``travel_time`` in minutes as AccessMod exports it (``current``: whole minutes
        rounded up; ``accessmod-2015``: fractional minutes, its float seconds / 60),
        ``land_cover_merged`` (the merged classes) and, with a population,
        ``population_residual`` (people no facility covered; no data where a 2015 inner ring
        was covered)."""
        grid = self.surface.grid
        minutes = self.minutes
        if self.surface.rules == "current":
            minutes = np.ceil(minutes)
        out = {"travel_time": Raster(minutes, grid.transform, grid.crs, "minutes")}
        if self.land_cover is not None:
            out["land_cover_merged"] = Raster(self.land_cover, grid.transform, grid.crs, "class")
        if self.residual is not None:
            out["population_residual"] = Raster(self.residual, grid.transform, grid.crs, "people")
        return out

    def summary(self) -> dict[str, Any]:
        """Cells reached, facilities used and flagged, and (with a population) people
        covered and within each threshold."""
        reached = np.isfinite(self.minutes)
        status = self.facilities["status"].value_counts().to_dict()
        out: dict[str, Any] = {
            "cells": int(self.minutes.size),
            "cells_reached": int(reached.sum()),
            "facilities_used": int(status.get("ok", 0)),
            "facilities_flagged": {k: int(v) for k, v in sorted(status.items()) if k != "ok"},
        }
        if not self.zonal.empty:
            total = self.zonal[self.zonal["zone"] == "(total)"].iloc[0]
            out["population"] = float(total["population"])
            out["covered"] = float(total["covered"])
            out.update({str(c): float(v) for c, v in self.within().items()})
        return out

    def parameters(self) -> dict[str, Any]:
        """The options as used, with the stack as merged and the scenario table (every
        class's speed and mode)."""
        return dict(self.options)


def measure_surface(
    dem: PathArg,
    landcover: PathArg,
    facilities: PathArg | gpd.GeoDataFrame,
    scenario: PathArg | pd.DataFrame,
    *,
    roads: PathArg | None = None,
    barriers: Sequence[PathArg] = (),
    stack: str | Sequence[str] | None = None,
    clean_artefacts: bool = True,
    rules: Rules = "current",
    population: PathArg | None = None,
    zones: PathArg | None = None,
    zone_field: str = "zone",
    direction: Direction = "towards",
    anisotropic: bool = True,
    knight: bool = False,
    max_minutes: float = 120.0,
    capacity_field: str | None = None,
    order: str = "population",
    order_field: str | None = None,
    id_field: str = "id",
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> SurfaceResults:
    """AccessMod-style accessibility: travel time, capacity-limited coverage, zonal tables.

    Parameters
    ----------
    dem, landcover, roads, barriers, scenario
        Inputs of :func:`~accessplan.io.accessmod.merge_landcover`.
    stack
        The merge order, top first: text such as
        ``"barrier:restricted,roads,barrier:river,landcover"`` or a list of such items
        (:data:`~accessplan.io.accessmod.STACK_SYNTAX`). ``None``: restricted areas
        (barrier files of polygons) above the roads (ascending class), above the other
        barriers (rivers: roads cross them), above the land cover
        (:func:`~accessplan.io.accessmod.default_stack`).
    clean_artefacts
        Remove the one-cell diagonal bridges a dense road leaves through a barrier, as
        AccessMod's "clean artefacts" does (on by default, as in AccessMod).
    rules
        ``current`` (AccessMod 5.8+) or ``accessmod-2015``: the cost of a move, bicycling,
        capacity zones and exported minutes (:mod:`accessplan.travel.surface`).
    facilities
        Facility points (file or GeoDataFrame) with a unique ``id_field``.
    population
        People per cell on the DEM grid; enables the coverage and zonal tables.
    zones, zone_field
        Zone polygons and the field naming them, for the zonal table.
    direction, anisotropic, knight, max_minutes
        Travel-time options (see :meth:`~accessplan.travel.surface.SpeedSurface.travel_minutes`);
        ``accessmod-2015`` has no knight's move.
    capacity_field
        Facility field with capacities (people); without it capacity is unlimited.
    order, order_field
        Processing order of the coverage analysis: ``population`` (people within
        ``max_minutes`` of each facility alone), ``capacity`` or ``field`` (``order_field``),
        largest first.
    thresholds
        Minutes for the "people within T" columns.
    """
    _check_options(direction, order, order_field, max_minutes, rules, knight)
    if stack is not None:
        parse_stack(stack)  # a bad stack is refused before any file is read
    frame = read_facilities(facilities, id_field=id_field)
    capacities = _capacities(frame, capacity_field, id_field)
    if order_field is not None and order_field not in frame.columns:
        msg = f"facilities have no order field {order_field!r}; found {list(frame.columns)}."
        raise InputError(msg)
    merged = merge_landcover(
        dem,
        landcover,
        scenario,
        roads=roads,
        barriers=barriers,
        stack=stack,
        clean_artefacts=clean_artefacts,
    )
    surface = SpeedSurface.from_merged(merged, rules=rules)
    located = locate_facilities(frame, surface)
    frame = frame.assign(**{c: located[c].to_numpy() for c in ("row", "col", "status")})
    for row in frame[frame["status"] != "ok"].itertuples():
        logger.warning("facility %s is not used: %s", getattr(row, id_field), row.status)
    ok = np.flatnonzero((frame["status"] == "ok").to_numpy())
    if len(ok) == 0:
        msg = (
            "no facility lies on a passable cell of the DEM grid (statuses: "
            f"{frame['status'].value_counts().to_dict()}); check their CRS and positions."
        )
        raise InputError(msg)
    rows, cols = frame["row"].to_numpy(), frame["col"].to_numpy()
    options: dict[str, Any] = {
        "direction": direction,
        "anisotropic": anisotropic,
        "knight": knight,
        "max_minutes": max_minutes,
    }
    minutes = surface.travel_minutes(rows[ok], cols[ok], **options)
    capacity = pd.DataFrame()
    zonal = pd.DataFrame()
    catchments = gpd.GeoDataFrame(geometry=[], crs=surface.grid.crs)
    residual = None
    if population is not None:
        people = read_population_grid(population, surface.grid)
        outlines: dict[int, shapely.Geometry] = {}
        result = geographic_coverage(
            lambda positions: surface.reaches(rows[positions], cols[positions], **options),
            people,
            capacities,
            max_minutes=max_minutes,
            rules=rules,
            order=order,
            field_values=None if order_field is None else frame[order_field].tolist(),
            facilities=ok,
            passable=surface.passable,
            catchment=lambda i, cells: outlines.__setitem__(
                i, catchment_outline(cells, surface.grid)
            ),
        )
        capacity = _capacity_table(result, frame, id_field)
        zone_grid, names = (
            rasterize_zones(zones, surface.grid, field=zone_field)
            if zones is not None
            else (None, [])
        )
        zone_cells = np.full(people.shape, -1, np.int32) if zone_grid is None else zone_grid
        zonal = zonal_coverage(people, surface.passable, result.residual, zone_cells, names)
        zonal = zonal.merge(
            population_within(minutes, people, thresholds, zone_cells, names).drop(
                columns="population"
            ),
            on="zone",
        )
        attributes = result.table[["facility", "catchment_minutes", "covered"]].assign(
            **{id_field: frame[id_field].to_numpy()[result.table["facility"].to_numpy()]}
        )
        catchments = gpd.GeoDataFrame(
            attributes.drop(columns="facility"),
            geometry=[outlines[i] for i in attributes["facility"]],
            crs=surface.grid.crs,
        )
        residual = result.residual
    used = {
        **options,
        "rules": rules,
        "stack": list(merged.stack),
        "clean_artefacts": clean_artefacts,
        "artefacts_removed": merged.artefacts,
        "capacity_field": capacity_field,
        "order": order,
        "order_field": order_field,
        "id_field": id_field,
        "zone_field": zone_field if zones is not None else None,
        "thresholds_min": [float(t) for t in thresholds],
        "scenario_table": merged.scenario.to_dict("records"),
    }
    return SurfaceResults(
        minutes, frame, capacity, zonal, catchments, residual, surface, used, merged.classes
    )


def catchment_outline(cells: np.ndarray, grid: Grid) -> shapely.Geometry:
    """The polygon of a catchment's cells (flat indices), traced in their bounding window."""
    if len(cells) == 0:
        return shapely.Polygon()
    rows, cols = np.divmod(cells, grid.shape[1])
    r0, c0 = int(rows.min()), int(cols.min())
    mask = np.zeros((int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1), np.uint8)
    mask[rows - r0, cols - c0] = 1
    window = grid.transform * Affine.translation(c0, r0)
    shapes = features.shapes(mask, mask=mask.astype(bool), transform=window)
    return shapely.union_all([shapely.geometry.shape(geom) for geom, _ in shapes])


def _check_options(
    direction: str,
    order: str,
    order_field: str | None,
    max_minutes: float,
    rules: str,
    knight: bool,
) -> None:
    """Refuse bad options before any file is read."""
    problems = []
    if direction not in ("towards", "from"):
        problems.append(f"direction must be 'towards' or 'from', got {direction!r}")
    if order not in ORDERS:
        problems.append(f"order must be one of {list(ORDERS)}, got {order!r}")
    if order == "field" and order_field is None:
        problems.append("order 'field' needs order_field, the facility field to sort by")
    if not max_minutes > 0:
        problems.append(f"max_minutes must be a positive number, got {max_minutes!r}")
    if rules not in RULES:
        problems.append(f"rules must be one of {list(RULES)}, got {rules!r}")
    elif rules == "accessmod-2015" and knight:
        problems.append("rules 'accessmod-2015' have no knight's move; drop knight")
    if problems:
        raise InputError("; ".join(problems) + ".")


def _capacities(frame: gpd.GeoDataFrame, field: str | None, id_field: str) -> np.ndarray:
    if field is None:
        return np.full(len(frame), np.inf)
    if field not in frame.columns:
        msg = f"facilities have no capacity field {field!r}; found {list(frame.columns)}."
        raise InputError(msg)
    values = pd.to_numeric(frame[field], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        ids = frame.loc[bad, id_field].tolist()[:5]
        msg = f"facilities: {field!r} must be a number >= 0 (ids {ids}); fill in capacities."
        raise InputError(msg)
    return values.to_numpy(dtype="float64")


def _capacity_table(result: CoverageResult, frame: gpd.GeoDataFrame, id_field: str) -> pd.DataFrame:
    table = result.table.copy()
    table.insert(1, id_field, frame[id_field].to_numpy()[table["facility"].to_numpy()])
    flagged = frame[frame["status"] != "ok"]
    extra = pd.DataFrame({"facility": flagged.index, id_field: flagged[id_field]})
    out = pd.concat([table, extra], ignore_index=True)
    out["status"] = frame["status"].to_numpy()[out["facility"].to_numpy()]
    out["rank"] = out["rank"].astype("Int64")
    return out
