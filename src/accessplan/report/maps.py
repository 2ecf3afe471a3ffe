"""Maps of the report, drawn from the region's own layers (no basemap tiles, no network).

Roads and isochrone areas are rasterized inside the SVG (a province holds 100,000+ road
edges); settlements and facilities stay vector. Each function draws on ``ax`` (or on a new
:class:`~matplotlib.figure.Figure`) and returns the axes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, to_rgba_array
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from accessplan.measures.access import AccessResults
from accessplan.measures.coverage import ANY
from accessplan.measures.surface import SurfaceResults
from accessplan.region import Region
from accessplan.report import _figure, _select
from accessplan.report.i18n import Translator, translator

#: Map size in inches (the legend takes the right part).
MAP_SIZE = (10.0, 8.0)
#: Marker area (points²) of the smallest and of the most populous settlement.
MIN_DOT, MAX_DOT = 6.0, 260.0
#: Markers of facility tiers, lowest tier first, with their areas (points²).
TIER_MARKERS = (("P", 34.0), ("s", 40.0), ("*", 150.0), ("D", 40.0), ("^", 50.0))
FACILITY_COLOUR = "#08306b"
#: OSM classes drawn as main roads.
MAIN_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary"}
    | {f"{c}_link" for c in ("motorway", "trunk", "primary", "secondary")}
)
GAP_COLOUR = "#d7191c"
#: Fill of the area within the first threshold on the gaps map.
GAP_AREA_COLOUR = "#bcd7eb"
#: Beyond this many settlements their markers are rasterized too.
MAX_VECTOR_POINTS = 3000
#: A legend section: its title, handles and labels.
LegendGroup = tuple[str, list[Artist], list[str]]
#: How many of the largest gaps the gaps map names.
NAMED_GAPS = 5
#: Minute bins of the site-planning map when the plan has no coverage threshold.
DEFAULT_BINS = (15.0, 30.0, 60.0)


def coverage_map(results: AccessResults, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Roads, the areas within each threshold of any facility of the main service, settlements
    coloured by minutes to one and sized by population, and the facilities by tier.

    Uses the main profile (``results.profile_names[0]``) and the ``health`` service when present.
    """
    tr = translator(lang)
    service, profile = results.main_service(), results.profile_names[0]
    thresholds = results.thresholds
    with _figure.style(lang):
        ax = _figure.new_axes(ax, MAP_SIZE)
        fills = _figure.area_colours(len(thresholds))
        areas = _draw_areas(ax, results, profile, service, thresholds, fills, tr)
        roads = _draw_roads(ax, results.region)
        minutes = _select.service_minutes(results, profile, service)
        bins = np.searchsorted(np.asarray(thresholds), minutes, side="left")
        bins = np.where(np.isinf(minutes), len(thresholds) + 1, bins)
        colours = _figure.colours(len(thresholds))
        pop = results.region.settlements["population"]
        _draw_settlements(ax, results.region, np.asarray(colours)[bins], _dot_sizes(pop))
        tiers = _draw_facilities(ax, results.region, service, tr)
        _frame(ax, results.region, tr)
        labels = _bin_labels(tr, thresholds)
        groups: list[LegendGroup] = [
            (tr("legend.settlements"), [_dot(c, 7.0) for c in colours], labels),
            _size_legend(pop, tr),
            areas,
            tiers,
            ("", [Line2D([], [], color=_ROAD_COLOUR, lw=1.2)], [tr("legend.roads")]),
        ]
        _legend(ax, groups if len(roads) else groups[:-1])
    return ax


def gaps_map(results: AccessResults, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Settlements outside the first threshold of any facility of the main service (main
    profile) highlighted and sized by population, the others faint; the largest gaps named."""
    tr = translator(lang)
    service, profile = results.main_service(), results.profile_names[0]
    first = results.thresholds[0]
    with _figure.style(lang):
        ax = _figure.new_axes(ax, MAP_SIZE)
        areas = _draw_areas(ax, results, profile, service, (first,), [GAP_AREA_COLOUR], tr)
        _draw_roads(ax, results.region, alpha=0.6)
        minutes = _select.service_minutes(results, profile, service)
        gap = minutes > first
        pop = results.region.settlements["population"]
        sizes = _dot_sizes(pop)
        colours = np.where(gap, GAP_COLOUR, "#9a9a9a")
        sizes = np.where(gap, sizes, MIN_DOT)
        _draw_settlements(ax, results.region, colours, sizes, alpha=np.where(gap, 0.95, 0.55))
        tiers = _draw_facilities(ax, results.region, service, tr, scale=0.6, alpha=0.55)
        _frame(ax, results.region, tr)
        _name_gaps(ax, results, service, profile, first)
        limit = tr.threshold(first)
        groups: list[LegendGroup] = [
            (
                tr("circle", minutes=limit),
                [_dot(GAP_COLOUR, 7.0), _dot("#9a9a9a", 4.0)],
                [tr("legend.gap", minutes=limit), tr("legend.covered", minutes=limit)],
            ),
            _size_legend(pop, tr),
            areas,
            tiers,
        ]
        _legend(ax, groups)
    return ax


#: Settlements on the site-planning map: reached before the plan, reached thanks to it, not.
REACHED_COLOUR, NEWLY_REACHED_COLOUR = "#9ecae1", "#1a9850"
NEW_SITE_COLOUR, EXISTING_SITE_COLOUR = "#e66101", FACILITY_COLOUR


def sites_map(
    region: Region,
    sites: pd.DataFrame,
    settlements: pd.DataFrame,
    *,
    threshold: float | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """The sites of a location plan (:func:`accessplan.optimize.upgrade_plan`) on the map.

    Roads; settlements sized by population and coloured, with a ``threshold``, by whether
    they reach a site within it before the plan, only thanks to it, or not at all (without
    one, by minutes to the nearest site after the plan); the service's other facilities
    faint; the plan's existing sites, and its new ones named.

    ``sites`` has ``site_id, name, status`` (``existing`` or ``new``); ``settlements`` has
    ``minutes_before, minutes_after`` in the order of ``region.settlements``.
    """
    tr = translator(lang)
    fac = region.facilities.set_index(region.facilities["id"].astype(str))
    chosen = fac.loc[sites["site_id"].astype(str)]
    service = str(chosen["service"].iloc[0]) if len(chosen) else next(iter(region.tiers))
    before = settlements["minutes_before"].to_numpy(dtype="float64")
    after = settlements["minutes_after"].to_numpy(dtype="float64")
    pop = region.settlements["population"]
    with _figure.style(lang):
        ax = _figure.new_axes(ax, MAP_SIZE)
        roads = _draw_roads(ax, region, alpha=0.7)
        if threshold is not None:
            limit = tr.threshold(threshold)
            status = np.where(before <= threshold, 0, np.where(after <= threshold, 1, 2))
            palette = [REACHED_COLOUR, NEWLY_REACHED_COLOUR, GAP_COLOUR]
            labels = [
                tr("legend.reached_before", minutes=limit),
                tr("legend.reached_new", minutes=limit),
                tr("legend.still_out", minutes=limit),
            ]
        else:
            bins = list(DEFAULT_BINS)
            status = np.searchsorted(np.asarray(bins), after, side="left")
            status = np.where(np.isinf(after), len(bins) + 1, status)
            palette = _figure.colours(len(bins))
            labels = _bin_labels(tr, bins)
        _draw_settlements(ax, region, np.asarray(palette)[status], _dot_sizes(pop))
        others = _draw_facilities(ax, region, service, tr, scale=0.6, alpha=0.35)
        is_new = (sites["status"] == "new").to_numpy()
        marks: list[Artist] = []
        for keep, colour, area in (
            (~is_new, EXISTING_SITE_COLOUR, 90.0),
            (is_new, NEW_SITE_COLOUR, 260.0),
        ):
            where = chosen.geometry[keep]
            ax.scatter(
                where.x, where.y, s=area, marker="*", c=colour, edgecolors="white",
                linewidths=0.6, zorder=7,
            )  # fmt: skip
            marks.append(_dot(colour, math.sqrt(area), marker="*"))
        _name_points(ax, chosen.geometry[is_new], chosen["name"][is_new], colour=NEW_SITE_COLOUR)
        _frame(ax, region, tr)
        groups: list[LegendGroup] = [
            (tr("legend.settlements_plan"), [_dot(c, 7.0) for c in palette], labels),
            _size_legend(pop, tr),
            (tr("legend.sites"), marks, [tr("legend.site_existing"), tr("legend.site_new")]),
            others,
            ("", [Line2D([], [], color=_ROAD_COLOUR, lw=1.2)], [tr("legend.roads")]),
        ]
        _legend(ax, groups if len(roads) else groups[:-1])
    return ax


#: Facilities on the travel-time map: used, and flagged (not on a passable cell).
FLAGGED_COLOUR = "#d7191c"


def travel_time_map(
    results: SurfaceResults,
    *,
    thresholds: Sequence[float] = (15.0, 30.0, 60.0, 120.0),
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """The travel-time raster of :func:`~accessplan.measures.surface.measure_surface` in
    minute bands, the facilities used, the flagged ones, and the catchments' outlines."""
    tr = translator(lang)
    grid = results.surface.grid
    minutes = results.minutes
    limit = float(results.options.get("max_minutes", math.inf))
    bins = [t for t in thresholds if t <= limit] or [limit]
    # an "over the last bin" colour only when cells can lie beyond it
    palette = _figure.colours(len(bins))[: len(bins) + (bins[-1] < limit)]
    band = np.searchsorted(np.asarray(bins), minutes, side="left").astype("float64")
    band[~np.isfinite(minutes)] = np.nan
    x0, y0 = grid.transform * (0, grid.shape[0])
    x1, y1 = grid.transform * (grid.shape[1], 0)
    with _figure.style(lang):
        ax = _figure.new_axes(ax, MAP_SIZE)
        ax.imshow(
            band,
            extent=(x0, x1, y0, y1),
            cmap=ListedColormap(palette),
            vmin=-0.5,
            vmax=len(palette) - 0.5,
            interpolation="nearest",
            rasterized=True,
            zorder=1,
        )
        if len(results.catchments):
            results.catchments.boundary.plot(ax=ax, color=_figure.INK, linewidth=0.5, zorder=2)
        fac = results.facilities
        used = (fac["status"] == "ok").to_numpy()
        marks: list[Artist] = []
        labels = []
        for keep, colour, marker, key in (
            (used, FACILITY_COLOUR, "P", "legend.facility_used"),
            (~used, FLAGGED_COLOUR, "X", "legend.facility_flagged"),
        ):
            if keep.any():
                where = fac.geometry[keep]
                ax.scatter(where.x, where.y, s=60, marker=marker, c=colour, edgecolors="white",
                           linewidths=0.6, zorder=4)  # fmt: skip
                marks.append(_dot(colour, 8.0, marker=marker))
                labels.append(tr(key))
        _frame_bounds(ax, (x0, y0, x1, y1), tr)
        labels_bins = _bin_labels(tr, bins)[: len(palette)]
        _legend(
            ax,
            [
                (tr("legend.travel_time"), [Patch(color=c) for c in palette], labels_bins),
                (tr("legend.facilities"), marks, labels),
            ],
        )
    return ax


_ROAD_COLOUR = "#8c8c8c"


def _draw_roads(ax: Axes, region: Region, *, alpha: float = 1.0) -> list[Artist]:
    """Road edges as two line collections (main roads wider), rasterized."""
    roads = region.roads
    if len(roads.edges) == 0:
        return []
    xy = roads.nodes[["x", "y"]].to_numpy()
    segments = np.stack([xy[roads.edges["u"].to_numpy()], xy[roads.edges["v"].to_numpy()]], 1)
    main = roads.edges["highway"].isin(MAIN_ROADS).to_numpy()
    drawn: list[Artist] = []
    for keep, width in ((~main, 0.35), (main, 0.9)):
        if keep.any():
            lines = LineCollection(
                list(segments[keep]),
                colors=_ROAD_COLOUR,
                linewidths=width,
                alpha=alpha,
                zorder=2,
                rasterized=True,
            )
            drawn.append(ax.add_collection(lines, autolim=False))
    return drawn


def _draw_areas(
    ax: Axes,
    results: AccessResults,
    profile: str,
    service: str,
    thresholds: Sequence[float],
    fills: Sequence[str],
    tr: Translator,
) -> LegendGroup:
    """The isochrone of each threshold, widest first so the nearer ones lie on top, and
    their legend section."""
    iso = results.isochrones
    iso = iso[(iso["profile"] == profile) & (iso["service"] == service) & (iso["tier"] == ANY)]
    handles: list[Artist] = []
    labels: list[str] = []
    for limit, fill in reversed(list(zip(thresholds, fills, strict=True))):
        shapes = iso.loc[np.isclose(iso["minutes"].astype(float), limit), "geometry"]
        path = _polygon_path(shapes.to_numpy())
        if path is None:
            continue
        ax.add_patch(PathPatch(path, facecolor=fill, edgecolor="none", zorder=1, rasterized=True))
        handles.insert(0, Patch(facecolor=fill, edgecolor="none"))
        labels.insert(0, tr("legend.within", minutes=tr.threshold(limit)))
    return tr("legend.areas"), handles, labels


def _polygon_path(geometries: np.ndarray) -> Path | None:
    """One compound path of all polygons, exteriors anticlockwise and holes clockwise."""
    parts = shapely.get_parts(shapely.orient_polygons(geometries[~shapely.is_empty(geometries)]))
    rings = []
    for polygon in parts:
        if not isinstance(polygon, shapely.Polygon):
            continue
        rings.append(np.asarray(polygon.exterior.coords))
        rings.extend(np.asarray(r.coords) for r in polygon.interiors)
    if not rings:
        return None
    codes = [
        np.array([Path.MOVETO] + [Path.LINETO] * (len(r) - 2) + [Path.CLOSEPOLY], dtype=np.uint8)
        for r in rings
    ]
    return Path(np.concatenate(rings), np.concatenate(codes))


def _dot_sizes(population: pd.Series) -> np.ndarray:
    """Marker areas proportional to population; unknown populations get the smallest."""
    pop = population.fillna(0.0).to_numpy(dtype="float64")
    top = pop.max() if len(pop) else 0.0
    if not top > 0:
        return np.full(len(pop), MIN_DOT)
    return MIN_DOT + (MAX_DOT - MIN_DOT) * pop / top


def _draw_settlements(
    ax: Axes,
    region: Region,
    colours: np.ndarray,
    sizes: np.ndarray,
    *,
    alpha: float | np.ndarray = 0.95,
) -> None:
    """Settlements, the largest drawn first so small ones stay visible."""
    geometry = region.settlements.geometry
    order = np.argsort(-sizes, kind="stable")
    alphas = np.broadcast_to(np.asarray(alpha, dtype="float64"), sizes.shape)
    ax.scatter(
        geometry.x.to_numpy()[order],
        geometry.y.to_numpy()[order],
        s=sizes[order],
        c=to_rgba_array(list(colours), alphas)[order],
        edgecolors="white",
        linewidths=0.4,
        zorder=3,
        rasterized=len(sizes) > MAX_VECTOR_POINTS,
    )


def _draw_facilities(
    ax: Axes,
    region: Region,
    service: str,
    tr: Translator,
    *,
    scale: float = 1.0,
    alpha: float = 1.0,
) -> LegendGroup:
    """Facilities of ``service`` with one marker per tier, and their legend section."""
    fac = region.facilities
    handles: list[Artist] = []
    labels = []
    for rank, tier in enumerate(region.tiers[service]):
        marker, area = TIER_MARKERS[rank % len(TIER_MARKERS)]
        here = fac[(fac["service"] == service) & (fac["tier"] == tier)]
        if len(here) == 0:
            continue
        ax.scatter(
            here.geometry.x,
            here.geometry.y,
            s=area * scale,
            marker=marker,
            facecolors="none",
            edgecolors=FACILITY_COLOUR,
            linewidths=1.0,
            alpha=alpha,
            zorder=4 + rank,
        )
        handles.append(_marker(math.sqrt(area * scale), marker, alpha))
        labels.append(tr.name("tier", tier))
    return tr("legend.facilities"), handles, labels


def _name_gaps(ax: Axes, results: AccessResults, service: str, profile: str, limit: float) -> None:
    """Names of the :data:`NAMED_GAPS` settlements with the most people x minutes beyond."""
    g = results.gaps
    top = g[
        (g["service"] == service)
        & (g["tier"] == ANY)
        & (g["profile"] == profile)
        & np.isclose(g["threshold_min"].astype(float), limit)
        & (g["people_minutes"] > 0)
    ]
    top = top.sort_values("people_minutes", ascending=False, kind="stable").head(NAMED_GAPS)
    where = results.region.settlements.set_index("id").geometry
    _name_points(ax, where[top["id"].to_numpy()], top["name"], colour="#67000d")


def _name_points(ax: Axes, points: gpd.GeoSeries, names: pd.Series, *, colour: str) -> None:
    """Label points with their names, each label turned to a side where it hides no other.

    A light box, not a stroke path effect, keeps the labels readable: a path effect would
    turn the SVG text into glyph outlines."""
    box = {"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
    placed: list[tuple[float, float, float, float]] = []
    for point, name in zip(points, names, strict=True):
        anchor = ax.transData.transform((point.x, point.y)) * 72.0 / ax.figure.dpi
        offset, align = _free_offset(anchor, str(name), placed, fontsize=8.0)
        ax.annotate(
            name,
            (point.x, point.y),
            xytext=offset,
            textcoords="offset points",
            ha=align,
            fontsize=8,
            color=colour,
            bbox=box,
            zorder=8,
        )


#: Label offsets (points) tried in turn around a point, with their horizontal alignment.
_LABEL_SPOTS = (((5, 4), "left"), ((5, -12), "left"), ((-5, 4), "right"), ((-5, -12), "right"))


def _free_offset(
    anchor: np.ndarray,
    text: str,
    placed: list[tuple[float, float, float, float]],
    *,
    fontsize: float,
) -> tuple[tuple[int, int], str]:
    """The first label spot whose rough box (display points) overlaps no placed label; the
    box is then added to ``placed``."""
    width, height = 0.6 * fontsize * len(text), 1.2 * fontsize
    x, y = float(anchor[0]), float(anchor[1])
    boxes = []
    for (dx, dy), align in _LABEL_SPOTS:
        left = x + dx if align == "left" else x + dx - width
        box = (left, y + dy, left + width, y + dy + height)
        boxes.append(box)
        if not any(_overlap(box, other) for other in placed):
            placed.append(box)
            return (dx, dy), align
    placed.append(boxes[0])
    return _LABEL_SPOTS[0]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _bin_labels(tr: Translator, thresholds: Sequence[float]) -> list[str]:
    """Legend labels of the minute bins: ≤ first, between each pair, over the last, none."""
    t = [tr.threshold(x) for x in thresholds]
    between = [tr("legend.between", low=a, high=b) for a, b in itertools.pairwise(t)]
    return [
        tr("legend.upto", minutes=t[0]),
        *between,
        tr("legend.over", minutes=t[-1]),
        tr("legend.unreachable"),
    ]


def _dot(colour: str, size: float, *, marker: str = "o") -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="",
        marker=marker,
        markersize=size,
        markerfacecolor=colour,
        markeredgecolor="white",
        markeredgewidth=0.4,
    )


def _marker(size: float, marker: str, alpha: float) -> Line2D:
    return Line2D(
        [],
        [],
        alpha=alpha,
        linestyle="",
        marker=marker,
        markersize=size,
        markerfacecolor="none",
        markeredgecolor=FACILITY_COLOUR,
        markeredgewidth=1.0,
    )


def _size_legend(population: pd.Series, tr: Translator) -> LegendGroup:
    """Legend section of reference dots for round populations up to the largest settlement."""
    top = float(population.max()) if population.notna().any() else 0.0
    if not top > 0:
        return tr("legend.size"), [], []
    values = sorted({_round(top * f) for f in (0.05, 0.25, 1.0)} - {0.0})
    handles: list[Artist] = [
        _dot("#bdbdbd", math.sqrt(MIN_DOT + (MAX_DOT - MIN_DOT) * v / top)) for v in values
    ]
    return tr("legend.size"), handles, [tr("unit.people", value=tr.number(v)) for v in values]


def _round(value: float) -> float:
    """``value`` rounded to one significant digit."""
    if value <= 0:
        return 0.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return float(round(value / magnitude) * magnitude)


def _frame(ax: Axes, region: Region, tr: Translator) -> None:
    """Extent around settlements and facilities, equal aspect, no ticks, a scale bar."""
    points = pd.concat([region.settlements.geometry, region.facilities.geometry])
    points = points[~points.is_empty]
    if len(points):
        x0, y0, x1, y1 = points.total_bounds
    else:
        x0, y0, x1, y1 = ax.dataLim.bounds[0], ax.dataLim.bounds[1], 1.0, 1.0
    pad = max(0.04 * max(x1 - x0, y1 - y0), 500.0)
    _frame_bounds(ax, (x0 - pad, y0 - pad, x1 + pad, y1 + pad), tr)


def _frame_bounds(ax: Axes, bounds: tuple[float, float, float, float], tr: Translator) -> None:
    """Extent ``bounds`` (x0, y0, x1, y1), equal aspect, no ticks, a scale bar."""
    x0, y0, x1, y1 = bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#bbbbbb")
    span = x1 - x0
    km = _scale_km(span / 4000.0)
    bar = AnchoredSizeBar(
        ax.transData,
        km * 1000.0,
        tr("unit.km", value=tr.threshold(km)),
        loc="lower left",
        pad=0.6,
        borderpad=0.6,
        sep=3,
        frameon=True,
        size_vertical=span / 300.0,
        color=_figure.INK,
        fontproperties={"size": 8},
    )
    bar.patch.set_alpha(0.8)
    bar.patch.set_edgecolor("none")
    ax.add_artist(bar)


def _scale_km(target: float) -> float:
    """The round length (km) nearest below ``target``."""
    steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    return float(max([s for s in steps if s <= target], default=steps[0]))


def _legend(ax: Axes, groups: Sequence[LegendGroup]) -> None:
    """One legend right of the map with a bold title line per non-empty group."""
    handles: list[Artist] = []
    labels: list[str] = []
    titles = set()
    for title, group_handles, group_labels in groups:
        if not group_handles:
            continue
        if title:
            titles.add(len(labels))
            handles.append(Line2D([], [], linestyle=""))
            labels.append(title)
        handles.extend(group_handles)
        labels.extend(group_labels)
    legend = ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=9,
        handlelength=1.4,
        borderaxespad=0.0,
        labelspacing=0.55,
    )
    for i, text in enumerate(legend.get_texts()):
        if i in titles:
            text.set_fontweight("bold")
