"""The HTML report: one self-contained page (inline CSS and SVG, no script, no external URL).

:func:`render_page` lays out the :class:`~accessplan.report.blocks.Section` s of a run — one
per analysis, built by that analysis's section builder — after the region's summary and
before the provenance, and fills ``templates/report.html.j2``. It knows no analysis: a new
one brings its own section. Every label comes from :mod:`accessplan.report.i18n`.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from accessplan import __version__
from accessplan._files import new_file
from accessplan.region import Region
from accessplan.report import _figure
from accessplan.report.blocks import Block, Layers, Panel, Part, Section, Table
from accessplan.report.i18n import Translator
from accessplan.report.region import region_part

logger = logging.getLogger(__name__)

TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class _Chapter:
    """A step of the page: a heading (none when the run has one step) and its parts."""

    heading: str
    parts: list[Part]


def render_page(
    sections: Sequence[tuple[str, Section]],
    tr: Translator,
    *,
    title: str | None = None,
    region: Region | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> str:
    """One self-contained HTML document showing ``sections``.

    Parameters
    ----------
    sections
        ``(step name, section)`` in the order the steps ran. With one step its parts are the
        page's chapters and its title the page's; with several, each step is a chapter whose
        parts (and their figures' ids) are prefixed with the step name.
    tr
        The page's language.
    title
        The page's title when there are several steps (default: the first section's title).
    region
        The region the analyses ran on, summarised first (none for raster-only runs).
    manifest
        Provenance to list at the end (inputs, versions, settings); values that are not text
        are shown as JSON.

    Returns
    -------
    str
        The HTML page: inline CSS and SVG, no script, no external URL.
    """
    single = len(sections) == 1
    chapters = [
        _Chapter("" if single else section.title, _prefixed(section.parts, "" if single else step))
        for step, section in sections
    ]
    head = [region_part(region, tr)] if region is not None else []
    tail = (
        [Part("provenance", tr("section.provenance"), [_manifest_table(manifest, tr)])]
        if (manifest)
        else []
    )
    contents = [(p.id, p.heading) for p in head]
    for step, chapter in zip(sections, chapters, strict=True):
        if chapter.heading:
            contents.append((f"step-{step[0]}", chapter.heading))
        contents += [(p.id, p.heading) for p in chapter.parts]
    contents += [(p.id, p.heading) for p in tail]
    page_title = sections[0][1].title if single or title is None else title
    html = (
        _environment()
        .get_template(TEMPLATE)
        .render(
            lang=tr.html_lang,
            title=page_title,
            contents=contents,
            head=head,
            steps=list(zip([s for s, _ in sections], chapters, strict=True)),
            tail=tail,
            t=tr,
            version=__version__,
        )
    )
    logger.info(
        "rendered a %s report of %d step(s) (%d characters)", tr.lang, len(sections), len(html)
    )
    return html


def write_page(html: str, path: str | os.PathLike[str]) -> Path:
    """Write a page to ``path`` (UTF-8), replacing it atomically."""
    with new_file(path) as tmp:
        tmp.write_text(html, encoding="utf-8", newline="\n")
    return Path(path)


def _prefixed(parts: list[Part], step: str) -> list[Part]:
    """Parts with ids (their own and their figures') unique on a page of several steps."""
    if not step:
        return parts
    return [
        replace(
            part,
            id=f"{step}-{part.id}",
            blocks=[_prefixed_block(b, step) for b in part.blocks],
        )
        for part in parts
    ]


def _prefixed_block(block: Block, step: str) -> Block:
    if isinstance(block, Panel):
        return replace(block, svg=Markup(_figure.prefix_ids(block.svg, step)))
    if isinstance(block, Layers):  # its buttons name the figure's ids: both get the prefix
        svg = Markup(_figure.prefix_ids(block.svg, step))
        return replace(block, svg=svg, name=f"{step}-{block.name}")
    return block


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("accessplan.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _manifest_table(manifest: Mapping[str, Any], tr: Translator) -> Table:
    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    return Table(
        headers=[tr("col.item"), tr("col.value")],
        rows=[[(str(k), ""), (text(v), "")] for k, v in manifest.items()],
        numeric=[False, False],
    )
