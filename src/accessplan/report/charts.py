"""Charts of the report: covered share by administrative unit, and people by travel time.

Each function draws on ``ax`` (or on a new :class:`~matplotlib.figure.Figure`, never pyplot's
global state) and returns the axes. Labels come from :mod:`accessplan.report.i18n`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from accessplan.measures.access import AccessResults
from accessplan.report import _figure, _select
from accessplan.report.i18n import translator

#: Height (inches) of one bar row in :func:`coverage_by_unit`.
BAR_ROW_IN = 0.27
#: The population curve runs to this many times the largest threshold.
CURVE_SPAN = 2.0


def coverage_by_unit(
    results: AccessResults,
    *,
    lang: str = "en",
    level: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: each unit's share of people within each threshold.

    One bar per unit for the main profile (``results.profile_names[0]``) and any facility of the
    main service; the bars of the thresholds are nested (the nearest in front), on a grey bar
    for 100 %. The least covered units (at the first threshold) come first.

    Parameters
    ----------
    level
        Unit level to show; by default townships, or the next coarser level when there are
        more than :data:`~accessplan.report._select.MAX_CHART_UNITS` of them or none, and the
        whole region without administrative units.
    """
    tr = translator(lang)
    level = level or _select.unit_level(results, max_units=_select.MAX_CHART_UNITS)
    service = results.main_service()
    rows = _select.coverage_rows(
        results, level=level, profile=results.profile_names[0], service=service
    )
    names = rows.drop_duplicates("admin_code").set_index("admin_code")["admin_name"]
    shares = rows.pivot(index="admin_code", columns="threshold_min", values="share")
    shares = shares.reindex(columns=list(results.thresholds))
    first = shares[results.thresholds[0]]
    order = np.lexsort((names.reindex(shares.index).to_numpy(), first.fillna(np.inf)))
    shares = shares.iloc[order]
    first = shares[results.thresholds[0]]
    n = len(shares)
    with _figure.style(lang):
        ax = _figure.new_axes(ax, (7.5, max(1.8, 1.3 + BAR_ROW_IN * n)))
        y = np.arange(n)[::-1]  # first row at the top
        colours = _figure.colours(len(results.thresholds))
        last = results.thresholds[-1]
        ax.barh(
            y,
            np.where(np.isnan(first), 0.0, 1.0),
            height=0.72,
            color="#e6e6e6",
            label=tr("legend.over_or_unreachable", minutes=tr.threshold(last)),
        )
        for i in reversed(range(len(results.thresholds))):
            limit = results.thresholds[i]
            ax.barh(
                y,
                shares[limit].fillna(0.0),
                height=0.72,
                color=colours[i],
                label=tr("legend.upto", minutes=tr.threshold(limit)),
            )
        for row, share in zip(y, first, strict=True):
            text = tr.percent(share) if np.isfinite(share) else tr("legend.no_population")
            ax.text(1.01, row, text, va="center", ha="left", fontsize=8)
        ax.set_yticks(y, labels=list(names.reindex(shares.index)))
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(tr("chart.units.xlabel"))
        ax.set_ylabel(tr.name("level", level))
        ax.grid(axis="x", color="white", linewidth=0.8)
        ax.set_axisbelow(False)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            handles[::-1],
            labels[::-1],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=len(labels),
            fontsize=8,
            handlelength=1.2,
            borderaxespad=0.3,
        )
    return ax


def population_curve(
    results: AccessResults,
    *,
    lang: str = "en",
    service: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Cumulative share of people reaching any facility of ``service`` within x minutes.

    One line per profile, from 0 to :data:`CURVE_SPAN` times the largest threshold; dashed
    lines and dots mark the thresholds. Unknown populations count as 0 people.
    """
    tr = translator(lang)
    service = service or results.main_service()
    pop = _select.population(results)
    total = pop.sum()
    x_max = CURVE_SPAN * results.thresholds[-1]
    with _figure.style(lang):
        ax = _figure.new_axes(ax, (7.5, 4.2))
        if not total > 0:
            ax.text(0.5, 0.5, tr("chart.no_data"), ha="center", va="center")
            ax.set_axis_off()
            return ax
        for limit in results.thresholds:
            ax.axvline(limit, color="#888888", linestyle="--", linewidth=0.8, zorder=1)
        styles = ["-", "--", "-.", ":"]
        for i, profile in enumerate(results.profile_names):
            minutes = _select.service_minutes(results, profile, service)
            order = np.argsort(minutes, kind="stable")
            m, share = minutes[order], np.cumsum(pop[order]) / total
            reach = np.isfinite(m)
            m, share = m[reach], share[reach]
            end = share[-1] if len(share) else 0.0
            line = ax.step(
                np.concatenate([[0.0], m, [max(x_max, m[-1] if len(m) else 0.0)]]),
                np.concatenate([[0.0], share, [end]]),
                where="post",
                linewidth=1.8,
                linestyle=styles[i % len(styles)],
                label=tr.name("profile", profile),
                zorder=3,
            )[0]
            at = np.searchsorted(m, results.thresholds, side="right")
            marks = np.concatenate([[0.0], share])[at]
            ax.plot(results.thresholds, marks, "o", color=line.get_color(), ms=4, zorder=4)
        ticks = sorted({*np.arange(0, x_max + 1e-9, _tick_step(x_max)), *results.thresholds})
        ax.set_xticks(ticks, labels=[tr.threshold(t) for t in ticks])
        ax.set_xlim(0, x_max)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(tr("chart.curve.xlabel"))
        ax.set_ylabel(tr("chart.curve.ylabel"))
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="lower right", fontsize=8)
    return ax


def _tick_step(span: float) -> float:
    """A round step giving about six ticks over ``span`` minutes."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 240, 480):
        if span / step <= 8:
            return float(step)
    return span / 6
