"""The school plan of a synthetic mountain county (300 settlements, 60 small village schools):
proven within 60 s, re-checked independently, nobody beyond the day limit but boarders, and a
setting without a plan refused with the settlements and the rule named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessplan.measures.schools import catchments
from accessplan.optimize.location.errors import InfeasibleError
from accessplan.optimize.schools import curve, solve_schools
from accessplan.optimize.schools.plan import SchoolPlan, plan_schools
from accessplan.region import Region
from accessplan.synth_schools import school_province
from tests.optimize.schools.checker import check
from tests.optimize.schools.conftest import LIMITS


def test_the_county_has_about_sixty_small_schools(county: Region, county_plan: SchoolPlan) -> None:
    # 60 village schools added to the county's township schools; most are below 100 pupils
    region = county
    schools = region.facilities[region.facilities["service"] == "school"]
    assert len(region.settlements) == 300
    assert schools["name"].str.endswith("Village Primary School").sum() == 60
    assert county_plan.summary()["small_before"] >= 50


def test_the_plan_is_proven_within_a_minute_and_keeps_every_rule(county_plan: SchoolPlan) -> None:
    p = county_plan
    s = p.solution
    assert s.is_optimal and s.count_bound == s.n_open and s.runtime < 60
    # the independent checker recomputes the objective from the problem's arrays
    assert check(p.problem, s) == pytest.approx(s.objective, rel=1e-9)


def test_its_independent_parts_reach_the_whole_models_optimum(county_plan: SchoolPlan) -> None:
    # the county's pupils and schools fall into parts linked by no usable journey (primary
    # schools 30 minutes' walk apart; middle-school pupils may board anywhere, one part);
    # solved part by part, the fewest schools and then the least cost must be those of HiGHS
    # on the whole model as one MILP (the plain formulation, which sees no parts)
    p = county_plan
    assert p.solution.method == "parts"
    whole = solve_schools(p.problem, method="highs", time_limit=120)
    assert whole.is_optimal and p.solution.is_optimal
    assert whole.n_open == p.solution.n_open
    assert whole.objective == pytest.approx(p.solution.objective, rel=1e-9)


def test_the_curve_by_parts_is_the_whole_models(
    county_plan: SchoolPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the trade-off curve built from the parts' own curves (each part at every count, the
    # cheapest split per total) must give, count by count, the least cost of the whole model
    # solved with that many schools open; 28 more than the fewest needs village schools
    # with no pupil in reach opened empty (as the whole model may), 36 more is beyond every
    # plan (no count of the whole has one either)
    problem, fewest = county_plan.problem, county_plan.solution.n_open
    counts = [fewest, fewest + 28, fewest + 36]
    monkeypatch.setattr(curve, "PARTS_PAIRS", 0)
    by_parts = curve.tradeoff(problem, counts, time_limit=60)
    monkeypatch.setattr(curve, "PARTS_PAIRS", 10**9)
    whole = curve.tradeoff(problem, counts, time_limit=60)
    assert whole["proven"].iloc[:2].all() and by_parts["proven"].iloc[:2].all()
    assert by_parts["objective"].iloc[:2].to_numpy() == pytest.approx(
        whole["objective"].iloc[:2].to_numpy(), rel=1e-9
    )
    assert by_parts["objective"].isna().iloc[2] and whole["objective"].isna().iloc[2]


def test_no_pupil_beyond_the_day_limit_unless_boarding(county_plan: SchoolPlan) -> None:
    a = county_plan.assignment
    limit = a["band"].map(LIMITS).to_numpy()
    day = ~a["boarding"].to_numpy()
    assert (a["minutes_after"].to_numpy()[day] <= limit[day]).all()
    # boarders are middle-school pupils (primary pupils are too young) beyond 60 minutes
    boarders = a[a["boarding"]]
    assert set(boarders["band"]) <= {"middle"}
    assert (boarders["minutes_after"] > LIMITS["middle"]).all()
    # before the plan 809 primary pupils walked beyond 30 minutes (or had no school)
    assert county_plan.summary()["pupils_beyond_limit_primary_after"] == 0


def test_every_closed_school_says_why_and_where_its_pupils_went(county_plan: SchoolPlan) -> None:
    s = county_plan.schools
    closed = s[s["status"] == "closed"]
    assert len(closed) > 0
    assert set(closed["why"]) <= {"below_min_size", "not_needed"}
    had = closed["pupils_before"] > 0
    assert (closed.loc[had, "went_to"] != "").all()
    kept = set(s.loc[s["status"] != "closed", "school_id"])
    for went in closed.loc[had, "went_to"]:
        assert set(went.split(";")) <= kept
    # a school left open below the minimum size is protected, a teaching point or kept as one
    small = s[(s["status"] != "closed") & (s["pupils_after"] < 100)]
    assert (small["protected"] | small["teaching_point"] | small["downgraded"]).all()


def test_without_teaching_points_or_boarding_the_remote_villages_are_named(county: Region) -> None:
    with pytest.raises(InfeasibleError) as error:
        plan_schools(
            county,
            bands=("primary",),
            max_minutes={"primary": 30.0},
            boarding=(),
            teaching_points=False,
            curve_points=0,
        )
    message = str(error.value)
    # 29 villages walk more than 30 minutes to any primary school (see summary()'s 809
    # pupils beyond the limit); the message names some and the rule
    assert "29 pupil group(s) have no school in reach" in message
    assert "maximum one-way time of primary" in message
    assert "'V0003' (primary" in message


def test_catchments_add_up_by_hand(county: Region) -> None:
    # two villages at school S006 (10 + 5 pupils, one at 40 min beyond the 30-minute limit)
    # and one boarder at S001: S006 holds 15 pupils of its capacity, 5 of them beyond
    region = county
    fac = region.facilities.set_index("id")
    assignment = pd.DataFrame(
        {
            "settlement_id": ["V0001", "V0002", "V0003"],
            "band": ["primary", "primary", "middle"],
            "pupils": [10.0, 5.0, 7.0],
            "school_id": ["S006", "S006", "S001"],
            "minutes": [12.0, 40.0, 90.0],
            "boarding": [False, False, True],
        }
    )
    schools = pd.DataFrame(
        {"school_id": ["S006", "S001"], "capacity": fac.loc[["S006", "S001"], "capacity"]}
    )
    per_school, per_town = catchments(region, assignment, schools, max_minutes=LIMITS)
    row = per_school.set_index("school_id").loc["S006"]
    assert row["pupils"] == 15 and row["pupils_beyond_limit"] == 5 and row["settlements"] == 2
    assert row["utilisation"] == pytest.approx(15 / fac.at["S006", "capacity"])
    # the boarder is never beyond the limit; townships add up to the 22 pupils
    assert per_school.set_index("school_id").at["S001", "pupils_beyond_limit"] == 0
    assert per_town["pupils"].sum() == 22
    assert np.nansum(per_town["pupils_beyond_limit"]) == 5


def test_the_same_inputs_give_the_same_tables(county: Region, county_plan: SchoolPlan) -> None:
    # a second run from scratch (travel times, both stages, the curve) writes the same tables
    again = plan_schools(county, min_size=100, max_minutes=LIMITS, curve_points=2)
    for name, table in county_plan.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], check_exact=True)


def test_a_province_gets_its_village_schools_county_by_county() -> None:
    # two counties of 100 settlements, 10 village schools each: 20 new schools, ids unique,
    # every one at a village without a township seat and with room for 20 pupils at least
    region = school_province(2, n_villages=100, n_small=10)
    schools = region.facilities[region.facilities["service"] == "school"]
    village = schools[schools["name"].str.endswith("Village Primary School")]
    assert len(village) == 20 and region.facilities["id"].is_unique
    assert (village["capacity"] >= 20).all() and (village["hostel"] == 0).all()
    seats = set(schools.loc[schools["hostel"].gt(0) & schools["tier"].eq("primary"), "admin_code"])
    assert not seats & set(village["admin_code"])
