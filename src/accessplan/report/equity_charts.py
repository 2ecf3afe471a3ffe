"""Figures of the equity section: access on the map, Lorenz curves, density by unit.

Each function draws on ``ax`` (or on a new :class:`~matplotlib.figure.Figure`, never pyplot's
global state) and returns the axes. Labels come from :mod:`accessplan.report.i18n`.
"""

from __future__ import annotations

import itertools
import math

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from accessplan.measures.equity import RESOURCE_PER_CAPITA, EquityResults, access_column
from accessplan.report import _figure, maps
from accessplan.report.i18n import Translator, translator

#: Edges of the relative-access bins (settlement score over the people-weighted mean).
RELATIVE_EDGES = (0.5, 0.8, 1.25, 2.0)
#: Colour of settlements with nothing in reach.
NONE_COLOUR = "#6a3d9a"
#: Most units :func:`density_by_unit` shows (the least served first).
MAX_BARS = 40
#: Height (inches) of one bar row in :func:`density_by_unit`.
BAR_ROW_IN = 0.27
#: Facility marker areas (points²): smallest and largest supply.
MIN_SUPPLY_DOT, MAX_SUPPLY_DOT = 20.0, 320.0
MEETS_COLOUR, BELOW_COLOUR, PLAIN_COLOUR = "#1a9850", "#f46d43", "#4575b4"


def resource_name(results: EquityResults, tr: Translator) -> str:
    """The resource as a reader calls it (``beds``: "beds", "床位")."""
    return tr.name("resource", results.resource)


def method_name(method: str, tr: Translator, *, short: bool = False) -> str:
    """A method's name (``e2sfca``: "E2SFCA"; in Chinese its full name, unless ``short``)."""
    return tr.name("fca_short" if short else "fca_method", method)


def relative_colours() -> list[str]:
    """Colours of the relative-access bins, least access first (red to green)."""
    cmap = mpl.colormaps["RdYlGn"]
    return [to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, len(RELATIVE_EDGES) + 1)]


def relative_labels(tr: Translator) -> list[str]:
    """Legend labels of the relative-access bins."""
    edges = [tr.number(e, 2).rstrip("0").rstrip(".") for e in RELATIVE_EDGES]
    between = [tr("equity.legend.range", low=a, high=b) for a, b in itertools.pairwise(edges)]
    return [
        tr("equity.legend.below", value=edges[0]),
        *between,
        tr("equity.legend.above", value=edges[-1]),
    ]


def access_map(results: EquityResults, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Settlements coloured by access relative to the people-weighted mean (main method) and
    sized by people; the facilities holding the resource sized by how much; roads.

    Settlements with no facility of the resource within the catchment are purple.
    """
    tr = translator(lang)
    region = results.region
    table = results.settlements.set_index("id").reindex(region.settlements["id"])
    relative = table["relative_access"].to_numpy(dtype="float64")
    none = table["facilities_in_reach"].to_numpy() == 0
    colours = np.array([*relative_colours(), NONE_COLOUR])
    bins = np.searchsorted(np.asarray(RELATIVE_EDGES), relative, side="right")
    bins = np.where(none, len(RELATIVE_EDGES) + 1, bins)
    pop = region.settlements["population"]
    resource = resource_name(results, tr)
    with _figure.style(lang):
        ax = _figure.new_axes(ax, maps.MAP_SIZE)
        roads = maps._draw_roads(ax, region, alpha=0.7)
        maps._draw_settlements(ax, region, colours[bins], maps._dot_sizes(pop))
        supply_group = _draw_supply(ax, results, tr)
        maps._frame(ax, region, tr)
        labels = [
            *relative_labels(tr),
            tr("equity.legend.none", resource=resource, minutes=tr.threshold(results.catchment)),
        ]
        groups: list[maps.LegendGroup] = [
            (
                tr("equity.legend.relative", method=method_name(results.main, tr, short=True)),
                [maps._dot(c, 7.0) for c in colours],
                labels,
            ),
            maps._size_legend(pop, tr),
            supply_group,
            ("", [Line2D([], [], color=maps._ROAD_COLOUR, lw=1.2)], [tr("legend.roads")]),
        ]
        maps._legend(ax, groups if len(roads) else groups[:-1])
    return ax


def _draw_supply(ax: Axes, results: EquityResults, tr: Translator) -> maps.LegendGroup:
    """The facilities holding the resource, open squares sized by supply, and their legend."""
    fac = results.region.facilities.set_index("id").loc[results.facilities["id"]]
    supply = results.facilities["supply"].to_numpy(dtype="float64")
    top = float(supply.max()) if len(supply) else 0.0
    if not top > 0:
        return tr("legend.facilities"), [], []

    def area(value: np.ndarray | float) -> np.ndarray | float:
        return MIN_SUPPLY_DOT + (MAX_SUPPLY_DOT - MIN_SUPPLY_DOT) * value / top

    size = area(supply)
    ax.scatter(
        fac.geometry.x, fac.geometry.y, s=size, marker="s", facecolors="none",
        edgecolors=maps.FACILITY_COLOUR, linewidths=1.0, zorder=5,
    )  # fmt: skip
    values = sorted({maps._round(top * f) for f in (0.1, 0.4, 1.0)} - {0.0})
    handles: list[Artist] = [maps._marker(math.sqrt(float(area(v))), "s", 1.0) for v in values]
    resource = resource_name(results, tr)
    labels = [tr("equity.legend.supply", value=tr.number(v), resource=resource) for v in values]
    return tr("equity.legend.facilities", resource=resource), handles, labels


def lorenz_curves(results: EquityResults, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Lorenz curves: the main method's access among people, and the resource per person
    among units (when there are two or more), against the line of equality; Gini in the
    legend."""
    tr = translator(lang)
    curves = results.lorenz
    ineq = results.inequality
    resource = resource_name(results, tr)
    column = access_column(results.main)
    with _figure.style(lang):
        ax = _figure.new_axes(ax, (6.0, 5.2))
        ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", linewidth=0.9,
                label=tr("equity.lorenz.equality"))  # fmt: skip
        drawn = [(column, "equity.lorenz.access", "-")]
        if len(results.units) >= 2:
            drawn.append((RESOURCE_PER_CAPITA, "equity.lorenz.resource", "-."))
        for variable, key, style in drawn:
            curve = curves[curves["variable"] == variable]
            value = ineq.loc[
                (ineq["variable"] == variable) & (ineq["measure"] == "gini"), "value"
            ].to_numpy(dtype="float64")
            gini = tr.number(value[0], 3) if len(value) else "—"
            label = tr(
                key,
                method=method_name(results.main, tr),
                resource=resource,
                units=tr.name("units", results.unit_level),
                gini=gini,
            )
            ax.plot(curve["population_share"], curve["value_share"], linestyle=style,
                    linewidth=1.8, label=label)  # fmt: skip
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(tr("equity.lorenz.xlabel"))
        ax.set_ylabel(tr("equity.lorenz.ylabel", resource=resource))
        ax.grid(color="#e6e6e6", linewidth=0.8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper left", fontsize=8)
    return ax


def density_by_unit(results: EquityResults, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Horizontal bars: the resource per 1,000 people of each unit (the least first, at most
    :data:`MAX_BARS`), the reference and the whole region's density as vertical lines; bars
    below the reference in orange."""
    tr = translator(lang)
    units = shown_units(results)
    n = len(units)
    per_1000 = units["per_1000"].to_numpy(dtype="float64")
    reference = results.reference.per_1000 if results.reference else None
    summary = results.summary()
    with _figure.style(lang):
        ax = _figure.new_axes(ax, (7.5, max(2.0, 1.4 + BAR_ROW_IN * n)))
        y = np.arange(n)[::-1]
        if reference is None:
            colours = [PLAIN_COLOUR] * n
        else:
            colours = [MEETS_COLOUR if v >= reference else BELOW_COLOUR for v in per_1000]
        ax.barh(y, np.nan_to_num(per_1000), height=0.72, color=colours)
        lines: list[tuple[float, str, str]] = [
            (summary["per_1000"], "equity.density.region", "-."),
        ]
        if reference is not None:
            lines.append((reference, "equity.density.reference", "--"))
        for value, key, style in lines:
            if np.isfinite(value):
                ax.axvline(value, color=_figure.INK, linestyle=style, linewidth=1.0,
                           label=tr(key, value=tr.number(value, 2)))  # fmt: skip
        for row, value in zip(y, per_1000, strict=True):
            text = tr.number(value, 2) if np.isfinite(value) else tr("equity.no_people")
            ax.text(value if np.isfinite(value) else 0.0, row, " " + text, va="center",
                    ha="left", fontsize=8)  # fmt: skip
        ax.set_yticks(y, labels=list(units["name"]))
        ax.set_ylim(-0.6, n - 0.4)
        top = np.nanmax([*per_1000, reference or 0.0, summary["per_1000"], 1e-9])
        ax.set_xlim(0, 1.18 * top)
        resource = resource_name(results, tr)
        ax.set_xlabel(tr("equity.density.xlabel", resource=resource))
        ax.set_ylabel(tr.name("level", results.unit_level))
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=len(lines),
            fontsize=8,
            borderaxespad=0.3,
        )
    return ax


def shown_units(results: EquityResults) -> pd.DataFrame:
    """The units :func:`density_by_unit` draws, in its order."""
    units = results.units.sort_values(["per_1000", "name"], kind="stable", na_position="first")
    return units.head(MAX_BARS)
