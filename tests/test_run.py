"""Scenario runs: the run folder, its contracts, byte-identical reruns, and bad scenarios."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from accessplan import synth
from accessplan.cli import app

runner = CliRunner()
TABLES = [
    "coverage",
    "settlements",
    "time_stats",
    "gaps",
    "completeness",
    "referral",
    "unknown_population",
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
