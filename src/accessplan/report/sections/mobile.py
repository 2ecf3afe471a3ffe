"""The mobile plan's section of the report: key figures, the tours on the map day by day, the
calendar of visits, coverage of fixed and fixed + mobile by township, the fleet needed, the
fixed-or-mobile curve, the villages left out and the method."""

from __future__ import annotations

from typing import Any

import numpy as np
from markupsafe import Markup

from accessplan.optimize.mobile.plan import MobilePlan
from accessplan.report import _figure, tours
from accessplan.report.blocks import (
    Block,
    Card,
    Cards,
    Layers,
    Panel,
    Part,
    Section,
    Table,
    Text,
)
from accessplan.report.i18n import Translator

#: Rows of the village tables shown.
TOP_ROWS = 25
#: Id prefix of the tours map (its day groups are ``mobile-map-layer-<day>``).
MAP_NAME = "mobile-map"


def section(plan: MobilePlan, tr: Translator) -> Section:
    """``plan`` as a report section."""
    parts = [
        Part("mobile-figures", tr("section.key_figures"), [Cards(_cards(plan, tr))]),
        Part("mobile-map", tr("mobile.section.map"), _maps(plan, tr)),
        Part("mobile-calendar", tr("mobile.section.calendar"), [_calendar(plan, tr)]),
        Part("mobile-coverage", tr("mobile.section.coverage"), [_coverage(plan, tr)]),
        Part("mobile-fleet", tr("mobile.section.fleet"), _fleet(plan, tr)),
    ]
    if plan.tradeoff is not None:
        parts.append(Part("mobile-tradeoff", tr("mobile.section.tradeoff"), _tradeoff(plan, tr)))
    parts.append(Part("mobile-villages", tr("section.tables"), _villages(plan, tr)))
    parts.append(Part("mobile-method", tr("section.method"), [Text(_method(plan, tr), "method")]))
    title_key = "mobile.title_supply" if plan.kind == "supply" else "mobile.title"
    return Section(tr(title_key, region=plan.region.name), parts)


def _figure_svg(fig: Any, name: str, tr: Translator, label: str) -> Markup:
    return Markup(_figure.to_svg(fig, name=name, lang=tr.lang, label=label))


def _cards(plan: MobilePlan, tr: Translator) -> list[Card]:
    k = plan.kpis
    cards = [
        Card(
            tr.number(k["villages_served"]),
            tr("mobile.card.villages", minutes=tr.threshold(plan.setup.options["threshold_min"])),
            tr(
                "mobile.card.villages_of",
                total=tr.number(k["villages"]),
                dropped=tr.number(k["villages_dropped"]),
            ),
        ),
        Card(
            tr.number(k["patients_served"]),
            tr("mobile.card.patients"),
            tr("mobile.card.visits", visits=tr.number(k["visits"]), trips=tr.number(k["trips"])),
        ),
        Card(
            tr.number(k["km_per_person_visit"], 2),
            tr("mobile.card.km_per_person_visit"),
            tr(
                "mobile.card.naive",
                value=tr.number(k["naive_km_per_person_visit"], 2),
                vehicles=tr.number(k["naive_vehicles"]),
            ),
        ),
        Card(
            tr.number(k["km_per_trip"], 1),
            tr("mobile.card.km_per_trip"),
            tr("mobile.card.visits_per_day", value=tr.number(k["visits_per_vehicle_day"], 1)),
        ),
    ]
    needed = k.get("vehicles_needed")
    cards.append(
        Card(
            tr.number(needed) if needed is not None else tr("value.unknown"),
            tr("mobile.card.vehicles_needed"),
            tr("mobile.card.vehicles_now", n=tr.number(k["vehicles"])),
        )
    )
    gap = k["longest_gap_days"]
    cards.append(
        Card(
            tr.number(gap) if np.isfinite(gap) else "—",
            tr("mobile.card.gap"),
            tr("mobile.card.continuity", share=tr.percent(k["continuity"]))
            if np.isfinite(k["continuity"])
            else tr("mobile.card.single_visits"),
        )
    )
    cards.append(
        Card(
            tr.number(k["cost_per_visit"]),
            tr("mobile.card.cost_per_visit"),
            tr(
                "mobile.card.overtime",
                minutes=tr.number(k["overtime_min"]),
                cv=tr.number(k["workload_cv"], 2),
            ),
        )
    )
    return cards


def _maps(plan: MobilePlan, tr: Translator) -> list[Block]:
    """Every tour on one map, with a button per working day that shows that day's alone."""
    ax = tours.tours_map(plan, lang=tr.lang)
    svg = _figure_svg(_figure.root(ax), MAP_NAME, tr, tr("mobile.section.map"))
    trips = plan.result.schedule.groupby("day", sort=True)["vehicle"].nunique()
    choices = []
    for day, n in zip(trips.index.astype(int), trips.astype(int), strict=True):
        date = plan.setup.problem.day_label(day - 1)
        title = tr("mobile.map.day", day=day, date=date, trips=n)
        choices.append((str(day), str(day), title))
    return [
        Layers(
            svg,
            tr("mobile.map.caption"),
            name=MAP_NAME,
            layer=tours.LAYER,
            legend=tr("mobile.map.pick"),
            everything=tr("mobile.map.all_days"),
            choices=choices,
        )
    ]


def _calendar(plan: MobilePlan, tr: Translator) -> Panel:
    ax = tours.visit_calendar(plan, lang=tr.lang)
    svg = _figure_svg(_figure.root(ax), "mobile-calendar", tr, tr("mobile.section.calendar"))
    shown = min(len(plan.villages()), tours.MAX_CALENDAR_ROWS)
    return Panel(
        svg,
        tr(
            "mobile.calendar.caption", shown=tr.number(shown), total=tr.number(len(plan.villages()))
        ),
    )


def _coverage(plan: MobilePlan, tr: Translator) -> Table:
    c = plan.coverage
    rows = [
        [
            (str(r["name"]) or tr("level.region"), str(r["code"])),
            (tr.number(r["population"]), ""),
            (tr.percent(r["fixed_share"]), ""),
            (tr.percent(r["fixed_mobile_share"]), ""),
        ]
        for r in c.to_dict("records")
    ]
    return Table(
        headers=[
            tr("level.township"),
            tr("col.population"),
            tr("mobile.col.fixed"),
            tr("mobile.col.fixed_mobile"),
        ],
        rows=rows,
        numeric=[False, True, True, True],
        caption=tr(
            "mobile.coverage.caption", minutes=tr.threshold(plan.setup.options["threshold_min"])
        ),
    )


def _fleet(plan: MobilePlan, tr: Translator) -> list[Block]:
    f = plan.fleet
    if f.empty:
        return [Text([tr("mobile.fleet.none")], "message")]
    rows = [
        [
            (tr.number(r["vehicles"]), str(r["depots_fleet"])),
            (tr.number(r["villages_served"]), ""),
            (tr.number(r["villages_dropped"]), ""),
            (tr.number(r["trips"]), ""),
            (tr.number(r["km"]), ""),
        ]
        for r in f.to_dict("records")
    ]
    return [
        Table(
            headers=[
                tr("mobile.col.vehicles"),
                tr("mobile.col.served"),
                tr("mobile.col.dropped"),
                tr("mobile.col.trips"),
                tr("mobile.col.km"),
            ],
            rows=rows,
            numeric=[True] * 5,
            caption=tr("mobile.fleet.caption"),
        )
    ]


def _tradeoff(plan: MobilePlan, tr: Translator) -> list[Block]:
    t = plan.tradeoff
    ax = tours.cost_curve(t, lang=tr.lang)
    svg = _figure_svg(_figure.root(ax), "mobile-curve", tr, tr("mobile.section.tradeoff"))
    rows = [
        [
            (tr.number(r["new_sites"]), str(r["site_names"])),
            (tr.number(r["villages_beyond"]), ""),
            (tr.number(r["villages_served"]), ""),
            (tr.number(r["site_cost_year"] / 1e4, 1), ""),
            (tr.number(r["mobile_cost_year"] / 1e4, 1), ""),
            (tr.number(r["total_cost_year"] / 1e4, 1), ""),
            (tr.percent(r["coverage"]), ""),
        ]
        for r in t.table.to_dict("records")
    ]
    if t.cheapest is None:
        verdict = tr("mobile.tradeoff.none", target=tr.percent(t.target))
    else:
        verdict = tr(
            "mobile.tradeoff.cheapest",
            k=tr.number(t.cheapest["new_sites"]),
            cost=tr.number(t.cheapest["total_cost_year"] / 1e4, 1),
            target=tr.percent(t.target),
        )
    return [
        Panel(svg, tr("mobile.curve.caption")),
        Text([verdict]),
        Table(
            headers=[
                tr("mobile.col.new_sites"),
                tr("mobile.col.beyond"),
                tr("mobile.col.served"),
                tr("mobile.col.site_cost"),
                tr("mobile.col.mobile_cost"),
                tr("mobile.col.total_cost"),
                tr("mobile.col.coverage"),
            ],
            rows=rows,
            numeric=[False] + [True] * 6,
            caption=tr("mobile.tradeoff.caption"),
        ),
    ]


def _villages(plan: MobilePlan, tr: Translator) -> list[Block]:
    v = plan.villages()
    dropped = v[v["status"] == "dropped"]
    blocks: list[Block] = []
    if len(dropped):
        rows = [
            [
                (str(r["name"]), str(r["id"])),
                (tr.number(r["population"]), ""),
                (tr.number(r["patients"]), ""),
                (tr(f"mobile.reason.{r['reason']}"), ""),
            ]
            for r in dropped.sort_values("patients", ascending=False)
            .head(TOP_ROWS)
            .to_dict("records")
        ]
        blocks.append(
            Table(
                headers=[
                    tr("col.settlement"),
                    tr("col.population"),
                    tr("mobile.col.patients"),
                    tr("mobile.col.reason"),
                ],
                rows=rows,
                numeric=[False, True, True, False],
                caption=tr(
                    "mobile.table.dropped", n=tr.number(len(rows)), total=tr.number(len(dropped))
                ),
            )
        )
    else:
        blocks.append(Text([tr("mobile.table.none_dropped")], "message"))
    served = v[v["status"] == "served"].sort_values(["visits_needed", "patients"], ascending=False)
    rows = [
        [
            (str(r["name"]), str(r["id"])),
            (tr.number(r["patients"]), ""),
            (tr.number(r["minutes_to_fixed"], 0), ""),
            (tr.number(r["visits_planned"]), ""),
            (str(r["days"]), ""),
            (str(r["vehicles"]), ""),
        ]
        for r in served.head(TOP_ROWS).to_dict("records")
    ]
    blocks.append(
        Table(
            headers=[
                tr("col.settlement"),
                tr("mobile.col.patients"),
                tr("mobile.col.minutes_fixed"),
                tr("mobile.col.visits"),
                tr("mobile.col.days"),
                tr("mobile.col.vehicles"),
            ],
            rows=rows,
            numeric=[False, True, True, True, False, False],
            caption=tr("mobile.table.served", n=tr.number(len(rows)), total=tr.number(len(served))),
        )
    )
    return blocks


def _method(plan: MobilePlan, tr: Translator) -> list[str]:
    o = plan.setup.options
    k = plan.kpis
    out = [
        tr(
            "mobile.method.villages",
            minutes=tr.threshold(o["threshold_min"]),
            tier=tr.name("tier", o["tier"]),
            profile=tr.name("profile", plan.setup.access_profile.name),
        ),
        tr(
            "mobile.method.visits",
            days=tr.number(plan.setup.calendar.n_working),
            follow=tr.number(o["follow_up_days"]),
            setup=tr.number(o["setup_min"]),
            per=tr.number(o["minutes_per_patient"]),
        ),
        tr(
            "mobile.method.fleet",
            vehicles=tr.number(k["vehicles"]),
            depots=tr.number(len(plan.setup.depots)),
            workday=tr.number(o["workday_min"]),
            overtime=tr.number(o["overtime_min"]),
            profile=tr.name("profile", plan.setup.profile.name),
        ),
        tr("mobile.method.solver"),
        tr(
            "mobile.method.valid" if plan.result.check.ok else "mobile.method.invalid",
            seed=plan.seed,
        ),
        tr(
            "mobile.method.naive",
            ours=tr.number(k["km_per_person_visit"], 3),
            naive=tr.number(k["naive_km_per_person_visit"], 3),
        ),
        tr(
            "mobile.method.costs",
            km=tr.number(o["costs"]["per_km"], 1),
            trip=tr.number(o["costs"]["per_trip"]),
            day=tr.number(o["costs"]["per_vehicle_day"]),
            site=tr.number(o["costs"]["per_site_year"]),
        ),
    ]
    return out
