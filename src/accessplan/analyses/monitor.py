"""Monitoring of poverty relapse due to illness as a step: ``kind = "monitor"``.

Reads a monitor database (a SQLite file or a database URL) and reports the year's
financial-protection indicators by township, care within the county and the warning list
(:func:`accessplan.monitor.results.monitor_report`). It needs no region.
"""

from __future__ import annotations

from typing import Any

from accessplan.analyses import _options as o
from accessplan.analyses._base import Analysis, Context
from accessplan.monitor.indicators import IndicatorConfig


def database(value: Any, where: o.Where) -> str:
    """A database URL (``postgresql+psycopg://...``) or an existing SQLite file."""
    text = o.text(value, where)
    if "://" in text:
        return text
    return f"sqlite:///{o.file(text, where).resolve()}"


OPTIONS = (
    o.Option("database", database, "--database", required=True),
    o.Option("year", o.count, "--year", required=True),
    o.Option("indicators", o.file, "--indicators"),
    o.Option("poverty_line", o.amount("an amount of money >= 0"), "--poverty-line"),
    o.Option("area", o.text, "--area"),
)


def _check(options: dict[str, Any], naming: o.Naming) -> None:
    if "indicators" not in options and "poverty_line" not in options:
        names = [naming(ANALYSIS.option(k)) for k in ("poverty_line", "indicators")]
        raise o.OptionError(f"give {names[0]} or an {names[1]} settings file with poverty_line.")


def _run(context: Context, options: dict[str, Any]) -> Any:
    from accessplan.monitor.results import monitor_report

    settings: dict[str, Any] = {}
    if "indicators" in options:
        settings = IndicatorConfig.from_toml(options["indicators"]).as_dict()
    if "poverty_line" in options:
        settings["poverty_line"] = options["poverty_line"]
    config = IndicatorConfig.from_mapping(settings)
    context.progress("monitoring indicators")
    return monitor_report(
        options["database"], year=options["year"], config=config, area=options.get("area", "")
    )


def _section(result: Any, tr: Any) -> Any:
    from accessplan.report.sections import monitor as report_section

    return report_section.section(result, tr)


ANALYSIS = Analysis(
    kind="monitor",
    options=OPTIONS,
    run=_run,
    section=_section,
    check=_check,
    needs_region=False,
)
