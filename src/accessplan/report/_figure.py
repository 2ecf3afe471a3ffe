"""Figures shared by charts and maps: fonts, colours, new axes and inline SVG.

Text stays text in the SVG (``svg.fonttype = "none"``), so the browser draws it, Chinese
included, with its own fonts; matplotlib still needs a CJK font to measure the labels, so the
font list names the CJK fonts found on this machine.
"""

from __future__ import annotations

import functools
import html
import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

logger = logging.getLogger(__name__)

#: CJK fonts used to measure Chinese text, in order of preference.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
#: Pieces of font file names that hint at a CJK font missing from matplotlib's font cache.
_CJK_FILE_HINTS = ("wqy", "cjk", "sourcehan", "droidsansfallback", "msyh", "pingfang", "simhei")
LATIN_FAMILY = "DejaVu Sans"
#: Resolution (dots per inch) of the rasterized layers (roads, areas) inside an SVG.
RASTER_DPI = 150
#: Colour of text and lines that are not data.
INK = "#333333"


@functools.cache
def cjk_fonts() -> tuple[str, ...]:
    """The CJK font families matplotlib can use here (registering installed ones it missed)."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    if not known & set(CJK_FAMILIES):
        # matplotlib's font cache predates fonts installed later: add those that look CJK
        cached = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in cached and any(h in Path(path).name.lower() for h in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    logger.debug("cannot load font file %s", path)
        known = {f.name for f in font_manager.fontManager.ttflist}
    found = tuple(f for f in CJK_FAMILIES if f in known)
    if not found:
        logger.info("no CJK font found; Chinese labels may be measured with the wrong widths")
    return found


def rc_params(lang: str) -> dict[RcKeyType, Any]:
    """matplotlib settings of report figures: fonts for ``lang``, text kept as SVG text."""
    cjk = list(cjk_fonts())
    families = [*cjk, LATIN_FAMILY] if lang.startswith("zh") else [LATIN_FAMILY, *cjk]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "font.size": 9,
        "axes.edgecolor": "#999999",
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "text.color": INK,
        "legend.frameon": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "accessplan-report",
    }


def _not_synthetic_weight(record: logging.LogRecord) -> bool:
    """False for matplotlib's notice that a font lacks a bold face: the browser, which draws
    the SVG text, makes one."""
    return "Failed to find font weight" not in record.getMessage()


@contextmanager
def style(lang: str) -> Iterator[None]:
    """Draw and save report figures inside this context."""
    font_log = logging.getLogger("matplotlib.font_manager")
    added = _not_synthetic_weight not in font_log.filters
    font_log.addFilter(_not_synthetic_weight)
    try:
        with mpl.rc_context(rc_params(lang)), warnings.catch_warnings():
            if not cjk_fonts():
                # without a CJK font matplotlib warns per glyph; the browser still draws them
                warnings.filterwarnings(
                    "ignore", message="Glyph .* missing from", category=UserWarning
                )
            yield
    finally:
        if added:
            font_log.removeFilter(_not_synthetic_weight)


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new figure of ``size`` inches (no pyplot state involved)."""
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.add_subplot()


def root(ax: Axes) -> Figure:
    """The figure that holds ``ax``."""
    fig = ax.get_figure(root=True)
    if fig is None:
        msg = "the axes belong to no figure; draw on axes made with `Figure().add_subplot()`."
        raise ValueError(msg)
    return fig


def colours(n: int) -> list[str]:
    """Colours of the ``n`` threshold bins (green = near), then "over", then "unreachable"."""
    cmap = mpl.colormaps["RdYlGn_r"]
    near = [mpl.colors.to_hex(cmap(x)) for x in np.linspace(0.05, 0.7, n)]
    return [*near, mpl.colors.to_hex(cmap(0.95)), "#6a3d9a"]


def area_colours(n: int) -> list[str]:
    """Fill colours of the areas within each threshold, nearest darkest."""
    cmap = mpl.colormaps["Blues"]
    return [mpl.colors.to_hex(cmap(x)) for x in np.linspace(0.45, 0.12, n)]


_PATH_DATA = re.compile(r' d="([^"]*)"')
_DECIMALS = re.compile(r"(\.\d{2})\d+")
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


def _shorten_path(match: re.Match[str]) -> str:
    return ' d="' + _DECIMALS.sub(r"\1", match.group(1)) + '"'


def prefix_ids(svg: str, prefix: str) -> str:
    """``svg`` with every id, and every reference to one, prefixed with ``prefix``."""
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def to_svg(fig: Figure, *, name: str, lang: str, label: str = "") -> str:
    """The figure as an SVG element to inline in HTML.

    The XML prolog, the namespaces and the metadata are dropped (HTML needs none of them, and
    so the document names no external URL), path coordinates keep two decimals,
    ``xlink:href`` becomes ``href``, and every id is
    prefixed with ``name`` so that several figures can share one page; ``label`` describes the
    figure to screen readers.
    """
    buffer = io.StringIO()
    metadata: dict[str, Any] = {"Creator": None, "Date": None, "Format": None, "Type": None}
    with style(lang):
        fig.savefig(buffer, format="svg", bbox_inches="tight", dpi=RASTER_DPI, metadata=metadata)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # hundredths of a point are plenty and halve the size of the many marker paths
    text = _PATH_DATA.sub(_shorten_path, text)
    text = _XMLNS.sub("", text)
    text = text.replace("xlink:href=", "href=")
    text = prefix_ids(text, name)
    opening = f'<svg class="figure" role="img" aria-label="{html.escape(label or name)}" '
    return text.replace("<svg ", opening, 1)
