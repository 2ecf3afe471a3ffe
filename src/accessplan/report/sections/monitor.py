"""The monitoring section of the report: key figures, financial-protection indicators by
township, care within the county by township and tier, the warning list, and the method.

The warning list shows households by their public reference and village, the rule and its
figures — never a member, an identity number or a diagnosis (the result holds none)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from accessplan.monitor.indicators import ALL
from accessplan.monitor.results import MonitorResults
from accessplan.report.blocks import Card, Cards, Cell, Part, Section, Table, Text
from accessplan.report.i18n import Translator

#: Rows of the warning list shown (the CSV holds them all).
TOP_WARNINGS = 50


def section(result: MonitorResults, tr: Translator) -> Section:
    """``result`` as a report section."""
    return Section(
        tr("monitor.title", year=result.year),
        [
            Part("monitor-figures", tr("section.key_figures"), [Cards(_cards(result, tr))]),
            Part("monitor-indicators", tr("monitor.part.indicators"), [_indicators(result, tr)]),
            Part("monitor-county", tr("monitor.part.within_county"), [_within(result, tr)]),
            Part("monitor-warnings", tr("monitor.part.warnings"), [_warnings(result, tr)]),
            Part("monitor-method", tr("section.method"), [Text(_method(result, tr), "method")]),
        ],
    )


def _value(tr: Translator, value: Any, *, share: bool = False, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return tr("value.unknown")
    return tr.percent(float(value)) if share else tr.number(float(value), decimals)


def _cards(result: MonitorResults, tr: Translator) -> list[Card]:
    s = result.summary()
    people = _value(tr, s.get("people"))
    cards = [
        Card(
            _value(tr, s.get("sdg382_10"), share=True),
            tr("monitor.card.sdg10"),
            tr("monitor.card.sdg25", share=_value(tr, s.get("sdg382_25"), share=True)),
        ),
        Card(
            _value(tr, s.get("discretionary_40"), share=True),
            tr("monitor.card.discretionary"),
            tr("monitor.card.people", people=people, households=_value(tr, s.get("households"))),
        ),
        Card(
            _value(tr, s.get("within_county_share"), share=True),
            tr("monitor.card.within_county"),
            tr("monitor.card.target", target=tr.percent(result.config.within_county_target)),
        ),
        Card(
            tr.number(s["warnings"]),
            tr("monitor.card.warnings"),
            tr("monitor.card.left_out", n=tr.number(result.left_out)),
        ),
    ]
    return cards


def _group_name(tr: Translator, code: str, name: str) -> Cell:
    if code == ALL:
        return (tr("monitor.all_townships"), "")
    return (name or code or tr("value.unknown"), code)


def _indicators(result: MonitorResults, tr: Translator) -> Table | Text:
    table = result.indicators
    if table.empty:
        return Text([tr("monitor.none")], "message")
    columns = [
        ("sdg382_10", True),
        ("sdg382_25", True),
        ("discretionary_40", True),
        ("capacity_to_pay_40", True),
        ("pushed_below", True),
        ("further_below", True),
        ("gap_change", False),
        ("mean_positive_overshoot", True),
    ]
    columns = [(c, share) for c, share in columns if c in table.columns]
    rows = []
    for row in table.to_dict("records"):
        cells: list[Cell] = [
            _group_name(tr, str(row["group"]), str(row["township_name"])),
            (tr.number(row["households"]), ""),
            (tr.number(row["people"]), ""),
        ]
        cells += [(_value(tr, row[c], share=share, decimals=1), "") for c, share in columns]
        rows.append(cells)
    headers = [tr("level.township"), tr("monitor.col.households"), tr("monitor.col.people")]
    headers += [tr(f"monitor.col.{c}") for c, _ in columns]
    return Table(
        headers=headers,
        rows=rows,
        numeric=[False] + [True] * (len(headers) - 1),
        caption=tr("monitor.table.indicators", year=result.year),
        note=tr("monitor.table.indicators_note"),
    )


def _within(result: MonitorResults, tr: Translator) -> Table | Text:
    table = result.within_county
    if table.empty:
        return Text([tr("monitor.no_claims")], "message")
    rows = []
    for row in table.to_dict("records"):
        tier = str(row["tier"])
        rows.append(
            [
                _group_name(tr, str(row["township"]), ""),
                (tr("tier.any") if tier == ALL else tr.name("tier", tier), ""),
                (tr.number(row["claims"]), ""),
                (_value(tr, row["share"], share=True), ""),
                (_value(tr, row["cost_share"], share=True), ""),
                (tr("monitor.meets") if row["meets_target"] else tr("monitor.below"), ""),
            ]
        )
    return Table(
        headers=[
            tr("level.township"),
            tr("col.tier"),
            tr("monitor.col.claims"),
            tr("monitor.col.within_share"),
            tr("monitor.col.within_cost_share"),
            tr("monitor.col.target"),
        ],
        rows=rows,
        numeric=[False, False, True, True, True, False],
        caption=tr(
            "monitor.table.within_county", target=tr.percent(result.config.within_county_target)
        ),
    )


def _warnings(result: MonitorResults, tr: Translator) -> Table | Text:
    table: pd.DataFrame = result.warnings
    if table.empty:
        return Text([tr("monitor.no_warnings")], "message")
    rows = [
        [
            (str(row["household_ref"]), ""),
            (str(row["village"]), str(row["township"])),
            (tr.name("monitor_category", str(row["category"])), ""),
            (tr.name("monitor_rule", str(row["rule"])), str(row["rule_id"])),
            (_value(tr, row["amount"]), ""),
            (_value(tr, row["limit"]), ""),
            (str(row["raised_on"]), tr.name("monitor_status", str(row["status"]))),
        ]
        for row in table.head(TOP_WARNINGS).to_dict("records")
    ]
    return Table(
        headers=[
            tr("monitor.col.household"),
            tr("level.village"),
            tr("monitor.col.category"),
            tr("monitor.col.rule"),
            tr("monitor.col.amount"),
            tr("monitor.col.limit"),
            tr("monitor.col.raised_on"),
        ],
        rows=rows,
        numeric=[False, False, False, False, True, True, False],
        caption=tr("monitor.table.warnings", n=tr.number(len(rows)), total=tr.number(len(table))),
    )


def _method(result: MonitorResults, tr: Translator) -> list[str]:
    c = result.config
    top = result.indicators[result.indicators["group"] == ALL] if len(result.indicators) else None
    spl = float(top["spl"].iloc[0]) if top is not None and len(top) else float("nan")
    return [
        tr("monitor.method.sources", year=result.year),
        tr(
            "monitor.method.sdg",
            low=tr.percent(c.sdg_thresholds[0]),
            high=tr.percent(c.sdg_thresholds[-1]),
        ),
        tr(
            "monitor.method.discretionary",
            share=tr.percent(c.discretionary_share),
            spl=_value(tr, spl),
        ),
        tr("monitor.method.ctp", share=tr.percent(c.ctp_share)),
        tr("monitor.method.impoverishment", line=tr.number(c.poverty_line)),
        tr("monitor.method.within_county", target=tr.percent(c.within_county_target)),
        tr("monitor.method.privacy"),
    ]
