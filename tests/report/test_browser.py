"""The report as a person sees it: headless Chromium draws both languages; the screenshot is
not blank and the page's DOM holds the translated headings, the figures and the tables."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from accessplan.report import translator
from tests.conftest import absent

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_S = 90
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``page`` with a throwaway profile."""
    if not CHROMIUM.exists():
        absent(f"{CHROMIUM} is absent: install Debian's chromium to run the browser test")
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chromium_draws_the_report(
    lang: str, county_page: Callable[[str], str], tmp_path: Path
) -> None:
    tr = translator(lang)
    page = tmp_path / f"report-{lang}.html"
    page.write_text(county_page(lang), encoding="utf-8")
    shot = tmp_path / f"report-{lang}.png"
    chromium(page, tmp_path / "profile", "--window-size=1280,3000", f"--screenshot={shot}")
    assert shot.exists()
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (3000, 1280)
    ink = (pixels.min(axis=2) < 0.9).mean()  # share of pixels that are not near-white
    assert ink > 0.02, "the screenshot is blank"
    rgb = np.round(pixels * 255).astype(np.uint32)
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
    assert len(colours) > 1000, "the screenshot holds no figures, only text"

    dom = chromium(page, tmp_path / "profile", "--dump-dom").stdout
    assert f'lang="{tr.html_lang}"' in dom
    headings = (
        "section.summary",
        "section.key_figures",
        "section.coverage_map",
        "section.gaps_map",
        "section.curve",
        "table.gaps",
        "table.completeness",
    )
    for key in headings:
        assert tr(key) in dom, key
    if lang == "zh":
        assert "覆盖范围图" in dom and "15分钟服务圈" in dom
    maps = dom.count('aria-label="' + tr("section.coverage_map")) + dom.count(
        'aria-label="' + tr("section.gaps_map")
    )
    charts = dom.count('aria-label="' + tr("heading.units.township")) + dom.count(
        'aria-label="' + tr("section.curve")
    )
    assert maps >= 2 and charts >= 2
    assert dom.count("<svg") >= 4
    assert dom.count("<table") >= 8


def test_the_day_buttons_show_one_day_of_tours(tmp_path: Path) -> None:
    """The mobile plan's map in Chromium: at first every day's tours are drawn; a click on a
    day's button leaves only that day's group shown, holding one line per vehicle out that
    day (counted from the schedule, not from the figure); "all days" brings every day back.
    The page has no script: CSS alone must do this, so a real browser is the test."""
    if not CHROMIUM.exists():
        absent(f"{CHROMIUM} is absent: install Debian's chromium to run the browser test")
    from playwright.sync_api import sync_playwright

    from accessplan import synth
    from accessplan.optimize.mobile import plan_tours
    from accessplan.report import render_page
    from accessplan.report.sections.mobile import section

    county = synth.mountain_county(5, n_townships=4, n_villages=40)
    plan = plan_tours(county, days=6, iterations=20, sweep=False, seed=0)
    tr = translator("en")
    page = tmp_path / "mobile.html"
    page.write_text(render_page([("mobile", section(plan, tr))], tr), encoding="utf-8")
    trips = plan.result.schedule.groupby("day")["vehicle"].nunique()
    assert len(trips) >= 2
    shown_groups = """() => [...document.querySelectorAll('g[id^="mobile-map-layer-"]')]
        .filter(g => getComputedStyle(g).display !== 'none')
        .map(g => [g.id, g.querySelectorAll('path').length])"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        view = browser.new_page()
        view.goto(page.as_uri())
        assert len(view.evaluate(shown_groups)) == len(trips)
        for day, n in trips.items():
            view.click(f'label[for="mobile-map-pick-{day}"]')
            assert view.evaluate(shown_groups) == [[f"mobile-map-layer-{day}", n]]
        view.click('label[for="mobile-map-pick-all"]')
        assert len(view.evaluate(shown_groups)) == len(trips)
        browser.close()
