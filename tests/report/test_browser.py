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
