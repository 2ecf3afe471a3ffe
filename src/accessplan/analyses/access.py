"""The service circle as a step: ``kind = "access"``, ``accessplan access``."""

from __future__ import annotations

from typing import Any

from accessplan._validate import require_places
from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.measures.access import (
    DEFAULT_PROFILES,
    AccessResults,
    check_standards,
    measure_access,
)
from accessplan.region import Region
from accessplan.report.sections import access as report_section
from accessplan.travel.profiles import get_profile, load_profiles

OPTIONS = (
    o.Option("profiles", o.names, "--profile"),
    o.Option("thresholds", o.minutes_list, "--thresholds"),
    o.Option("referral_limit_min", o.minutes, "--referral-limit"),
    o.Option("clinic_within_min", o.minutes, "--clinic-within"),
    o.Option("max_snap_m", o.metres, "--max-snap-m"),
    o.Option("profiles_file", o.file, "--profiles"),
)


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    if "profiles" in options:
        known = load_profiles(options.get("profiles_file"))
        where = o.Where(naming(ANALYSIS.option("profiles")))
        o.known(options["profiles"], known, where)


def _check_region(region: Region, options: dict[str, Any], naming: o.Naming) -> None:
    require_places(region)
    check_standards(region, load_profiles(options.get("profiles_file")))


def _run(context: Context, options: dict[str, Any]) -> AccessResults:
    given = dict(options)
    profiles_file = given.pop("profiles_file", None)
    names = given.pop("profiles", DEFAULT_PROFILES)
    profiles = [get_profile(name, profiles_file=profiles_file) for name in names]
    return measure_access(
        context.region(),
        profiles=profiles,
        profiles_file=profiles_file,
        progress=context.progress,
        **given,
    )


ANALYSIS = Analysis(
    kind="access",
    options=OPTIONS,
    run=_run,
    section=report_section.section,
    check=_check,
    check_region=_check_region,
)
