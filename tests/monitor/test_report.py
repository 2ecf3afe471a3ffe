"""The monitor as an analysis step: indicators read from the database equal the formula
applied by hand to the raw rows, the section renders in English and Chinese, and a scenario
step writes a run folder whose tables hold no identity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from accessplan.monitor.db import Database
from accessplan.monitor.indicators import IndicatorConfig
from accessplan.monitor.register import import_incomes
from accessplan.monitor.results import monitor_report
from accessplan.monitor.rules import evaluate
from accessplan.monitor.scope import Actor
from accessplan.report.i18n import translator
from accessplan.report.sections.monitor import section
from tests.monitor.conftest import REGISTER, write_csv
from tests.monitor.test_rules_workflow import AS_OF, CLAIMS, loaded  # noqa: F401 - fixture

CONFIG = IndicatorConfig(poverty_line=5_000, spl=3_000)


def _raw_households() -> pd.DataFrame:
    """From the test's own rows: each household's 2025 out-of-pocket (claims of 2025 only),
    its size and township; consumption from the income file below."""
    members = pd.DataFrame(REGISTER)
    members["n"] = range(1, len(members) + 1)
    claims = pd.DataFrame(CLAIMS)
    claims["member"] = claims["id_number"].map(
        dict(zip(members["id_number"], members["n"], strict=True))
    )
    claims["household"] = claims["member"].map(
        dict(zip(members["n"], members["household_ref"], strict=True))
    )
    in_year = claims[claims["service_date"].str.startswith("2025")]
    oop = in_year.groupby("household")["out_of_pocket"].apply(lambda s: s.astype(float).sum())
    size = members.groupby("household_ref").size()
    return pd.DataFrame({"oop": oop, "size": size}).fillna({"oop": 0.0})


@pytest.fixture
def with_incomes(loaded: Database, actors: dict[str, Actor], tmp_path: Path) -> Database:  # noqa: F811
    rows = [
        {"household_ref": ref, "year": "2025", "income": str(v), "consumption": str(v)}
        for ref, v in {"E1": 40_000, "E2": 20_000, "W1": 30_000, "H1": 90_000}.items()
    ]
    import_incomes(loaded, write_csv(tmp_path / "i25.csv", rows), actors["admin"], today=AS_OF)
    evaluate(loaded, actors["admin"], as_of=AS_OF)
    return loaded


def test_indicators_from_the_database_equal_the_raw_rows(with_incomes: Database) -> None:
    """2025 out-of-pocket per household from the raw claims: E1 4,500 + 9,000 = 13,500 (the
    2024 claims fall out), E2 15,000, W1 32,000.01, H1 60,000; consumptions 40,000, 20,000,
    30,000, 90,000 and sizes 3, 1, 2, 1 (7 people). Shares above 10%: E1 (0.34), E2 (0.75),
    W1 (1.07), H1 (0.67): everyone; above 25%: the same -> 7/7."""
    raw = _raw_households()
    assert raw.loc["E1", "oop"] == pytest.approx(13_500)
    result = monitor_report(with_incomes, year=2025, config=CONFIG)
    top = result.indicators.set_index("group").loc["all"]
    assert top["households"] == 4 and top["people"] == 7
    consumption = pd.Series({"E1": 40_000, "E2": 20_000, "W1": 30_000, "H1": 90_000})
    ratio = raw["oop"] / consumption
    people = raw["size"]
    for threshold, column in ((0.10, "sdg382_10"), (0.25, "sdg382_25")):
        assert top[column] == pytest.approx(people[ratio > threshold].sum() / people.sum())
    # Townships: Riverside (E1, E2, W1) and Uplands (H1).
    assert set(result.indicators["township_name"]) == {"", "Riverside", "Uplands"}
    # Claims: all at county hospitals of 530102, the patients' county: 100% within.
    within = result.within_county.set_index(["township", "tier"])
    assert within.loc[("all", "all"), "share"] == 1.0
    assert within.loc[("all", "all"), "claims"] == 6  # the two 2024 claims fall out
    assert len(result.warnings) == 4  # no 2024 incomes: no income warning this time
    text = result.warnings.to_csv()
    assert not any(str(r["id_number"]) in text for r in REGISTER)


def test_section_in_both_languages(with_incomes: Database) -> None:
    """Every label the section asks for exists in English and Chinese."""
    result = monitor_report(with_incomes, year=2025, config=CONFIG)
    for lang in ("en", "zh_CN"):
        rendered = section(result, translator(lang))
        assert len(rendered.parts) == 5
    assert "2025" in section(result, translator("zh")).title


def test_step_writes_a_run_folder(with_incomes: Database, tmp_path: Path) -> None:
    """``kind = "monitor"`` runs without a region into a run folder with the three tables and
    the report, in Chinese."""
    from accessplan.run import run_scenario
    from accessplan.settings import Scenario

    settings = tmp_path / "indicators.toml"
    settings.write_text("[indicators]\npoverty_line = 5000\nspl = 3000\n", "utf-8")
    scenario = Scenario.one_step(
        "monitor",
        {"database": with_incomes.url, "year": 2025, "indicators": str(settings)},
        lang="zh",
    )
    folder = run_scenario(scenario, out=tmp_path / "run")
    assert {p.name for p in folder.iterdir()} >= {
        "indicators.csv",
        "within_county.csv",
        "warnings.csv",
        "report.html",
        "manifest.json",
    }
    html = (folder / "report.html").read_text("utf-8")
    assert "监测预警名单" in html
    assert not any(str(r["id_number"]) in html for r in REGISTER)


def test_step_needs_a_poverty_line() -> None:
    """Without --poverty-line or a settings file the step is refused naming both."""
    from accessplan.analyses import OptionError
    from accessplan.settings import Scenario

    with pytest.raises(OptionError, match="--poverty-line"):
        Scenario.one_step("monitor", {"database": "sqlite:///x.db", "year": 2025})
