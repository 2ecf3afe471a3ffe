"""The independent validator on the hand-made problem: the plan drawn on paper passes, and
each deliberately broken plan is rejected with the rule it breaks."""

from __future__ import annotations

import pandas as pd
import pytest

from accessplan.optimize.mobile import InvalidPlanError, validate
from accessplan.optimize.mobile.validate import check
from tests.optimize.mobile.handmade import (
    BEST_KM,
    NO_DROPS,
    good_plan,
    problem,
    route,
    schedule,
)


def test_the_paper_plan_passes_with_its_cost() -> None:
    """Valid, 88 km recomputed from the matrix, no overtime."""
    found = validate(problem(), good_plan(), NO_DROPS)
    assert found.ok, found.violations
    assert found.distance == pytest.approx(BEST_KM)
    assert found.overtime == 0.0
    assert found.cost == pytest.approx(BEST_KM)


@pytest.mark.parametrize(
    ("name", "plan", "rules"),
    [
        (
            "a visit on the holiday (day 3)",
            schedule(route(1, ["A"]), route(3, ["B"]), route(4, ["A"]), route(5, ["C"])),
            {"working_day"},
        ),
        (
            "two villages in one workday (94 > 60 minutes)",
            schedule(route(1, ["A"]), route(2, ["B", "C"]), route(4, ["A"])),
            {"workday"},
        ),
        (
            "A's visits 4 days apart (at most 3)",
            schedule(route(1, ["A"]), route(2, ["B"]), route(5, ["A"]), route(4, ["C"])),
            {"gap", "pattern"},
        ),
        (
            "C never visited and not reported dropped",
            schedule(route(1, ["A"]), route(2, ["B"]), route(4, ["A"])),
            {"visits"},
        ),
        (
            "A visited once",
            schedule(route(1, ["A"]), route(2, ["B"]), route(5, ["C"])),
            {"visits"},
        ),
    ],
)
def test_a_broken_plan_is_rejected_by_its_rule(
    name: str, plan: pd.DataFrame, rules: set[str]
) -> None:
    found = validate(problem(), plan, NO_DROPS)
    assert rules <= found.rules(), (name, found.violations)
    with pytest.raises(InvalidPlanError, match="|".join(sorted(rules))):
        check(problem(), plan, NO_DROPS)


def test_a_visit_on_a_day_off_of_its_client_is_a_working_day_error() -> None:
    """B may only come on days 1, 2 (the problem says so, the vehicle would work day 4)."""
    limited = problem(patterns=(problem().patterns[0], ((0,), (1,)), problem().patterns[2]))
    plan = schedule(route(1, ["A"]), route(2, ["C"]), route(4, ["A"]), route(5, ["B"]))
    assert "working_day" in validate(limited, plan, NO_DROPS).rules()


def test_route_must_start_and_end_at_its_depot() -> None:
    plan = good_plan()
    last = plan.index[plan["kind"] == "end"][0]
    plan.loc[last, "place"] = "B"
    assert "depot" in validate(problem(), plan, NO_DROPS).rules()


def test_times_are_recomputed_from_the_matrix() -> None:
    """Arriving at A after 5 minutes when the drive takes 10 is impossible."""
    plan = good_plan()
    first = plan.index[plan["kind"] == "visit"][0]
    plan.loc[first, "arrival_min"] = 5.0
    plan.loc[first, "departure_min"] = 35.0
    assert "times" in validate(problem(), plan, NO_DROPS).rules()


def test_fleet_capacity_and_continuity() -> None:
    """A second vehicle D#2 does not exist; a capacity of 1 admits no two loads; with
    continuity A's two visits need one vehicle."""
    plan = schedule(
        route(1, ["A"]), route(2, ["B"], vehicle="D#2"), route(4, ["A"]), route(5, ["C"])
    )
    assert "fleet" in validate(problem(), plan, NO_DROPS).rules()
    tight = problem(capacity=problem().capacity * 0 + 1.0, workday=200.0)
    plan = schedule(route(1, ["A"]), route(2, ["B", "C"]), route(4, ["A"]))
    assert "capacity" in validate(tight, plan, NO_DROPS).rules()
    two = problem(vehicles=problem().vehicles * 2, continuity=True)
    plan = schedule(
        route(1, ["A"]), route(2, ["B"]), route(4, ["A"], vehicle="D#2"), route(5, ["C"])
    )
    assert validate(two, plan, NO_DROPS).rules() == {"continuity"}


def test_dropping_needs_a_reason_and_a_finite_prize() -> None:
    plan = schedule(route(1, ["A"]), route(2, ["B"]), route(4, ["A"]))
    dropped = pd.DataFrame({"client_id": ["C"], "reason": ["fleet_short"], "detail": [""]})
    assert "visits" in validate(problem(), plan, dropped).rules()  # C must be served
    optional = problem(prize=problem().demand * 0 + 500.0)
    found = validate(optional, plan, dropped)
    assert found.ok
    assert found.cost == pytest.approx(20 + 20 + 20 + 500)
    no_reason = dropped.assign(reason=" ")
    assert "visits" in validate(optional, plan, no_reason).rules()
