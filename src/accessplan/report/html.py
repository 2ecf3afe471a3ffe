"""The HTML report: one self-contained page (inline CSS and SVG, no script, no external URL).

:func:`render_report` gathers the numbers, tables and figures of an
:class:`~accessplan.measures.AccessResults` and fills ``templates/report.html.j2``; every
label comes from :mod:`accessplan.report.i18n`.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes

from accessplan import __version__
from accessplan._errors import InputError
from accessplan._files import new_file
from accessplan.measures.coverage import ANY, REGION_LEVEL
from accessplan.measures.results import AccessResults
from accessplan.report import _figure, _select, charts, maps
from accessplan.report.i18n import MISSING, Translator, translator
from accessplan.travel.profiles import get_profile

logger = logging.getLogger(__name__)

TEMPLATE = "report.html.j2"
#: Rows of the ranked tables (gaps, referral chains).
TOP_ROWS = 20
#: Rows of the completeness failures shown before "and n more".
MAX_FAILURES = 50

#: A table cell: its text and an optional second, smaller line.
Cell = tuple[str, str]


@dataclass(frozen=True)
class Table:
    """A table ready for the template: formatted cells, right-aligned numeric columns."""

    headers: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class Panel:
    """An inline SVG figure with its caption."""

    id: str
    heading: str
    svg: Markup
    caption: str


@dataclass(frozen=True)
class Card:
    """A key figure: a big value, what it is, and a smaller line."""

    value: str
    label: str
    detail: str


@dataclass
class _Page:
    """Everything the template shows."""

    lang: str
    title: str
    summary: list[tuple[str, str]]
    facilities: Table
    cards: list[Card]
    key_table: Table
    figures: list[Panel]
    tables: list[tuple[str, Table | None, str]]
    method: list[str]
    provenance: Table | None
    contents: list[tuple[str, str]] = field(default_factory=list)


def render_report(
    results: AccessResults, *, lang: str = "en", manifest: Mapping[str, Any] | None = None
) -> str:
    """One self-contained HTML document describing ``results``.

    Parameters
    ----------
    results
        What :func:`~accessplan.measures.measure_access` returned.
    lang
        ``"en"`` or ``"zh_CN"`` (``"zh"``).
    manifest
        Provenance to list at the end (inputs, versions, settings); values that are not text
        are shown as JSON.

    Returns
    -------
    str
        The HTML page: inline CSS and SVG, no script, no external URL.
    """
    tr = translator(lang)
    page = _Page(
        lang=tr.html_lang,
        title=tr("report.title", region=results.region.name),
        summary=_summary(results, tr),
        facilities=_facilities_table(results, tr),
        cards=_cards(results, tr),
        key_table=_key_table(results, tr),
        figures=_figures(results, tr),
        tables=_tables(results, tr),
        method=_method(results, tr),
        provenance=_manifest_table(manifest, tr) if manifest else None,
    )
    page.contents = [
        ("summary", tr("section.summary")),
        ("key-figures", tr("section.key_figures")),
        *[(f.id, f.heading) for f in page.figures],
        ("tables", tr("section.tables")),
        ("method", tr("section.method")),
        *([("provenance", tr("section.provenance"))] if page.provenance else []),
    ]
    html = _environment().get_template(TEMPLATE).render(page=page, t=tr, version=__version__)
    logger.info(
        "rendered the %s report of %s (%d characters)", tr.lang, results.region.name, len(html)
    )
    return html


def write_report(
    results: AccessResults,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    manifest: Mapping[str, Any] | None = None,
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8), replacing it atomically."""
    html = render_report(results, lang=lang, manifest=manifest)
    with new_file(path) as tmp:
        tmp.write_text(html, encoding="utf-8", newline="\n")
    return Path(path)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("accessplan.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# ---------------------------------------------------------------------------------- summary
def _summary(results: AccessResults, tr: Translator) -> list[tuple[str, str]]:
    region = results.region
    levels = region.admin_units["level"].value_counts(sort=False)
    units = tr("list.separator").join(
        tr("summary.level_count", level=tr.name("level", str(level)), n=tr.number(n))
        for level, n in levels.items()
    )
    road_km = float(region.roads.edges["length_m"].sum()) / 1000.0
    return [
        (tr("summary.settlements"), tr.number(len(region.settlements))),
        (tr("summary.population"), tr.number(_select.population(results).sum())),
        (tr("summary.unknown_population"), tr.number(len(results.unknown_population))),
        (tr("summary.admin_units"), units or tr("value.none")),
        (tr("summary.roads"), tr("unit.km", value=tr.number(road_km))),
    ]


def _facilities_table(results: AccessResults, tr: Translator) -> Table:
    fac = results.region.facilities
    counts = fac.groupby(["service", "tier"]).size()
    rows = [
        [
            (tr.name("service", service), ""),
            (tr.name("tier", tier), ""),
            (tr.number(float(counts.get((service, tier), 0))), ""),
        ]
        for service, tiers in results.region.tiers.items()
        for tier in tiers
    ]
    return Table(
        headers=[tr("col.service"), tr("col.tier"), tr("col.count")],
        rows=rows,
        numeric=[False, False, True],
        caption=tr("summary.facilities"),
    )


# ------------------------------------------------------------------------------ key figures
def _share_cells(rows: pd.DataFrame, results: AccessResults, tr: Translator) -> list[Cell]:
    """Per threshold: the share and, below it, the people covered."""
    limits = rows["threshold_min"].to_numpy(dtype="float64")
    share = dict(zip(limits, rows["share"].to_numpy(dtype="float64"), strict=True))
    covered = dict(zip(limits, rows["covered_population"].to_numpy(dtype="float64"), strict=True))
    return [
        (tr.percent(share[t]), tr.number(covered[t])) if t in share else (MISSING, "")
        for t in results.thresholds
    ]


def _circles(results: AccessResults, tr: Translator) -> list[str]:
    return [tr("circle", minutes=tr.threshold(t)) for t in results.thresholds]


def _cards(results: AccessResults, tr: Translator) -> list[Card]:
    service, profile = _select.main_service(results), results.profiles[0]
    rows = _select.coverage_rows(results, level=REGION_LEVEL, profile=profile, service=service)
    cards = []
    for row in rows.to_dict("records"):
        detail = tr(
            "key.people",
            covered=tr.number(float(row["covered_population"])),
            total=tr.number(float(row["population"])),
        )
        label = f"{tr('circle', minutes=tr.threshold(float(row['threshold_min'])))} · "
        cards.append(
            Card(tr.percent(float(row["share"])), label + tr.name("profile", profile), detail)
        )
    return cards


def _key_table(results: AccessResults, tr: Translator) -> Table:
    service = _select.main_service(results)
    rows = []
    for profile in results.profiles:
        sub = _select.coverage_rows(results, level=REGION_LEVEL, profile=profile, service=service)
        rows.append([(tr.name("profile", profile), ""), *_share_cells(sub, results, tr)])
    return Table(
        headers=[tr("col.profile"), *_circles(results, tr)],
        rows=rows,
        numeric=[False] + [True] * len(results.thresholds),
        caption=tr("key.caption", service=tr.name("service_in_text", service)),
    )


# ---------------------------------------------------------------------------------- figures
def _figures(results: AccessResults, tr: Translator) -> list[Panel]:
    service = tr.name("service_in_text", _select.main_service(results))
    profile = tr.name("profile", results.profiles[0])
    circle = tr("circle", minutes=tr.threshold(results.thresholds[0]))
    level = _select.unit_level(results, max_units=_select.MAX_CHART_UNITS)
    drawn: list[tuple[str, str, Callable[..., Axes], str]] = [
        (
            "coverage-map",
            tr("section.coverage_map"),
            maps.coverage_map,
            tr("map.coverage.caption", service=service, profile=profile),
        ),
        (
            "gaps-map",
            tr("section.gaps_map"),
            maps.gaps_map,
            tr("map.gaps.caption", service=service, profile=profile, circle=circle),
        ),
        (
            "unit-chart",
            tr(f"heading.units.{level}"),
            charts.coverage_by_unit,
            tr("chart.units.caption", service=service, profile=profile),
        ),
        (
            "curve",
            tr("section.curve"),
            charts.population_curve,
            tr("chart.curve.caption", service=service),
        ),
    ]
    figures = []
    for name, heading, draw, caption in drawn:
        ax = draw(results, lang=tr.lang)
        svg = _figure.to_svg(_figure.root(ax), name=name, lang=tr.lang, label=heading)
        figures.append(Panel(name, heading, Markup(svg), caption))
    return figures


# ----------------------------------------------------------------------------------- tables
def _tables(results: AccessResults, tr: Translator) -> list[tuple[str, Table | None, str]]:
    """``(heading, table or None, message)`` in the order shown."""
    out: list[tuple[str, Table | None, str]] = [
        (tr("table.coverage_region"), _coverage_region_table(results, tr), "")
    ]
    level = _select.unit_level(results)
    if level != REGION_LEVEL:
        out.append((tr(f"heading.units.{level}"), _coverage_units_table(results, level, tr), ""))
    out.append((tr("table.gaps"), *_gaps_table(results, tr)))
    out.append((tr("table.completeness"), *_completeness_table(results, tr)))
    out.append((tr("table.referral"), _referral_summary(results, tr), ""))
    out.append(("", *_referral_table(results, tr)))
    out.append((tr("table.time_stats"), _time_stats_table(results, tr), ""))
    return out


def _coverage_region_table(results: AccessResults, tr: Translator) -> Table:
    c = results.coverage[results.coverage["level"] == REGION_LEVEL]
    rows = []
    for (service, tier, profile), sub in c.groupby(["service", "tier", "profile"], sort=False):
        rows.append(
            [
                (tr.name("service", str(service)), ""),
                (tr.name("tier", str(tier)), ""),
                (tr.name("profile", str(profile)), ""),
                *_share_cells(sub, results, tr),
            ]
        )
    return Table(
        headers=[tr("col.service"), tr("col.tier"), tr("col.profile"), *_circles(results, tr)],
        rows=rows,
        numeric=[False, False, False] + [True] * len(results.thresholds),
        caption=tr("table.coverage_region.caption", any=tr.name("tier", ANY)),
    )


def _coverage_units_table(results: AccessResults, level: str, tr: Translator) -> Table:
    service, profile = _select.main_service(results), results.profiles[0]
    c = _select.coverage_rows(results, level=level, profile=profile, service=service)
    rows = []
    for code, sub in c.groupby("admin_code", sort=True):
        rows.append(
            [
                (str(sub["admin_name"].iat[0]), ""),
                (str(code), ""),
                (tr.number(sub["population"].to_numpy(dtype="float64")[0]), ""),
                *_share_cells(sub, results, tr),
            ]
        )
    return Table(
        headers=[tr("col.name"), tr("col.code"), tr("col.population"), *_circles(results, tr)],
        rows=rows,
        numeric=[False, False, True] + [True] * len(results.thresholds),
        caption=tr(
            "table.coverage_units.caption",
            service=tr.name("service", service),
            profile=tr.name("profile", profile),
        ),
    )


def _people(value: float, tr: Translator) -> str:
    return tr("value.unknown") if np.isnan(value) else tr.number(value)


def _admin_names(results: AccessResults) -> dict[str, str]:
    units = results.region.admin_units
    return dict(zip(units["code"], units["name"], strict=True))


def _gaps_table(results: AccessResults, tr: Translator) -> tuple[Table | None, str]:
    service, profile = _select.main_service(results), results.profiles[0]
    first = results.thresholds[0]
    names = {
        "service": tr.name("service_in_text", service),
        "profile": tr.name("profile", profile),
        "circle": tr("circle", minutes=tr.threshold(first)),
    }
    g = results.gaps
    g = g[
        (g["service"] == service)
        & (g["tier"] == ANY)
        & (g["profile"] == profile)
        & np.isclose(g["threshold_min"].astype(float), first)
    ]
    if g.empty:
        return None, tr("table.gaps.none", service=names["service"], circle=names["circle"])
    g = g.assign(_pop=g["population"].fillna(0.0)).sort_values(
        ["people_minutes", "_pop", "id"], ascending=[False, False, True], kind="stable"
    )
    with_units = len(results.region.admin_units) > 0
    admin = _admin_names(results)
    rows = []
    for row in g.head(TOP_ROWS).to_dict("records"):
        unit = (
            [(admin.get(str(row["admin_code"]), str(row["admin_code"])), "")] if with_units else []
        )
        rows.append(
            [
                (str(row["name"]), ""),
                *unit,
                (_people(float(row["population"]), tr), ""),
                (tr.number(float(row["minutes"]), 1), ""),
                (tr.number(float(row["minutes_beyond"]), 1), ""),
                (tr.number(float(row["people_minutes"])), ""),
            ]
        )
    headers = [
        tr("col.settlement"),
        *([tr("col.admin_unit")] if with_units else []),
        tr("col.population"),
        tr("col.minutes"),
        tr("col.minutes_beyond"),
        tr("col.people_minutes"),
    ]
    caption = tr("table.gaps.caption", n=tr.number(len(rows)), total=tr.number(len(g)), **names)
    numeric = [False] * (1 + with_units) + [True] * 4
    return Table(headers, rows, numeric, caption=caption), ""


def _completeness_table(results: AccessResults, tr: Translator) -> tuple[Table | None, str]:
    table = results.completeness
    if len(results.region.admin_units) == 0:
        return None, tr("table.completeness.no_units")
    failed = table[table["status"] != "ok"]
    if failed.empty:
        return None, tr("table.completeness.all_ok", n=tr.number(len(table)))
    rows = [
        [
            (tr.name("level", str(row["level"])), ""),
            (str(row["admin_code"]), ""),
            (str(row["admin_name"]), ""),
            (tr.name("tier", str(row["required_tier"])), ""),
        ]
        for row in failed.head(MAX_FAILURES).to_dict("records")
    ]
    more = len(failed) - len(rows)
    return Table(
        headers=[tr("col.level"), tr("col.code"), tr("col.name"), tr("col.required_tier")],
        rows=rows,
        numeric=[False] * 4,
        caption=tr(
            "table.completeness.summary",
            missing=tr.number(len(failed)),
            total=tr.number(len(table)),
        ),
        note=tr("table.more", n=tr.number(more)) if more > 0 else "",
    ), ""


def _referral_summary(results: AccessResults, tr: Translator) -> Table:
    ref = results.referral
    total = _select.population(results).sum()
    rows = []
    for profile in results.profiles:
        over = ref[(ref["profile"] == profile) & ref["exceeds"]]
        people = float(over["population"].fillna(0.0).sum())
        share = people / total if total > 0 else float("nan")
        rows.append(
            [
                (tr.name("profile", profile), ""),
                (tr.number(len(over)), ""),
                (tr.number(people), ""),
                (tr.percent(share), ""),
            ]
        )
    return Table(
        headers=[
            tr("col.profile"),
            tr("col.settlements_over"),
            tr("col.people_over"),
            tr("col.share_over"),
        ],
        rows=rows,
        numeric=[False, True, True, True],
    )


def _referral_table(results: AccessResults, tr: Translator) -> tuple[Table | None, str]:
    profile = results.profiles[0]
    limit = tr.threshold(results.referral_limit_min)
    ref = results.referral
    over = ref[(ref["profile"] == profile) & ref["exceeds"]]
    if over.empty:
        return None, tr("table.referral.none", limit=limit)
    over = over.assign(_pop=over["population"].fillna(-1.0)).sort_values(
        ["_pop", "chain_min", "id"], ascending=[False, False, True], kind="stable"
    )
    fac = results.region.facilities
    label = dict(zip(fac["id"], fac["name"].where(fac["name"] != "", fac["id"]), strict=True))
    rows = [
        [
            (str(row["name"]), ""),
            (_people(float(row["population"]), tr), ""),
            (label.get(str(row["first_id"]), MISSING), ""),
            (tr.number(float(row["to_first_min"]), 1), ""),
            (label.get(str(row["second_id"]), MISSING), ""),
            (tr.number(float(row["first_to_second_min"]), 1), ""),
            (tr.number(float(row["chain_min"]), 1), ""),
        ]
        for row in over.head(TOP_ROWS).to_dict("records")
    ]
    caption = tr(
        "table.referral.caption",
        limit=limit,
        profile=tr.name("profile", profile),
        n=tr.number(len(rows)),
        total=tr.number(len(over)),
    )
    return Table(
        headers=[
            tr("col.settlement"),
            tr("col.population"),
            tr("col.first_stop"),
            tr("col.to_first"),
            tr("col.second_stop"),
            tr("col.first_to_second"),
            tr("col.chain"),
        ],
        rows=rows,
        numeric=[False, True, False, True, False, True, True],
        caption=caption,
    ), ""


def _time_stats_table(results: AccessResults, tr: Translator) -> Table:
    ts = results.time_stats[results.time_stats["level"] == REGION_LEVEL]
    rows = [
        [
            (tr.name("service", str(row["service"])), ""),
            (tr.name("tier", str(row["tier"])), ""),
            (tr.name("profile", str(row["profile"])), ""),
            (tr.number(float(row["mean_min"]), 1), ""),
            (tr.number(float(row["median_min"]), 1), ""),
            (tr.number(float(row["p90_min"]), 1), ""),
            (tr.number(float(row["unreachable_population"])), ""),
        ]
        for row in ts.to_dict("records")
    ]
    return Table(
        headers=[
            tr("col.service"),
            tr("col.tier"),
            tr("col.profile"),
            tr("col.mean"),
            tr("col.median"),
            tr("col.p90"),
            tr("col.unreachable"),
        ],
        rows=rows,
        numeric=[False, False, False, True, True, True, True],
        caption=tr("table.time_stats.caption"),
    )


# ----------------------------------------------------------------------------------- method
def _mode(profile: str) -> str | None:
    """``walk`` or ``vehicle`` for a known profile name, else None."""
    try:
        return get_profile(profile).mode
    except InputError:
        return None


def _method(results: AccessResults, tr: Translator) -> list[str]:
    join = tr("list.separator").join
    modes = {_mode(p) for p in results.profiles}
    sources = results.region.settlements["population_source"].value_counts(sort=True)
    paragraphs = [
        tr(
            "method.times",
            profiles=join(tr.name("profile", p) for p in results.profiles),
            main=tr.name("profile", results.profiles[0]),
        ),
        *([tr("method.walk")] if "walk" in modes else []),
        *([tr("method.vehicle")] if "vehicle" in modes else []),
        tr("method.thresholds", thresholds=join(tr.threshold(t) for t in results.thresholds)),
        tr(
            "method.population",
            sources=join(
                tr("method.source_count", source=tr.name("source", str(s)), n=tr.number(n))
                for s, n in sources.items()
            ),
            unknown=tr.number(len(results.unknown_population)),
        ),
        tr("method.referral", limit=tr.threshold(results.referral_limit_min)),
    ]
    if results.clinic_within_min is not None:
        paragraphs.append(tr("method.clinic_rule", minutes=tr.threshold(results.clinic_within_min)))
    return paragraphs


def _manifest_table(manifest: Mapping[str, Any], tr: Translator) -> Table:
    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    return Table(
        headers=[tr("col.item"), tr("col.value")],
        rows=[[(str(k), ""), (text(v), "")] for k, v in manifest.items()],
        numeric=[False, False],
    )
