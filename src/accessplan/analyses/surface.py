"""Raster accessibility as a step: ``kind = "surface"``, ``accessplan surface``."""

from __future__ import annotations

from typing import Any

from accessplan._errors import InputError
from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.io.accessmod import parse_stack
from accessplan.measures.capacity import ORDERS
from accessplan.measures.surface import SurfaceResults, measure_surface
from accessplan.report.sections import surface as report_section
from accessplan.travel.surface import RULES


def stack(value: Any, where: o.Where) -> tuple[str, ...]:
    """A merge stack, top first (:data:`accessplan.io.accessmod.STACK_SYNTAX`), its form
    checked here; whether its classes and files exist is checked against the inputs."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise o.fail(where, 'a list of stack items, e.g. "barrier,roads,landcover"', value)
    try:
        parse_stack([str(i) for i in items])
    except InputError as exc:
        raise o.OptionError(f"{where.label}: {exc}") from None
    return tuple(str(i).strip() for i in items)


OPTIONS = (
    o.Option("dem", o.raster, "--dem", required=True),
    o.Option("landcover", o.raster, "--landcover", required=True),
    o.Option("facilities", o.file, "--facilities", required=True),
    o.Option("scenario_table", o.file, "--scenario", required=True, arg="scenario"),
    o.Option("roads", o.file, "--roads"),
    o.Option("barriers", o.files, "--barriers"),
    o.Option("stack", stack, "--stack"),
    o.Option("clean_artefacts", o.flag, "--clean-artefacts/--keep-artefacts"),
    o.Option("rules", o.choice(*RULES), "--rules"),
    o.Option("population", o.raster, "--population"),
    o.Option("zones", o.file, "--zones"),
    o.Option("zone_field", o.text, "--zone-field"),
    o.Option("direction", o.choice("towards", "from"), "--direction"),
    o.Option("anisotropic", o.flag, "--anisotropic/--isotropic"),
    o.Option("knight", o.flag, "--knight"),
    o.Option("max_minutes", o.minutes, "--max-minutes"),
    o.Option("thresholds", o.minutes_list, "--thresholds"),
    o.Option("capacity_field", o.text, "--capacity-field"),
    o.Option("order", o.choice(*ORDERS), "--order"),
    o.Option("order_field", o.text, "--order-field"),
    o.Option("id_field", o.text, "--id-field"),
)

#: Options that only act on the people of ``population`` (the coverage and zonal tables).
PEOPLE_OPTIONS = ("zones", "zone_field", "thresholds", "capacity_field", "order_field")


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    if options.get("order") == "field" and "order_field" not in options:
        names = [naming.key(ANALYSIS.option(k)) for k in ("order", "order_field")]
        msg = f"{naming.prefix}{names[0]} field needs {names[1]}, the facility field to sort by."
        raise o.OptionError(msg)
    if "zone_field" in options and "zones" not in options:
        names = [naming.key(ANALYSIS.option(k)) for k in ("zone_field", "zones")]
        msg = f"{naming.prefix}{names[0]} names a field of the zones; give {names[1]} too."
        raise o.OptionError(msg)
    idle = ", ".join(naming.key(ANALYSIS.option(k)) for k in PEOPLE_OPTIONS if k in options)
    if idle and "population" not in options:
        population = naming.key(ANALYSIS.option("population"))
        msg = (
            f"{naming.prefix}{idle} only act(s) on people: give {population} too (people per "
            f"cell on the DEM grid), or leave {idle} out."
        )
        raise o.OptionError(msg)


def _run(context: Context, options: dict[str, Any]) -> SurfaceResults:
    given = ANALYSIS.keywords(options)
    context.progress("raster accessibility")
    return measure_surface(
        given.pop("dem"),
        given.pop("landcover"),
        given.pop("facilities"),
        given.pop("scenario"),
        **given,
    )


ANALYSIS = Analysis(
    kind="surface",
    options=OPTIONS,
    run=_run,
    section=report_section.section,
    check=_check,
    needs_region=False,
)
