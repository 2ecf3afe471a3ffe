"""Site planning as a step: ``kind = "site"``, ``accessplan site``."""

from __future__ import annotations

from typing import Any

from accessplan._validate import require_places
from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.optimize.location.plan import (
    ALIASES,
    MODELS,
    NEEDS,
    SitePlan,
    all_tiers,
    raisable,
    tier_service,
    upgrade_plan,
)
from accessplan.region import Region
from accessplan.report.sections import sites as report_section
from accessplan.travel.profiles import get_profile, load_profiles

OPTIONS = (
    o.Option("tier", o.text, "--tier", required=True),
    o.Option("model", o.choice(*sorted(MODELS), *sorted(ALIASES)), "--model"),
    o.Option("p", o.count, "--p", arg="add"),
    o.Option("threshold", o.minutes, "--threshold"),
    o.Option("max_minutes", o.minutes, "--max-minutes"),
    o.Option("profile", o.text, "--profile"),
    o.Option("profiles_file", o.file, "--profiles"),
    o.Option("time_limit", o.seconds, "--time-limit"),
    o.Option("seed", o.seed, "--seed"),
)
#: The model when none is given: maximal covering, the planner's "reach most people within
#: the standard with p more sites".
DEFAULT_MODEL = "mclp"
DEFAULT_PROFILE = "car"


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    model = options.get("model", DEFAULT_MODEL)
    needs = NEEDS[ALIASES.get(model, model)]
    name = {key: naming.key(ANALYSIS.option(key)) for key in ("p", "threshold", "max_minutes")}
    missing = [name[key] for key in needs if key not in options]
    if missing:
        msg = f"{naming.prefix}the {model} model needs {' and '.join(missing)}; add it."
        raise o.OptionError(msg)
    unused = [name[key] for key in ("p", "threshold") if key in options and key not in needs]
    if unused:
        wanted = " and ".join(name[key] for key in needs)
        msg = (
            f"{naming.prefix}the {model} model does not use {' or '.join(unused)} (it takes "
            f"{wanted}); leave {' and '.join(unused)} out or choose another model."
        )
        raise o.OptionError(msg)
    if options.get("max_minutes", float("inf")) < options.get("threshold", 0.0):
        msg = (
            f"{naming.prefix}{name['max_minutes']} {options['max_minutes']:g} is below "
            f"{name['threshold']} "
            f"{options['threshold']:g}: nobody could be covered beyond {options['max_minutes']:g} "
            f"minutes; give {name['max_minutes']} of at least {options['threshold']:g} or leave "
            "it out."
        )
        raise o.OptionError(msg)
    known = load_profiles(options.get("profiles_file"))
    o.known(
        [options.get("profile", DEFAULT_PROFILE)],
        known,
        o.Where(naming(ANALYSIS.option("profile"))),
    )


def _check_region(region: Region, options: dict[str, Any], naming: o.Naming) -> None:
    """The tier is one of the region's and ``p`` at most the facilities it could raise."""
    require_places(region)
    tier, flag = options["tier"], naming(ANALYSIS.option("tier"))
    service = tier_service(region, tier)
    if service is None:
        msg = f"{flag}: unknown tier {tier!r}; choose one of the region's {all_tiers(region)}."
        raise o.OptionError(msg)
    add, most = options.get("p"), raisable(region, tier)
    if add is not None and add > most:
        p, lowest = naming.key(ANALYSIS.option("p")), region.tiers[service][0] == tier
        hint = f"; {tier} is the lowest {service} tier, choose a higher one" if lowest else ""
        msg = (
            f"{naming.prefix}{p} {add} asks for more new {tier} sites than the region can "
            f"give: it has {most} {service} facilities of a lower tier to raise, so {p} can be "
            f"at most {most}{hint}."
        )
        raise o.OptionError(msg)


def _run(context: Context, options: dict[str, Any]) -> SitePlan:
    given = ANALYSIS.keywords(options)
    profile = get_profile(
        given.pop("profile", DEFAULT_PROFILE), profiles_file=given.pop("profiles_file", None)
    )
    given.setdefault("model", DEFAULT_MODEL)
    given.setdefault("seed", context.seed)
    context.progress("site planning")
    return upgrade_plan(context.region(), profile, **given)


ANALYSIS = Analysis(
    kind="site",
    options=OPTIONS,
    run=_run,
    section=report_section.section,
    check=_check,
    check_region=_check_region,
)
