"""Raster accessibility like AccessMod: travel time, capacity-limited coverage, zonal tables.

:func:`measure_surface` reads AccessMod-shaped inputs (:mod:`accessplan.io.accessmod`), builds
the speed surface and searches it (:mod:`accessplan.travel.surface`), then runs the capacity
coverage and the zonal tables (:mod:`accessplan.measures.capacity`). Its
:class:`SurfaceResults` lists the travel-time raster, the tables and the catchments in the
shape every analysis uses (:mod:`accessplan._result`).
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
from rasterio import features

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan._types import PathArg
from accessplan.io.accessmod import (
    Grid,
    merge_landcover,
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
from accessplan.travel.surface import SpeedSurface, locate_facilities

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
        Travel time to (or from) the nearest usable facility, minutes, ``inf`` beyond the
        maximum time.
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
    """

    minutes: np.ndarray
    facilities: gpd.GeoDataFrame
    capacity: pd.DataFrame
    zonal: pd.DataFrame
    catchments: gpd.GeoDataFrame
    residual: np.ndarray | None
    surface: SpeedSurface
    options: dict[str, Any] = field(default_factory=dict)

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
        """``travel_time`` in minutes."""
        grid = self.surface.grid
        return {"travel_time": Raster(self.minutes, grid.transform, grid.crs, "minutes")}

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
        """The options as used, with the scenario table (every class's speed and mode)."""
        return dict(self.options)


def measure_surface(
    dem: PathArg,
    landcover: PathArg,
    facilities: PathArg | gpd.GeoDataFrame,
    scenario: PathArg | pd.DataFrame,
    *,
    roads: PathArg | None = None,
    barriers: Sequence[PathArg] = (),
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
    facilities
        Facility points (file or GeoDataFrame) with a unique ``id_field``.
    population
        People per cell on the DEM grid; enables the coverage and zonal tables.
    zones, zone_field
        Zone polygons and the field naming them, for the zonal table.
    direction, anisotropic, knight, max_minutes
        Travel-time options (see :meth:`~accessplan.travel.surface.SpeedSurface.travel_minutes`).
    capacity_field
        Facility field with capacities (people); without it capacity is unlimited.
    order, order_field
        Processing order of the coverage analysis: ``population`` (people within
        ``max_minutes`` of each facility alone), ``capacity`` or ``field`` (``order_field``),
        largest first.
    thresholds
        Minutes for the "people within T" columns.
    """
    _check_options(direction, order, order_field, max_minutes)
    frame = read_facilities(facilities, id_field=id_field)
    capacities = _capacities(frame, capacity_field, id_field)
    if order_field is not None and order_field not in frame.columns:
        msg = f"facilities have no order field {order_field!r}; found {list(frame.columns)}."
        raise InputError(msg)
    merged = merge_landcover(dem, landcover, scenario, roads=roads, barriers=barriers)
    surface = SpeedSurface.from_merged(merged)
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
        coverable = np.where(surface.passable, people, 0.0)
        result = geographic_coverage(
            lambda i: surface.travel_minutes(rows[i : i + 1], cols[i : i + 1], **options),
            coverable,
            capacities,
            max_minutes=max_minutes,
            order=order,
            field_values=None if order_field is None else frame[order_field].tolist(),
            facilities=ok,
        )
        capacity = _capacity_table(result, frame, id_field)
        zone_grid, names = (
            rasterize_zones(zones, surface.grid, field=zone_field)
            if zones is not None
            else (None, [])
        )
        zone_cells = np.full(people.shape, -1, np.int32) if zone_grid is None else zone_grid
        zonal = zonal_coverage(people, coverable, result.residual, zone_cells, names).merge(
            population_within(minutes, people, thresholds, zone_cells, names).drop(
                columns="population"
            ),
            on="zone",
        )
        catchments = _catchment_polygons(
            result.catchments,
            surface.grid,
            result.table.set_index("facility")[["catchment_minutes", "covered"]].assign(
                **{id_field: frame[id_field].to_numpy()[result.table["facility"].to_numpy()]}
            ),
        )
        residual = result.residual
    used = {
        **options,
        "capacity_field": capacity_field,
        "order": order,
        "order_field": order_field,
        "id_field": id_field,
        "zone_field": zone_field if zones is not None else None,
        "thresholds_min": [float(t) for t in thresholds],
        "scenario_table": merged.scenario.to_dict("records"),
    }
    return SurfaceResults(minutes, frame, capacity, zonal, catchments, residual, surface, used)


def _catchment_polygons(
    cells: dict[int, np.ndarray], grid: Grid, attributes: pd.DataFrame
) -> gpd.GeoDataFrame:
    geometries = []
    for i in attributes.index:
        mask = np.zeros(grid.shape, np.uint8)
        mask.reshape(-1)[cells.get(int(i), np.zeros(0, np.int64))] = 1
        parts = [
            shapely.geometry.shape(geom)
            for geom, _ in features.shapes(mask, mask=mask.astype(bool), transform=grid.transform)
        ]
        geometries.append(shapely.union_all(parts) if parts else shapely.Polygon())
    return gpd.GeoDataFrame(attributes.reset_index(drop=True), geometry=geometries, crs=grid.crs)


def _check_options(direction: str, order: str, order_field: str | None, max_minutes: float) -> None:
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
