"""Mobile tours as a step: ``kind = "mobile"``, ``accessplan mobile``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.optimize.mobile.plan import MobilePlan, plan_tours
from accessplan.optimize.mobile.region import Costs
from accessplan.region import Region
from accessplan.report.sections import mobile as report_section
from accessplan.travel.profiles import get_profile, load_profiles

#: Longest workday or overtime an option may hold (minutes): a day.
MAX_DAY_MIN = 24 * 60.0
_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*$")


def duration(value: Any, where: o.Where) -> float:
    """Minutes: a number (``480``) or hours and minutes (``8h``, ``7h30m``, ``450min``)."""
    expected = f"a duration like 8h, 7h30m or 480 (minutes), up to {MAX_DAY_MIN:g} minutes"
    minutes: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        minutes = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            minutes = float(text)
        else:
            m = _DURATION.match(text)
            if m and (m.group(1) or m.group(2)):
                minutes = 60.0 * float(m.group(1) or 0) + float(m.group(2) or 0)
    if minutes is None or not 0 <= minutes <= MAX_DAY_MIN:
        raise o.fail(where, expected, value)
    return minutes


def positive_duration(value: Any, where: o.Where) -> float:
    minutes = duration(value, where)
    if not minutes > 0:
        raise o.fail(where, "a duration above 0 (8h, 480)", value)
    return minutes


def depots(value: Any, where: o.Where) -> dict[str, int]:
    """Vehicles per depot: ``township_health_center:1`` or ``H003:2,H007:1`` (a tier or a
    facility id, then vehicles per working day); a table ``{township_health_center = 1}``."""
    expected = "depots and vehicles like township_health_center:1 or H003:2,H007:1"
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, str) and value.strip():
        items = []
        for part in value.split(","):
            name, sep, count = part.strip().rpartition(":")
            if not sep or not name.strip():
                raise o.fail(where, expected, value)
            items.append((name.strip(), count.strip()))
    else:
        raise o.fail(where, expected, value)
    out: dict[str, int] = {}
    for name, count in items:
        n = int(count) if isinstance(count, str) and count.isdigit() else count
        if isinstance(n, bool) or not isinstance(n, int) or n < 0 or not str(name).strip():
            raise o.fail(where, expected, value)
        out[str(name)] = n
    return out


def date(value: Any, where: o.Where) -> dt.date:
    """A date like 2025-03-03."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise o.fail(where, "a date like 2025-03-03", value) from None


def dates(value: Any, where: o.Where) -> tuple[dt.date, ...]:
    """Dates: ``2025-05-01,2025-05-02`` or a list."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise o.fail(where, "dates like 2025-05-01,2025-05-02", value)
    return tuple(date(v, where) for v in items)


def share(value: Any, where: o.Where) -> float:
    """A share above 0 and at most 1 (0.95, or 95%)."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise o.fail(where, "a share like 0.95 or 95%", value) from None
    if isinstance(value, bool) or not 0 < number <= 1:
        raise o.fail(where, "a share above 0 and at most 1 (0.95 or 95%)", value)
    return number


#: A cost or an amount: a number >= 0.
amount = o.amount("a number >= 0")


def number_or_column(value: Any, where: o.Where) -> float | str:
    """A number >= 0 or the name of a settlement column."""
    try:
        return amount(value, where)
    except o.OptionError:
        return o.text(value, where)


COST_KEYS = {
    "cost_per_km": "per_km",
    "cost_per_trip": "per_trip",
    "cost_per_vehicle_day": "per_vehicle_day",
    "cost_per_overtime_min": "per_overtime_min",
    "cost_per_site_year": "per_site_year",
}

OPTIONS = (
    o.Option("threshold", o.minutes, "--threshold"),
    o.Option("villages", o.names, "--villages"),
    o.Option("tier", o.text, "--tier"),
    o.Option("access_profile", o.text, "--access-profile"),
    o.Option("days", o.count, "--days"),
    o.Option("start", date, "--start"),
    o.Option("holidays", dates, "--holidays"),
    o.Option("workday", positive_duration, "--workday"),
    o.Option("overtime", duration, "--overtime"),
    o.Option("vehicles", depots, "--vehicles"),
    o.Option("profile", o.text, "--profile"),
    o.Option("profiles_file", o.file, "--profiles"),
    o.Option("fleet", o.choice("clinic", "supply"), "--fleet", arg="kind"),
    o.Option("follow_up_days", o.minutes, "--follow-up-days"),
    o.Option("visits_column", o.text, "--visits-column"),
    o.Option("setup_min", duration, "--setup-min"),
    o.Option("minutes_per_patient", duration, "--minutes-per-patient"),
    o.Option("demand", number_or_column, "--demand"),
    o.Option("capacity", amount, "--capacity"),
    o.Option("continuity", o.flag, "--continuity"),
    o.Option("sweep", o.flag, "--sweep"),
    o.Option("compare_fixed", o.whole, "--compare-fixed"),
    o.Option("coverage_target", share, "--coverage-target"),
    *(o.Option(key, amount, "--" + key.replace("_", "-")) for key in COST_KEYS),
    o.Option("time_limit", o.seconds, "--time-limit"),
    o.Option("iterations", o.count, "--iterations"),
    o.Option("seed", o.seed, "--seed"),
)
DEFAULT_TIER = "township_health_center"
DEFAULT_ACCESS_PROFILE = "walk"
DEFAULT_PROFILE = "mobile_clinic"
#: New fixed sites the step compares with mobile tours by default (0, 1 and 2 new sites).
DEFAULT_COMPARE_FIXED = 2


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    known = load_profiles(options.get("profiles_file"))
    for key, default in (("profile", DEFAULT_PROFILE), ("access_profile", DEFAULT_ACCESS_PROFILE)):
        o.known([options.get(key, default)], known, o.Where(naming(ANALYSIS.option(key))))
    if options.get("fleet") == "supply" and "capacity" not in options:
        name = naming(ANALYSIS.option("capacity"))
        raise o.OptionError(f"supply vans need {name}: how much one van carries; add it.")
    if options.get("holidays") and "start" not in options:
        raise o.OptionError(
            f"{naming(ANALYSIS.option('holidays'))} need {naming(ANALYSIS.option('start'))}: "
            "the date the horizon begins."
        )


def _check_region(region: Region, options: dict[str, Any], naming: o.Naming) -> None:
    tiers = [t for v in region.tiers.values() for t in v]
    tier = options.get("tier", DEFAULT_TIER)
    if tier not in tiers:
        name = naming(ANALYSIS.option("tier"))
        raise o.OptionError(f"{name}: the region has no tier {tier!r}; choose one of {tiers}.")
    ids = set(region.facilities["id"].astype(str))
    for depot in options.get("vehicles", {}):
        if depot not in tiers and depot not in ids:
            name = naming(ANALYSIS.option("vehicles"))
            msg = (
                f"{name}: {depot!r} is not a facility of the region (neither a tier, {tiers}, "
                "nor a facility id); vehicles are based at facilities."
            )
            raise o.OptionError(msg)


def _run(context: Context, options: dict[str, Any]) -> MobilePlan:
    given = ANALYSIS.keywords(options)  # fleet -> kind
    profiles_file = given.pop("profiles_file", None)
    for key, default in (("profile", DEFAULT_PROFILE), ("access_profile", DEFAULT_ACCESS_PROFILE)):
        given[key] = get_profile(given.pop(key, default), profiles_file=profiles_file)
    costs = {COST_KEYS[k]: given.pop(k) for k in list(given) if k in COST_KEYS}
    given.setdefault("seed", context.seed)
    given.setdefault("compare_fixed", DEFAULT_COMPARE_FIXED)
    context.progress("mobile tours")
    return plan_tours(context.region(), costs=Costs(**costs), progress=context.progress, **given)


ANALYSIS = Analysis(
    kind="mobile",
    options=OPTIONS,
    run=_run,
    section=report_section.section,
    check=_check,
    check_region=_check_region,
)
