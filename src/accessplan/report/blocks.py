"""The pieces a report page is made of, ready for the template.

Each analysis's section builder (:mod:`accessplan.report.sections`) turns its result into a
:class:`Section`: a title and :class:`Part` s (the page's chapters), each a heading and a list
of blocks — key-figure :class:`Cards`, a :class:`Table`, a :class:`Panel` (an inline SVG
figure), :class:`Layers` (a figure whose layers a row of buttons shows one at a time),
:class:`Text` paragraphs or a sub-:class:`Heading`. The page
(:func:`accessplan.report.html.render_page`) lays out any sections without knowing which
analysis made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from markupsafe import Markup

#: A table cell: its text and an optional second, smaller line.
Cell = tuple[str, str]


@dataclass(frozen=True)
class Table:
    """A table: formatted cells, right-aligned numeric columns."""

    headers: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]
    caption: str = ""
    note: str = ""
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Panel:
    """An inline SVG figure with its caption."""

    svg: Markup
    caption: str
    kind: ClassVar[str] = "figure"


@dataclass(frozen=True)
class Layers:
    """An inline SVG figure with layers shown one at a time, or all together.

    The figure's groups with ids ``<name>-<layer>-<key>`` are the layers (``layer`` as
    drawn, e.g. ``mobile-map-layer-3``); the page shows a row of buttons, ``everything``
    first (all layers, the first view) and then one per ``choices`` entry (``key, label,
    title``), with no script: the buttons are radio inputs and the page's CSS hides the other
    layers of the one checked. ``name`` is the figure's id prefix, unique on the page.
    """

    svg: Markup
    caption: str
    name: str
    layer: str
    legend: str
    everything: str
    choices: list[tuple[str, str, str]]
    kind: ClassVar[str] = "layers"


@dataclass(frozen=True)
class Card:
    """A key figure: a big value, what it is, and a smaller line."""

    value: str
    label: str
    detail: str


@dataclass(frozen=True)
class Cards:
    """A row of key figures."""

    cards: list[Card]
    kind: ClassVar[str] = "cards"


@dataclass(frozen=True)
class Text:
    """Paragraphs; ``style`` ``message`` shows them muted (a table's stand-in)."""

    paragraphs: list[str]
    style: str = ""
    kind: ClassVar[str] = "text"


@dataclass(frozen=True)
class Heading:
    """A heading inside a part."""

    text: str
    kind: ClassVar[str] = "heading"


Block = Table | Panel | Layers | Cards | Text | Heading


@dataclass(frozen=True)
class Part:
    """A chapter of the page: an anchor id, a heading and its blocks."""

    id: str
    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """What one analysis shows: its title and its parts."""

    title: str
    parts: list[Part]
