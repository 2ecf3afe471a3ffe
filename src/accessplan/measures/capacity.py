"""Capacity-limited geographic coverage on a population grid, after AccessMod 5.

AccessMod's "geographic coverage analysis" (user manual, module 3; R functions
``amCapacityAnalysis`` and ``amCatchmentAnalyst``) processes facilities one after another in
a chosen order. For each facility it takes the travel-time map limited to the maximum time,
groups the *residual* population (people no facility processed before has covered) into
one-minute rings, and grows the catchment ring by ring until the capacity is used up:

* let :math:`P_k` be the residual people in ring :math:`k` (cells with
  :math:`k-1 < t \\le k` minutes; ring 0 is the facility's own cell when :math:`t = 0`) and
  :math:`C_k = \\sum_{j \\le k} P_j`;
* if :math:`C_{k_{max}} \\le c` (capacity :math:`c`, case *C*): every ring is covered, the
  catchment reaches the maximum time (``time_limit_reached``) and :math:`c - C_{k_{max}}`
  capacity is left;
* else let :math:`k^*` be the first ring with :math:`C_{k^*} > c`. If
  :math:`C_{k^*-1} = c` (case *D*) rings :math:`< k^*` are covered exactly. Otherwise
  (cases *A*, *B*) rings :math:`< k^*` are covered in full and ring :math:`k^*` in part: each
  of its cells loses the share :math:`(c - C_{k^*-1}) / P_{k^*}` of its people; the catchment
  is drawn up to ring :math:`k^*`.

Covered people leave the residual population, so a later facility only serves who is left.
Processing order ("population"): AccessMod runs a pre-analysis giving each facility the
population within the maximum time on the initial population, alone, and processes the
largest first; "capacity" and "field" sort on the capacity or a facility field, largest first.
Ties keep the input order.

People on cells nobody can cross (barriers, cells without speed or elevation) can never be
covered: they are left out of the coverable population and reported apart. (AccessMod masks
them out of the residual map; computing "covered" as initial minus residual would then count
them as covered, which this module avoids.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan._errors import InputError

logger = logging.getLogger(__name__)

ORDERS: tuple[str, ...] = ("population", "capacity", "field")

#: Minutes map of one facility (``inf`` beyond the maximum time or unreachable).
TravelMinutes = Callable[[int], np.ndarray]


@dataclass(frozen=True)
class CatchmentFill:
    """What one facility covered (AccessMod's per-facility capacity row).

    Attributes
    ----------
    pop_within_max
        Residual people within the maximum time when the facility was processed
        (AccessMod ``amPopTravelTimeMax``).
    catchment_minutes
        Travel time (whole minutes) of the outermost ring of the catchment
        (``amTravelTimeCatchment``); the maximum time when the capacity was not used up.
    pop_catchment
        Residual people inside the catchment rings (``amPopCatchmentTotal``).
    covered
        People covered, at most the capacity (``amCapacityRealised``).
    capacity_residual
        Capacity left once the catchment reached the maximum time (``amCapacityResidual``).
    time_limit_reached
        Whether the catchment stopped at the maximum time rather than at the capacity.
    """

    pop_within_max: float
    catchment_minutes: float
    pop_catchment: float
    covered: float
    capacity_residual: float
    time_limit_reached: bool


def reached_cells(minutes: np.ndarray, max_minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the cells within ``max_minutes`` and their minutes."""
    flat = minutes.ravel()
    cells = np.flatnonzero(np.isfinite(flat) & (flat <= max_minutes))
    return cells, flat[cells]


def fill_catchment(
    cells: np.ndarray,
    minutes: np.ndarray,
    residual: np.ndarray,
    capacity: float,
    *,
    max_minutes: float,
) -> tuple[CatchmentFill, np.ndarray]:
    """Grow one facility's catchment ring by ring and remove who it covers from ``residual``.

    Parameters
    ----------
    cells, minutes
        Flat indices of the cells the facility reaches within ``max_minutes`` and their
        travel time (see :func:`reached_cells`).
    residual
        Residual population grid; modified in place.
    capacity
        People the facility can serve; ``inf`` covers everyone within ``max_minutes``.
    max_minutes
        The analysis' maximum travel time.

    Returns
    -------
    fill, cells
        The facility's figures and the flat indices of the catchment's cells.
    """
    if not capacity >= 0:
        msg = f"capacity must be a number >= 0 (inf for no limit), got {capacity!r}."
        raise InputError(msg)
    flat_residual = residual.reshape(-1)
    reached = cells
    ring = np.ceil(minutes - 1e-9).astype(np.int64)
    people = flat_residual[reached]
    sums = np.bincount(ring, weights=people) if len(ring) else np.zeros(1)
    cum = np.cumsum(sums)
    total = float(cum[-1])
    over = np.flatnonzero(cum > capacity)
    if len(over) == 0:
        # case C (or D at the last ring): everyone within the maximum time is covered
        exact = bool(total == capacity and total > 0)
        limit = float(np.flatnonzero(cum == total)[0]) if exact else float(max_minutes)
        flat_residual[reached] = 0.0
        fill = CatchmentFill(total, limit, total, total, capacity - total, not exact)
        cells = reached if not exact else reached[ring <= limit]
        return fill, cells
    k = int(over[0])
    before = float(cum[k - 1]) if k > 0 else 0.0
    inner = reached[ring < k]
    flat_residual[inner] = 0.0
    if before == capacity:  # case D: the capacity is used up exactly at ring k - 1
        fill = CatchmentFill(total, float(k - 1), before, before, 0.0, False)
        return fill, inner
    outer = reached[ring == k]
    share = (capacity - before) / float(sums[k])
    flat_residual[outer] *= 1.0 - share
    fill = CatchmentFill(total, float(k), float(cum[k]), float(capacity), 0.0, False)
    return fill, reached[ring <= k]


def processing_order(
    order: str,
    *,
    capacities: np.ndarray,
    field_values: Sequence[object] | None = None,
    pop_within_max: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of the facilities in processing order, largest value first, ties stable."""
    if order not in ORDERS:
        msg = f"order must be one of {list(ORDERS)}, got {order!r}."
        raise InputError(msg)
    if order == "population":
        if pop_within_max is None:
            msg = "order 'population' needs each facility's population within the maximum time."
            raise InputError(msg)
        key = pd.Series(pop_within_max, dtype="float64")
    elif order == "capacity":
        key = pd.Series(capacities, dtype="float64")
    else:
        if field_values is None:
            msg = "order 'field' needs the values of the field to sort facilities by."
            raise InputError(msg)
        raw = pd.Series(list(field_values))
        numbers = pd.to_numeric(raw, errors="coerce")
        key = numbers if numbers.notna().all() else raw.astype(str)
    ranked = key.sort_values(ascending=False, kind="stable", na_position="last")
    return ranked.index.to_numpy(dtype=np.int64)


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Outcome of :func:`geographic_coverage`.

    Attributes
    ----------
    table
        One row per facility in processing order: ``facility`` (position in the input),
        ``rank`` (1 = first processed), ``order_value``, ``capacity``, ``max_minutes`` and
        the :class:`CatchmentFill` fields.
    residual
        Residual population grid after every facility.
    catchments
        Flat cell indices of each facility's catchment, keyed by facility position.
    """

    table: pd.DataFrame
    residual: np.ndarray
    catchments: dict[int, np.ndarray]


def geographic_coverage(
    minutes_of: TravelMinutes,
    coverable: np.ndarray,
    capacities: np.ndarray,
    *,
    max_minutes: float,
    order: str = "population",
    field_values: Sequence[object] | None = None,
    facilities: Sequence[int] | np.ndarray | None = None,
) -> CoverageResult:
    """Capacity-limited coverage of a population grid by facilities processed in order.

    Parameters
    ----------
    minutes_of
        ``minutes_of(i)`` gives facility ``i``'s travel-time grid, limited to ``max_minutes``.
    coverable
        People per cell who can be covered (0 on barriers and outside the grid).
    capacities
        Capacity per facility (``inf`` for no limit).
    max_minutes
        Maximum travel time.
    order, field_values
        Processing order, see :func:`processing_order`.
    facilities
        Positions of the facilities to process (default: all); others are left out.
    """
    capacities = np.asarray(capacities, dtype="float64")
    usable = np.arange(len(capacities)) if facilities is None else np.asarray(facilities)
    residual = np.array(coverable, dtype="float64")
    pop_within: np.ndarray | None = None
    reached: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if order == "population":
        pop_within = np.zeros(len(usable))
        for j, i in enumerate(usable):
            reached[int(i)] = reached_cells(minutes_of(int(i)), max_minutes)
            pop_within[j] = float(residual.reshape(-1)[reached[int(i)][0]].sum())
        logger.info("facilities ordered by population within %g min", max_minutes)
    values = None if field_values is None else [field_values[int(i)] for i in usable]
    ranked = usable[
        processing_order(
            order,
            capacities=capacities[usable],
            field_values=values,
            pop_within_max=pop_within,
        )
    ]
    order_values = {
        "population": None if pop_within is None else dict(zip(usable, pop_within, strict=True)),
        "capacity": dict(zip(usable, capacities[usable], strict=True)),
        "field": None if values is None else dict(zip(usable, values, strict=True)),
    }[order]
    rows = []
    catchments: dict[int, np.ndarray] = {}
    for rank, i in enumerate(ranked, start=1):
        cells, minutes = (
            reached.pop(int(i))
            if int(i) in reached
            else reached_cells(minutes_of(int(i)), max_minutes)
        )
        fill, cells = fill_catchment(
            cells, minutes, residual, capacities[i], max_minutes=max_minutes
        )
        catchments[int(i)] = cells
        rows.append(
            {
                "facility": int(i),
                "rank": rank,
                "order_value": None if order_values is None else order_values[i],
                "capacity": float(capacities[i]),
                "max_minutes": max_minutes,
                **fill.__dict__,
            }
        )
        logger.debug("facility %d: covered %.1f people", i, fill.covered)
    table = pd.DataFrame(
        rows,
        columns=[
            "facility",
            "rank",
            "order_value",
            "capacity",
            "max_minutes",
            *CatchmentFill.__dataclass_fields__,
        ],
    )
    return CoverageResult(table, residual, catchments)


def _zone_sums(values: np.ndarray, zones: np.ndarray, n_zones: int) -> np.ndarray:
    inside = zones >= 0
    return np.bincount(zones[inside], weights=values[inside], minlength=n_zones)


def zonal_coverage(
    population: np.ndarray,
    coverable: np.ndarray,
    residual: np.ndarray,
    zones: np.ndarray,
    names: Sequence[str],
) -> pd.DataFrame:
    """People, coverable people and covered people per zone, with a ``(total)`` row.

    ``zones`` holds each cell's zone index (-1 outside every zone). ``covered_share`` is
    covered over all people of the zone, as AccessMod's ``amPopCoveredPercent`` / 100.
    """
    n = len(names)
    covered = coverable - residual
    table = pd.DataFrame(
        {
            "zone": [*names, "(total)"],
            "population": [*_zone_sums(population, zones, n), float(population.sum())],
            "on_barrier": [
                *_zone_sums(population - coverable, zones, n),
                float((population - coverable).sum()),
            ],
            "covered": [*_zone_sums(covered, zones, n), float(covered.sum())],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["covered_share"] = table["covered"] / table["population"]
    return table


def population_within(
    minutes: np.ndarray,
    population: np.ndarray,
    thresholds: Sequence[float],
    zones: np.ndarray | None = None,
    names: Sequence[str] = (),
) -> pd.DataFrame:
    """People within each time threshold (``t <= T``), per zone and in total.

    Returns one row per zone plus a ``(total)`` row, with ``population`` and, per threshold
    ``T``, ``within_T`` (people) and ``share_within_T``.
    """
    zone_grid = np.full(population.shape, -1, dtype=np.int32) if zones is None else zones
    n = len(names)
    table = pd.DataFrame(
        {
            "zone": [*names, "(total)"],
            "population": [*_zone_sums(population, zone_grid, n), float(population.sum())],
        }
    )
    for limit in thresholds:
        near = np.where(minutes <= limit, population, 0.0)
        label = f"{limit:g}"
        table[f"within_{label}"] = [*_zone_sums(near, zone_grid, n), float(near.sum())]
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"share_within_{label}"] = table[f"within_{label}"] / table["population"]
    return table
