"""plan_tours on a synthetic county and the mobile step through a scenario run: the plan is
valid, dropped villages carry reasons, coverage of fixed + mobile is reported, the run
folder holds schedule.csv, summary.json (the key figures) and the report, the same seed
gives byte-identical tables, and bad input leaves no run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from accessplan import synth
from accessplan._errors import InputError
from accessplan.cli import app
from accessplan.optimize.mobile import MobilePlan, plan_tours, validate
from accessplan.optimize.mobile.solve import REASONS
from accessplan.region import Region
from accessplan.report import translator
from accessplan.report.blocks import Layers, Panel, Text
from accessplan.report.sections.mobile import section
from accessplan.run import run_scenario
from accessplan.settings import Scenario

FAST = {"days": 10, "iterations": 40, "seed": 0}


@pytest.fixture(scope="module")
def county() -> Region:
    return synth.mountain_county(5, n_townships=5, n_villages=80)


@pytest.fixture(scope="module")
def plan(county: Region) -> MobilePlan:
    return plan_tours(county, compare_fixed=1, **FAST)  # type: ignore[arg-type]


def test_every_village_gets_its_visits(plan: MobilePlan) -> None:
    k = plan.kpis
    assert plan.result.check.ok
    assert k["villages_served"] == k["villages"] == len(plan.setup.villages)
    assert k["visits"] == int(plan.setup.villages["visits"].sum())
    assert k["vehicles_needed"] is not None and k["vehicles_needed"] <= k["vehicles"]
    assert plan.naive["valid"]
    villages = plan.villages()
    assert (villages["visits_planned"] == villages["visits_needed"]).all()
    assert (villages["status"] == "served").all()


def test_one_vehicle_fewer_leaves_villages_out_with_reasons(plan: MobilePlan) -> None:
    """The fleet sweep: the fewest vehicles serve every village; one fewer leaves villages
    out, each reported with a reason the solver names."""
    fleet = plan.fleet.set_index("vehicles")
    needed = plan.kpis["vehicles_needed"]
    assert fleet.loc[needed, "villages_dropped"] == 0
    short = fleet.loc[needed - 1]
    assert short["villages_dropped"] > 0
    assert short["villages_dropped"] == plan.kpis["dropped_with_one_vehicle_fewer"]
    items = str(short["dropped"]).split()
    assert len(items) == short["villages_dropped"]
    assert {item.split(":", 1)[1] for item in items} <= set(REASONS)
    assert {item.split(":", 1)[0] for item in items} <= set(plan.setup.villages["id"])


def test_km_per_person_visit_a_fifth_below_the_naive_plan(plan: MobilePlan) -> None:
    """The issue's bar: at equal coverage (every village, the naive plan with the vehicles
    it needs for that), at least 20 % fewer km per person-visit than the hand-drawn plan."""
    k = plan.kpis
    assert plan.naive["valid"]
    assert k["naive_villages_served"] == k["villages_served"] == k["villages"]
    assert k["km_per_person_visit"] <= 0.8 * k["naive_km_per_person_visit"]


def test_coverage_by_township_adds_the_mobile_villages(plan: MobilePlan) -> None:
    c = plan.coverage
    whole = c[c["code"] == ""].iloc[0]
    assert whole["population"] == pytest.approx(plan.region.settlements["population"].sum())
    assert (c["fixed_mobile_share"] >= c["fixed_share"] - 1e-12).all()
    assert whole["fixed_mobile_share"] == pytest.approx(1.0)  # every village beyond is served


def test_tables_layers_summary_and_section(plan: MobilePlan) -> None:
    tables = plan.tables()
    assert {"schedule", "villages", "routes", "coverage", "dropped", "fleet", "tradeoff"} <= set(
        tables
    )
    s = tables["schedule"]
    assert list(s.columns[:8]) == [
        "day",
        "date",
        "vehicle",
        "depot",
        "stop",
        "kind",
        "place",
        "name",
    ]
    assert {"arrival", "arrival_min", "service_min", "km"} <= set(s.columns)
    layers = plan.layers()
    assert len(layers["tours"]) == plan.kpis["trips"]
    json.dumps(plan.summary())
    json.dumps(plan.parameters())
    assert plan.tradeoff is not None and len(plan.tradeoff.table) == 2
    for lang in ("en", "zh_CN"):
        built = section(plan, translator(lang))
        assert built.title and len(built.parts) >= 6
        parts = {part.id: part for part in built.parts}
        # the map: all tours, with a button per working day with tours, each day's tours in
        # the group the button shows; the calendar chart
        (layers,) = parts["mobile-map"].blocks
        assert isinstance(layers, Layers)
        days = sorted(plan.result.schedule["day"].unique())
        assert [key for key, _, _ in layers.choices] == [str(d) for d in days]
        for d in days:
            assert layers.svg.count(f'id="{layers.name}-{layers.layer}-{d}"') == 1
        assert [type(b) for b in parts["mobile-calendar"].blocks] == [Panel]
        # the fixed-or-mobile curve, and the cheapest mix named under it
        curve, verdict = parts["mobile-tradeoff"].blocks[:2]
        assert isinstance(curve, Panel) and "<svg" in curve.svg
        assert isinstance(verdict, Text)
        t, cheapest = translator(lang), plan.tradeoff.cheapest
        assert cheapest is not None
        assert verdict.paragraphs == [
            t(
                "mobile.tradeoff.cheapest",
                k=t.number(cheapest["new_sites"]),
                cost=t.number(cheapest["total_cost_year"] / 1e4, 1),
                target=t.percent(plan.tradeoff.target),
            )
        ]


def test_a_short_fleet_drops_villages_with_reasons(county: Region) -> None:
    """Four days instead of ten: the plan leaves villages out, each as fleet_short, and the
    rest is still valid."""
    short = plan_tours(county, days=4, iterations=30, sweep=False)
    dropped = short.result.dropped
    assert len(dropped) > 0
    assert set(dropped["reason"]) == {"fleet_short"}
    assert validate(short.setup.problem, short.result.schedule, dropped).ok
    assert short.kpis["villages_served"] + len(dropped) == short.kpis["villages"]


def _scenario(region_file: Path, **step: object) -> Scenario:
    return Scenario.from_dict(
        {
            "name": "mobile test",
            "seed": 0,
            "region": {"path": str(region_file)},
            "steps": [
                {
                    "kind": "mobile",
                    "days": 8,
                    "iterations": 30,
                    "sweep": False,
                    "compare_fixed": 0,
                    **step,
                }
            ],
        }
    )


def test_the_step_writes_its_run_folder_twice_alike(county: Region, tmp_path: Path) -> None:
    region_file = tmp_path / "county.gpkg"
    county.write(region_file)
    scenario = _scenario(region_file, workday="8h", vehicles="township_health_center:1")
    for name in ("a", "b"):
        run_scenario(scenario, out=tmp_path / name)
    a, b = tmp_path / "a", tmp_path / "b"
    for table in (
        "schedule.csv",
        "villages.csv",
        "routes.csv",
        "coverage.csv",
        "tables.xlsx",
        "kpis.json",
    ):
        assert (a / table).read_bytes() == (b / table).read_bytes(), table
    schedule = pd.read_csv(a / "schedule.csv")
    assert {"day", "vehicle", "stop", "place", "arrival", "service_min"} <= set(schedule.columns)
    summary = json.loads((a / "summary.json").read_text())
    assert summary["valid"] is True and summary["villages_served"] > 0
    assert "km_per_person_visit" in summary
    # kpis.json: the plan's figures, each vehicle's work and each township's coverage; the
    # per-vehicle rows are recounted from schedule.csv, so they add up to the plan's totals
    kpis = json.loads((a / "kpis.json").read_text())
    assert kpis["validator"] == {"valid": True, "violations": []}
    by_vehicle = pd.DataFrame(kpis["by_vehicle"])
    assert len(by_vehicle) == kpis["plan"]["vehicles"]
    visits = schedule[schedule["kind"] == "visit"]
    assert by_vehicle["visits"].sum() == len(visits) == kpis["plan"]["visits"]
    assert dict(zip(by_vehicle["vehicle"], by_vehicle["visits"], strict=True)) == {
        v: int((visits["vehicle"] == v).sum()) for v in by_vehicle["vehicle"]
    }
    trips = schedule.groupby(["day", "vehicle"]).ngroups
    assert by_vehicle["days"].sum() == trips == kpis["plan"]["trips"]
    assert by_vehicle["km"].sum() == pytest.approx(schedule["km"].sum())
    assert by_vehicle["overtime_min"].sum() == pytest.approx(kpis["plan"]["overtime_min"])
    whole = next(t for t in kpis["by_township"] if t["code"] == "")  # "" = the whole region
    assert whole["population"] == pytest.approx(county.settlements["population"].sum())
    manifest = json.loads((a / "manifest.json").read_text())
    assert "kpis.json" in manifest["outputs"] and "kpis.json" in manifest["files"]
    assert "Mobile clinic tours" in (a / "report.html").read_text()


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"threshold": -5}, "must be a positive number of minutes"),
        ({"threshold": 600}, "no village is beyond 600 minutes"),
        ({"vehicles": "V0003:1"}, "'V0003' is not a facility of the region"),
        ({"workday": "10min"}, "shorter than the fastest round trip"),
        ({"days": 0}, "must be a whole number >= 1"),
        ({"workday": "eight hours"}, "a duration like 8h"),
    ],
)
def test_bad_input_leaves_no_run_folder(
    county: Region, tmp_path: Path, step: dict[str, object], message: str
) -> None:
    region_file = tmp_path / "county.gpkg"
    county.write(region_file)
    out = tmp_path / "out"
    with pytest.raises(InputError, match=message):
        run_scenario(_scenario(region_file, **step), out=out)
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_cli_plans_supply_vans_within_their_capacity(county: Region, tmp_path: Path) -> None:
    """`accessplan mobile --fleet supply`: every van's route carries at most its capacity (the
    routes' loads come from the schedule, the capacity from the command line), and the
    command without a capacity stops before writing anything."""
    region_file = county.write(tmp_path / "county.gpkg")
    out = tmp_path / "vans"
    args = ["mobile", str(region_file), "--fleet", "supply", "--demand", "40", "--days", "8",
            "--iterations", "30", "--no-sweep", "--compare-fixed", "0", "--workday", "8h",
            "--vehicles", "township_health_center:1", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--capacity", "200"])
    assert result.exit_code == 0, result.output
    routes = pd.read_csv(out / "routes.csv")
    assert len(routes) > 0 and routes["load"].max() <= 200
    assert (routes["load"] > 0).all()  # a van only leaves to deliver
    assert json.loads((out / "summary.json").read_text())["valid"] is True
    assert "Supply van tours" in (out / "report.html").read_text()

    refused = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "none")])
    assert refused.exit_code == 2
    assert "supply vans need --capacity" in refused.output
    assert not (tmp_path / "none").exists()
