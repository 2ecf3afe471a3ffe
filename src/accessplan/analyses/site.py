"""Site planning as a step: ``kind = "site"``, ``accessplan site``."""

from __future__ import annotations

from typing import Any

from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.optimize.location.plan import ALIASES, MODELS, NEEDS, SitePlan, upgrade_plan
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
    missing = [
        naming(ANALYSIS.option(key))
        for key in NEEDS[ALIASES.get(model, model)]
        if key not in options
    ]
    if missing:
        msg = f"the {model} model needs {' and '.join(missing)}; add the missing option."
        raise o.OptionError(msg)
    known = load_profiles(options.get("profiles_file"))
    o.known(
        [options.get("profile", DEFAULT_PROFILE)],
        known,
        o.Where(naming(ANALYSIS.option("profile"))),
    )


def _run(context: Context, options: dict[str, Any]) -> SitePlan:
    given = {ANALYSIS.option(k).keyword: v for k, v in options.items()}
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
)
