"""Key figures recomputed by hand on the paper plan, the hand-drawn baseline on the paper
problem, and coverage by township on a two-township toy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessplan.optimize.mobile import naive_plan, plan_kpis, township_coverage, validate
from tests.optimize.mobile.handmade import NO_DROPS, good_plan, problem, route, schedule

VILLAGES = pd.DataFrame(
    {"id": ["A", "B", "C"], "population": [100.0, 200.0, 300.0], "patients": [10.0, 20.0, 30.0],
     "visits": [2, 1, 1], "rounds": [1, 1, 1]}
)  # fmt: skip


def test_kpis_of_the_paper_plan() -> None:
    """88 km in 4 trips; A's 10 patients are shared by its 2 visits: 5 + 20 + 5 + 30 = 60
    person-visits; each trip 50 or 58 minutes; one vehicle works them all."""
    k = plan_kpis(problem(), VILLAGES, good_plan(), NO_DROPS, per_km=2.0, per_vehicle_day=100.0,
                  per_overtime_min=1.0)  # fmt: skip
    assert k["villages_served"] == 3 and k["visits"] == 4 and k["trips"] == 4
    assert k["km"] == pytest.approx(88.0)
    assert k["person_visits"] == pytest.approx(60.0)
    assert k["km_per_person_visit"] == pytest.approx(88.0 / 60.0)
    assert k["km_per_trip"] == pytest.approx(22.0)
    assert k["longest_gap_days"] == 3.0  # A on days 1 and 4
    assert k["continuity"] == 1.0  # A's visits by D#1 both
    assert k["workload_cv"] == 0.0  # a single vehicle
    assert k["cost"] == pytest.approx(88.0 * 2 + 4 * 100.0)
    assert k["overtime_min"] == 0.0


def test_overtime_and_a_dropped_village() -> None:
    over = problem(workday=45.0, overtime=20.0)
    plan = schedule(route(1, ["A"]), route(2, ["B"]), route(4, ["A"]))
    dropped = pd.DataFrame({"client_id": ["C"], "reason": ["fleet_short"], "detail": [""]})
    k = plan_kpis(over, VILLAGES, plan, dropped, per_km=1.0, per_vehicle_day=0.0,
                  per_overtime_min=10.0)  # fmt: skip
    assert k["villages_served"] == 2 and k["villages_dropped"] == 1
    assert k["overtime_min"] == pytest.approx(3 * 5.0)  # three 50-minute trips, 45 allowed
    assert k["cost"] == pytest.approx(60.0 + 150.0)


def test_naive_plan_on_paper() -> None:
    """One centre, nearest-neighbour tours of one village each (two never fit a workday),
    A's tour on two days 2-3 apart: valid and 88 km."""
    p = problem()
    plan, dropped = naive_plan(p)
    assert dropped.empty
    found = validate(p, plan, dropped)
    assert found.ok, found.violations
    assert found.distance == pytest.approx(88.0)


def test_township_coverage() -> None:
    admin = pd.DataFrame(
        {"code": ["1", "11", "12", "111", "121"], "name": ["C", "T1", "T2", "V1", "V2"],
         "level": ["county", "township", "township", "village", "village"],
         "parent": ["", "1", "1", "11", "12"]}
    )  # fmt: skip
    settle = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "admin_code": ["111", "111", "121", "121"],
         "population": [100.0, 50.0, 30.0, np.nan]}
    )  # fmt: skip
    minutes = pd.Series([5.0, 40.0, 60.0, 90.0], index=["a", "b", "c", "d"])
    table = township_coverage(admin, settle, minutes, 15.0, served={"b"}).set_index("code")
    assert table.loc["11", "fixed_share"] == pytest.approx(100 / 150)
    assert table.loc["11", "fixed_mobile_share"] == pytest.approx(1.0)
    assert table.loc["12", "fixed_mobile_share"] == pytest.approx(0.0)
    assert table.loc["", "fixed_mobile_population"] == pytest.approx(150.0)
