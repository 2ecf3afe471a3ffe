"""School network planning as a step: ``kind = "schools"``, ``accessplan schools``."""

from __future__ import annotations

import re
from typing import Any

from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.optimize.schools.plan import (
    DEFAULT_BOARDING,
    DEFAULT_PROFILES,
    SchoolPlan,
    plan_schools,
)
from accessplan.report.sections import schools as report_section
from accessplan.travel.profiles import get_profile, load_profiles

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _pairs(value: Any, where: o.Where, expected: str) -> dict[str, Any]:
    """``band=value,band=value`` (or a table ``{band = value}``) as a dict of strings."""
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str) and value.strip():
        items = []
        for part in value.split(","):
            name, sep, item = part.partition("=")
            if not sep:
                raise o.fail(where, expected, value)
            items.append((name.strip(), item.strip()))
    else:
        raise o.fail(where, expected, value)
    if not items or any(not _NAME.match(name) for name, _ in items):
        raise o.fail(where, expected, value)
    return dict(items)


def band_minutes(value: Any, where: o.Where) -> dict[str, float]:
    """One-way minutes per grade band: ``primary=30,middle=60`` or ``{primary = 30}``."""
    expected = "minutes per grade band like primary=30,middle=60"
    return {band: o.minutes(v, where) for band, v in _pairs(value, where, expected).items()}


def band_profiles(value: Any, where: o.Where) -> dict[str, str]:
    """A travel profile per grade band: ``primary=walk,middle=motorcycle``."""
    expected = "a travel profile per grade band like primary=walk,middle=motorcycle"
    return {band: o.text(v, where) for band, v in _pairs(value, where, expected).items()}


def bands_or_none(value: Any, where: o.Where) -> tuple[str, ...]:
    """Grade bands (comma-separated), or ``none``."""
    if isinstance(value, str) and value.strip().lower() == "none":
        return ()
    return o.names(value, where)


pupils = o.amount("a number of pupils, 0 or more")
cost = o.amount("a cost in pupil-minutes, 0 or more")


OPTIONS = (
    o.Option("bands", o.names, "--bands"),
    o.Option("max_minutes", band_minutes, "--max-minutes"),
    o.Option("band_profiles", band_profiles, "--band-profiles", arg="profiles"),
    o.Option("profiles_file", o.file, "--profiles"),
    o.Option("min_size", pupils, "--min-size"),
    o.Option("boarding", bands_or_none, "--boarding"),
    o.Option("boarder_cost", cost, "--boarder-cost"),
    o.Option("move_cost", cost, "--move-cost"),
    o.Option("teaching_points", o.flag, "--teaching-points"),
    o.Option("teaching_point_cost", cost, "--teaching-point-cost"),
    o.Option("protect_township", o.flag, "--protect-township"),
    o.Option("protected", o.names, "--protected"),
    o.Option("closest", o.flag, "--closest"),
    o.Option("max_closures", o.whole, "--max-closures"),
    o.Option("curve_points", o.whole, "--curve-points"),
    o.Option("time_limit", o.seconds, "--time-limit"),
    o.Option("seed", o.seed, "--seed"),
)


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    """Bands named by the limits, profiles and boarding are planned; profiles are known."""
    bands = options.get("bands", tuple(DEFAULT_PROFILES))
    for key in ("max_minutes", "band_profiles", "boarding"):
        given = options.get(key, DEFAULT_BOARDING if key == "boarding" else {})
        unknown = sorted(set(given) - set(bands))
        if unknown:
            flag = naming(ANALYSIS.option(key))
            msg = (
                f"{flag}: bands {unknown} are not planned (the bands are {list(bands)}); name "
                f"only those, or add them with {naming.key(ANALYSIS.option('bands'))}."
            )
            raise o.OptionError(msg)
    o.known(
        list(options.get("band_profiles", {}).values()),
        load_profiles(options.get("profiles_file")),
        o.Where(naming(ANALYSIS.option("band_profiles"))),
    )


def _run(context: Context, options: dict[str, Any]) -> SchoolPlan:
    given = ANALYSIS.keywords(options)
    profiles_file = given.pop("profiles_file", None)
    if profiles_file is not None:
        given["profiles"] = {
            band: get_profile(name, profiles_file=profiles_file)
            for band, name in given.get("profiles", {}).items()
        }
    given.setdefault("seed", context.seed)
    context.progress("school network planning")
    return plan_schools(context.region(), **given)


ANALYSIS = Analysis(
    kind="schools",
    options=OPTIONS,
    run=_run,
    section=report_section.section,
    check=_check,
)
