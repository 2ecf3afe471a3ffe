"""The service circle: every measure of access for one region, computed together."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan._validate import require_places
from accessplan.measures.completeness import CompletenessRule, completeness
from accessplan.measures.coverage import (
    ANY,
    DEFAULT_THRESHOLDS,
    REGION_LEVEL,
    access_times,
    check_thresholds,
    coverage,
    gaps,
    standard_gaps,
    standards,
    time_stats,
    unknown_population,
)
from accessplan.measures.referral import DEFAULT_LIMIT_MIN, referral_chain
from accessplan.region import Region
from accessplan.travel.isochrones import isochrones
from accessplan.travel.network import MAX_SNAP_M
from accessplan.travel.profiles import Profile, get_profile, load_profiles

Progress = Callable[[str], None]
#: Travel profiles measured by default, the first the main one.
DEFAULT_PROFILES: tuple[str, ...] = ("walk", "motorcycle", "car")
#: Service the summary and the report centre on when the region has it.
MAIN_SERVICE = "health"


@dataclass(frozen=True, eq=False)
class AccessResults:
    """The service circle of one region.

    Attributes
    ----------
    region
        The region measured.
    profiles, thresholds
        Travel profiles, in full (first = main), and thresholds (minutes, ascending).
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
    referral_limit_min, clinic_within_min, max_snap_m
        The rules used.
    standards, standard_gaps
        Every standard of the region's catalogue, measured on its own profile:
        :func:`~accessplan.measures.coverage.standards` (share of the group meeting it, by
        unit) and :func:`~accessplan.measures.coverage.standard_gaps` (settlements missing it).
    standard_profiles
        Profiles the standards name that are not among ``profiles``, in full.
    """

    region: Region
    profiles: tuple[Profile, ...]
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
    max_snap_m: float
    standards: pd.DataFrame
    standard_gaps: pd.DataFrame
    standard_profiles: tuple[Profile, ...] = ()

    @property
    def profile_names(self) -> tuple[str, ...]:
        """Names of the profiles, first = main."""
        return tuple(p.name for p in self.profiles)

    def settlements_table(self) -> pd.DataFrame:
        """The ``settlements.csv`` contract: ``id, name, admin_code, population, profile`` and
        one ``minutes_to_<tier>`` column per tier."""
        columns = ["id", "name", "admin_code", "population", "profile"]
        return self.times[columns + [f"minutes_to_{t}" for t in self._tiers()]]

    def tables(self) -> dict[str, pd.DataFrame]:
        """``coverage, settlements, time_stats, gaps, completeness, referral,
        unknown_population, standards, standard_gaps`` (docs/service-circle.md)."""
        return {
            "coverage": self.coverage,
            "settlements": self.settlements_table(),
            "time_stats": self.time_stats,
            "gaps": self.gaps,
            "completeness": self.completeness,
            "referral": self.referral,
            "unknown_population": self.unknown_population,
            "standards": self.standards,
            "standard_gaps": self.standard_gaps,
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``settlements`` with one ``minutes_to_<tier>__<profile>`` column per tier and
        profile, ``facilities`` and ``isochrones``."""
        wide = self.times.pivot(index="id", columns="profile")
        columns = {
            (f"minutes_to_{t}", p): f"minutes_to_{t}__{p}"
            for p in self.profile_names
            for t in self._tiers()
        }
        picked = wide[list(columns)]
        picked.columns = list(columns.values())
        settle = self.region.settlements.merge(picked, left_on="id", right_index=True, how="left")
        return {
            "settlements": gpd.GeoDataFrame(settle, crs=self.region.crs),
            "facilities": self.region.facilities,
            "isochrones": self.isochrones,
        }

    def rasters(self) -> dict[str, Raster]:
        """None: the service circle is measured on the road network."""
        return {}

    def summary(self) -> dict[str, Any]:
        """People, and the whole region's covered share of the main service on the main
        profile within each threshold."""
        c = self.coverage
        main = c[
            (c["level"] == REGION_LEVEL)
            & (c["profile"] == self.profile_names[0])
            & (c["service"] == self.main_service())
            & (c["tier"] == ANY)
        ]
        pop = self.region.settlements["population"]
        return {
            "settlements": len(self.region.settlements),
            "population": float(np.nansum(pop.to_numpy(dtype="float64"))),
            "unknown_population_settlements": len(self.unknown_population),
            "service": self.main_service(),
            "profile": self.profile_names[0],
            **{
                f"share_within_{t:g}": float(s)
                for t, s in zip(main["threshold_min"], main["share"], strict=True)
            },
        }

    def parameters(self) -> dict[str, Any]:
        """Every profile in full, the thresholds, the rules and the standards."""
        return {
            "profiles": {p.name: json.loads(p.key()) for p in self.profiles},
            "thresholds_min": list(self.thresholds),
            "referral_limit_min": self.referral_limit_min,
            "clinic_within_min": self.clinic_within_min,
            "max_snap_m": self.max_snap_m,
            "standards": [
                {"service": service, **std.to_dict()}
                for service, std in self.region.catalogue.standards()
            ],
            "standard_profiles": {p.name: json.loads(p.key()) for p in self.standard_profiles},
        }

    def main_service(self) -> str:
        """``health`` when the region has it, else its first service."""
        tiers = self.region.tiers
        return MAIN_SERVICE if MAIN_SERVICE in tiers else next(iter(tiers))

    def _tiers(self) -> list[str]:
        return [t for tiers in self.region.tiers.values() for t in tiers]


def check_standards(region: Region, profiles: Collection[str]) -> None:
    """Refuse standards the region cannot measure: a population group its settlements have
    no column for, or a travel profile not among ``profiles``."""
    missing = region.missing_groups()
    if missing:
        region.people(missing[0])  # raises, naming the column and the fix
    for service, std in region.catalogue.standards():
        if std.profile not in profiles:
            msg = (
                f"the services catalogue's standard on {service}/{std.tier} travels by profile "
                f"{std.profile!r}, which is not a travel profile; choose one of "
                f"{sorted(profiles)} in the catalogue, or define it in a profiles file."
            )
            raise InputError(msg)


def measure_access(
    region: Region,
    *,
    profiles: Sequence[str | Profile] = DEFAULT_PROFILES,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    referral_limit_min: float = DEFAULT_LIMIT_MIN,
    clinic_within_min: float | None = None,
    isochrone_buffer_m: float = 150.0,
    max_snap_m: float = MAX_SNAP_M,
    profiles_file: str | Path | None = None,
    progress: Progress | None = None,
) -> AccessResults:
    """Measure the service circle: times, coverage, gaps, completeness, referral, isochrones,
    and every standard of the region's catalogue on its own profile.

    ``profiles_file`` overrides speeds of the profiles given by name, and of those the
    standards name (a profile given as a :class:`Profile` is used as it is, standards included).
    """
    limits = check_thresholds(thresholds)
    require_places(region)
    resolved = [get_profile(p, profiles_file=profiles_file) for p in profiles]
    named = {p.name: p for p in resolved}
    check_standards(region, {*load_profiles(profiles_file), *named})
    extra = tuple(
        get_profile(name, profiles_file=profiles_file)
        for name in dict.fromkeys(std.profile for _, std in region.catalogue.standards())
        if name not in named
    )
    say = progress or (lambda _stage: None)
    say("travel times")
    every = access_times(region, [*resolved, *extra], max_snap_m=max_snap_m)
    requested = every["profile"].isin(list(named))
    times = pd.DataFrame(every[requested]).reset_index(drop=True)
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
        profiles=tuple(resolved),
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
        max_snap_m=max_snap_m,
        standards=standards(region, every),
        standard_gaps=standard_gaps(region, every),
        standard_profiles=extra,
    )
