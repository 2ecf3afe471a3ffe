"""Measures of access: coverage, completeness of the tiers, the referral chain."""

from accessplan.measures.access import AccessResults, measure_access
from accessplan.measures.completeness import CompletenessRule, completeness
from accessplan.measures.coverage import (
    DEFAULT_THRESHOLDS,
    access_times,
    coverage,
    gaps,
    time_stats,
    unknown_population,
)
from accessplan.measures.referral import referral_chain

__all__ = [
    "DEFAULT_THRESHOLDS",
    "AccessResults",
    "CompletenessRule",
    "access_times",
    "completeness",
    "coverage",
    "gaps",
    "measure_access",
    "referral_chain",
    "time_stats",
    "unknown_population",
]
