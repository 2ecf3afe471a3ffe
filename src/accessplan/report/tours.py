"""Figures of mobile plans: the tours on the map (one colour per vehicle, each day's tours in
a group of its own), the calendar of visits per village, and the fixed-or-mobile cost curve.

Each drawing function works on ``ax`` (or on a new :class:`~matplotlib.figure.Figure`, never
pyplot's global state) and returns the axes. Roads, frames and legends come from :mod:`.maps`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from accessplan.optimize.mobile.plan import MobilePlan
from accessplan.optimize.mobile.tradeoff import Tradeoff
from accessplan.report import _figure, maps
from accessplan.report.i18n import translator

SERVED_COLOUR, DROPPED_COLOUR, OTHER_COLOUR = "#4d4d4d", "#d7191c", "#c7c7c7"
DEPOT_COLOUR = "#08306b"
#: Group ids of each day's tours in :func:`tours_map` are ``<LAYER>-<day>``.
LAYER = "layer"
#: Rows of the visit calendar before it is cut (the villages with most visits stay).
MAX_CALENDAR_ROWS = 90


def vehicle_colours(vehicles: Sequence[str]) -> dict[str, str]:
    """One colour per vehicle (sorted names), from a 20-colour qualitative palette."""
    cmap = mpl.colormaps["tab20"]
    return {v: mpl.colors.to_hex(cmap(i % 20)) for i, v in enumerate(sorted(set(vehicles)))}


def _fleet(plan: MobilePlan) -> list[str]:
    p = plan.setup.problem
    return [f"{p.depot_ids[k]}#{j + 1}" for k, j in p.teams()]


def tours_map(
    plan: MobilePlan,
    *,
    days: Sequence[int] | None = None,
    lang: str = "en",
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Roads, the villages of the plan (served or dropped), the depots, and the tours of
    ``days`` (numbers from 1; all by default), each vehicle in its colour."""
    tr = translator(lang)
    region = plan.region
    where = {
        str(i): (g.x, g.y)
        for i, g in zip(region.settlements["id"], region.settlements.geometry, strict=True)
    }
    where.update(
        (str(i), (g.x, g.y))
        for i, g in zip(region.facilities["id"], region.facilities.geometry, strict=True)
    )
    schedule = plan.result.schedule
    if days is not None:
        schedule = schedule[schedule["day"].isin(list(days))]
    colours = vehicle_colours(_fleet(plan))
    villages = plan.villages()
    with _figure.style(lang):
        ax = _figure.new_axes(ax, maps.MAP_SIZE)
        roads = maps._draw_roads(ax, region, alpha=0.5)
        others = region.settlements[~region.settlements["id"].isin(villages["id"])]
        ax.scatter(
            others.geometry.x, others.geometry.y, s=4, c=OTHER_COLOUR, zorder=2, linewidths=0
        )
        for status, colour in (("served", SERVED_COLOUR), ("dropped", DROPPED_COLOUR)):
            xy = np.array(
                [where[i] for i in villages.loc[villages["status"] == status, "id"]]
            ).reshape(-1, 2)
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=14 if status == "served" else 22,
                c=colour,
                zorder=4,
                edgecolors="white",
                linewidths=0.4,
            )
        used: list[str] = []
        for day, routes in schedule.groupby("day", sort=True):
            # one collection per day, its group id ``layer-<day>``: the report's day selector
            # (:class:`~accessplan.report.blocks.Layers`) shows one day's group at a time
            lines, line_colours = [], []
            for vehicle, stops in routes.groupby("vehicle", sort=True):
                places = stops.sort_values("stop")["place"]
                lines.append(np.array([where[str(pl)] for pl in places]))
                line_colours.append(colours[str(vehicle)])
                used.append(str(vehicle))
            collection = LineCollection(
                lines, colors=line_colours, linewidths=1.4, alpha=0.9, zorder=3
            )
            collection.set_gid(f"{LAYER}-{day}")
            ax.add_collection(collection, autolim=False)
        depots = np.array([where[i] for i in plan.setup.depots["id"]]).reshape(-1, 2)
        ax.scatter(
            depots[:, 0],
            depots[:, 1],
            s=90,
            marker="*",
            c=DEPOT_COLOUR,
            zorder=5,
            edgecolors="white",
            linewidths=0.6,
        )
        maps._frame(ax, region, tr)
        if legend:
            shown = sorted(set(used))
            groups: list[maps.LegendGroup] = [
                (
                    tr("mobile.legend.places"),
                    [
                        maps._dot(SERVED_COLOUR, 5.0),
                        maps._dot(DROPPED_COLOUR, 6.0),
                        maps._dot(DEPOT_COLOUR, 10.0, marker="*"),
                    ],
                    [
                        tr("mobile.legend.served"),
                        tr("mobile.legend.dropped"),
                        tr("mobile.legend.depot"),
                    ],
                ),
                (
                    tr("mobile.legend.vehicles"),
                    [Line2D([], [], color=colours[v], lw=2) for v in shown[:20]],
                    shown[:20],
                ),
                (
                    "",
                    [Line2D([], [], color="#8c8c8c", lw=1.2)] if len(roads) else [],
                    [tr("legend.roads")] if len(roads) else [],
                ),
            ]
            maps._legend(ax, groups)
    return ax


def visit_calendar(plan: MobilePlan, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Villages (rows, by depot and first visit) x days (columns): a dot per visit in the
    colour of its vehicle; days off shaded. With more than :data:`MAX_CALENDAR_ROWS`
    villages, those with most visits are shown."""
    tr = translator(lang)
    p = plan.setup.problem
    visits = plan.result.schedule[plan.result.schedule["kind"] == "visit"]
    colours = vehicle_colours(_fleet(plan))
    names = dict(zip(plan.setup.villages["id"], plan.setup.villages["name"], strict=True))
    first = visits.groupby("place").agg(
        first=("day", "min"), n=("day", "size"), depot=("depot", "first")
    )
    if len(first) > MAX_CALENDAR_ROWS:
        first = first.sort_values(["n", "first"], ascending=[False, True]).head(MAX_CALENDAR_ROWS)
    first = first.sort_values(["depot", "first"]).reset_index()
    row = {v: i for i, v in enumerate(first["place"])}
    shown = visits[visits["place"].isin(list(row))]
    n_rows = max(1, len(first))
    with _figure.style(lang):
        ax = _figure.new_axes(ax, (min(11.0, 3.0 + 0.28 * p.n_days), max(2.5, 1.2 + 0.16 * n_rows)))
        working = p.vehicles.sum(axis=0) > 0
        for d in np.flatnonzero(~working):
            ax.axvspan(d + 0.5, d + 1.5, color="#eeeeee", zorder=0)
        ax.scatter(
            shown["day"].to_numpy(),
            [row[v] for v in shown["place"]],
            c=[colours[v] for v in shown["vehicle"]],
            s=18,
            marker="s",
            zorder=2,
        )
        ax.set_yticks(
            range(len(first)), labels=[names.get(v, v) for v in first["place"]], fontsize=6
        )
        ax.set_ylim(n_rows - 0.5, -0.5)
        ax.set_xlim(0.5, p.n_days + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(tr("mobile.calendar.xlabel"))
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return ax


def cost_curve(tradeoff: Tradeoff, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Yearly cost of each mix (new fixed sites, stacked with the mobile tours for the rest)
    and the coverage it reaches; the cheapest mix reaching the target is marked."""
    tr = translator(lang)
    t = tradeoff.table
    k = t["new_sites"].to_numpy()
    with _figure.style(lang):
        ax = _figure.new_axes(ax, (7.0, 3.8))
        sites = t["site_cost_year"].to_numpy() / 1e4
        mobile = t["mobile_cost_year"].to_numpy() / 1e4
        ax.bar(k, sites, color="#6baed6", label=tr("mobile.curve.sites"))
        ax.bar(k, mobile, bottom=sites, color="#fd8d3c", label=tr("mobile.curve.mobile"))
        ax.set_xlabel(tr("mobile.curve.xlabel"))
        ax.set_ylabel(tr("mobile.curve.ylabel"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        twin = ax.twinx()
        twin.plot(
            k,
            t["coverage"].to_numpy(),
            color=_figure.INK,
            marker="o",
            lw=1.2,
            label=tr("mobile.curve.coverage"),
        )
        twin.axhline(tradeoff.target, color=_figure.INK, lw=0.8, ls="--")
        twin.set_ylim(0, 1.05)
        twin.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        twin.set_ylabel(tr("mobile.curve.coverage"))
        if tradeoff.cheapest is not None:
            best = tradeoff.cheapest["new_sites"]
            total = tradeoff.cheapest["total_cost_year"] / 1e4
            ax.plot(
                [best],
                [total],
                marker="v",
                color="#238b45",
                ms=10,
                ls="",
                label=tr("mobile.curve.cheapest"),
            )
        handles, labels = ax.get_legend_handles_labels()
        h2, l2 = twin.get_legend_handles_labels()
        ax.legend(
            handles + h2,
            labels + l2,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            ncol=4,
            fontsize=8,
        )
        for side in ("top",):
            ax.spines[side].set_visible(False)
            twin.spines[side].set_visible(False)
    return ax
