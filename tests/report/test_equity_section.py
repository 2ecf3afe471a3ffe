"""The equity analysis as a report section (English and Chinese, every branch of its labels)
and as a scenario step: the run folder holds the library's tables, byte for byte the same on
a second run, and bad options are named as the user wrote them."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accessplan import synth
from accessplan._errors import InputError
from accessplan.analyses import ANALYSES
from accessplan.measures.equity import EquityResults, measure_equity
from accessplan.region import Region
from accessplan.report import render_page, translator
from accessplan.run import run_scenario
from accessplan.settings import Scenario

TABLES = ["settlements", "facilities", "units", "inequality", "theil", "theil_groups", "lorenz"]


@pytest.fixture(scope="module")
def county() -> Region:
    return synth.mountain_county(2)


@pytest.fixture(scope="module")
def region_file(tmp_path_factory: pytest.TempPathFactory, county: Region) -> Path:
    path = tmp_path_factory.mktemp("region") / "county.gpkg"
    county.write(path)
    return path


def with_extras(county: Region) -> Region:
    """The county with township areas, an urban-rural code and incomes."""
    admin = county.admin_units.copy()
    towns = admin["level"] == "township"
    admin.loc[towns, "area_km2"] = np.linspace(30.0, 90.0, int(towns.sum()))
    settle = county.settlements.copy()
    settle["urban_rural"] = np.where(settle["admin_code"].str[:9] == "530102101", "112", "210")
    settle["income"] = np.arange(len(settle), dtype=float)
    return Region(settle, county.facilities, county.roads, admin_units=admin)


@pytest.fixture(scope="module")
def variants(county: Region) -> dict[str, EquityResults]:
    """Every branch the section's labels take: all methods; doctors with areas, urban/rural
    and an ordering; a region without admin units and with no reference for its resource."""
    plain = Region(county.settlements, county.facilities, county.roads)
    return {
        "all-methods": measure_equity(
            county, methods=("e2sfca", "2sfca", "g2sfca", "3sfca", "fca", "gravity", "raam")
        ),
        "extras": measure_equity(
            with_extras(county), resource="doctors", methods=("raam", "2sfca"), order="income"
        ),
        "no-units": measure_equity(plain, resource="capacity", methods=("gravity",)),
    }


@pytest.fixture(scope="module")
def page(variants: dict[str, EquityResults]) -> Callable[[str, str], str]:
    """The report page of a variant in a language, rendered once."""

    @functools.cache
    def render(variant: str, lang: str) -> str:
        results = variants[variant]
        tr = translator(lang)
        section = ANALYSES["equity"].section(results, tr)
        return render_page([("equity", section)], tr, region=results.region)

    return render


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("variant", ["all-methods", "extras", "no-units"])
def test_section_renders_in_both_languages(
    page: Callable[[str, str], str], variant: str, lang: str
) -> None:
    """The section builds in both languages for each kind of result (a label missing from a
    catalogue would raise), with its three figures as inline SVG and no raw label keys."""
    html = page(variant, lang)
    assert html.count('<svg class="figure"') == 3
    assert not re.search(r">\s*equity\.[a-z_.]+\s*<", html)  # no key shown as text
    if lang == "zh":
        assert "洛伦兹曲线" in html and 'lang="zh-CN"' in html
    else:
        assert "Lorenz curves" in html


def test_section_shows_the_branches(page: Callable[[str, str], str]) -> None:
    """Areas give HRAD and PAD columns, urban/rural its table, an ordering its index; a
    region without units says why there is no decomposition, and without a reference, so."""
    extras = page("extras", "en")
    assert '<th class="num">HRAD</th>' in extras and '<th class="num">PAD</th>' in extras
    assert "Concentration index" in extras and "Urban" in extras and "Rural" in extras
    assert "area_km2 column" in extras and "carry no areas" not in extras
    bare = page("no-units", "en")
    assert "no administrative units or urban/rural attribute" in bare
    assert "No reference value is set for capacity" in bare
    assert "carry no areas" in bare and '<th class="num">HRAD</th>' not in bare
    zh = page("extras", "zh")
    assert "城乡比较" in zh and "集中指数" in zh and "医师" in zh


def test_osm_place_kinds_are_named_as_the_source(county: Region) -> None:
    """Urban and rural taken from OSM place kinds: the method says so, in both languages."""
    settle = county.settlements.copy()
    settle["place"] = np.where(settle["admin_code"].str[:9] == "530102101", "town", "hamlet")
    region = Region(settle, county.facilities, county.roads, admin_units=county.admin_units)
    results = measure_equity(region, methods=("2sfca",))
    for lang, words in (("en", "kind of place"), ("zh", "地点类型")):
        tr = translator(lang)
        section = ANALYSES["equity"].section(results, tr)
        method = next(p for p in section.parts if p.id == "equity-method")
        assert any(words in text for block in method.blocks for text in block.paragraphs)


def test_figures_draw_on_given_axes(variants: dict[str, EquityResults]) -> None:
    """Each figure draws on the axes it is given (the ax=None habit) and returns them."""
    from matplotlib.figure import Figure

    from accessplan.report import equity_charts

    for draw in (
        equity_charts.access_map,
        equity_charts.lorenz_curves,
        equity_charts.density_by_unit,
    ):
        ax = Figure().add_subplot()
        assert draw(variants["all-methods"], lang="en", ax=ax) is ax


# ----------------------------------------------------------------------------- scenario step
def equity_scenario(region_file: Path, **options: object) -> Scenario:
    step = {"kind": "equity", "resource": "beds", "profile": "car", **options}
    return Scenario.from_dict(
        {"name": "equity", "seed": 3, "region": {"path": str(region_file)}, "steps": [step]}
    )


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory, region_file: Path) -> Path:
    out = tmp_path_factory.mktemp("runs") / "equity"
    scenario = equity_scenario(region_file, catchment=45, methods=["3sfca", "raam"])
    return run_scenario(scenario, out=out, lang="zh")


def test_run_folder_holds_the_library_tables(run_folder: Path, region_file: Path) -> None:
    """The step writes every table of measure_equity, equal to the library's on the same
    region file, the report and the manifest with the parameters in full."""
    names = {p.name for p in run_folder.iterdir()}
    assert {f"{t}.csv" for t in TABLES} <= names
    assert {"report.html", "manifest.json", "results.gpkg", "tables.xlsx"} <= names
    direct = measure_equity(
        Region.read(region_file), catchment=45, methods=("3sfca", "raam")
    ).settlements
    written = pd.read_csv(run_folder / "settlements.csv", dtype={"admin_code": str, "id": str})
    np.testing.assert_allclose(written["access_3sfca"], direct["access_3sfca"], rtol=1e-12)
    np.testing.assert_allclose(written["access_raam"], direct["access_raam"], rtol=1e-12)
    manifest = json.loads((run_folder / "manifest.json").read_text())
    (step,) = manifest["steps"]
    assert step["kind"] == "equity"
    assert step["parameters"]["catchment_min"] == 45.0
    assert step["parameters"]["profile"]["car"]["speeds"]["primary"] == 60
    assert step["parameters"]["weights"]["3sfca"]["limits_min"] == [7.5, 15.0, 22.5, 45.0]
    assert step["summary"]["method"] == "3sfca"
    html = (run_folder / "report.html").read_text("utf-8")
    assert "床位可及性与公平性" in html


def test_same_inputs_give_byte_identical_tables(
    run_folder: Path, region_file: Path, tmp_path: Path
) -> None:
    """A second run of the same scenario writes every CSV byte for byte the same."""
    again = run_scenario(
        equity_scenario(region_file, catchment=45, methods=["3sfca", "raam"]),
        out=tmp_path / "again",
        lang="zh",
    )
    for table in TABLES:
        assert (run_folder / f"{table}.csv").read_bytes() == (
            again / f"{table}.csv"
        ).read_bytes(), table


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"methods": ["2sfca", "pagerank"]}, ["(equity) methods", "pagerank"]),
        ({"reference": -2}, ["(equity) reference", "positive number per 1,000 people"]),
        ({"catchment": 0}, ["(equity) catchment", "positive number of minutes"]),
        ({"profile": "bike"}, ["(equity) profile", "bike"]),
        ({"colour": "red"}, ["unknown key(s)", "colour"]),
    ],
)
def test_bad_options_name_the_key(region_file: Path, options: dict, words: list[str]) -> None:
    """A bad option is refused when the scenario is read, named as the file has it."""
    with pytest.raises(InputError) as caught:
        equity_scenario(region_file, **options)
    for word in words:
        assert word in str(caught.value)


def test_missing_resource_column_is_refused_with_the_columns(
    region_file: Path, tmp_path: Path
) -> None:
    """A resource the facilities lack stops the run with the column and those there are, and
    leaves no folder behind."""
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"no column 'nurses'.*'beds'.*'doctors'"):
        run_scenario(equity_scenario(region_file, resource="nurses"), out=out)
    assert not out.exists()
