"""Completeness of each service's network: the tier its catalogue requires at each level of
administrative unit (health: a county hospital per county, a township health centre per
township, a clinic per administrative village, or one within a set time)."""

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
    "service",
    "required_tier",
    "status",
    "facilities",
    "slowest_clinic_min",
]


@dataclass(frozen=True)
class CompletenessRule:
    """Which tiers each level of administrative unit must hold.

    Parameters
    ----------
    required
        ``(level, tier)`` pairs: each unit of the level must contain a facility of the tier.
        None (the default): every tier the region's catalogue requires at a level
        (:meth:`accessplan.services.Catalogue.levels`), service by service.
    clinic_within_min
        When set, an administrative village without a ``village_clinic`` of its own still
        passes if every one of its settlements reaches a clinic within these minutes.
    """

    required: tuple[tuple[str, str], ...] | None = None
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
    """One row per administrative unit and required tier: ``ok`` or ``missing``.

    Rows follow the admin units' order and, within a unit, the catalogue's services.

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
    by_level: dict[str, list[tuple[str, str]]] = {}
    for service, level, tier in _required(region, rule):
        by_level.setdefault(level, []).append((service, tier))
    unit: Any
    for unit in region.admin_units.itertuples(index=False):
        for service, tier in by_level.get(unit.level, []):
            rows.append(_row(region, unit, service, tier, holders, clinic_time, rule))
    return pd.DataFrame(rows, columns=COLUMNS)


def _required(region: Region, rule: CompletenessRule) -> list[tuple[str, str, str]]:
    """``(service, level, tier)`` of every requirement."""
    if rule.required is None:
        return region.catalogue.levels()
    return [(region.catalogue.service_of(t), level, t) for level, t in rule.required]


def _row(
    region: Region,
    unit: Any,
    service: str,
    tier: str,
    holders: dict[tuple[str, str], list[str]],
    clinic_time: pd.Series | None,
    rule: CompletenessRule,
) -> dict[str, Any]:
    """One unit's row for one required tier; the clinic-within-time rule applies to village
    clinics only."""
    found = sorted(holders.get((unit.code, tier), []))
    status = "ok" if found else "missing"
    slowest = np.nan
    if not found and tier == "village_clinic" and clinic_time is not None:
        members = region.settlements.loc[region.settlements["admin_code"] == unit.code, "id"]
        slowest = float(clinic_time.reindex(members).max()) if len(members) else np.inf
        if slowest <= float(rule.clinic_within_min or 0):
            status = "ok"
    return {
        "level": unit.level,
        "admin_code": unit.code,
        "admin_name": unit.name,
        "service": service,
        "required_tier": tier,
        "status": status,
        "facilities": ";".join(found),
        "slowest_clinic_min": slowest,
    }
