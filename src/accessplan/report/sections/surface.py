"""The raster analysis's section of the report: key figures, the travel-time map, the
facilities with their status, the capacity and zonal tables, and the method."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from markupsafe import Markup

from accessplan.measures.surface import SurfaceResults
from accessplan.report import _figure, maps
from accessplan.report.blocks import Block, Card, Cards, Panel, Part, Section, Table, Text
from accessplan.report.i18n import MISSING, Translator


def section(results: SurfaceResults, tr: Translator) -> Section:
    """``results`` as a report section."""
    heading = tr("section.travel_time_map")
    ax = maps.travel_time_map(results, thresholds=_thresholds(results), lang=tr.lang)
    svg = _figure.to_svg(_figure.root(ax), name="travel-time", lang=tr.lang, label=heading)
    direction = tr(f"surface.direction.{results.options.get('direction', 'towards')}")
    return Section(
        tr("surface.title"),
        [
            Part("surface-figures", tr("section.key_figures"), [Cards(_cards(results, tr))]),
            Part(
                "travel-time",
                heading,
                [Panel(Markup(svg), tr("surface.map.caption", direction=direction))],
            ),
            Part("surface-tables", tr("section.tables"), _tables(results, tr)),
            Part("surface-method", tr("section.method"), _method(results, tr)),
        ],
    )


def _thresholds(results: SurfaceResults) -> list[float]:
    return [float(t) for t in results.options.get("thresholds_min", (15, 30, 60, 120))]


def _cards(results: SurfaceResults, tr: Translator) -> list[Card]:
    summary = results.summary()
    flagged = sum(summary["facilities_flagged"].values())
    cards = [
        Card(
            tr.percent(summary["cells_reached"] / summary["cells"]),
            tr("surface.card.reached", minutes=tr.threshold(results.options["max_minutes"])),
            tr("surface.card.cells", n=tr.number(summary["cells_reached"])),
        ),
        Card(
            tr.number(summary["facilities_used"]),
            tr("surface.card.used"),
            tr("surface.card.flagged", n=tr.number(flagged)),
        ),
    ]
    if "population" in summary and summary["population"] > 0:
        total = summary["population"]
        for t in _thresholds(results):
            people = summary.get(f"within_{t:g}")
            if people is not None:
                cards.append(
                    Card(
                        tr.percent(people / total),
                        tr("circle", minutes=tr.threshold(t)),
                        tr("key.people", covered=tr.number(people), total=tr.number(total)),
                    )
                )
        cards.append(
            Card(
                tr.percent(summary["covered"] / total),
                tr("surface.card.covered"),
                tr("key.people", covered=tr.number(summary["covered"]), total=tr.number(total)),
            )
        )
    return cards


def _tables(results: SurfaceResults, tr: Translator) -> list[Block]:
    id_field = results.options.get("id_field", "id")
    fac = results.facilities
    blocks: list[Block] = [
        Table(
            headers=[tr("col.facility"), tr("col.cell"), tr("col.status")],
            rows=[
                [
                    (str(row[id_field]), ""),
                    (f"{int(row['row'])}, {int(row['col'])}", ""),
                    (tr(f"surface.status.{row['status']}"), ""),
                ]
                for row in fac.to_dict("records")
            ],
            numeric=[False, True, False],
            caption=tr("surface.table.facilities"),
        )
    ]
    if results.capacity.empty:
        return [*blocks, Text([tr("surface.table.no_population")], "message")]
    used = results.capacity.dropna(subset=["covered"])
    blocks.append(
        Table(
            headers=[
                tr("col.rank"),
                tr("col.facility"),
                tr("col.capacity"),
                tr("col.covered"),
                tr("col.catchment_minutes"),
                tr("col.limit_reached"),
            ],
            rows=[
                [
                    (tr.number(float(row["rank"])), ""),
                    (str(row[id_field]), ""),
                    (_capacity(float(row["capacity"]), tr), ""),
                    (tr.number(float(row["covered"])), ""),
                    (tr.number(float(row["catchment_minutes"]), 1), ""),
                    (tr("value.yes") if row["time_limit_reached"] else tr("value.no"), ""),
                ]
                for row in used.to_dict("records")
            ],
            numeric=[True, False, True, True, True, False],
            caption=tr(
                "surface.table.capacity", order=tr(f"surface.order.{results.options['order']}")
            ),
        )
    )
    blocks.append(_zonal_table(results.zonal, _thresholds(results), tr))
    return blocks


def _capacity(value: float, tr: Translator) -> str:
    return tr("value.unlimited") if math.isinf(value) else tr.number(value)


def _zonal_table(zonal: pd.DataFrame, thresholds: list[float], tr: Translator) -> Table:
    rows = []
    for row in zonal.to_dict("records"):
        zone = tr("surface.total") if row["zone"] == "(total)" else str(row["zone"])
        within = [
            (tr.percent(float(row[f"share_within_{t:g}"])), tr.number(float(row[f"within_{t:g}"])))
            if f"within_{t:g}" in row and np.isfinite(row[f"share_within_{t:g}"])
            else (MISSING, "")
            for t in thresholds
        ]
        rows.append(
            [
                (zone, ""),
                (tr.number(float(row["population"])), ""),
                (tr.number(float(row["covered"])), ""),
                *within,
            ]
        )
    return Table(
        headers=[
            tr("col.zone"),
            tr("col.population"),
            tr("col.covered"),
            *(tr("circle", minutes=tr.threshold(t)) for t in thresholds),
        ],
        rows=rows,
        numeric=[False, True, True] + [True] * len(thresholds),
        caption=tr("surface.table.zonal"),
    )


def _method(results: SurfaceResults, tr: Translator) -> list[Block]:
    o = results.options
    removed = int(o.get("artefacts_removed") or 0)
    paragraphs = [
        tr(
            "surface.method.merge",
            stack=tr("list.separator").join(o.get("stack", [])),
            cleaned=tr("surface.method.cleaned", n=tr.number(removed)) if removed else "",
        ),
        tr(f"surface.method.rules.{o.get('rules', 'current')}"),
        tr("surface.method.anisotropic" if o.get("anisotropic") else "surface.method.isotropic"),
        tr(
            "surface.method.search",
            direction=tr(f"surface.direction.{o.get('direction', 'towards')}"),
            minutes=tr.threshold(o["max_minutes"]),
            moves=tr("surface.moves.16" if o.get("knight") else "surface.moves.8"),
        ),
    ]
    if not results.capacity.empty:
        paragraphs.append(tr("surface.method.capacity"))
    scenario = pd.DataFrame(o.get("scenario_table", []))
    table = Table(
        headers=[tr("col.class"), tr("col.label"), tr("col.speed"), tr("col.mode")],
        rows=[
            [
                (str(row["class"]), ""),
                (str(row["label"]), ""),
                (tr.number(float(row["speed"]), 1), ""),
                (tr.name("mode", str(row["mode"])), ""),
            ]
            for row in scenario.to_dict("records")
        ],
        numeric=[True, False, True, False],
        caption=tr("surface.table.scenario"),
    )
    return [Text(paragraphs, "method"), table]
