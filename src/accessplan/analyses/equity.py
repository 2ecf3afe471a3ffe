"""Access and equity of a resource as a step: ``kind = "equity"``, ``accessplan equity``."""

from __future__ import annotations

from typing import Any

from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.measures.equity import (
    DEFAULT_PROFILE,
    METHODS,
    EquityResults,
    measure_equity,
)
from accessplan.report.sections import equity as report_section
from accessplan.travel.profiles import get_profile, load_profiles

PER_1000 = o.amount("a positive number per 1,000 people", zero=False)

OPTIONS = (
    o.Option("resource", o.text, "--resource"),
    o.Option("profile", o.text, "--profile"),
    o.Option("profiles_file", o.file, "--profiles"),
    o.Option("catchment", o.minutes, "--catchment"),
    o.Option("methods", o.names, "--methods"),
    o.Option("service", o.text, "--service"),
    o.Option("tiers", o.names, "--tiers"),
    o.Option("order", o.text, "--order"),
    o.Option("reference", PER_1000, "--reference"),
    o.Option("tau", o.minutes, "--tau"),
    o.Option("max_snap_m", o.metres, "--max-snap-m"),
)


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    if "methods" in options:
        o.known(
            [m.lower() for m in options["methods"]],
            METHODS,
            o.Where(naming(ANALYSIS.option("methods"))),
        )
    o.known(
        [options.get("profile", DEFAULT_PROFILE)],
        load_profiles(options.get("profiles_file")),
        o.Where(naming(ANALYSIS.option("profile"))),
    )


def _run(context: Context, options: dict[str, Any]) -> EquityResults:
    given = dict(options)
    profile = get_profile(
        given.pop("profile", DEFAULT_PROFILE), profiles_file=given.pop("profiles_file", None)
    )
    context.progress("access and equity")
    return measure_equity(context.region(), profile=profile, progress=context.progress, **given)


ANALYSIS = Analysis(
    kind="equity",
    options=OPTIONS,
    run=_run,
    section=report_section.section,
    check=_check,
)
