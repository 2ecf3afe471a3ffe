"""The school plan's section of the report: key figures, the plan on the map, the trade-off
between schools and travel, every closed school with where its pupils went and why it could
close, minutes by grade band, townships, and the method."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup
from matplotlib.axes import Axes

from accessplan.optimize.schools.plan import SchoolPlan
from accessplan.report import _figure, school_maps
from accessplan.report.blocks import Block, Card, Cards, Panel, Part, Section, Table, Text
from accessplan.report.i18n import Translator

#: Rows of the closed schools' table.
TOP_CLOSED = 60


def section(plan: SchoolPlan, tr: Translator) -> Section:
    """``plan`` as a report section."""
    parts = [
        Part("schools-figures", tr("section.key_figures"), [Cards(_cards(plan, tr))]),
        _figure_part(plan, tr, "schools-map", tr("schools.section.map"), school_maps.schools_map,
                     tr("schools.map.caption")),
    ]  # fmt: skip
    if len(plan.curve) and plan.curve["mean_minutes"].notna().any():
        parts.append(
            _figure_part(
                plan,
                tr,
                "schools-curve",
                tr("schools.section.curve"),
                school_maps.tradeoff_chart,
                tr("schools.curve.caption"),
            )
        )
    tables: list[Block] = [_closed_table(plan, tr), _bands_table(plan, tr), _towns_table(plan, tr)]
    parts += [
        Part("schools-tables", tr("section.tables"), tables),
        Part("schools-method", tr("section.method"), [Text(_method(plan, tr), "method")]),
    ]
    return Section(tr("schools.title", region=plan.region.name), parts)


def _figure_part(
    plan: SchoolPlan,
    tr: Translator,
    anchor: str,
    heading: str,
    draw: Callable[..., Axes],
    caption: str,
) -> Part:
    ax = draw(plan, lang=tr.lang)
    svg = _figure.to_svg(_figure.root(ax), name=anchor, lang=tr.lang, label=heading)
    return Part(anchor, heading, [Panel(Markup(svg), caption)])


def _cards(plan: SchoolPlan, tr: Translator) -> list[Card]:
    s = plan.summary()
    proven = s["is_optimal"]
    return [
        Card(
            tr(
                "schools.card.schools_value",
                before=tr.number(s["schools_before"]),
                after=tr.number(s["schools_after"]),
            ),
            tr("schools.card.schools"),
            tr(
                "schools.card.closed",
                closed=tr.number(s["closed"]),
                small=tr.number(s["small_after"]),
            ),
        ),
        Card(
            tr.number(s["teaching_points_after"]),
            tr("schools.card.points"),
            tr(
                "schools.card.points_detail",
                new=tr.number(s["teaching_points_new"]),
                kept=tr.number(s["downgraded"]),
            ),
        ),
        Card(
            tr.number(s["pupils_moved"]),
            tr("schools.card.moved"),
            tr("schools.card.boarders", n=tr.number(s["boarders"])),
        ),
        Card(
            tr.percent(s["town_share_after"]),
            tr("schools.card.town"),
            tr("schools.card.town_before", share=tr.percent(s["town_share_before"])),
        ),
        Card(
            tr("schools.card.optimal") if proven else tr.percent(s["gap"]),
            tr("schools.card.solver"),
            tr("schools.card.runtime", seconds=tr.number(s["runtime_s"], 1)),
        ),
    ]


def _closed_table(plan: SchoolPlan, tr: Translator) -> Block:
    s = plan.schools
    closed = s[s["status"] == "closed"].sort_values(["township", "school_id"])
    if closed.empty:
        return Text([tr("schools.table.none_closed")], "message")
    rows = [
        [
            (str(r["name"]), str(r["school_id"])),
            (tr.number(r["pupils_before"]), ""),
            (tr(f"schools.why.{r['why']}", size=tr.number(plan.options["min_size"])), ""),
            (", ".join(r["went_to"].split(";")) if r["went_to"] else "-", ""),
        ]
        for r in closed.head(TOP_CLOSED).to_dict("records")
    ]
    return Table(
        headers=[tr("col.name"), tr("schools.col.pupils_before"), tr("schools.col.why"),
                 tr("schools.col.went_to")],
        rows=rows,
        numeric=[False, True, False, False],
        caption=tr("schools.table.closed", n=tr.number(len(rows)), total=tr.number(len(closed))),
    )  # fmt: skip


def _bands_table(plan: SchoolPlan, tr: Translator) -> Table:
    s = plan.summary()
    rows = []
    for band in plan.problem.bands:
        limit = plan.options["max_minutes"].get(band)
        rows.append(
            [
                (tr.name("tier", band), ""),
                (tr.threshold(limit) if limit is not None else "-", ""),
                *[
                    (tr.number(s[f"{what}_minutes_{band}_{when}"] or float("nan"), 1), "")
                    for what in ("mean", "max")
                    for when in ("before", "after")
                ],
                (tr.number(s[f"pupils_beyond_limit_{band}_before"]), ""),
                (tr.number(s[f"pupils_beyond_limit_{band}_after"]), ""),
            ]
        )
    return Table(
        headers=[
            tr("schools.col.band"), tr("schools.col.limit"), tr("schools.col.mean_before"),
            tr("schools.col.mean_after"), tr("schools.col.max_before"),
            tr("schools.col.max_after"), tr("schools.col.beyond_before"),
            tr("schools.col.beyond_after"),
        ],
        rows=rows,
        numeric=[False] + [True] * 7,
        caption=tr("schools.table.bands"),
    )  # fmt: skip


def _towns_table(plan: SchoolPlan, tr: Translator) -> Table:
    units = plan.region.admin_units.set_index("code")["name"]
    t = plan.townships.sort_values("township")
    rows = [
        [
            (str(units.get(r["township"], r["township"])), str(r["township"])),
            (tr.number(r["pupils_after"]), ""),
            (tr.number(r["schools_before"]), ""),
            (tr.number(r["schools_after"]), ""),
            (tr.number(r["mean_minutes_before"], 1), ""),
            (tr.number(r["mean_minutes_after"], 1), ""),
            (tr.number(r["pupils_beyond_limit_after"]), ""),
        ]
        for r in t.to_dict("records")
    ]
    return Table(
        headers=[
            tr("schools.col.township"), tr("schools.col.pupils"), tr("schools.col.schools_before"),
            tr("schools.col.schools_after"), tr("schools.col.mean_before"),
            tr("schools.col.mean_after"), tr("schools.col.beyond_after"),
        ],
        rows=rows,
        numeric=[False] + [True] * 6,
        caption=tr("schools.table.townships"),
    )  # fmt: skip


def _method(plan: SchoolPlan, tr: Translator) -> list[str]:
    o = plan.options
    bands = ", ".join(
        tr("schools.method.band", band=tr.name("tier", b),
           profile=tr.name("profile", plan.profiles[b].name))
        for b in o["bands"]
    )  # fmt: skip
    paragraphs = [
        tr("schools.method.model", bands=bands),
        tr("schools.method.objective", move=tr.number(o["move_cost"]),
           boarder=tr.number(o["boarder_cost"])),
    ]  # fmt: skip
    if o["min_size"] > 0:
        paragraphs.append(tr("schools.method.min_size", size=tr.number(o["min_size"])))
    if o["boarding"]:
        names = ", ".join(tr.name("tier", b) for b in o["boarding"])
        paragraphs.append(tr("schools.method.boarding", bands=names))
    if o["teaching_points"]:
        paragraphs.append(tr("schools.method.points", cost=tr.number(o["teaching_point_cost"])))
    if o["closest"]:
        paragraphs.append(tr("schools.method.closest"))
    if o["max_closures"] is not None:
        paragraphs.append(tr("schools.method.budget", n=tr.number(o["max_closures"])))
    sol = plan.solution
    paragraphs.append(
        tr(
            "schools.method.solver" if sol.is_optimal else "schools.method.solver_gap",
            method=tr(f"schools.method.by_{sol.method}"),
            gap=tr.percent(sol.gap),
            seconds=tr.number(sol.runtime, 1),
        )
    )
    return paragraphs
