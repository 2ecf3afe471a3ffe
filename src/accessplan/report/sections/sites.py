"""The site plan's section of the report: key figures, the plan on the map, its sites, the
settlements it brings within reach, and the method."""

from __future__ import annotations

import numpy as np
from markupsafe import Markup

from accessplan.optimize.location.plan import SitePlan
from accessplan.report import _figure, maps
from accessplan.report.blocks import Card, Cards, Panel, Part, Section, Table, Text
from accessplan.report.i18n import Translator

#: Rows of the table of settlements the plan brings within reach.
TOP_ROWS = 20


def section(plan: SitePlan, tr: Translator) -> Section:
    """``plan`` as a report section."""
    tier = tr.name("tier", plan.tier)
    heading = tr("section.plan_map")
    ax = maps.sites_map(
        plan.region, plan.sites, plan.settlements, threshold=plan.threshold, lang=tr.lang
    )
    svg = _figure.to_svg(_figure.root(ax), name="plan-map", lang=tr.lang, label=heading)
    return Section(
        tr("site.title", tier=tier, region=plan.region.name),
        [
            Part("plan-figures", tr("section.key_figures"), [Cards(_cards(plan, tr))]),
            Part("plan-map", heading, [Panel(Markup(svg), _map_caption(plan, tr))]),
            Part(
                "plan-tables",
                tr("section.tables"),
                [_sites_table(plan, tr), *_newly_reached(plan, tr)],
            ),
            Part("plan-method", tr("section.method"), [Text(_method(plan, tr), "method")]),
        ],
    )


def _map_caption(plan: SitePlan, tr: Translator) -> str:
    tier = tr.name("tier", plan.tier)
    if plan.threshold is None:
        return tr("site.map.caption_minutes", tier=tier)
    return tr("site.map.caption", tier=tier, minutes=tr.threshold(plan.threshold))


def _cards(plan: SitePlan, tr: Translator) -> list[Card]:
    summary = plan.summary()
    cards = [
        Card(
            tr.number(summary["added"]),
            tr("site.card.added", tier=tr.name("tier", plan.tier)),
            tr("site.card.existing", n=tr.number(summary["existing"])),
        )
    ]
    if plan.threshold is not None:
        cards.append(
            Card(
                tr.percent(summary["covered_share_after"]),
                tr("circle", minutes=tr.threshold(plan.threshold)),
                tr("site.card.before", share=tr.percent(summary["covered_share_before"])),
            )
        )
    proven = plan.result.is_optimal
    cards.append(
        Card(
            tr("site.card.optimal") if proven else tr.percent(summary["gap"]),
            tr("site.card.solver", model=tr.name("model", plan.model)),
            tr("site.card.runtime", seconds=tr.number(summary["runtime_s"], 1)),
        )
    )
    return cards


def _sites_table(plan: SitePlan, tr: Translator) -> Table:
    served = plan.assignment.groupby("site_id")["client_id"].size()
    sites = plan.sites
    rows = [
        [
            (str(row["name"]) or str(row["site_id"]), str(row["site_id"])),
            (tr.name("tier", str(row["tier"])), ""),
            (tr(f"site.status.{row['status']}"), ""),
            (tr.number(float(served.get(row["site_id"], 0))), ""),
        ]
        for row in sites.sort_values(["status", "site_id"], ascending=[False, True]).to_dict(
            "records"
        )
    ]
    return Table(
        headers=[tr("col.name"), tr("col.tier"), tr("col.status"), tr("col.settlements_served")],
        rows=rows,
        numeric=[False, False, False, True],
        caption=tr("site.table.sites", tier=tr.name("tier", plan.tier)),
    )


def _newly_reached(plan: SitePlan, tr: Translator) -> list[Table | Text]:
    """The settlements the plan brings closer to a site, most people first."""
    s = plan.settlements
    closer = s["minutes_after"].to_numpy(dtype="float64") < s["minutes_before"].to_numpy(
        dtype="float64"
    )
    better = s[closer].assign(_pop=s["population"].fillna(0.0))
    if better.empty:
        return [Text([tr("site.table.none")], "message")]
    better = better.sort_values(["_pop", "id"], ascending=[False, True], kind="stable")

    def minutes(value: float) -> str:
        return tr("value.unreachable") if np.isinf(value) else tr.number(value, 1)

    rows = [
        [
            (str(row["name"]) or str(row["id"]), ""),
            (tr.number(float(row["_pop"])), ""),
            (minutes(float(row["minutes_before"])), ""),
            (minutes(float(row["minutes_after"])), ""),
        ]
        for row in better.head(TOP_ROWS).to_dict("records")
    ]
    return [
        Table(
            headers=[
                tr("col.settlement"),
                tr("col.population"),
                tr("col.minutes_before"),
                tr("col.minutes_after"),
            ],
            rows=rows,
            numeric=[False, True, True, True],
            caption=tr("site.table.closer", n=tr.number(len(rows)), total=tr.number(len(better))),
        )
    ]


def _method(plan: SitePlan, tr: Translator) -> list[str]:
    paragraphs = [
        tr(
            "site.method.model",
            model=tr.name("model", plan.model),
            tier=tr.name("tier", plan.tier),
            profile=tr.name("profile", plan.profile.name),
        ),
        tr("site.method.pool"),
    ]
    if plan.threshold is not None:
        paragraphs.append(tr("site.method.threshold", minutes=tr.threshold(plan.threshold)))
    if plan.max_minutes is not None:
        paragraphs.append(tr("site.method.max", minutes=tr.threshold(plan.max_minutes)))
    r = plan.result
    paragraphs.append(
        tr("site.method.optimal")
        if r.is_optimal
        else tr("site.method.gap", gap=tr.percent(r.gap), bound=tr.number(r.bound, 1))
    )
    return paragraphs
