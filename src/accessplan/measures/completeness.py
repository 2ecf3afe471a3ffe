"""Completeness of the three-tier health network: a county hospital per county, a township
health centre per township, a clinic per administrative village (or one within a set time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.region import Region

COLUMNS = [
    "level",
    "admin_code",
    "admin_name",
    "required_tier",
    "status",
    "facilities",
    "slowest_clinic_min",
]


@dataclass(frozen=True)
class CompletenessRule:
    """Which tier each level of administrative unit must hold.

    Parameters
    ----------
    required
        Level -> tier it must contain (health tiers by default).
    clinic_within_min
        When set, an administrative village without a ``village_clinic`` of its own still
        passes if every one of its settlements reaches a clinic within these minutes.
    """

    required: tuple[tuple[str, str], ...] = (
        ("county", "county_hospital"),
        ("township", "township_health_center"),
        ("village", "village_clinic"),
    )
    clinic_within_min: float | None = None

    def __post_init__(self) -> None:
        if self.clinic_within_min is not None and not self.clinic_within_min > 0:
            msg = (
                f"clinic_within_min must be a positive number of minutes, "
                f"got {self.clinic_within_min!r}."
            )
            raise InputError(msg)


def _ancestors(region: Region) -> dict[str, set[str]]:
    """Each admin code mapped to itself and every unit above it."""
    parent = dict(zip(region.admin_units["code"], region.admin_units["parent"], strict=True))
    out: dict[str, set[str]] = {}
    for code in parent:
        chain, current = set(), code
        while current and current in parent and current not in chain:
            chain.add(current)
            current = parent[current]
        out[code] = chain
    return out


def completeness(
    region: Region,
    times: pd.DataFrame | None = None,
    *,
    rule: CompletenessRule | None = None,
) -> pd.DataFrame:
    """One row per administrative unit that a rule applies to: ``ok`` or ``missing``.

    ``slowest_clinic_min`` is, for a village judged by the clinic-within-time rule, the
    minutes from its farthest settlement to a clinic (NaN where the rule was not needed).

    ``times`` (one profile's rows of :func:`accessplan.measures.coverage.access_times`) is
    needed only when the rule allows a clinic within a set time.
    """
    rule = rule or CompletenessRule()
    if rule.clinic_within_min is not None and times is None:
        msg = "a clinic-within-time rule needs access times; pass `times` for one profile."
        raise InputError(msg)
    ancestors = _ancestors(region)
    fac = region.facilities
    holders: dict[tuple[str, str], list[str]] = {}
    for fid, tier, code in zip(fac["id"], fac["tier"], fac["admin_code"], strict=True):
        for owner in ancestors.get(code, ()):
            holders.setdefault((owner, tier), []).append(str(fid))
    clinic_time = None
    if rule.clinic_within_min is not None and times is not None:
        clinic_time = pd.Series(
            times["minutes_to_village_clinic"].to_numpy(), index=times["id"].to_numpy()
        )
    rows = []
    by_level = dict(rule.required)
    unit: Any
    for unit in region.admin_units.itertuples(index=False):
        tier = by_level.get(unit.level)
        if tier is None:
            continue
        found = sorted(holders.get((unit.code, tier), []))
        status = "ok" if found else "missing"
        slowest = np.nan
        if not found and unit.level == "village" and clinic_time is not None:
            members = region.settlements.loc[region.settlements["admin_code"] == unit.code, "id"]
            slowest = float(clinic_time.reindex(members).max()) if len(members) else np.inf
            if slowest <= float(rule.clinic_within_min or 0):
                status = "ok"
        rows.append(
            {
                "level": unit.level,
                "admin_code": unit.code,
                "admin_name": unit.name,
                "required_tier": tier,
                "status": status,
                "facilities": ";".join(found),
                "slowest_clinic_min": slowest,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
