"""The HTML report: translated headings, inline figures, no external URL, regions without
admin units, atomic writes, same page twice."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markupsafe import Markup

from accessplan.measures import AccessResults
from accessplan.report import render_page, translator, write_page
from accessplan.report.blocks import Layers, Part, Section
from tests.report.conftest import access_page

HEADINGS = (
    "section.summary",
    "section.key_figures",
    "section.coverage_map",
    "section.gaps_map",
    "section.curve",
    "section.tables",
    "section.method",
    "table.coverage_region",
    "table.gaps",
    "table.completeness",
    "table.referral",
    "table.time_stats",
)
#: An http(s) URL where a browser would fetch it: src=, href=, url( or @import.
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?\s*https?:|url\(\s*["']?\s*https?:|@import""", re.I)


@pytest.fixture(params=["en", "zh"])
def lang_page(request: pytest.FixtureRequest, county_page: Callable[[str], str]) -> tuple[str, str]:
    return request.param, county_page(request.param)


def test_headings_are_translated(lang_page: tuple[str, str]) -> None:
    """Every section heading appears in the page's language, and the page says which."""
    lang, html = lang_page
    tr = translator(lang)
    assert f'<html lang="{tr.html_lang}">' in html
    for key in HEADINGS:
        assert f">{tr(key)}</h" in html, key
    assert tr("heading.units.township") in html
    assert tr("circle", minutes="15") in html


def test_chinese_page_names_tiers_in_chinese(county_page: Callable[[str], str]) -> None:
    html = county_page("zh")
    for word in ("村卫生室", "乡镇卫生院", "县医院", "步行", "汽车", "15分钟服务圈", "覆盖范围图"):
        assert word in html
    assert "Village clinic" not in html


def test_page_names_no_external_url(lang_page: tuple[str, str]) -> None:
    """Nothing to fetch: no http(s) in src/href/url(), no script, no web font."""
    _, html = lang_page
    assert EXTERNAL.search(html) is None
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "@font-face" not in html


def test_figures_are_inline_svg_with_text(lang_page: tuple[str, str]) -> None:
    """Two maps and two charts, inline, with text kept as text and unique ids."""
    _, html = lang_page
    assert html.count('<svg class="figure"') == 4
    assert "<text" in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_numbers_use_thousands_separators(
    lang_page: tuple[str, str], county_results: AccessResults
) -> None:
    _, html = lang_page
    total = county_results.region.settlements["population"].sum()
    assert f"{total:,.0f}" in html


def test_region_without_admin_units(valley_results: AccessResults) -> None:
    """Coverage falls back to the whole region; completeness says there are no units."""
    for lang in ("en", "zh"):
        tr = translator(lang)
        html = access_page(valley_results, lang)
        assert tr("table.completeness.no_units") in html
        assert tr("heading.units.region") in html
        assert tr("heading.units.township") not in html
        assert html.count('<svg class="figure"') == 4


def test_manifest_is_listed(valley_results: AccessResults) -> None:
    html = access_page(valley_results, manifest={"region": "vall.gpkg", "seed": 7})
    assert translator("en")("section.provenance") in html
    assert "vall.gpkg" in html


def test_same_results_give_the_same_page(valley_results: AccessResults) -> None:
    assert access_page(valley_results, "zh") == access_page(valley_results, "zh")


def test_write_report_replaces_the_file(valley_results: AccessResults, tmp_path: Path) -> None:
    """The page is written whole, over an older one, with no temporary file left."""
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    path = write_page(access_page(valley_results, "en"), target)
    assert path == target
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_layer_buttons_of_two_steps_stay_apart() -> None:
    """Two steps each with a figure of day layers (as two mobile steps give): each step's
    radio buttons, the CSS that hides the other layers and the SVG groups it names carry the
    step's prefix, so a click in one figure never hides a layer of the other."""
    svg = Markup('<svg><g id="tours-layer-1"></g><g id="tours-layer-2"></g></svg>')
    block = Layers(svg, "caption", "tours", "layer", "Day", "All", [("1", "1", ""), ("2", "2", "")])
    section = Section("Tours", [Part("tours", "Tours", [block])])
    html = render_page([("a", section), ("b", section)], translator("en"))
    for step in ("a", "b"):
        for day in ("1", "2"):
            assert html.count(f'<g id="{step}-tours-layer-{day}">') == 1
            assert (
                html.count(
                    f'<input type="radio" name="{step}-tours-pick" id="{step}-tours-pick-{day}">'
                )
                == 1
            )
            rule = (
                f'#{step}-tours-pick-{day}:checked ~ figure g[id^="{step}-tours-layer-"]'
                f':not([id="{step}-tours-layer-{day}"]) {{ display: none; }}'
            )
            assert rule in html
    assert '<g id="tours-layer-1">' not in html and 'name="tours-pick"' not in html
