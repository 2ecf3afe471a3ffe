"""The service circle's section of the report: key figures, maps, charts, tables, method.

:func:`section` turns an :class:`~accessplan.measures.AccessResults` into a
:class:`~accessplan.report.blocks.Section`; every label comes from
:mod:`accessplan.report.i18n`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes

from accessplan.measures.access import AccessResults
from accessplan.measures.coverage import ANY, REGION_LEVEL
from accessplan.report import _figure, _select, charts, maps
from accessplan.report.blocks import (
    Block,
    Card,
    Cards,
    Cell,
    Heading,
    Panel,
    Part,
    Section,
    Table,
    Text,
)
from accessplan.report.i18n import MISSING, Translator
from accessplan.services import ALL

#: Rows of the ranked tables (gaps, referral chains).
TOP_ROWS = 20
#: Rows of the completeness failures shown before "and n more".
MAX_FAILURES = 50
#: Settlements listed under each standard they miss.
TOP_STANDARD_ROWS = 10


def section(results: AccessResults, tr: Translator) -> Section:
    """The service circle of ``results`` as a report section."""
    parts = [
        Part(
            "key-figures",
            tr("section.key_figures"),
            [Cards(_cards(results, tr)), _key_table(results, tr)],
        ),
        *_figures(results, tr),
        Part("services", tr("section.services"), _services_summary(results, tr)),
        *_service_parts(results, tr),
        Part("tables", tr("section.tables"), _tables(results, tr)),
        Part(
            "method",
            tr("section.method"),
            [Text(_method(results, tr), style="method"), _speeds_table(results, tr)],
        ),
    ]
    return Section(tr("report.title", region=results.region.name), parts)


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
    service, profile = results.main_service(), results.profile_names[0]
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
    service = results.main_service()
    rows = []
    for profile in results.profile_names:
        sub = _select.coverage_rows(results, level=REGION_LEVEL, profile=profile, service=service)
        rows.append([(tr.name("profile", profile), ""), *_share_cells(sub, results, tr)])
    return Table(
        headers=[tr("col.profile"), *_circles(results, tr)],
        rows=rows,
        numeric=[False] + [True] * len(results.thresholds),
        caption=tr("key.caption", service=tr.name("service_in_text", service)),
    )


# ---------------------------------------------------------------------------------- figures
def _figures(results: AccessResults, tr: Translator) -> list[Part]:
    service = tr.name("service_in_text", results.main_service())
    profile = tr.name("profile", results.profile_names[0])
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
        figures.append(Part(name, heading, [Panel(Markup(svg), caption)]))
    return figures


# -------------------------------------------------------------------------------- standards
def _name(results: AccessResults, tr: Translator, kind: str, name: str) -> str:
    """A service's, tier's or group's name from the region's catalogue, in ``tr``'s language
    (``any`` tier and the ``all`` group from the labels)."""
    if kind == "tier" and name == ANY:
        return tr.name("tier", ANY)
    if kind == "group" and name == ALL:
        return tr("group.all")
    return results.region.catalogue.label(kind, name, tr.lang)


def _standard_label(results: AccessResults, tr: Translator, row: Mapping[Any, Any]) -> str:
    return tr(
        "standard.label",
        tier=_name(results, tr, "tier", str(row["tier"])),
        minutes=tr.threshold(float(row["threshold_min"])),
        profile=tr.name("profile", str(row["profile"])),
    )


def _services_summary(results: AccessResults, tr: Translator) -> list[Block]:
    """One table of every standard (columns) for the whole region and each unit (rows)."""
    table = results.standards
    if table.empty:
        return [Text([tr("services.none")], style="message")]
    level = _select.unit_level(results)
    shown = table[table["level"].isin([REGION_LEVEL, level])]
    keys = ["service", "tier", "group", "profile", "threshold_min"]
    columns = shown.drop_duplicates(keys)[keys].to_dict("records")
    headers = [
        f"{_name(results, tr, 'service', str(c['service']))} · {_standard_label(results, tr, c)}"
        for c in columns
    ]
    rows = []
    for code, sub in shown.groupby("admin_code", sort=False):
        name = sub["admin_name"].iat[0] if code else tr.name("level", REGION_LEVEL)
        cells = [
            (tr.percent(float(r["share"])), tr.number(float(r["covered_population"])))
            for r in sub.to_dict("records")
        ]
        rows.append([(str(name), str(code)), *cells])
    groups = tr("list.separator").join(
        tr(
            "services.group_of",
            service=_name(results, tr, "service", str(c["service"])),
            group=_name(results, tr, "group", str(c["group"])),
        )
        for c in shown.drop_duplicates(["service", "group"]).to_dict("records")
    )
    return [
        Table(
            headers=[tr("col.name"), *headers],
            rows=rows,
            numeric=[False] + [True] * len(headers),
            caption=tr("services.caption", groups=groups),
        )
    ]


def _service_parts(results: AccessResults, tr: Translator) -> list[Part]:
    """A part per service with standards: its standards for the whole region, the
    settlements missing each, and its completeness."""
    parts = []
    catalogue = results.region.catalogue
    for service in catalogue.services:
        if not service.standards:
            continue
        label = _name(results, tr, "service", service.name)
        whole = results.standards[
            (results.standards["level"] == REGION_LEVEL)
            & (results.standards["service"] == service.name)
        ]
        blocks: list[Block] = [_standards_table(results, whole, label, tr)]
        for row in whole.to_dict("records"):
            blocks += [Heading(tr("service.gaps", standard=_standard_label(results, tr, row)))]
            blocks += [_or_message(*_standard_gaps_table(results, row, tr))]
        blocks += _service_completeness(results, service.name, tr)
        parts.append(Part(f"service-{service.name}", label, blocks))
    return parts


def _standards_table(
    results: AccessResults, whole: pd.DataFrame, label: str, tr: Translator
) -> Table:
    rows = [
        [
            (_name(results, tr, "tier", str(r["tier"])), ""),
            (tr.name("profile", str(r["profile"])), ""),
            (tr.threshold(float(r["threshold_min"])), ""),
            (_name(results, tr, "group", str(r["group"])), ""),
            (tr.number(float(r["population"])), ""),
            (tr.number(float(r["covered_population"])), ""),
            (tr.percent(float(r["share"])), ""),
        ]
        for r in whole.to_dict("records")
    ]
    return Table(
        headers=[
            tr("col.tier"),
            tr("col.profile"),
            tr("col.threshold"),
            tr("col.group"),
            tr("col.people"),
            tr("col.people_meeting"),
            tr("col.share_meeting"),
        ],
        rows=rows,
        numeric=[False, False, True, False, True, True, True],
        caption=tr("service.standards.caption", service=label),
    )


def _standard_gaps_table(
    results: AccessResults, standard: Mapping[Any, Any], tr: Translator
) -> tuple[Table | None, str]:
    g = results.standard_gaps
    keys = ["service", "tier", "group", "profile"]
    missed = g[
        np.logical_and.reduce([g[k] == standard[k] for k in keys])
        & np.isclose(g["threshold_min"].astype(float), float(standard["threshold_min"]))
    ]
    if missed.empty:
        return None, tr("service.gaps.none")
    admin = _admin_names(results)
    rows = [
        [
            (str(r["name"]), ""),
            (admin.get(str(r["admin_code"]), str(r["admin_code"])), ""),
            (_people(float(r["population"]), tr), ""),
            (tr.number(float(r["minutes"]), 1), ""),
            (tr.number(float(r["minutes_beyond"]), 1), ""),
        ]
        for r in missed.head(TOP_STANDARD_ROWS).to_dict("records")
    ]
    return Table(
        headers=[
            tr("col.settlement"),
            tr("col.admin_unit"),
            tr("col.people"),
            tr("col.minutes"),
            tr("col.minutes_beyond"),
        ],
        rows=rows,
        numeric=[False, False, True, True, True],
        caption=tr("service.gaps.caption", n=tr.number(len(rows)), total=tr.number(len(missed))),
    ), ""


def _service_completeness(results: AccessResults, service: str, tr: Translator) -> list[Block]:
    table = results.completeness
    table = table[table["service"] == service]
    if table.empty:
        return []
    lines = []
    for (level, tier), sub in table.groupby(["level", "required_tier"], sort=False):
        missing = int((sub["status"] != "ok").sum())
        names = {
            "level": tr.name("level", str(level)),
            "tier": _name(results, tr, "tier", str(tier)),
            "total": tr.number(len(sub)),
            "missing": tr.number(missing),
        }
        key = "service.completeness" if missing else "service.completeness.ok"
        lines.append(tr(key, **names))
    return [Heading(tr("table.completeness")), Text(lines)]


# ----------------------------------------------------------------------------------- tables
def _tables(results: AccessResults, tr: Translator) -> list[Block]:
    """Headings and tables (or the message standing in for an empty one), in order."""
    blocks: list[Block] = [
        Heading(tr("table.coverage_region")),
        _coverage_region_table(results, tr),
    ]
    level = _select.unit_level(results)
    if level != REGION_LEVEL:
        blocks += [Heading(tr(f"heading.units.{level}")), _coverage_units_table(results, level, tr)]
    blocks += [Heading(tr("table.gaps")), _or_message(*_gaps_table(results, tr))]
    blocks += [Heading(tr("table.completeness")), _or_message(*_completeness_table(results, tr))]
    blocks += [Heading(tr("table.referral")), _referral_summary(results, tr)]
    blocks += [_or_message(*_referral_table(results, tr))]
    blocks += [Heading(tr("table.time_stats")), _time_stats_table(results, tr)]
    return blocks


def _or_message(table: Table | None, message: str) -> Block:
    return table if table is not None else Text([message], style="message")


def _coverage_region_table(results: AccessResults, tr: Translator) -> Table:
    c = results.coverage[results.coverage["level"] == REGION_LEVEL]
    rows = []
    for (service, tier, profile), sub in c.groupby(["service", "tier", "profile"], sort=False):
        rows.append(
            [
                (_name(results, tr, "service", str(service)), ""),
                (_name(results, tr, "tier", str(tier)), ""),
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
    service, profile = results.main_service(), results.profile_names[0]
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
            service=_name(results, tr, "service", service),
            profile=tr.name("profile", profile),
        ),
    )


def _people(value: float, tr: Translator) -> str:
    return tr("value.unknown") if np.isnan(value) else tr.number(value)


def _admin_names(results: AccessResults) -> dict[str, str]:
    units = results.region.admin_units
    return dict(zip(units["code"], units["name"], strict=True))


def _gaps_table(results: AccessResults, tr: Translator) -> tuple[Table | None, str]:
    service, profile = results.main_service(), results.profile_names[0]
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
            (_name(results, tr, "tier", str(row["required_tier"])), ""),
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
    for profile in results.profile_names:
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
    profile = results.profile_names[0]
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
            (_name(results, tr, "service", str(row["service"])), ""),
            (_name(results, tr, "tier", str(row["tier"])), ""),
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
def _method(results: AccessResults, tr: Translator) -> list[str]:
    join = tr("list.separator").join
    modes = {p.mode for p in results.profiles}
    sources = results.region.settlements["population_source"].value_counts(sort=True)
    paragraphs = [
        tr(
            "method.times",
            profiles=join(tr.name("profile", p) for p in results.profile_names),
            main=tr.name("profile", results.profile_names[0]),
        ),
        *([tr("method.walk")] if "walk" in modes else []),
        *([tr("method.vehicle")] if "vehicle" in modes else []),
        tr("method.thresholds", thresholds=join(tr.threshold(t) for t in results.thresholds)),
        tr("method.standards"),
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


def _speeds_table(results: AccessResults, tr: Translator) -> Table:
    """The speed of every road class in every profile used, as the profiles define them."""
    classes = sorted({c for p in results.profiles for c in p.speeds})
    rows = [
        [
            (tr.name("highway", c), ""),
            *(
                (tr.number(float(p.speeds[c]), 1), "") if c in p.speeds else (MISSING, "")
                for p in results.profiles
            ),
        ]
        for c in classes
    ]
    return Table(
        headers=[tr("col.road_class"), *(tr.name("profile", p) for p in results.profile_names)],
        rows=rows,
        numeric=[False] + [True] * len(results.profiles),
        caption=tr("table.speeds.caption"),
    )
