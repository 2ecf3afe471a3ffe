"""Figures of a school network plan: the map of schools kept, closed, boarding and teaching
points with the pupils' moves, and the trade-off between the number of schools and travel.
Each draws on ``ax`` (or a new figure) and returns the axes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from accessplan.optimize.schools.plan import SchoolPlan
from accessplan.report import _figure
from accessplan.report.i18n import translator
from accessplan.report.maps import (
    _ROAD_COLOUR,
    MAP_SIZE,
    LegendGroup,
    _dot,
    _draw_roads,
    _frame,
    _legend,
)

#: Marker, colour and area (points²) of each kind of school on the map.
KINDS = {
    "kept": ("o", "#2166ac", 70.0),
    "boarding": ("o", "#762a83", 110.0),
    "point": ("^", "#e08214", 60.0),
    "closed": ("X", "#d7191c", 60.0),
}
FLOW_DAY, FLOW_BOARD = "#4d9221", "#762a83"
SETTLEMENT_COLOUR = "#bdbdbd"
CURVE_SIZE = (7.0, 4.0)


def school_kind(schools: pd.DataFrame) -> np.ndarray:
    """Each school's kind on the map (of :attr:`SchoolPlan.schools`): kept, boarding (kept,
    with boarders), point (a teaching point: new, kept, or a small school kept as one) or
    closed."""
    closed = (schools["status"] == "closed").to_numpy()
    point = (schools["teaching_point"] | schools["downgraded"]).to_numpy()
    boarding = (schools["boarders"] > 0).to_numpy()
    kind = np.where(point, "point", np.where(boarding, "boarding", "kept"))
    return np.where(closed, "closed", kind)


def schools_map(plan: SchoolPlan, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """The plan on the map: roads, settlements, a line from each village whose pupils move
    to their new school (purple for boarders), and the schools by kind."""
    tr = translator(lang)
    region = plan.region
    layers = plan.layers()
    with _figure.style(lang):
        ax = _figure.new_axes(ax, MAP_SIZE)
        roads = _draw_roads(ax, region, alpha=0.6)
        xy = region.settlements.geometry
        ax.scatter(xy.x, xy.y, s=6, c=SETTLEMENT_COLOUR, linewidths=0, zorder=3)
        flows = layers["pupil_flows"]
        if len(flows):
            segments = [np.asarray(line.coords) for line in flows.geometry]
            colours = np.where(flows["boarding"].to_numpy(bool), FLOW_BOARD, FLOW_DAY)
            ax.add_collection(
                LineCollection(segments, colors=colours, linewidths=0.8, alpha=0.7, zorder=4)
            )
        where = layers["schools"].geometry
        kinds = school_kind(plan.schools)
        marks: list[Artist] = []
        labels = []
        for kind, (marker, colour, area) in KINDS.items():
            mine = kinds == kind
            ax.scatter(
                where.x[mine], where.y[mine], s=area, marker=marker, c=colour,
                edgecolors="white", linewidths=0.5, zorder=6,
            )  # fmt: skip
            marks.append(_dot(colour, math.sqrt(area), marker=marker))
            labels.append(tr(f"schools.legend.{kind}", n=tr.number(int(mine.sum()))))
        _frame(ax, region, tr)
        flow_lines: list[Artist] = [
            Line2D([], [], color=FLOW_DAY, lw=1.2),
            Line2D([], [], color=FLOW_BOARD, lw=1.2),
        ]
        groups: list[LegendGroup] = [
            (tr("schools.legend.schools"), marks, labels),
            (
                tr("schools.legend.flows"),
                flow_lines,
                [tr("schools.legend.flow_day"), tr("schools.legend.flow_board")],
            ),
            ("", [Line2D([], [], color=_ROAD_COLOUR, lw=1.2)], [tr("legend.roads")]),
        ]
        _legend(ax, groups if len(roads) else groups[:-1])
    return ax


def tradeoff_chart(plan: SchoolPlan, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Mean one-way minutes of day pupils against the number of schools open, one point per
    count of the trade-off curve; the plan's own count marked."""
    tr = translator(lang)
    curve = plan.curve.dropna(subset=["mean_minutes"])
    with _figure.style(lang):
        ax = _figure.new_axes(ax, CURVE_SIZE)
        ax.plot(curve["schools"], curve["mean_minutes"], marker="o", color="#2166ac", lw=1.5)
        chosen = curve[curve["schools"] == plan.solution.n_open]
        ax.scatter(chosen["schools"], chosen["mean_minutes"], s=90, color="#d7191c", zorder=5)
        ax.set_xlabel(tr("schools.curve.xlabel"))
        ax.set_ylabel(tr("schools.curve.ylabel"))
        ax.grid(alpha=0.3)
    return ax
