"""Scenario runs: the run folder, its contracts, byte-identical reruns, and bad scenarios."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from accessplan import synth
from accessplan._result import documents
from accessplan.cli import app
from accessplan.report import translator

runner = CliRunner()
TABLES = [
    "coverage",
    "settlements",
    "time_stats",
    "gaps",
    "completeness",
    "referral",
    "unknown_population",
    "standards",
    "standard_gaps",
]


@pytest.fixture(scope="module")
def region_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("region") / "county.gpkg"
    synth.mountain_county(2).write(path)
    return path


def scenario(folder: Path, region_file: Path, extra: str = "", access: str = "") -> Path:
    """A scenario file; ``access`` lines replace the default lines of the same key."""
    lines = {"profiles": '["walk", "car"]', "thresholds": "[15, 30, 60]"}
    for line in filter(None, access.splitlines()):
        key, value = (part.strip() for part in line.split("=", 1))
        lines[key] = value
    body = "\n".join(f"{k} = {v}" for k, v in lines.items())
    path = folder / "scenario.toml"
    path.write_text(
        f'name = "test county"\nseed = 4\n{extra}\n[region]\npath = "{region_file}"\n'
        f"[access]\n{body}\n",
        encoding="utf-8",
    )
    return path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_run_writes_the_folder_and_its_contracts(tmp_path: Path, region_file: Path) -> None:
    """manifest, results.gpkg, every table as CSV and XLSX, report.html; column contracts."""
    out = tmp_path / "run"
    code, text = run("run", str(scenario(tmp_path, region_file)), "--out", str(out))
    assert code == 0, text
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "results.gpkg", "tables.xlsx", "report.html"} <= names
    assert {f"{t}.csv" for t in TABLES} <= names
    cov = pd.read_csv(out / "coverage.csv", dtype={"admin_code": str})
    assert list(cov.columns) == [
        "admin_code", "admin_name", "level", "service", "tier", "profile",
        "threshold_min", "population", "covered_population", "share",
    ]  # fmt: skip
    assert cov["admin_code"].dropna().str.len().isin([6, 9, 12]).all()
    settle = pd.read_csv(out / "settlements.csv")
    tiers = [
        "village_clinic",
        "township_health_center",
        "county_hospital",
        "teaching_point",
        "primary",
        "middle",
    ]
    assert list(settle.columns) == ["id", "name", "admin_code", "population", "profile"] + [
        f"minutes_to_{t}" for t in tiers
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs"]["region.path"]["sha256"])
    (step,) = manifest["steps"]
    assert step["kind"] == "access"
    assert step["parameters"]["thresholds_min"] == [15.0, 30.0, 60.0]
    assert step["parameters"]["profiles"]["car"]["speeds"]["primary"] == 60  # the full profile
    assert set(manifest["files"]) == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    }
    assert manifest["packages"]["numpy"]
    assert str(out / "report.html") in " ".join(text.split())


def test_same_inputs_give_byte_identical_tables(tmp_path: Path, region_file: Path) -> None:
    """Two runs of one scenario: every CSV and the XLSX are equal byte for byte."""
    path = scenario(tmp_path, region_file)
    for name in ("a", "b"):
        code, text = run("run", str(path), "--out", str(tmp_path / name))
        assert code == 0, text
    for table in [*(f"{t}.csv" for t in TABLES), "tables.xlsx"]:
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes(), table


def test_access_command_and_languages(tmp_path: Path, region_file: Path) -> None:
    """`accessplan access` writes the same contract; --lang zh gives a Chinese report."""
    out = tmp_path / "acc"
    code, text = run(
        "access",
        str(region_file),
        "--profile",
        "walk,car",
        "--thresholds",
        "15,30",
        "--out",
        str(out),
        "--lang",
        "zh",
    )
    assert code == 0, text
    cov = pd.read_csv(out / "coverage.csv")
    assert sorted(cov["threshold_min"].unique()) == [15.0, 30.0]
    assert sorted(cov["profile"].unique()) == ["car", "walk"]
    assert 'lang="zh-CN"' in (out / "report.html").read_text("utf-8")


@pytest.mark.parametrize(
    ("extra", "access", "words"),
    [
        ("colour = 1", "", ["unknown key(s)", "colour"]),
        ("", "threshold = [15]", ["[access] unknown key(s)", "threshold"]),
        ("", "thresholds = [15, 0]", ["thresholds must be a positive number", "0"]),
        ("", "thresholds = [-5]", ["thresholds must be a positive number", "-5"]),
        ("", 'profiles = ["walk", "bike"]', ["[access] profiles: unknown", "bike"]),
    ],
)
def test_bad_scenarios_fail_cleanly(
    tmp_path: Path, region_file: Path, extra: str, access: str, words: list[str]
) -> None:
    """Exit code 2, one clear message naming the problem, and no run folder."""
    path = scenario(tmp_path, region_file, extra=extra, access=access)
    out = tmp_path / "run"
    code, output = run("run", str(path), "--out", str(out))
    flat = " ".join(output.split())
    assert code == 2, output
    for word in words:
        assert word in flat
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.toml"]


def test_missing_input_is_named(tmp_path: Path) -> None:
    """A region file that is not there: the key, the path and exit 2, no folder."""
    path = scenario(tmp_path, tmp_path / "nowhere.gpkg")
    code, output = run("run", str(path), "--out", str(tmp_path / "run"))
    assert code == 2
    assert "input path" in output and "nowhere.gpkg" in " ".join(output.split())
    assert not (tmp_path / "run").exists()


def test_run_refuses_to_overwrite_a_foreign_folder(tmp_path: Path, region_file: Path) -> None:
    """An existing folder that is not a run folder is left alone."""
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, output = run("run", str(scenario(tmp_path, region_file)), "--out", str(out))
    assert code == 2 and "not an accessplan run folder" in " ".join(output.split())
    assert (out / "notes.txt").read_text() == "keep me"


DEMO = "accessmod-demo"


def demo_surface_step() -> dict[str, object]:
    """The AccessMod demo's coverage scenario as a surface step (paths from ../shared)."""
    from tests.conftest import shared_file

    def path(*parts: str) -> str:
        return str(shared_file(DEMO, *parts))

    table = "table_model__demo_geog_cover_aniso_tow_120m_zones_orderPop"
    return {
        "kind": "surface",
        "dem": path("DEM", "dem__dem.GeoTIFF"),
        "landcover": path("land_cover__demo", "land_cover__demo.GeoTIFF"),
        "facilities": path(
            "health_facilities__demo", "health_facilities__demo", "health_facilities__demo.shp"
        ),
        "scenario_table": path(table, f"{table}.xlsx"),
        "roads": path("road__demo", "road__demo", "road__demo.shp"),
        "barriers": [
            path("barrier__demo_river", "barrier__demo_river", "barrier__demo_river.shp"),
            path("barrier_restricted_area", "barrier__demo", "barrier__demo.shp"),
        ],
        "population": path("population__demo", "population__demo.GeoTIFF"),
        "zones": path("zone_admin__city", "zone_admin__city", "zone_admin__city.shp"),
        "capacity_field": "capacity",
        "anisotropic": True,
    }


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def steps_scenario(folder: Path, region_file: Path, steps: list[dict[str, object]]) -> Path:
    body = "".join(
        "[[steps]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in step.items())
        for step in steps
    )
    path = folder / "steps.toml"
    path.write_text(
        f'name = "three steps"\nseed = 5\n[region]\npath = "{region_file}"\n{body}', "utf-8"
    )
    return path


@pytest.fixture(scope="module")
def three_steps(tmp_path_factory: pytest.TempPathFactory, region_file: Path) -> Path:
    """access + site on the county, surface on AccessMod's demo: one run folder (English)."""
    folder = tmp_path_factory.mktemp("three")
    path = steps_scenario(
        folder,
        region_file,
        [
            {"kind": "access", "profiles": ["walk", "car"], "thresholds": [15, 30]},
            {"kind": "site", "tier": "township_health_center", "p": 2, "threshold": 15},
            demo_surface_step(),
        ],
    )
    code, text = run("run", str(path), "--out", str(folder / "run"))
    assert code == 0, text
    return folder / "run"


def test_three_steps_write_one_folder_and_one_report(three_steps: Path) -> None:
    """Each step's tables in a folder named after it, one manifest listing the three steps,
    one results.gpkg with every step's layers, one report with the three sections."""
    out = three_steps
    assert {"coverage.csv", "referral.csv"} <= {p.name for p in (out / "access").iterdir()}
    assert {"sites.csv", "settlements.csv"} <= {p.name for p in (out / "site").iterdir()}
    assert {"travel_time.tif", "capacity.csv", "zonal_coverage.csv", "facilities.csv"} <= {
        p.name for p in (out / "surface").iterdir()
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["kind"] for s in manifest["steps"]] == ["access", "site", "surface"]
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs"]["surface.dem"]["sha256"])
    assert manifest["outputs"]["surface/travel_time.tif"]
    layers = {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}
    assert {"access_settlements", "site_sites", "surface_catchments"} <= layers
    sheets = pd.ExcelFile(out / "tables.xlsx").sheet_names
    assert {"access.coverage", "site.sites", "surface.capacity"} <= set(sheets)
    html = (out / "report.html").read_text("utf-8")
    tr = translator("en")
    for heading in (
        tr("report.title_run", name="three steps"),
        tr("section.plan_map"),
        tr("surface.title"),
        tr("section.travel_time_map"),
    ):
        assert heading in html, heading
    assert html.count('<svg class="figure"') == 6  # 4 service-circle figures, 2 maps
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # steps' parts and figures stay distinct on one page


def test_surface_step_tables_equal_the_library_result(three_steps: Path) -> None:
    """The run folder writes what measure_surface returns: its travel-time raster cell for
    cell (inf as no-data) and the zonal table's totals."""
    import rasterio

    from accessplan.measures.surface import measure_surface

    step = demo_surface_step()
    direct = measure_surface(
        step["dem"],  # type: ignore[arg-type]
        step["landcover"],  # type: ignore[arg-type]
        step["facilities"],  # type: ignore[arg-type]
        step["scenario_table"],  # type: ignore[arg-type]
        roads=step["roads"],  # type: ignore[arg-type]
        barriers=step["barriers"],  # type: ignore[arg-type]
        population=step["population"],  # type: ignore[arg-type]
        zones=step["zones"],  # type: ignore[arg-type]
        capacity_field="capacity",
        anisotropic=True,
    )
    with rasterio.open(three_steps / "surface" / "travel_time.tif") as src:
        written = src.read(1, masked=True)
    expected = direct.rasters()["travel_time"].values.astype("float32")
    assert (written.mask == ~np.isfinite(expected)).all()
    np.testing.assert_array_equal(written.compressed(), expected[np.isfinite(expected)])
    zonal = pd.read_csv(three_steps / "surface" / "zonal_coverage.csv").set_index("zone")
    assert zonal.loc["(total)", "covered"] == pytest.approx(
        direct.zonal.set_index("zone").loc["(total)", "covered"]
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_site_and_surface_commands_write_run_folders(
    tmp_path: Path, region_file: Path, lang: str
) -> None:
    """`accessplan site` and `accessplan surface` write run folders with a manifest and a
    report whose section shows their map, in English and in Chinese."""
    tr = translator(lang)
    site = tmp_path / "site"
    code, text = run(
        "site", str(region_file), "--tier", "township_health_center", "--p", "1",
        "--threshold", "15", "--out", str(site), "--lang", lang,
    )  # fmt: skip
    assert code == 0, text
    html = (site / "report.html").read_text("utf-8")
    assert tr("section.plan_map") in html and f'lang="{tr.html_lang}"' in html
    assert json.loads((site / "manifest.json").read_text())["steps"][0]["kind"] == "site"
    step = demo_surface_step()
    surface = tmp_path / "surface"
    args = ["surface", "--out", str(surface), "--lang", lang, "--anisotropic"]
    for key, flag in (
        ("dem", "--dem"),
        ("landcover", "--landcover"),
        ("facilities", "--facilities"),
        ("scenario_table", "--scenario"),
        ("population", "--population"),
        ("capacity_field", "--capacity-field"),
    ):
        args += [flag, str(step[key])]
    args += ["--barriers", *step["barriers"], "--rules", "accessmod-2015"]  # type: ignore[list-item]
    code, text = run(*args)
    assert code == 0, text
    manifest = json.loads((surface / "manifest.json").read_text())
    # both files after one --barriers flag reach the run, in the default stack's order
    assert {"surface.barriers.1", "surface.barriers.2"} <= set(manifest["inputs"])
    assert manifest["steps"][0]["parameters"]["stack"][0] == "barrier:barrier__demo"
    assert manifest["steps"][0]["parameters"]["rules"] == "accessmod-2015"
    html = (surface / "report.html").read_text("utf-8")
    assert tr("section.travel_time_map") in html and html.count('<svg class="figure"') == 1
    assert {"travel_time.tif", "capacity.csv", "manifest.json"} <= {
        p.name for p in surface.iterdir()
    }


def test_an_earlier_run_folder_is_replaced_but_not_a_file_added_to_it(
    tmp_path: Path, region_file: Path
) -> None:
    """A rerun replaces the folder an earlier run wrote; once a user adds a file of their own
    to it, the run refuses and leaves everything as it was."""
    path = scenario(tmp_path, region_file)
    out = tmp_path / "run"
    assert run("run", str(path), "--out", str(out))[0] == 0
    assert run("run", str(path), "--out", str(out))[0] == 0
    (out / "notes.txt").write_text("mine")
    before = sorted(p.name for p in out.iterdir())
    code, output = run("run", str(path), "--out", str(out))
    assert code == 2 and "notes.txt" in output
    assert sorted(p.name for p in out.iterdir()) == before


def test_an_input_inside_the_output_folder_is_refused(tmp_path: Path, region_file: Path) -> None:
    """A region file inside --out would be deleted by the run: refused, file kept."""
    folder = tmp_path / "work"
    folder.mkdir()
    region = folder / "county.gpkg"
    region.write_bytes(region_file.read_bytes())
    code, output = run("access", str(region), "--out", str(folder))
    flat = " ".join(output.split())
    assert code == 2 and "lies inside the output folder" in flat
    assert region.read_bytes() == region_file.read_bytes()


def test_a_county_with_more_services_runs_its_standards(tmp_path: Path) -> None:
    """A region carrying elderly care and preschool: the run folder's standards table holds
    every standard of its catalogue for the county and each township, the report names the
    services in Chinese, and the manifest lists the standards and their extra profiles."""
    region = tmp_path / "served.gpkg"
    synth.mountain_county(5, n_villages=80, services=("elderly_care", "preschool")).write(region)
    out = tmp_path / "run"
    code, text = run(
        "access", str(region), "--profile", "walk", "--thresholds", "15", "--out", str(out),
        "--lang", "zh",
    )  # fmt: skip
    assert code == 0, text
    table = pd.read_csv(out / "standards.csv", dtype={"admin_code": str})
    assert list(table.columns) == [
        "admin_code", "admin_name", "level", "service", "tier", "group", "profile",
        "threshold_min", "population", "covered_population", "share",
    ]  # fmt: skip
    whole = table[table["level"] == "region"]
    assert list(whole["tier"]) == [
        "village_clinic", "township_health_center", "county_hospital", "teaching_point",
        "middle", "kindergarten", "central_kindergarten", "elderly_day_care",
        "township_elderly_centre", "care_home",
    ]  # fmt: skip
    towns = table[table["level"] == "township"]
    assert len(towns) == 10 * towns["admin_code"].nunique()
    gaps = pd.read_csv(out / "standard_gaps.csv")
    assert (gaps["minutes"] > gaps["threshold_min"]).all()
    html = (out / "report.html").read_text("utf-8")
    for word in (
        "各项服务达标情况",
        "养老服务",
        "村级互助养老服务点",
        "幼儿园",
        "60岁及以上老年人",
    ):
        assert word in html, word
    (step,) = json.loads((out / "manifest.json").read_text())["steps"]
    assert len(step["parameters"]["standards"]) == 10
    assert set(step["parameters"]["standard_profiles"]) == {"car", "motorcycle"}


def test_a_scenario_builds_its_region_with_a_service_catalogue(tmp_path: Path) -> None:
    """[region] osm + services: the region read from OSM carries the catalogue's services and
    their standards are measured; the bundled catalogue counts population groups Andorra's
    places lack, which is refused naming the column; files other than osm need osm."""
    from accessplan.services import default_catalogue, write
    from tests.conftest import shared_file

    pbf = shared_file("andorra", "andorra.osm.pbf")
    write(
        default_catalogue().subset(["health", "school", "culture", "sports"]), tmp_path / "s.toml"
    )

    def scenario_with(services: str) -> Path:
        path = tmp_path / "osm.toml"
        path.write_text(
            f'[region]\nosm = "{pbf}"\nservices = "{services}"\n[[steps]]\nkind = "access"\n'
            'profiles = ["walk", "car"]\nthresholds = [15]\n',
            "utf-8",
        )
        return path

    code, text = run("run", str(scenario_with("s.toml")), "--out", str(tmp_path / "run"))
    assert code == 0, text
    standards = pd.read_csv(tmp_path / "run" / "standards.csv")
    assert set(standards["service"]) == {"health", "school", "culture", "sports"}
    code, text = run("run", str(scenario_with("default")), "--out", str(tmp_path / "d"))
    assert code == 2 and "'children_0_2'" in text
    alone = tmp_path / "alone.toml"
    alone.write_text('[region]\nsynthetic = "mountain_county"\nservices = "default"\n', "utf-8")
    code, text = run("run", str(alone), "--out", str(tmp_path / "x"))
    assert code == 2 and "go with osm" in " ".join(text.split())


class _Documents:
    """A result whose documents take the name of a file every run folder writes itself."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def documents(self) -> dict[str, object]:
        return {name: {"n": 1} for name in self.names}


def test_documents_may_not_overwrite_the_summary_or_the_manifest() -> None:
    assert documents(_Documents(["kpis"])) == {"kpis": {"n": 1}}
    assert documents(object()) == {}  # type: ignore[arg-type]  # a result with none
    for name in ("summary", "manifest"):
        with pytest.raises(ValueError, match=f"may not be named \\['{name}'\\]"):
            documents(_Documents(["kpis", name]))  # type: ignore[arg-type]
