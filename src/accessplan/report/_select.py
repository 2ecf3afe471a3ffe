"""What the report shows of an :class:`~accessplan.measures.AccessResults`: the level of units
to chart, and per-settlement minutes aligned with the region's settlements."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accessplan.measures.access import AccessResults
from accessplan.measures.coverage import ANY, REGION_LEVEL, group_minutes

#: Levels of units a chart by unit may show, finest first.
UNIT_LEVELS = ("township", "county", "city", "province")
#: Most units a chart by unit shows before it moves to a coarser level.
MAX_CHART_UNITS = 40


def unit_level(results: AccessResults, *, max_units: int | None = None) -> str:
    """The finest of :data:`UNIT_LEVELS` with at least one (and at most ``max_units``) unit,
    else the whole-region level."""
    counts = results.region.admin_units["level"].value_counts()
    for level in UNIT_LEVELS:
        n = int(counts.get(level, 0))
        if n and (max_units is None or n <= max_units):
            return level
    return REGION_LEVEL


def coverage_rows(
    results: AccessResults, *, level: str, profile: str, service: str, tier: str = ANY
) -> pd.DataFrame:
    """Rows of the coverage table for one level, profile, service and tier."""
    c = results.coverage
    keep = (
        (c["level"] == level)
        & (c["profile"] == profile)
        & (c["service"] == service)
        & (c["tier"] == tier)
    )
    return c[keep].reset_index(drop=True)


def population(results: AccessResults) -> np.ndarray:
    """People per settlement, unknown counted as 0."""
    pop = results.region.settlements["population"].fillna(0.0)
    return np.asarray(pop.to_numpy(dtype="float64"))


def service_minutes(
    results: AccessResults, profile: str, service: str, tier: str = ANY
) -> np.ndarray:
    """Minutes from each settlement (in ``region.settlements`` order) to the nearest facility of
    ``tier`` of ``service`` (any tier by default); ``inf`` where unreachable."""
    times = results.times[results.times["profile"] == profile]
    ids = results.region.settlements["id"]
    aligned = times.set_index("id").reindex(ids)
    minutes = group_minutes(results.region, aligned, service, tier)
    return np.where(np.isnan(minutes), np.inf, minutes)
