"""The consolidation model on hand-made cases worked out on paper, each plan re-checked by
the independent checker."""

from __future__ import annotations

import numpy as np
import pytest

from accessplan._errors import InputError
from accessplan.optimize.location.errors import InfeasibleError, SolverTimeout
from accessplan.optimize.schools import SchoolProblem, curve, solve_schools
from accessplan.optimize.schools import solve as solve_module
from tests.optimize.schools.checker import check

# Three villages of 10 pupils, three schools; one-way minutes:
#
#          S1   S2   S3
#     A     1    9    5
#     B     2    6    4
#     C     9    1    6
#
# S1 holds 15 pupils, S2 and S3 100. With two schools open (10 pupils x minutes):
#   {S1, S2}: A->S1 1, B->S2 6 (S1 is full), C->S2 1  = 80   <- B passes S1, 2 min away
#   {S1, S3}: A->S1 1, B->S3 4, C->S3 6               = 110
#   {S2, S3}: A->S3 5, B->S3 4, C->S2 1               = 100
# With the closest rule A and B both go to S1 whenever it is open (20 pupils > 15), so only
# {S2, S3} is left: 100.
HAND = np.array([[1.0, 9.0, 5.0], [2.0, 6.0, 4.0], [9.0, 1.0, 6.0]])
PUPILS = [10.0, 10.0, 10.0]
CAPACITY = [15.0, 100.0, 100.0]


def hand(**rules: object) -> SchoolProblem:
    return SchoolProblem.from_arrays(HAND, PUPILS, CAPACITY, **rules)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["auto", "highs"])
def test_without_the_closest_rule_a_pupil_passes_a_nearer_open_school(method: str) -> None:
    # the p-median plan above ({S1, S2}, 80), by the engine and by HiGHS alike
    problem = hand()
    s = solve_schools(problem, p=2, method=method)  # type: ignore[arg-type]
    assert s.is_optimal and s.objective == 80 and check(problem, s) == 80
    assert s.open.tolist() == [True, True, False]
    b = s.settlement.tolist().index(1)
    assert s.school[b] == 1 and HAND[1, 0] < s.minutes[b]  # B rides 6 min past S1 (2 min)


def test_an_existing_teaching_point_leaves_the_p_median_to_the_engine() -> None:
    # S1 is an existing teaching point: without a minimum size it is a school like the
    # others (15 places), so the plan is the p-median's above ({S1, S2}, 80) and the engine
    # solves it. Real counties have teaching points; they once sent every such region to
    # HiGHS on the full model.
    problem = hand(teaching_point=[True, False, False])
    s = solve_schools(problem, p=2)
    assert s.method == "engine" and s.is_optimal
    assert s.objective == 80 and check(problem, s) == 80
    # a *new* teaching point has its own rule (only pupils no open school takes by day),
    # which the engine does not hold: HiGHS solves that model
    fresh = hand(teaching_point=[True, False, False], new=[True, False, False])
    assert solve_schools(fresh, p=2).method == "highs"


def test_the_closest_rule_changes_the_plan() -> None:
    # only {S2, S3} lets every village go to its nearest open school: 100 (see the table)
    problem = hand(closest=True)
    s = solve_schools(problem, p=2)
    assert s.is_optimal and s.objective == 100 and check(problem, s) == 100
    assert s.open.tolist() == [False, True, True] and s.method == "highs"
    # the plan without the rule fails the checker's closest test under the rule
    loose = solve_schools(hand(), p=2)
    with pytest.raises(AssertionError, match="passes open school 0"):
        check(problem, loose)


def test_fewest_schools_then_least_travel() -> None:
    # within 5 minutes: A reaches S1 and S3, B S1 and S3, C only S2. No one school reaches
    # both A and C, so two schools at least; S2 must open (for C) and then:
    #   {S1, S2}: S1 holds 15, so A or B would have to go to S2 (9, 6 > 5): not allowed
    #   {S2, S3}: A -> S3 5, B -> S3 4, C -> S2 1 = 100
    problem = hand(max_minutes=[5.0])
    s = solve_schools(problem)
    assert s.n_open == 2 and s.count_bound == 2 and s.objective == 100 and s.is_optimal
    assert check(problem, s) == 100
    # {A, B; S1, S3} and {C; S2} share no usable pair: each part is solved on its own
    assert s.method == "parts"


def test_each_part_gets_its_share_of_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # the two parts above have 1 usable pair ({C; S2}) and 4 ({A, B; S1, S3}); the smaller
    # goes first with 1/5 of the 50 s, the larger gets what is left (so a slow part cannot
    # leave the others no time); a part that finds no plan in its share hands the problem to
    # the whole model, which still gives the plan above
    seen = []
    real = solve_module._solve

    def spy(problem, pairs, p, deadline, seed, *, auto):
        seen.append((len(pairs.group), deadline.left()))
        return real(problem, pairs, p, deadline, seed, auto=auto)

    monkeypatch.setattr(solve_module, "_solve", spy)
    s = solve_schools(hand(max_minutes=[5.0]), time_limit=50.0)
    assert s.objective == 100 and s.method == "parts"
    assert [n for n, _ in seen] == [1, 4]
    assert seen[0][1] <= 10.0 + 1e-6 and seen[1][1] > 45.0

    def no_time(*args, **kwargs):
        raise SolverTimeout("no plan in the share")

    monkeypatch.setattr(solve_module, "_by_parts", no_time)
    s = solve_schools(hand(max_minutes=[5.0]), time_limit=50.0)
    assert s.objective == 100 and s.is_optimal and s.method != "parts"


def test_parts_proven_within_the_solvers_tolerance_make_a_proven_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a solver proves a plan within its tolerances (HiGHS: 1e-7 absolute), so its bound may
    # sit a hair below the plan; summed over hundreds of parts that exceeded the 1e-9
    # relative gap the solution tests. Here each part's bound is lowered by 1e-4 while the
    # solver says proven: the plan (100, both parts) must still count as proven, gap 0
    real = solve_module._least_cost

    def loose(*args, **kwargs):
        sites, choice, down, bound, method, proven = real(*args, **kwargs)
        return sites, choice, down, bound - 1e-4, method, proven

    monkeypatch.setattr(solve_module, "_least_cost", loose)
    s = solve_schools(hand(max_minutes=[5.0]))
    assert s.method == "parts" and s.objective == 100
    assert s.is_optimal and s.gap == 0 and s.bound == s.objective


def test_a_part_without_a_plan_is_named_without_a_count() -> None:
    # villages 0 and 1 have S1 and S2 (both kept open) within reach, village 2 only S3: two
    # parts. With the closest rule 0 and 1 both go to S1 (1 and 2 min), which holds 15 of
    # their 20 pupils: no plan. No count was asked for, so the message names none
    t = np.array([[1.0, 5.0, np.inf], [2.0, 6.0, np.inf], [np.inf, np.inf, 1.0]])
    problem = SchoolProblem.from_arrays(
        t, [10.0, 10.0, 10.0], [15.0, 100.0, 100.0], closest=True, protected=[True, True, False]
    )
    with pytest.raises(InfeasibleError, match="closest-assignment rule") as error:
        solve_schools(problem)
    assert "schools open" not in str(error.value)


@pytest.mark.parametrize("method", ["auto", "highs"])
def test_no_pupils_at_all_is_refused(method: str) -> None:
    # nothing to place: a clear input error (it once failed deep in the engine or the split
    # into parts) whichever the method
    problem = SchoolProblem.from_arrays(HAND, [0.0, 0.0, 0.0], CAPACITY, max_minutes=[5.0])
    with pytest.raises(InputError, match="no settlement has pupils"):
        solve_schools(problem, method=method)  # type: ignore[arg-type]


@pytest.mark.parametrize("by_parts", [True, False])
def test_the_curve_of_the_two_parts(by_parts: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # the two parts above: 2 schools is the fewest ({S2, S3}, 100); with all 3 open A -> S1
    # 1, B -> S3 4 (S1 holds 15), C -> S2 1 = 60 (B -> S1 2, A -> S3 5 would cost 70); no
    # plan has -2 (once read from the end of the table: 60) or 4 schools. Built from the
    # parts' curves or count by count alike
    monkeypatch.setattr(curve, "PARTS_PAIRS", 0 if by_parts else 10**9)
    table = curve.tradeoff(hand(max_minutes=[5.0]), [-2, 2, 3, 4])
    assert table["objective"].iloc[1:3].tolist() == [100, 60]
    assert table["proven"].iloc[1:3].tolist() == [True, True]
    assert table["objective"].iloc[[0, 3]].isna().all()


def test_a_closure_budget_ties_the_independent_parts() -> None:
    # the same two parts; each alone would close S1 (S3 takes A and B: 50 + 40), giving
    # {S2, S3} and 100 as above. With no closure allowed all three stay: A -> S1 1, B -> S3
    # 4 (S1 holds 15), C -> S2 1 = 60 (B -> S1 2 and A -> S3 5 would cost 70). Solving the
    # parts apart cannot see a budget over both, so the whole model is solved
    problem = hand(max_minutes=[5.0], max_closures=0)
    s = solve_schools(problem)
    assert s.n_open == 3 and s.objective == 60 and s.is_optimal and check(problem, s) == 60
    assert s.method != "parts"


def test_minimum_size_closes_a_small_school() -> None:
    # enrolment now by nearest school: S1 has A and B (20), S2 has C (10), S3 none. With a
    # minimum size of 15, S1 (20 now) is kept; S2 and S3 (below it) may close, and if open
    # must hold 15. S1 alone holds 15 < 30, so two schools; the second needs two villages:
    #   S1 {A}, S2 {B, C}: 10 (1 + 6 + 1) = 80;  S1 {B}, S2 {A, C}: 10 (2 + 9 + 1) = 120
    #   S1 {A}, S3 {B, C}: 10 (1 + 4 + 6) = 110; S1 {B}, S3 {A, C}: 10 (2 + 5 + 6) = 130
    problem = hand(min_size=15.0)
    assert problem.closable.tolist() == [False, True, True]
    s = solve_schools(problem)
    assert s.n_open == 2 and s.objective == 80 and s.is_optimal and check(problem, s) == 80


def test_boarding_beyond_the_day_limit_at_a_hostel() -> None:
    # one band limited to 3 minutes: C reaches only S2 (1), A and B only S1 (1, 2) by day;
    # S2 has a hostel of 20 and boarding costs 50 per pupil: with S2 alone, A and B board
    # (2 x 10 x 50 = 1000) and C rides 1 min (10): one school, 1010
    problem = hand(max_minutes=[3.0], boarding=[True], hostel=[0.0, 20.0, 0.0], boarder_cost=50.0)
    s = solve_schools(problem)
    assert s.n_open == 1 and s.open[1] and s.objective == 1010 and s.is_optimal
    assert s.boarding.sum() == 2 and check(problem, s) == 1010


def test_unreachable_settlements_are_named_with_the_rule() -> None:
    # within 1.5 minutes B reaches no school, and B's band may not board
    problem = hand(max_minutes=[1.5], settlement_ids=["A", "B", "C"])
    with pytest.raises(
        InfeasibleError, match=r"'B' \(band0: nearest school 2.0 min, day limit 1.5"
    ):
        solve_schools(problem)


def test_an_impossible_rule_is_named() -> None:
    # with S1 protected (always open), A and B both have S1 as their nearest school (1 and 2
    # min), so the closest rule sends 20 pupils to S1, which holds 15; without the rule
    # {S1, S2} works (80)
    problem = hand(closest=True, protected=[True, False, False])
    with pytest.raises(InfeasibleError, match="closest-assignment rule"):
        solve_schools(problem, p=2)


def test_closure_budget_keeps_schools_open() -> None:
    # without a budget one school (S2 or S3, 100 pupils) serves all; S3 alone: 10 (5+4+6)
    # = 150, S2 alone: 10 (9+6+1) = 160. With at most one closure, two schools stay: 80
    problem = hand()
    assert solve_schools(problem).objective == 150
    budget = hand(max_closures=1)
    s = solve_schools(budget)
    assert s.n_open == 2 and s.objective == 80 and check(budget, s) == 80


def test_a_teaching_point_where_no_school_is_in_reach() -> None:
    # within 1.5 minutes A reaches S1 (1), C reaches S2 (1), B nothing (S1 is 2 min). A new
    # teaching point at B (column 4: 0 min from B, room for B's 10, exempt from sizes, opening
    # cost 100) may take B since no school is within 1.5 min of B: S1 + S2 + the point,
    # costing 10 x 1 + 10 x 1 + 0 + 100 = 120
    minutes = np.column_stack([HAND, [np.inf, 0.0, np.inf]])
    problem = SchoolProblem.from_arrays(
        minutes,
        PUPILS,
        [*CAPACITY, 10.0],
        max_minutes=[1.5],
        teaching_point=[False, False, False, True],
        new=[False, False, False, True],
        open_cost=[0.0, 0.0, 0.0, 100.0],
    )
    s = solve_schools(problem)
    assert s.open.tolist() == [True, True, False, True] and s.objective == 120
    assert s.is_optimal and check(problem, s) == 120
    # with a 2-minute limit S1 is within reach of B, so the point may not take B while S1 is
    # open; S1 must open for A (nothing else within 2 min), so B goes to S1 as well: 20 > 15
    near = SchoolProblem.from_arrays(
        minutes,
        PUPILS,
        [*CAPACITY, 10.0],
        max_minutes=[2.0],
        teaching_point=[False, False, False, True],
        new=[False, False, False, True],
    )
    with pytest.raises(InfeasibleError):
        solve_schools(near)
