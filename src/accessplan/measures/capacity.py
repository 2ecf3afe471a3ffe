"""Capacity-limited geographic coverage on a population grid, as AccessMod 5 computes it.

AccessMod's "geographic coverage analysis" (user manual, module 3; R functions
``amCapacityAnalysis`` and ``amCatchmentAnalyst``) processes facilities one after another in
a chosen order. For each facility it takes that facility's own travel-time map within the
maximum time, cuts it into **zones** of whole time units and sums the *residual* population
(the people no facility processed before has covered) by zone, in increasing time:

* let :math:`P_z` be the residual people in zone :math:`z` and :math:`C_z` the cumulative
  sum; only zones holding at least one cell with population data count (AccessMod sums
  with ``r.univar``, which skips null cells);
* the **inner ring** is every zone up to the last one with :math:`C_z \\le c` (capacity
  :math:`c`): its people are covered in full;
* if capacity :math:`r = c - C_{inner}` is left and people remain, the **outer ring** is the
  next zone, of which the share :math:`p = r / P_{outer}` is covered: each of its cells
  keeps :math:`1 - p` of its people (computed as AccessMod does, :math:`x - x p`);
* when everyone reached fits, the inner ring holds them all and capacity is left
  (``time_limit_reached``); when the inner ring uses the capacity exactly there is no
  outer ring.

Covered people leave the residual population, so a later facility only serves who is left.
Processing order: ``population`` runs a first pass giving each facility the population
within the maximum time on the initial population, alone, and processes the largest first;
``capacity`` and ``field`` sort on the capacity or a facility field, largest first. Ties
keep the input order (R's ``order`` is stable).

The two rule sets (:data:`accessplan.travel.surface.RULES`) differ in the zones and in what
the residual holds:

* ``accessmod-2015``: zones are whole **seconds**, ``int(t)``; the inner ring becomes null
  (no data) in the residual; population on barriers stays in the residual;
* ``current`` (AccessMod 5.8+): zones are whole **minutes** rounded up, ``ceil(t / 60)``,
  the minutes AccessMod exports; the inner ring becomes 0; the residual starts at 0 on
  cells that cannot be crossed.

People on cells nobody can cross (barriers, cells without speed or elevation) are never
covered; the zonal table reports them apart (``on_barrier``) and counts them as not covered
under both rule sets.

Each facility costs the cells it reaches (:class:`accessplan.travel.surface.Reach`: flat
indices and seconds), never the whole grid.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.travel.surface import RULES, Reach

logger = logging.getLogger(__name__)

ORDERS: tuple[str, ...] = ("population", "capacity", "field")

#: The searches of the analysis: ``reaches(positions)`` yields each listed facility's
#: :class:`~accessplan.travel.surface.Reach`, in that order.
Reaches = Callable[[Sequence[int]], Iterator[Reach]]


def zone_unit(rules: str) -> str:
    """The unit of the capacity zones: ``"s"`` (2015) or ``"min"`` (current)."""
    if rules not in RULES:
        msg = f"rules must be one of {list(RULES)}, got {rules!r}."
        raise InputError(msg)
    return "s" if rules == "accessmod-2015" else "min"


def zones_of(seconds: np.ndarray, rules: str) -> np.ndarray:
    """Zone of each travel time: whole seconds truncated (2015, ``int()`` in ``r.mapcalc``)
    or whole minutes rounded up (current, AccessMod's exported minutes)."""
    if zone_unit(rules) == "s":
        return np.trunc(seconds).astype(np.int64)
    return np.ceil(seconds / 60.0).astype(np.int64)


def zone_end_minutes(zone: float, rules: str) -> float:
    """The last travel time (minutes) in a zone: zone ``z`` holds ``[z, z + 1)`` seconds
    (2015) or ``(z - 1, z]`` minutes (current)."""
    return (zone + 1.0) / 60.0 if zone_unit(rules) == "s" else float(zone)


@dataclass(frozen=True)
class CatchmentFill:
    """What one facility covered: AccessMod's capacity-table row.

    Attributes
    ----------
    pop_within_max
        Residual people within the maximum time when the facility was processed
        (``amPopTimeMax`` / ``amPopTravelTimeMax``).
    pop_first_zone
        Residual people in the first zone holding people (``amPopFirstCell``).
    inner_ring
        Last zone of the inner ring (zone units, :func:`zone_unit`); NaN when even the first
        zone outnumbers the capacity (``amTimeLimitInnerRing``).
    outer_ring
        Zone of the outer ring; NaN without one (``amTimeLimitOuterRing``).
    outer_share_removed
        Share of the outer ring's people covered; NaN without one
        (``amPopPropRemovedOuterRing``).
    catchment_minutes
        Outer limit of the catchment (minutes): the end of the outer ring, else of the
        inner ring, or the maximum time when the capacity was not used up
        (``amTravelTimeCatchment``).
    pop_catchment
        Residual people inside the catchment's zones (``amPopCatchmentTotal``).
    covered
        People covered, at most the capacity (``amCapacityRealised``).
    capacity_residual
        Capacity left (``amCapacityResidual``).
    time_limit_reached
        Whether the capacity outlasted everyone within the maximum time.
    """

    pop_within_max: float
    pop_first_zone: float
    inner_ring: float
    outer_ring: float
    outer_share_removed: float
    catchment_minutes: float
    pop_catchment: float
    covered: float
    capacity_residual: float
    time_limit_reached: bool


def fill_catchment(
    reach: Reach,
    residual: np.ndarray,
    capacity: float,
    *,
    max_minutes: float,
    rules: str = "current",
) -> tuple[CatchmentFill, np.ndarray]:
    """Fill one facility's catchment zone by zone and remove who it covers from ``residual``.

    Parameters
    ----------
    reach
        The cells the facility reaches within ``max_minutes``, ascending, and their seconds.
    residual
        Residual population grid (float64, NaN where no data); modified in place.
    capacity
        People the facility can serve; ``inf`` covers everyone within ``max_minutes``.
    max_minutes
        The analysis' maximum travel time.
    rules
        Zones and residual as AccessMod 5.8+ (``current``) or 2015 (module docstring).

    Returns
    -------
    fill, cells
        The facility's figures and the flat indices of the catchment's cells.
    """
    return _fill(
        reach.cells, zones_of(reach.seconds, rules), residual, capacity, max_minutes, rules
    )


def _fill(
    cells: np.ndarray,
    zones: np.ndarray,
    residual: np.ndarray,
    capacity: float,
    max_minutes: float,
    rules: str,
) -> tuple[CatchmentFill, np.ndarray]:
    """:func:`fill_catchment` on the reached cells and their zones."""
    if not capacity >= 0:
        msg = f"capacity must be a number >= 0 (inf for no limit), got {capacity!r}."
        raise InputError(msg)
    flat = residual.reshape(-1)
    people = flat[cells]
    known = ~np.isnan(people)
    # sums by zone in row-major order, as r.univar adds them; zones without data drop out
    sums = np.bincount(zones[known], weights=people[known])
    present = np.flatnonzero(np.bincount(zones[known]))
    if len(present) == 0:
        nan = math.nan
        fill = CatchmentFill(0.0, 0.0, nan, nan, nan, max_minutes, 0.0, 0.0, capacity, True)
        return fill, cells
    cum = np.cumsum(sums[present])
    inner = np.flatnonzero(cum <= capacity)
    left = capacity - float(cum[inner[-1]]) if len(inner) else capacity
    inner_zone = float(present[inner[-1]]) if len(inner) else math.nan
    outer = len(inner)  # position of the first zone over the capacity, if any
    has_outer = outer < len(present) and left > 0
    outer_zone = float(present[outer]) if has_outer else math.nan
    share = left / float(sums[present[outer]]) if has_outer else math.nan
    if len(inner):
        flat[cells[zones <= inner_zone]] = math.nan if zone_unit(rules) == "s" else 0.0
    if has_outer:
        ring = cells[zones == outer_zone]
        flat[ring] -= flat[ring] * share
    covered = capacity if has_outer else (float(cum[inner[-1]]) if len(inner) else 0.0)
    if has_outer or left == 0:  # the capacity is used up in the outer ring or exactly
        last = outer_zone if has_outer else inner_zone  # NaN: a capacity of 0, no one covered
        limit = 0.0 if math.isnan(last) else min(zone_end_minutes(last, rules), max_minutes)
        reached_max = False
    else:  # everyone reached fits: the catchment runs to the time limit
        last, limit, reached_max = float(present[-1]), max_minutes, True
    fill = CatchmentFill(
        pop_within_max=float(cum[-1]),
        pop_first_zone=float(cum[0]),
        inner_ring=inner_zone,
        outer_ring=outer_zone,
        outer_share_removed=share,
        catchment_minutes=limit,
        pop_catchment=float(cum[present <= last][-1]) if present[0] <= last else 0.0,
        covered=covered,
        capacity_residual=capacity - covered,
        time_limit_reached=reached_max,
    )
    catchment = cells if reached_max else cells[zones <= last]
    return fill, catchment


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
        ``rank`` (1 = first processed), ``order_value``, ``capacity``, ``max_minutes``, the
        :class:`CatchmentFill` fields with the ring limits named by their unit
        (``inner_ring_s`` and ``outer_ring_s`` in 2015, ``inner_ring_min`` and
        ``outer_ring_min`` today).
    residual
        Residual population grid after every facility (float64; NaN where no data, and in
        2015 in the inner rings).
    """

    table: pd.DataFrame
    residual: np.ndarray


@dataclass(frozen=True, eq=False)
class _Packed:
    """A facility's reach kept from the ordering pass to the coverage pass: runs of
    consecutive cells (most of a reach is row runs) and each cell's zone in the smallest
    unsigned type, about 1-2 bytes per cell instead of 16."""

    starts: np.ndarray
    lengths: np.ndarray
    zones: np.ndarray

    @classmethod
    def of(cls, cells: np.ndarray, zones: np.ndarray) -> _Packed:
        breaks = np.flatnonzero(np.diff(cells) != 1) + 1
        bounds = np.concatenate([[0], breaks, [len(cells)]]) if len(cells) else np.zeros(1, int)
        small = np.min_scalar_type(int(zones.max())) if len(zones) else np.uint8
        starts = cells[bounds[:-1]].astype(np.int32)  # grids hold under 2**31 cells
        return cls(starts, np.diff(bounds).astype(np.int32), zones.astype(small))

    @property
    def nbytes(self) -> int:
        return int(self.starts.nbytes + self.lengths.nbytes + self.zones.nbytes)

    def cells(self) -> np.ndarray:
        """The flat indices, ascending."""
        lengths = self.lengths.astype(np.int64)
        first = np.repeat(self.starts - (np.cumsum(lengths) - lengths), lengths)
        return np.asarray(first + np.arange(len(first)), dtype=np.int64)


def _first_pass(
    reaches: Reaches, usable: np.ndarray, population: np.ndarray, rules: str
) -> tuple[np.ndarray, dict[int, _Packed]]:
    """Each facility's people within the maximum time on the initial population, and the
    reaches packed for the coverage pass while they fit in 8 bytes per grid cell (the size
    of one time buffer: beyond it, the rest is searched again)."""
    flat = population.reshape(-1)
    budget = 8 * flat.size
    sums = np.zeros(len(usable))
    kept: dict[int, _Packed] = {}
    for j, (i, reach) in enumerate(zip(usable.tolist(), reaches(usable.tolist()), strict=True)):
        sums[j] = float(np.nansum(flat[reach.cells], dtype=np.float64))
        packed = _Packed.of(reach.cells, zones_of(reach.seconds, rules))
        if packed.nbytes <= budget:
            kept[i] = packed
            budget -= packed.nbytes
    return sums, kept


def geographic_coverage(
    reaches: Reaches,
    population: np.ndarray,
    capacities: np.ndarray,
    *,
    max_minutes: float,
    rules: str = "current",
    order: str = "population",
    field_values: Sequence[object] | None = None,
    facilities: Sequence[int] | np.ndarray | None = None,
    passable: np.ndarray | None = None,
    catchment: Callable[[int, np.ndarray], object] | None = None,
) -> CoverageResult:
    """Capacity-limited coverage of a population grid by facilities processed in order.

    Parameters
    ----------
    reaches
        ``reaches(positions)`` yields the :class:`~accessplan.travel.surface.Reach` of each
        facility listed, in that order, limited to ``max_minutes``
        (:meth:`~accessplan.travel.surface.SpeedSurface.reaches`).
    population
        People per cell (NaN where no data).
    capacities
        Capacity per facility (``inf`` for no limit).
    max_minutes
        Maximum travel time.
    rules
        ``current`` or ``accessmod-2015`` (module docstring).
    order, field_values
        Processing order, see :func:`processing_order`.
    facilities
        Positions of the facilities to process (default: all); others are left out.
    passable
        Cells that can be crossed; under ``current`` the residual starts at 0 elsewhere.
    catchment
        Called with each facility's position and the flat indices of its catchment's cells
        as soon as it is filled (a catchment can hold a whole reach: kept all together they
        would cost 8 bytes per cell per facility).
    """
    unit = zone_unit(rules)
    capacities = np.asarray(capacities, dtype="float64")
    usable = np.arange(len(capacities)) if facilities is None else np.asarray(facilities)
    pop_within: np.ndarray | None = None
    kept: dict[int, _Packed] = {}
    if order == "population":
        # reached cells can be crossed: the initial residual there is the population
        pop_within, kept = _first_pass(reaches, usable, population, rules)
        logger.info("facilities ordered by population within %g min", max_minutes)
    residual = np.array(population, dtype="float64")
    if unit == "min" and passable is not None:
        residual[~passable] = 0.0
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
    searched = reaches([int(i) for i in ranked if int(i) not in kept])
    rows = []
    for rank, i in enumerate(ranked, start=1):
        if int(i) in kept:
            packed = kept.pop(int(i))
            reached, zones = packed.cells(), packed.zones
        else:
            reach = next(searched)
            reached, zones = reach.cells, zones_of(reach.seconds, rules)
        fill, cells = _fill(reached, zones, residual, capacities[i], max_minutes, rules)
        if catchment is not None:
            catchment(int(i), cells)
        row = asdict(fill)
        row[f"inner_ring_{unit}"] = row.pop("inner_ring")
        row[f"outer_ring_{unit}"] = row.pop("outer_ring")
        rows.append(
            {
                "facility": int(i),
                "rank": rank,
                "order_value": None if order_values is None else order_values[i],
                "capacity": float(capacities[i]),
                "max_minutes": max_minutes,
                **row,
            }
        )
        logger.debug("facility %d: covered %.1f people", i, fill.covered)
    columns = [
        "facility",
        "rank",
        "order_value",
        "capacity",
        "max_minutes",
        "pop_within_max",
        "pop_first_zone",
        f"inner_ring_{unit}",
        f"outer_ring_{unit}",
        "outer_share_removed",
        "covered",
        "capacity_residual",
        "catchment_minutes",
        "pop_catchment",
        "time_limit_reached",
    ]
    return CoverageResult(pd.DataFrame(rows, columns=columns), residual)


def covered_people(
    population: np.ndarray, residual: np.ndarray, passable: np.ndarray
) -> np.ndarray:
    """People covered per cell: the population less the residual on cells that can be
    crossed (a null residual cell was covered in full); 0 elsewhere."""
    people = np.nan_to_num(population, nan=0.0)
    return np.where(passable, people - np.nan_to_num(residual, nan=0.0), 0.0)


def _zone_sums(values: np.ndarray, zones: np.ndarray, n_zones: int) -> np.ndarray:
    inside = zones >= 0
    return np.bincount(zones[inside], weights=values[inside], minlength=n_zones)


def zonal_coverage(
    population: np.ndarray,
    passable: np.ndarray,
    residual: np.ndarray,
    zones: np.ndarray,
    names: Sequence[str],
) -> pd.DataFrame:
    """People, people on cells nobody can cross and covered people per zone, with a
    ``(total)`` row.

    ``zones`` holds each cell's zone index (-1 outside every zone); population NaN counts as
    no people. ``covered_share`` is covered over all people of the zone, as AccessMod's
    ``amPopCoveredPercent`` / 100.
    """
    n = len(names)
    people = np.nan_to_num(population, nan=0.0)
    stuck = np.where(passable, 0.0, people)
    covered = covered_people(population, residual, passable)
    table = pd.DataFrame(
        {
            "zone": [*names, "(total)"],
            "population": [*_zone_sums(people, zones, n), float(people.sum())],
            "on_barrier": [*_zone_sums(stuck, zones, n), float(stuck.sum())],
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
    ``T``, ``within_T`` (people) and ``share_within_T``. Population NaN counts as no people.
    """
    people = np.nan_to_num(population, nan=0.0)
    zone_grid = np.full(people.shape, -1, dtype=np.int32) if zones is None else zones
    n = len(names)
    table = pd.DataFrame(
        {
            "zone": [*names, "(total)"],
            "population": [*_zone_sums(people, zone_grid, n), float(people.sum())],
        }
    )
    for limit in thresholds:
        near = np.where(minutes <= limit, people, 0.0)
        label = f"{limit:g}"
        table[f"within_{label}"] = [*_zone_sums(near, zone_grid, n), float(near.sum())]
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"share_within_{label}"] = table[f"within_{label}"] / table["population"]
    return table
