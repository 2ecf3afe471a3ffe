"""The service circle: who lives within 15, 30, 60 minutes of each tier, by administrative unit,
and who meets each standard of the region's services catalogue.

All measures read one table of access times (:func:`access_times`): a row per settlement and
profile with ``minutes_to_<tier>`` columns. "Any facility of a service" is the fastest of its
tiers. Settlements with unknown population count as 0 people (they are listed by
:func:`unknown_population`); unreachable settlements have ``inf`` minutes and are never covered.

A standard (:class:`accessplan.services.Standard`) is met by a settlement that reaches its
tier, or a higher tier of its service, within its minutes by its profile; it counts the people
of its group (:meth:`accessplan.region.Region.people`), unknown counts as 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.region import ADMIN_LEVELS, Region
from accessplan.travel.matrix import nearest
from accessplan.travel.network import MAX_SNAP_M
from accessplan.travel.profiles import Profile, get_profile

#: Default thresholds (minutes) of the service circle.
DEFAULT_THRESHOLDS: tuple[float, ...] = (15.0, 30.0, 60.0)
#: Tier label for "any facility of this service".
ANY = "any"
#: Level of the whole-region row in every table.
REGION_LEVEL = "region"
LEVEL_ORDER = [REGION_LEVEL, *ADMIN_LEVELS]
COVERAGE_COLUMNS = [
    "admin_code",
    "admin_name",
    "level",
    "service",
    "tier",
    "profile",
    "threshold_min",
    "population",
    "covered_population",
    "share",
]
#: Columns of :func:`standards`: ``population`` counts the people of the standard's group.
STANDARD_COLUMNS = [
    "admin_code",
    "admin_name",
    "level",
    "service",
    "tier",
    "group",
    "profile",
    "threshold_min",
    "population",
    "covered_population",
    "share",
]


def check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    """Sorted positive thresholds, or a clear error."""
    values = tuple(sorted(float(t) for t in thresholds))
    if not values or not all(np.isfinite(values)) or values[0] <= 0:
        msg = f"thresholds must be positive numbers of minutes, got {list(thresholds)!r}."
        raise InputError(msg)
    return values


def access_times(
    region: Region,
    profiles: Sequence[str | Profile] = ("walk", "car"),
    *,
    max_snap_m: float = MAX_SNAP_M,
) -> pd.DataFrame:
    """Minutes from every settlement to the nearest facility of each tier, per profile.

    Returns ``id, name, admin_code, population, profile`` then ``minutes_to_<tier>`` and
    ``nearest_<tier>`` for every tier of every service.
    """
    base = region.settlements[["id", "name", "admin_code", "population"]].reset_index(drop=True)
    frames = []
    for profile in profiles:
        prof = get_profile(profile)
        near = nearest(region, prof, by="tier", max_snap_m=max_snap_m).drop(columns="id")
        frames.append(pd.concat([base.assign(profile=prof.name), near], axis=1))
    return pd.concat(frames, ignore_index=True)


def groups(region: Region) -> list[tuple[str, str]]:
    """``(service, tier)`` pairs measured: every tier, then ``any`` per service."""
    return [(s, t) for s, tiers in region.tiers.items() for t in (*tiers, ANY)]


def group_minutes(region: Region, times: pd.DataFrame, service: str, tier: str) -> np.ndarray:
    """Minutes to the nearest facility of ``tier`` (or of any tier of ``service``)."""
    tiers = region.tiers[service] if tier == ANY else (tier,)
    columns = [f"minutes_to_{t}" for t in tiers]
    return np.asarray(times[columns].to_numpy(dtype="float64").min(axis=1))


def standard_minutes(region: Region, times: pd.DataFrame, service: str, tier: str) -> np.ndarray:
    """Minutes to the nearest facility of ``tier`` or of a higher tier of ``service``."""
    tiers = region.tiers[service]
    columns = [f"minutes_to_{t}" for t in tiers[tiers.index(tier) :]]
    return np.asarray(times[columns].to_numpy(dtype="float64").min(axis=1))


def units(region: Region) -> pd.DataFrame:
    """Every unit a table reports on: the whole region, then the admin units, coarse first."""
    admin = region.admin_units[["code", "name", "level"]]
    whole = pd.DataFrame({"code": [""], "name": [region.name], "level": [REGION_LEVEL]})
    table = pd.concat([whole, admin], ignore_index=True)
    level_rank = {lvl: i for i, lvl in enumerate(LEVEL_ORDER)}
    rank = table["level"].map(level_rank).fillna(len(LEVEL_ORDER))
    return (
        table.assign(_rank=rank)
        .sort_values(["_rank", "code"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def membership(region: Region, unit_table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(settlement_row, unit_row)``: each settlement in its unit and all the unit's
    ancestors, and in the whole region."""
    parent = dict(zip(region.admin_units["code"], region.admin_units["parent"], strict=True))
    unit_row = {code: i for i, code in enumerate(unit_table["code"]) if code}
    settle_rows, unit_rows = [], []
    for row, code in enumerate(region.settlements["admin_code"]):
        settle_rows.append(row)
        unit_rows.append(0)
        seen = set()
        while code and code in unit_row and code not in seen:
            seen.add(code)
            settle_rows.append(row)
            unit_rows.append(unit_row[code])
            code = parent.get(code, "")
    return np.asarray(settle_rows, dtype=np.int64), np.asarray(unit_rows, dtype=np.int64)


def _by_profile(times: pd.DataFrame, n_settlements: int) -> Iterator[tuple[str, pd.DataFrame]]:
    for profile in dict.fromkeys(times["profile"]):
        sub = times[times["profile"] == profile].reset_index(drop=True)
        if len(sub) != n_settlements:
            msg = f"access times for {profile!r} hold {len(sub)} rows, expected {n_settlements}."
            raise InputError(msg)
        yield str(profile), sub


def _profile(times: pd.DataFrame, profile: str, n_settlements: int) -> pd.DataFrame:
    """One profile's rows of ``times``, or an error naming the profile."""
    sub = times[times["profile"] == profile].reset_index(drop=True)
    if len(sub) != n_settlements:
        msg = (
            f"access times hold {len(sub)} rows for profile {profile!r}, expected "
            f"{n_settlements}; compute them with access_times(region, [..., {profile!r}])."
        )
        raise InputError(msg)
    return sub


def coverage(
    region: Region,
    times: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """People covered within each threshold, by unit, service, tier and profile.

    Returns the ``coverage.csv`` contract: ``admin_code, admin_name, level, service, tier,
    profile, threshold_min, population, covered_population, share`` (``share`` NaN where a
    unit has no known population).
    """
    limits = check_thresholds(thresholds)
    table = units(region)
    s_rows, u_rows = membership(region, table)
    pop = region.settlements["population"].fillna(0.0).to_numpy(dtype="float64")
    total = np.bincount(u_rows, weights=pop[s_rows], minlength=len(table))
    parts = []
    for profile, sub in _by_profile(times, len(region.settlements)):
        for service, tier in groups(region):
            minutes = group_minutes(region, sub, service, tier)
            for limit in limits:
                covered = np.where(minutes <= limit, pop, 0.0)
                got = np.bincount(u_rows, weights=covered[s_rows], minlength=len(table))
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = np.where(total > 0, got / total, np.nan)
                parts.append(
                    pd.DataFrame(
                        {
                            "admin_code": table["code"],
                            "admin_name": table["name"],
                            "level": table["level"],
                            "service": service,
                            "tier": tier,
                            "profile": profile,
                            "threshold_min": limit,
                            "population": total,
                            "covered_population": got,
                            "share": share,
                        }
                    )
                )
    out = pd.concat(parts, ignore_index=True)
    return _sorted(out, table, region, ["threshold_min"])[COVERAGE_COLUMNS]


def _sorted(
    frame: pd.DataFrame, table: pd.DataFrame, region: Region, last: list[str]
) -> pd.DataFrame:
    """Units in report order, then services and tiers in table order, then profiles."""
    unit_rank = {code: i for i, code in enumerate(table["code"])}
    group_rank = {g: i for i, g in enumerate(groups(region))}
    profile_rank = {p: i for i, p in enumerate(dict.fromkeys(frame["profile"]))}
    keys = frame.assign(
        _u=frame["admin_code"].map(unit_rank),
        _g=[group_rank[g] for g in zip(frame["service"], frame["tier"], strict=True)],
        _p=frame["profile"].map(profile_rank),
    )
    keys = keys.sort_values(["_u", "_g", "_p", *last], kind="stable")
    return keys.drop(columns=["_u", "_g", "_p"]).reset_index(drop=True)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value below or at which a share ``q`` of the weight lies (inf allowed)."""
    positive = weights > 0
    values, weights = values[positive], weights[positive]
    if len(values) == 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1] - 1e-9 * cumulative[-1]))
    return float(values[order][min(index, len(values) - 1)])


def time_stats(region: Region, times: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted mean, median and 90th percentile of the nearest time per unit.

    The mean is over the people who can reach a facility at all; ``unreachable_population``
    counts the others (their time is infinite, so the median and p90 may be ``inf``).
    """
    table = units(region)
    s_rows, u_rows = membership(region, table)
    order = np.argsort(u_rows, kind="stable")
    s_rows, u_rows = s_rows[order], u_rows[order]
    bounds = np.searchsorted(u_rows, np.arange(len(table) + 1))
    pop = region.settlements["population"].fillna(0.0).to_numpy(dtype="float64")
    rows = []
    for profile, sub in _by_profile(times, len(region.settlements)):
        for service, tier in groups(region):
            minutes = group_minutes(region, sub, service, tier)
            for unit in range(len(table)):
                members = s_rows[bounds[unit] : bounds[unit + 1]]
                m, w = minutes[members], pop[members]
                reach = np.isfinite(m)
                weight = w[reach].sum()
                rows.append(
                    {
                        "admin_code": table["code"].iat[unit],
                        "admin_name": table["name"].iat[unit],
                        "level": table["level"].iat[unit],
                        "service": service,
                        "tier": tier,
                        "profile": profile,
                        "population": w.sum(),
                        "mean_min": float(np.dot(m[reach], w[reach]) / weight)
                        if weight > 0
                        else np.nan,
                        "median_min": weighted_quantile(m, w, 0.5),
                        "p90_min": weighted_quantile(m, w, 0.9),
                        "unreachable_population": float(w[~reach].sum()),
                    }
                )
    return _sorted(pd.DataFrame(rows), table, region, [])


def gaps(
    region: Region,
    times: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """Settlements outside each threshold, ranked by people x minutes beyond it.

    One row per uncovered settlement, profile, service/tier and threshold: ``id, name,
    admin_code, population, service, tier, profile, threshold_min, minutes, minutes_beyond,
    people_minutes``. Unreachable settlements (``inf``) rank first, then by people.
    """
    limits = check_thresholds(thresholds)
    pop = region.settlements["population"].to_numpy(dtype="float64")
    base = region.settlements[["id", "name", "admin_code", "population"]]
    parts = []
    for profile, sub in _by_profile(times, len(region.settlements)):
        for service, tier in groups(region):
            minutes = group_minutes(region, sub, service, tier)
            for limit in limits:
                labels = {"service": service, "tier": tier, "profile": profile}
                parts.append(_outside(base, pop, minutes, limit, labels))
    table = pd.concat(parts, ignore_index=True)
    group_rank = {g: i for i, g in enumerate(groups(region))}
    profile_rank = {p: i for i, p in enumerate(dict.fromkeys(times["profile"]))}
    table = table.assign(
        _g=[group_rank[g] for g in zip(table["service"], table["tier"], strict=True)],
        _p=table["profile"].map(profile_rank),
        _pop=table["population"].fillna(0.0),
    ).sort_values(
        ["_g", "_p", "threshold_min", "people_minutes", "_pop", "id"],
        ascending=[True, True, True, False, False, True],
        kind="stable",
    )
    return table.drop(columns=["_g", "_p", "_pop"]).reset_index(drop=True)


def _outside(
    base: pd.DataFrame,
    people: np.ndarray,
    minutes: np.ndarray,
    limit: float,
    labels: dict[str, str],
) -> pd.DataFrame:
    """Rows of ``base`` (with ``population`` set to ``people``) beyond ``limit`` minutes:
    ``labels``, ``threshold_min, minutes, minutes_beyond, people_minutes``."""
    out = minutes > limit
    beyond = minutes[out] - limit
    return base[out].assign(
        population=people[out],
        **labels,
        threshold_min=limit,
        minutes=minutes[out],
        minutes_beyond=beyond,
        people_minutes=_people_minutes(people[out], beyond),
    )


def standards(region: Region, times: pd.DataFrame) -> pd.DataFrame:
    """People of each standard's group who meet it, by unit.

    ``times`` holds :func:`access_times` rows for every profile the standards name. Returns
    :data:`STANDARD_COLUMNS`, units in report order and, within a unit, the standards in
    catalogue order; ``share`` is NaN where a unit has no known people of the group.
    """
    table = units(region)
    s_rows, u_rows = membership(region, table)
    parts = []
    for service, std in region.catalogue.standards():
        people = np.nan_to_num(region.people(std.group), nan=0.0)
        sub = _profile(times, std.profile, len(region.settlements))
        met = standard_minutes(region, sub, service, std.tier) <= std.minutes
        total = np.bincount(u_rows, weights=people[s_rows], minlength=len(table))
        got = np.bincount(u_rows, weights=np.where(met, people, 0.0)[s_rows], minlength=len(table))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, got / total, np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "admin_code": table["code"],
                    "admin_name": table["name"],
                    "level": table["level"],
                    "service": service,
                    "tier": std.tier,
                    "group": std.group,
                    "profile": std.profile,
                    "threshold_min": std.minutes,
                    "population": total,
                    "covered_population": got,
                    "share": share,
                    "_u": np.arange(len(table)),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=STANDARD_COLUMNS)
    out = pd.concat(parts, ignore_index=True).sort_values("_u", kind="stable")
    return out[STANDARD_COLUMNS].reset_index(drop=True)


def standard_gaps(region: Region, times: pd.DataFrame) -> pd.DataFrame:
    """Settlements that miss each standard, ranked by people of its group x minutes beyond.

    One row per settlement and standard missed: ``id, name, admin_code, population`` (people
    of the group; NaN when unknown) ``, service, tier, group, profile, threshold_min, minutes,
    minutes_beyond, people_minutes``; standards in catalogue order, unreachable settlements and
    then the most people x minutes first within each.
    """
    base = region.settlements[["id", "name", "admin_code"]].assign(population=np.nan)
    parts = []
    for rank, (service, std) in enumerate(region.catalogue.standards()):
        sub = _profile(times, std.profile, len(region.settlements))
        minutes = standard_minutes(region, sub, service, std.tier)
        labels = {"service": service, "tier": std.tier, "group": std.group, "profile": std.profile}
        part = _outside(base, region.people(std.group), minutes, std.minutes, labels)
        parts.append(part.assign(_s=rank))
    columns = [*base.columns, "service", "tier", "group", "profile", "threshold_min", "minutes",
               "minutes_beyond", "people_minutes"]  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table = table.assign(_pop=table["population"].fillna(0.0)).sort_values(
        ["_s", "people_minutes", "_pop", "id"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    return table[columns].reset_index(drop=True)


def _people_minutes(people: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """People x minutes, 0 where nobody (or nobody known) lives, ``inf`` for unreachable people."""
    known = np.nan_to_num(people, nan=0.0)
    with np.errstate(invalid="ignore"):
        return np.where(known > 0, known * minutes, 0.0)


def unknown_population(region: Region) -> pd.DataFrame:
    """Settlements whose population is unknown (counted as 0 people in every share)."""
    s = region.settlements
    return s.loc[s["population"].isna(), ["id", "name", "admin_code"]].reset_index(drop=True)
