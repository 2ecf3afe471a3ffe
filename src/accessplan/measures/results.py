"""Every measure of the service circle for one region, computed together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from accessplan.measures.completeness import CompletenessRule, completeness
from accessplan.measures.coverage import (
    ANY,
    DEFAULT_THRESHOLDS,
    access_times,
    check_thresholds,
    coverage,
    gaps,
    time_stats,
    unknown_population,
)
from accessplan.measures.referral import DEFAULT_LIMIT_MIN, referral_chain
from accessplan.region import Region
from accessplan.travel.isochrones import isochrones
from accessplan.travel.network import MAX_SNAP_M
from accessplan.travel.profiles import Profile, get_profile

Progress = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class AccessResults:
    """The service circle of one region.

    Attributes
    ----------
    region
        The region measured.
    profiles, thresholds
        Travel profiles (first = main) and thresholds (minutes, ascending).
    times
        :func:`~accessplan.measures.coverage.access_times`: a row per settlement and profile.
    coverage, time_stats, gaps
        Tables of :mod:`accessplan.measures.coverage`.
    completeness
        Three-tier completeness per admin unit (empty without admin units).
    referral
        Referral chain per settlement and profile.
    isochrones
        ``profile, service, minutes, geometry``: area within each threshold of any facility of
        each service.
    unknown_population
        Settlements whose population is unknown.
    referral_limit_min, clinic_within_min
        The rules used.
    """

    region: Region
    profiles: tuple[str, ...]
    thresholds: tuple[float, ...]
    times: pd.DataFrame
    coverage: pd.DataFrame
    time_stats: pd.DataFrame
    gaps: pd.DataFrame
    completeness: pd.DataFrame
    referral: pd.DataFrame
    isochrones: gpd.GeoDataFrame
    unknown_population: pd.DataFrame
    referral_limit_min: float
    clinic_within_min: float | None

    def settlements_table(self) -> pd.DataFrame:
        """The ``settlements.csv`` contract: ``id, name, admin_code, population, profile`` and
        one ``minutes_to_<tier>`` column per tier."""
        tiers = [t for tiers in self.region.tiers.values() for t in tiers]
        columns = ["id", "name", "admin_code", "population", "profile"]
        return self.times[columns + [f"minutes_to_{t}" for t in tiers]]


def measure_access(
    region: Region,
    *,
    profiles: Sequence[str | Profile] = ("walk", "motorcycle", "car"),
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    referral_limit_min: float = DEFAULT_LIMIT_MIN,
    clinic_within_min: float | None = None,
    isochrone_buffer_m: float = 150.0,
    max_snap_m: float = MAX_SNAP_M,
    progress: Progress | None = None,
) -> AccessResults:
    """Measure the service circle: times, coverage, gaps, completeness, referral, isochrones."""
    limits = check_thresholds(thresholds)
    resolved = [get_profile(p) for p in profiles]
    say = progress or (lambda _stage: None)
    say("travel times")
    times = access_times(region, resolved, max_snap_m=max_snap_m)
    say("coverage")
    main = pd.DataFrame(times[times["profile"] == resolved[0].name]).reset_index(drop=True)
    rule = CompletenessRule(clinic_within_min=clinic_within_min)
    say("referral chain")
    referral = pd.concat(
        [
            referral_chain(region, p, limit_min=referral_limit_min, max_snap_m=max_snap_m)
            for p in resolved
        ],
        ignore_index=True,
    )
    say("isochrones")
    iso = []
    for profile in resolved:
        for service in region.tiers:
            ids = region.facilities.loc[region.facilities["service"] == service, "id"]
            if len(ids) == 0:
                continue
            shapes = isochrones(
                region, profile, limits, facilities=list(ids), buffer_m=isochrone_buffer_m
            )
            iso.append(shapes.assign(service=service, tier=ANY))
    iso_frame = (
        gpd.GeoDataFrame(pd.concat(iso, ignore_index=True), crs=region.crs)
        if iso
        else gpd.GeoDataFrame(
            {"minutes": [], "profile": [], "service": [], "tier": []},
            geometry=gpd.GeoSeries([], crs=region.crs),
        )
    )
    return AccessResults(
        region=region,
        profiles=tuple(p.name for p in resolved),
        thresholds=limits,
        times=times,
        coverage=coverage(region, times, limits),
        time_stats=time_stats(region, times),
        gaps=gaps(region, times, limits),
        completeness=completeness(region, main, rule=rule),
        referral=referral,
        isochrones=iso_frame,
        unknown_population=unknown_population(region),
        referral_limit_min=referral_limit_min,
        clinic_within_min=clinic_within_min,
    )
