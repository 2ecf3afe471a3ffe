"""`accessplan schools` and its report section: the run folder, the limits re-checked from the
written tables, the section in both languages, and options refused where they are wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from accessplan.cli import app
from accessplan.optimize.schools.plan import SchoolPlan
from accessplan.region import Region
from accessplan.report.i18n import translator
from accessplan.report.sections import schools as section


def test_the_command_writes_the_plan_and_its_report(tmp_path: Path, county: Region) -> None:
    path = county.write(tmp_path / "county.gpkg")
    out = tmp_path / "schools"
    result = CliRunner().invoke(
        app,
        ["schools", str(path), "--min-size", "100", "--max-minutes", "primary=30,middle=60",
         "--curve-points", "0", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["steps"][0]["summary"] == summary
    assert manifest["steps"][0]["parameters"]["max_minutes"] == {"primary": 30, "middle": 60}
    assert summary["is_optimal"] and summary["schools_after"] < summary["schools_before"]
    # the written assignment, read back: day pupils within their band's limit, boarders beyond
    a = pd.read_csv(out / "pupil_assignment.csv")
    limit = a["band"].map({"primary": 30.0, "middle": 60.0})
    assert (a.loc[~a["boarding"], "minutes_after"] <= limit[~a["boarding"]]).all()
    assert (a.loc[a["boarding"], "minutes_after"] > limit[a["boarding"]]).all()
    # every pupil counted once, and the schools' pupils add up to them
    pupils = county.settlements[["pupils_primary", "pupils_middle"]].to_numpy().sum()
    schools = pd.read_csv(out / "schools.csv")
    assert a["pupils"].sum() == pupils == schools["pupils_after"].sum()
    html = (out / "report.html").read_text()
    assert 'id="schools-map"' in html and "<svg" in html


def test_the_section_in_both_languages(county_plan: SchoolPlan) -> None:
    # every label of the section exists in both catalogues (a missing one raises KeyError)
    for lang in ("en", "zh_CN"):
        s = section.section(county_plan, translator(lang))
        anchors = [p.id for p in s.parts]
        assert anchors == [
            "schools-figures", "schools-map", "schools-curve", "schools-tables", "schools-method"
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--max-minutes", "primary=30,high=60"], "--max-minutes: bands ['high']"),
        (["--max-minutes", "primary=fast"], "--max-minutes must be"),
        (["--boarding", "primary,high"], "--boarding: bands ['high']"),
        (["--min-size", "-5"], "--min-size must be a number of pupils"),
    ],
)
def test_wrong_options_are_refused_by_name(tmp_path: Path, flags: list[str], named: str) -> None:
    # refused before any region is read or travel time computed (the region path is absent)
    result = CliRunner().invoke(
        app, ["schools", str(tmp_path / "absent.gpkg"), *flags, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert named in " ".join(result.output.split())
