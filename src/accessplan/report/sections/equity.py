"""The equity section of the report: key figures, access on the map, Lorenz curves, density by
unit against the reference, the inequality and decomposition tables, need, and the method."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes

from accessplan.measures.equity import (
    COST_METHODS,
    RATIO_METHODS,
    RESOURCE_PER_CAPITA,
    RESOURCE_PER_KM2,
    URBAN_RURAL_COLUMN,
    EquityResults,
    access_column,
)
from accessplan.report import _figure, equity_charts
from accessplan.report.blocks import Block, Card, Cards, Heading, Panel, Part, Section, Table, Text
from accessplan.report.i18n import MISSING, Translator

#: Rows of the units table and of the settlements in most need.
TOP_UNITS, TOP_SETTLEMENTS = 40, 20


def section(results: EquityResults, tr: Translator) -> Section:
    """``results`` as a report section."""
    names = _names(results, tr)
    figures: list[tuple[str, str, Callable[..., Axes], str]] = [
        (
            "equity-map",
            tr("equity.section.map"),
            equity_charts.access_map,
            tr("equity.map.caption", **names),
        ),
        (
            "equity-lorenz",
            tr("equity.section.lorenz"),
            equity_charts.lorenz_curves,
            tr("equity.lorenz.caption", **names),
        ),
        (
            "equity-density",
            tr("equity.section.density", units=names["units"]),
            equity_charts.density_by_unit,
            _density_caption(results, tr, names),
        ),
    ]
    parts = [Part("equity-figures", tr("section.key_figures"), [Cards(_cards(results, tr))])]
    for anchor, heading, draw, caption in figures:
        ax = draw(results, lang=tr.lang)
        svg = _figure.to_svg(_figure.root(ax), name=anchor, lang=tr.lang, label=heading)
        parts.append(Part(anchor, heading, [Panel(Markup(svg), caption)]))
    parts += [
        Part("equity-tables", tr("section.tables"), _tables(results, tr, names)),
        Part("equity-method", tr("section.method"), [Text(_method(results, tr, names), "method")]),
    ]
    return Section(
        tr("equity.title", resource=names["resource"], region=results.region.name), parts
    )


def _names(results: EquityResults, tr: Translator) -> dict[str, str]:
    """Names the labels share: the resource, the main method, the units, the catchment."""
    return {
        "resource": equity_charts.resource_name(results, tr),
        "method": equity_charts.method_name(results.main, tr),
        "short": equity_charts.method_name(results.main, tr, short=True),
        "units": tr.name("units", results.unit_level),
        "minutes": tr.threshold(results.catchment),
        "profile": tr.name("profile", results.profile.name),
    }


def _stat(results: EquityResults, variable: str, measure: str) -> float:
    i = results.inequality
    value = i.loc[(i["variable"] == variable) & (i["measure"] == measure), "value"]
    return float(value.to_numpy(dtype="float64")[0]) if len(value) else float("nan")


def _split(results: EquityResults, variable: str, partition: str) -> float:
    t = results.theil
    share = t.loc[(t["variable"] == variable) & (t["partition"] == partition), "between_share"]
    return float(share.to_numpy(dtype="float64")[0]) if len(share) else float("nan")


def _decimals(value: float, tr: Translator, digits: int = 3) -> str:
    return MISSING if not np.isfinite(value) else tr.number(value, digits)


# ------------------------------------------------------------------------------ key figures
def _cards(results: EquityResults, tr: Translator) -> list[Card]:
    summary = results.summary()
    names = _names(results, tr)
    main = access_column(results.main)
    reference = results.reference
    cards = [
        Card(
            _decimals(summary["per_1000"], tr, 2),
            tr("equity.card.density", resource=names["resource"]),
            tr("equity.card.reference", value=tr.number(reference.per_1000, 2))
            if reference
            else tr("equity.card.no_reference"),
        ),
        Card(
            _decimals(summary["gini_access"], tr),
            tr("equity.card.gini_access", method=names["method"]),
            tr(
                "equity.card.theil",
                theil=_decimals(summary["theil_access"], tr),
                share=tr.percent(_split(results, main, results.unit_level)),
                units=names["units"],
            ),
        ),
    ]
    if len(results.units) >= 2:
        cards.append(
            Card(
                _decimals(summary["gini_resource_units"], tr),
                tr("equity.card.gini_units", resource=names["resource"], units=names["units"]),
                tr(
                    "equity.card.below",
                    n=tr.number(summary["units_below_reference"]),
                    total=tr.number(summary["units"]),
                    units=names["units"],
                )
                if reference
                else tr("equity.card.no_reference"),
            )
        )
    people = summary["population"]
    out = summary["population_out_of_reach"]
    cards.append(
        Card(
            tr.number(out),
            tr("equity.card.out_of_reach", resource=names["resource"], minutes=names["minutes"]),
            tr("equity.card.share", share=tr.percent(out / people if people > 0 else np.nan)),
        )
    )
    if "concentration_index" in summary:
        cards.append(
            Card(
                _decimals(summary["concentration_index"], tr),
                tr("equity.card.concentration", order=str(results.order)),
                tr("equity.card.concentration_detail"),
            )
        )
    top = results.units.sort_values("need_rank").head(1)
    if len(results.units) >= 2 and len(top):
        cards.append(
            Card(
                str(top["name"].iat[0]),
                tr("equity.card.need", units=names["units"]),
                tr("equity.card.need_detail", people=tr.number(top["need"].to_numpy()[0])),
            )
        )
    return cards


def _density_caption(results: EquityResults, tr: Translator, names: dict[str, str]) -> str:
    shown = len(equity_charts.shown_units(results))
    caption = tr("equity.density.caption", **names)
    if shown < len(results.units):
        caption += " " + tr(
            "equity.density.only", n=tr.number(shown), total=tr.number(len(results.units))
        )
    return caption


# ----------------------------------------------------------------------------------- tables
def _tables(results: EquityResults, tr: Translator, names: dict[str, str]) -> list[Block]:
    blocks: list[Block] = [
        Heading(tr("equity.table.methods")),
        _methods_table(results, tr),
        Heading(tr("equity.table.theil")),
        _theil_table(results, tr, names),
        Heading(tr("equity.table.urban_rural")),
        _urban_rural(results, tr),
        Heading(tr("equity.table.units", units=names["units"])),
        _units_table(results, tr, names),
        Heading(tr("equity.table.settlements")),
        _settlements_table(results, tr, names),
    ]
    return blocks


def _score_unit(method: str, tr: Translator, names: dict[str, str]) -> str:
    if method in RATIO_METHODS:
        return tr("equity.unit.per_1000", resource=names["resource"])
    if method in COST_METHODS:
        return tr("equity.unit.cost")
    return tr("equity.unit.potential", resource=names["resource"])


def _methods_table(results: EquityResults, tr: Translator) -> Table:
    names = _names(results, tr)
    table = results.settlements
    pop = table["population"].to_numpy(dtype="float64")
    ordered = results.order is not None
    rows = []
    for method in results.methods:
        column = access_column(method)
        x = table[column].to_numpy(dtype="float64")
        known = np.isfinite(x) & (pop > 0)
        mean = float(np.dot(x[known], pop[known]) / pop[known].sum()) if known.any() else np.nan
        rows.append(
            [
                (equity_charts.method_name(method, tr), _score_unit(method, tr, names)),
                (_decimals(mean, tr, 3), ""),
                (_decimals(_stat(results, column, "gini"), tr), ""),
                (_decimals(_stat(results, column, "theil"), tr), ""),
                *(
                    [(_decimals(_stat(results, column, "concentration"), tr), "")]
                    if ordered
                    else []
                ),
            ]
        )
    headers = [
        tr("equity.col.method"),
        tr("equity.col.mean"),
        tr("equity.col.gini"),
        tr("equity.col.theil"),
    ]
    headers += [tr("equity.col.concentration")] if ordered else []
    return Table(
        headers=headers,
        rows=rows,
        numeric=[False] + [True] * (len(headers) - 1),
        caption=tr("equity.table.methods.caption", **names),
    )


def _variable_name(
    results: EquityResults, variable: str, tr: Translator, names: dict[str, str]
) -> str:
    if variable == RESOURCE_PER_CAPITA:
        return tr("equity.variable.per_capita", **names)
    if variable == RESOURCE_PER_KM2:
        return tr("equity.variable.per_km2", **names)
    method = variable.removeprefix("access_")
    return tr("equity.variable.access", method=equity_charts.method_name(method, tr))


def _partition_name(partition: str, tr: Translator) -> str:
    if partition == "urban_rural":
        return tr("equity.partition.urban_rural")
    return tr.name("level", partition)


def _theil_table(results: EquityResults, tr: Translator, names: dict[str, str]) -> Block:
    split = results.theil
    if split.empty:
        return Text([tr("equity.table.theil.none")], style="message")
    rows = [
        [
            (_variable_name(results, str(row["variable"]), tr, names), ""),
            (_partition_name(str(row["partition"]), tr), ""),
            (_decimals(float(row["total"]), tr, 4), ""),
            (_decimals(float(row["between"]), tr, 4), ""),
            (_decimals(float(row["within"]), tr, 4), ""),
            (tr.percent(float(row["between_share"])), ""),
        ]
        for row in split.to_dict("records")
    ]
    return Table(
        headers=[
            tr("equity.col.variable"),
            tr("equity.col.partition"),
            tr("equity.col.theil"),
            tr("equity.col.between"),
            tr("equity.col.within"),
            tr("equity.col.between_share"),
        ],
        rows=rows,
        numeric=[False, False, True, True, True, True],
        caption=tr("equity.table.theil.caption"),
    )


def _urban_rural(results: EquityResults, tr: Translator) -> Block:
    if not results.urban_rural:
        return Text([tr("equity.table.urban_rural.none", column=URBAN_RURAL_COLUMN)], "message")
    g = results.theil_groups
    main = access_column(results.main)
    g = g[(g["variable"] == main) & (g["partition"] == "urban_rural")]
    rows = [
        [
            (tr(f"equity.area.{row['group']}"), ""),
            (tr.number(float(row["population"])), ""),
            (_decimals(float(row["mean"]), tr, 3), ""),
            (tr.percent(float(row["value_share"])), ""),
            (_decimals(float(row["theil"]), tr, 4), ""),
        ]
        for row in g.to_dict("records")
    ]
    return Table(
        headers=[
            tr("equity.col.area"),
            tr("col.population"),
            tr("equity.col.mean"),
            tr("equity.col.value_share"),
            tr("equity.col.theil_within"),
        ],
        rows=rows,
        numeric=[False, True, True, True, True],
        caption=tr(
            "equity.table.urban_rural.caption", method=equity_charts.method_name(results.main, tr)
        ),
    )


def _units_table(results: EquityResults, tr: Translator, names: dict[str, str]) -> Table:
    units = results.units.sort_values("need_rank", kind="stable")
    with_area = bool(units["area_km2"].notna().all()) and len(units) > 0
    has_reference = results.reference is not None
    shown = units.head(TOP_UNITS)

    def meets(value: Any) -> str:
        return MISSING if value is None or pd.isna(value) else tr(f"equity.meets.{bool(value)}")

    rows = []
    for row in shown.to_dict("records"):
        area_cells = (
            [
                (_decimals(row["per_km2"], tr, 3), ""),
                (_decimals(row["hrad"], tr, 2), ""),
                (_decimals(row["pad"], tr, 2), ""),
            ]
            if with_area
            else []
        )
        rows.append(
            [
                (str(row["name"]), str(row["code"])),
                (tr.number(float(row["population"])), ""),
                (tr.number(float(row["resource"])), ""),
                (_decimals(float(row["per_1000"]), tr, 2), ""),
                *([(meets(row["meets_reference"]), "")] if has_reference else []),
                *area_cells,
                (_decimals(float(row["hrad_pad"]), tr, 2), ""),
                (_decimals(float(row["mean_access"]), tr, 3), ""),
                (tr.number(float(row["need"])), ""),
                (tr.number(float(row["need_rank"])), ""),
            ]
        )
    headers = [
        tr("col.name"),
        tr("col.population"),
        tr("equity.col.resource", resource=names["resource"]),
        tr("equity.col.per_1000"),
        *([tr("equity.col.meets")] if has_reference else []),
        *([tr("equity.col.per_km2"), "HRAD", "PAD"] if with_area else []),
        "HRAD/PAD",
        tr("equity.col.mean_access", method=names["short"]),
        tr("equity.col.need"),
        tr("equity.col.rank"),
    ]
    more = len(units) - len(shown)
    return Table(
        headers=headers,
        rows=rows,
        numeric=[False] + [True] * (len(headers) - 1),
        caption=tr("equity.table.units.caption", **names),
        note=tr("table.more", n=tr.number(more)) if more > 0 else "",
    )


def _settlements_table(results: EquityResults, tr: Translator, names: dict[str, str]) -> Block:
    table = results.settlements
    needy = table[table["need"] > 0].sort_values(
        ["need", "id"], ascending=[False, True], kind="stable"
    )
    if needy.empty:
        return Text([tr("equity.table.settlements.none")], "message")
    unit_names = dict(zip(results.units["code"], results.units["name"], strict=True))
    column = access_column(results.main)
    rows = [
        [
            (str(row["name"]) or str(row["id"]), ""),
            (unit_names.get(str(row["unit_code"]), MISSING), ""),
            (tr.number(float(row["population"])), ""),
            (tr.number(float(row["nearest_min"]), 1), ""),
            (_decimals(float(row[column]), tr, 3), ""),
            (tr.number(float(row["need"])), ""),
        ]
        for row in needy.head(TOP_SETTLEMENTS).to_dict("records")
    ]
    return Table(
        headers=[
            tr("col.settlement"),
            tr("equity.col.unit"),
            tr("col.population"),
            tr("equity.col.nearest"),
            tr("equity.col.access", method=names["short"]),
            tr("equity.col.need"),
        ],
        rows=rows,
        numeric=[False, False, True, True, True, True],
        caption=tr(
            "equity.table.settlements.caption",
            n=tr.number(len(rows)),
            total=tr.number(len(needy)),
            **names,
        ),
    )


# ----------------------------------------------------------------------------------- method
def _weight_text(parameters: dict[str, Any], tr: Translator) -> str:
    kind = parameters["kind"]
    if kind == "steps":
        steps = tr("list.separator").join(
            tr("equity.weight.step", weight=tr.number(w, 3), minutes=tr.threshold(m))
            for m, w in zip(parameters["limits_min"], parameters["weights"], strict=True)
        )
        return tr("equity.weight.steps", steps=steps)
    if kind == "gaussian":
        return tr("equity.weight.gaussian", sigma=tr.threshold(parameters["sigma_min"]))
    if kind == "power":
        return tr(
            "equity.weight.power",
            scale=tr.threshold(parameters["scale_min"]),
            alpha=tr.number(parameters["alpha"], 1),
            floor=tr.threshold(parameters["min_minutes"]),
        )
    return tr("equity.weight.uniform")


def _method(results: EquityResults, tr: Translator, names: dict[str, str]) -> list[str]:
    join = tr("list.separator").join
    paragraphs = [
        tr(
            "equity.method.supply",
            resource=names["resource"],
            n=tr.number(len(results.facilities)),
            tiers=join(tr.name("tier", t) for t in results.tiers),
            left=tr.number(results.left_out),
        ),
        tr("equity.method.times", **names),
    ]
    for method in results.methods:
        text = tr(f"equity.method.{method}", **names)
        if method in results.weights:
            text += " " + _weight_text(results.weights[method].parameters(), tr)
        if method == "raam":
            text += " " + tr(
                "equity.method.raam_gap",
                tau=tr.threshold(results.raam_options["tau_min"]),
                gap=_decimals(results.raam_gap, tr, 2),
            )
        paragraphs.append(text)
    paragraphs.append(tr("equity.method.pysal"))
    unknown = int(results.region.settlements["population"].isna().sum())
    paragraphs.append(tr("equity.method.inequality", unknown=tr.number(unknown)))
    paragraphs.append(tr("equity.method.units", **names))
    if results.reference:
        paragraphs.append(
            tr(
                "equity.method.reference",
                value=tr.number(results.reference.per_1000, 2),
                source=results.reference.source,
                resource=names["resource"],
            )
        )
    else:
        paragraphs.append(tr("equity.method.no_reference", resource=names["resource"]))
    area_key = f"equity.method.areas.{results.area_source or 'none'}"
    paragraphs.append(tr(area_key, units=names["units"]))
    if results.urban_rural == "place":
        paragraphs.append(tr("equity.method.urban_rural_place"))
    elif results.urban_rural:
        paragraphs.append(tr("equity.method.urban_rural", column=URBAN_RURAL_COLUMN))
    else:
        paragraphs.append(tr("equity.table.urban_rural.none", column=URBAN_RURAL_COLUMN))
    if results.order is not None:
        paragraphs.append(tr("equity.method.order", order=results.order))
    paragraphs.append(tr("equity.method.need", **names))
    return paragraphs
