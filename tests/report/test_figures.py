"""Charts and maps: they draw on the axes given, keep labels as SVG text, and name nothing
external."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from accessplan.measures import AccessResults
from accessplan.report import charts, maps
from accessplan.report._figure import to_svg


def test_plots_draw_on_the_axes_given(county_results: AccessResults) -> None:
    fig = Figure(figsize=(12, 10))
    axes = fig.subplots(2, 2).ravel()
    drawn = [
        charts.coverage_by_unit(county_results, ax=axes[0]),
        charts.population_curve(county_results, ax=axes[1]),
        maps.coverage_map(county_results, ax=axes[2]),
        maps.gaps_map(county_results, ax=axes[3]),
    ]
    assert drawn == list(axes)


def test_unit_chart_has_a_bar_row_per_township(county_results: AccessResults) -> None:
    """20 townships, least covered within 15 minutes first (at the top)."""
    ax = charts.coverage_by_unit(county_results, lang="zh")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 20
    assert ax.get_ylabel() == "乡镇"
    rows = county_results.coverage
    first = rows[
        (rows["level"] == "township")
        & (rows["profile"] == "walk")
        & (rows["tier"] == "any")
        & (rows["service"] == "health")
        & (rows["threshold_min"] == 15)
    ].set_index("admin_name")["share"]
    ys = [t.get_position()[1] for t in ax.get_yticklabels()]
    top_down = [label for _, label in sorted(zip(ys, labels, strict=True), reverse=True)]
    assert np.all(np.diff(first[top_down].to_numpy()) >= 0)


def test_curve_ends_at_the_reachable_share(county_results: AccessResults) -> None:
    """Each profile's line is the cumulative share of people reaching a health facility: at
    every threshold it equals the coverage table's share (computed by the measures, not by
    the chart), and it ends at the share of people who can reach one at all, recomputed here
    from the per-settlement minutes."""
    ax = charts.population_curve(county_results)
    lines = {str(line.get_label()): line for line in ax.get_lines()}
    cov = county_results.coverage
    times = county_results.times
    health = [f"minutes_to_{t}" for t in county_results.region.tiers["health"]]
    for profile, label in (("walk", "Walking"), ("car", "Car")):
        x = np.asarray(lines[label].get_xdata(), dtype=float)
        y = np.asarray(lines[label].get_ydata(), dtype=float)
        assert np.all(np.diff(y) >= 0) and y[0] == 0
        rows = cov[
            (cov["level"] == "region")
            & (cov["profile"] == profile)
            & (cov["service"] == "health")
            & (cov["tier"] == "any")
        ]
        for limit, share in zip(rows["threshold_min"], rows["share"], strict=True):
            value_at = y[np.searchsorted(x, limit, side="right") - 1]  # a "post" step
            assert value_at == pytest.approx(share)
        mine = times[times["profile"] == profile]
        reach = np.isfinite(mine[health].min(axis=1).to_numpy(dtype=float))
        pop = mine["population"].fillna(0.0).to_numpy(dtype=float)
        assert y[-1] == pytest.approx(pop[reach].sum() / pop.sum())


def test_svg_keeps_text_and_drops_namespaces(valley_results: AccessResults) -> None:
    ax = maps.coverage_map(valley_results, lang="zh")
    svg = to_svg(ax.get_figure(), name="map", lang="zh")
    assert svg.startswith('<svg class="figure"')
    assert "村卫生室" in svg  # legend text stays text
    assert "http" not in svg and "<?xml" not in svg
    assert 'id="map-' in svg
