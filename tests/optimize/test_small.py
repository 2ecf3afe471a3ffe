"""Hand-computed tiny instances, one per model, plus the rules every plan must keep.

Four clients (weights 1, 2, 1, 3), three sites:

            site 0  site 1  site 2
  client 0     1       4       6
  client 1     2       3       5
  client 2     6       1       2
  client 3     7       5       1

Weighted p-median, p = 2: {0,1} 1+4+1+15 = 21, {0,2} 1+4+2+3 = 10, {1,2} 4+6+1+3 = 14.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from accessplan._errors import InputError
from accessplan.optimize import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    MaxCover,
    PCenter,
    PMedian,
    SetCover,
    scale_up,
    solve,
)
from accessplan.optimize.location import (
    InfeasibleError,
    InvalidPlanError,
    SolverTimeout,
    _capacitated,
)
from accessplan.optimize.location.plan import plan_sites
from accessplan.region import Region
from tests.conftest import points, road_network
from tests.optimize.checker import check

solve_module = importlib.import_module("accessplan.optimize.location.solve")

COST = np.array([[1, 4, 6], [2, 3, 5], [6, 1, 2], [7, 5, 1]], dtype=float)
W = np.array([1, 2, 1, 3], dtype=float)


def solved(problem, expected: float, sites: list[int], **kwargs):
    result = solve(problem)
    assert result.is_optimal and result.gap == 0
    assert result.objective == pytest.approx(expected)
    assert result.bound == pytest.approx(expected)
    assert result.open_sites.tolist() == sites
    assert check(problem, result, **kwargs) == pytest.approx(expected)
    return result


@pytest.mark.parametrize(
    ("p", "extra", "expected", "sites"),
    [
        (1, {}, 21, [2]),  # site costs 32, 26, 21
        (2, {}, 10, [0, 2]),
        (2, {"fixed": [1]}, 14, [1, 2]),  # must keep site 1
        (2, {"forbidden": [2]}, 21, [0, 1]),
        (2, {"max_cost": 4}, 10, [0, 2]),  # client 3 needs site 2, client 0 site 0 or 1
    ],
)
def test_p_median_by_hand(p: int, extra: dict, expected: float, sites: list[int]) -> None:
    problem = PMedian.from_cost_matrix(COST, p=p, weights=W, **extra)
    solved(problem, expected, sites, max_cost=extra.get("max_cost", np.inf))


def test_p_center_by_hand() -> None:
    # p = 1: max weighted cost 21, 15, 10; p = 2: {0,2} -> max(1, 4, 2, 3) = 4
    solved(PCenter.from_cost_matrix(COST, p=1, weights=W), 10, [2])
    solved(PCenter.from_cost_matrix(COST, p=2, weights=W), 4, [0, 2])


def test_max_cover_by_hand() -> None:
    # radius 2: site 0 covers clients 0, 1 (3); site 1 client 2 (1); site 2 clients 2, 3 (4)
    solved(MaxCover.from_cost_matrix(COST, p=1, radius=2, weights=W), 4, [2])
    solved(MaxCover.from_cost_matrix(COST, p=2, radius=2, weights=W), 7, [0, 2])
    solved(MaxCover.from_cost_matrix(COST, p=1, radius=2, weights=W, fixed=[1]), 1, [1])


def test_set_cover_by_hand() -> None:
    # radius 2: clients 0 and 1 need site 0, client 3 needs site 2
    solved(SetCover.from_cost_matrix(COST, radius=2), 2, [0, 2])
    costly = SetCover.from_cost_matrix(COST, radius=3, site_cost=[5, 1, 1])
    solved(costly, 6, [0, 2])


def test_capacitated_p_median_by_hand() -> None:
    # capacities 2, 3, 4, demand = weights (7): {0,2} and {0,1} cannot hold everyone;
    # {1,2}: client 3 and client 2 to site 2 (3 + 2), clients 0 and 1 to site 1 (4 + 6)
    problem = CapacitatedPMedian.from_cost_matrix(COST, p=2, weights=W, capacity=[2, 3, 4])
    result = solved(problem, 15, [1, 2])
    assert result.assignment.tolist() == [1, 1, 2, 2]


def test_capacitated_max_cover_by_hand() -> None:
    # radius 2, capacities 2, 3, 4: {0,2} serves client 1 at site 0, clients 2, 3 at site 2
    problem = CapacitatedMaxCover.from_cost_matrix(
        COST, p=2, radius=2, weights=W, capacity=[2, 3, 4]
    )
    result = solved(problem, 6, [0, 2])
    assert result.assignment.tolist() == [-1, 0, 2, 2]


def test_heuristic_mode_reports_a_valid_bound() -> None:
    problem = PMedian.from_cost_matrix(COST, p=2, weights=W)
    result = solve(problem, method="heuristic")
    assert result.bound <= 10 <= result.objective
    assert check(problem, result) == result.objective


def test_plan_table_names_clients_and_sites() -> None:
    problem = PMedian.from_cost_matrix(
        COST, p=2, weights=W, client_ids=list("abcd"), site_ids=["x", "y", "z"]
    )
    result = solve(problem)
    table = result.plan(problem)
    assert table["site_id"].tolist() == ["x", "x", "z", "z"]
    assert table["cost"].tolist() == [1, 2, 2, 1]
    assert result.open_site_ids(problem) == ["x", "z"]


def test_same_seed_same_plan() -> None:
    rng = np.random.default_rng(7)
    cost = rng.integers(1, 100, size=(60, 40)).astype(float)
    problem = PMedian.from_cost_matrix(cost, p=6)
    first, second = solve(problem, seed=3), solve(problem, seed=3)
    assert first.open_sites.tolist() == second.open_sites.tolist()
    assert first.objective == second.objective == check(problem, first)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: PMedian.from_cost_matrix(COST, p=4), "p must be between"),
        (lambda: PMedian.from_cost_matrix(COST, p=2, forbidden=[0, 1]), "p must be between"),
        (lambda: PMedian.from_cost_matrix(np.where(COST > 5, np.nan, COST), p=1), "NaN"),
        (lambda: PMedian.from_cost_matrix(COST, p=1, weights=[1, 2]), "weights"),
        (lambda: PMedian.from_cost_matrix(COST, p=2, fixed=[1], forbidden=[1]), "both"),
        (lambda: PMedian.from_cost_matrix(COST, p=2, max_cost=0.5), "no allowed site"),
        (lambda: SetCover.from_cost_matrix(COST, radius=0.5), "within radius"),
        (
            lambda: CapacitatedPMedian.from_cost_matrix(COST, p=2, weights=W, capacity=[1, 2, 3]),
            "largest allowed capacities",
        ),
        (lambda: CapacitatedPMedian.from_cost_matrix(COST, p=2, capacity=[1, 2]), "capacity"),
    ],
)
def test_bad_input_is_rejected_clearly(build, words: str) -> None:
    with pytest.raises(InputError, match=words):
        build()


def cpmp(**kwargs):
    return CapacitatedPMedian.from_cost_matrix(COST, p=2, weights=W, **kwargs)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        # every per-client or per-site vector: the argument, the length expected and given
        (
            lambda: cpmp(capacity=[9, 9, 9], demand=[1, 2, 3]),
            "demand must have one number per client: expected 4 values, got 3",
        ),
        (
            lambda: cpmp(capacity=[9, 9]),
            "capacity must have one number per site: expected 3 values, got 2",
        ),
        (
            lambda: CapacitatedMaxCover.from_cost_matrix(COST, p=2, radius=2, capacity=[9] * 4),
            "capacity must have one number per site: expected 3 values, got 4",
        ),
        (
            lambda: SetCover.from_cost_matrix(COST, radius=2, site_cost=[1, 1]),
            "site_cost must have one number per site: expected 3 values, got 2",
        ),
        (
            lambda: PMedian.from_cost_matrix(COST, p=1, weights=[1, 2]),
            "weights must have one number per client: expected 4 values, got 2",
        ),
        (
            lambda: cpmp(capacity=[9, 9, 9], demand=[[1, 2, 3, 4]]),
            "demand must have one number per client: expected 4 values, got shape (1, 4)",
        ),
        # finiteness and signs, naming the first offender
        (
            lambda: cpmp(capacity=[9, 9, 9], demand=[1, np.nan, 1, 1]),
            "demand must be finite and non-negative; client 1 has nan",
        ),
        (
            lambda: cpmp(capacity=[9, -1, 9]),
            "capacity must be finite and non-negative; site 1 has -1",
        ),
        (
            lambda: cpmp(capacity=[9, 9, np.inf]),
            "capacity must be finite and non-negative; site 2 has inf",
        ),
        (
            lambda: PMedian.from_cost_matrix(COST, p=1, weights=[1, 1, -2, 1]),
            "weights must be finite and non-negative; client 2",
        ),
        (
            lambda: SetCover.from_cost_matrix(COST, radius=2, site_cost=[1, np.nan, 1]),
            "site_cost must be finite and non-negative; site 1",
        ),
        (lambda: cpmp(capacity="large"), "capacity must be numbers, one per site"),
        (lambda: MaxCover.from_cost_matrix(COST, p=1, radius=np.nan), "radius must be a finite"),
        (lambda: PMedian.from_cost_matrix(COST, p=1.5), "p must be a whole number"),
        (lambda: PMedian.from_cost_matrix(COST, p=1, site_ids=["a"]), "site_ids must have 3"),
    ],
)
def test_vectors_of_the_wrong_length_or_sign_are_named(build, words: str) -> None:
    # before these checks a short demand vector reached an IndexError inside the solver
    with pytest.raises(InputError, match=re.escape(words)):
        build()


@pytest.mark.parametrize(
    ("build", "words"),
    [
        # capacities 1 + 2 + 3 hold 6 < the demand 7
        (lambda: cpmp(capacity=[1, 2, 3]), "total capacity is below demand"),
        # max_cost 2 leaves client 3 (demand 3) only site 2, which holds 2
        (
            lambda: CapacitatedPMedian.from_cost_matrix(
                COST, p=3, weights=W, capacity=[5, 5, 2], max_cost=2
            ),
            "fit no site they can reach",
        ),
        # max_cost 0.5: no client reaches any site
        (lambda: PMedian.from_cost_matrix(COST, p=2, max_cost=0.5), "no allowed site within"),
    ],
)
def test_infeasible_problems_say_why_when_built(build, words: str) -> None:
    with pytest.raises(InfeasibleError, match=words):
        build()


def test_p_too_small_to_cover_is_infeasible() -> None:
    # with max_cost 4, client 0 needs site 0 or 1 and client 3 needs site 2: p = 1 is impossible
    problem = PMedian.from_cost_matrix(COST, p=1, max_cost=4)
    with pytest.raises(InfeasibleError, match="p is too small to cover"):
        solve(problem)


@pytest.mark.parametrize("large", [False, True])
def test_packing_that_cannot_fit_is_proven_infeasible(
    large: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three clients of demand 4 and two sites of 6: the totals (12 = 12) and each client
    # (4 <= 6) pass the quick checks, yet no site takes two clients; the solver proves it
    # (its Lagrangian bound outgrows the dearest plan), also on the path of large instances
    # (targets instead of branch-and-price), which must stop and say so too
    if large:
        monkeypatch.setattr(_capacitated, "_TREE_CLIENTS", 1)
    problem = CapacitatedPMedian.from_cost_matrix(
        np.ones((3, 2)), p=2, demand=[4, 4, 4], capacity=[6, 6]
    )
    with pytest.raises(InfeasibleError, match="fits the capacities"):
        solve(problem, time_limit=20)


# Site 0 is forbidden and is the first column, so an argmax over gains that tie (zero gain
# once the other sites cover what they can) lands on it unless the solver masks it out.
FORBID_FIRST = [
    (MaxCover, {"p": 2, "radius": 2}, 4),  # {1, 2}: site 2 covers clients 2, 3 (1 + 3)
    (PMedian, {"p": 2}, 14),  # {1, 2}: 4 + 6 + 1 + 3
    (SetCover, {"radius": 5}, 1),  # site 1 alone is within 5 of everyone
    (PCenter, {"p": 2}, 6),  # {1, 2}: client 1 at site 1 costs 2 x 3
    (CapacitatedPMedian, {"p": 2, "capacity": [9, 9, 9]}, 14),  # capacities never bind
    (CapacitatedMaxCover, {"p": 2, "radius": 2, "capacity": [9, 9, 9]}, 4),
]


@pytest.mark.parametrize(("cls", "params", "expected"), FORBID_FIRST)
@pytest.mark.parametrize("method", ["exact", "heuristic"])
def test_forbidden_site_never_opens_on_ties(cls, params: dict, expected: float, method) -> None:
    # regression: MaxCover radius 2, p 2, forbidden [0] came back as sites [0, 2]
    problem = cls.from_cost_matrix(COST, weights=W, forbidden=[0], **params)
    result = solve(problem, method=method)
    assert 0 not in result.open_sites.tolist()
    assert check(problem, result) == pytest.approx(result.objective)
    if method == "exact":
        assert result.is_optimal and result.objective == pytest.approx(expected)


def test_split_demand_by_hand() -> None:
    # two clients of demand (and weight) 3, two sites holding 4 each, p = 2:
    #            X   Y
    #   client A 1  10
    #   client B 1   2
    # whole clients: A at X (3 x 1), B at Y (3 x 2) = 9; split: B sends the 1 unit X has
    # left there, 3 x 1 + 3 x (1/3 x 1 + 2/3 x 2) = 8
    cost = np.array([[1, 10], [1, 2]], dtype=float)
    kwargs = {"p": 2, "weights": [3, 3], "capacity": [4, 4]}
    whole = CapacitatedPMedian.from_cost_matrix(cost, **kwargs)
    assert solve(whole).objective == 9 and solve(whole).shares is None
    problem = CapacitatedPMedian.from_cost_matrix(cost, split=True, **kwargs)
    result = solve(problem)
    assert result.is_optimal and result.objective == pytest.approx(8)
    assert np.allclose(result.shares, [[1, 0], [1 / 3, 2 / 3]])
    assert result.assignment.tolist() == [0, 1]  # each client's largest share
    assert check(problem, result) == pytest.approx(8)
    table = result.plan(problem)
    assert table["share"].tolist() == pytest.approx([1, 1 / 3, 2 / 3])
    assert table["site_id"].tolist() == [0, 0, 1]


def test_a_client_larger_than_any_site_can_split() -> None:
    # demand 5 against two sites of 4: whole, it fits nowhere; split, 4/5 at the cheaper
    # site and 1/5 at the other: 5 x (0.8 x 1 + 0.2 x 2) = 6
    cost = np.array([[1, 2]], dtype=float)
    with pytest.raises(InfeasibleError, match="fit no site"):
        CapacitatedPMedian.from_cost_matrix(cost, p=2, weights=[5], capacity=[4, 4])
    problem = CapacitatedPMedian.from_cost_matrix(
        cost, p=2, weights=[5], capacity=[4, 4], split=True
    )
    result = solve(problem)
    assert result.objective == pytest.approx(6) and result.is_optimal
    assert check(problem, result) == pytest.approx(6)


def test_split_cover_counts_covered_parts() -> None:
    # radius 5 leaves A only site X; one site of capacity 4 (p = 1) covers A (3) and a third
    # of B: 3 + 1 = 4 of the weight
    cost = np.array([[1, 10], [1, 2]], dtype=float)
    problem = CapacitatedMaxCover.from_cost_matrix(
        cost, p=1, radius=5, weights=[3, 3], capacity=[4, 4], split=True
    )
    result = solve(problem)
    assert result.objective == pytest.approx(4) and result.is_optimal
    assert check(problem, result) == pytest.approx(4)
    table = result.plan(problem)
    assert table["site_id"].tolist() == [0, 0, None]  # B's uncovered part has no site


def test_progress_reports_better_plans_then_the_result() -> None:
    # 30 random clients and sites: each report is a plan at least as good as the one before,
    # at a later time, and the last one is the result itself
    rng = np.random.default_rng(11)
    cost = rng.integers(1, 50, size=(30, 12)).astype(float)
    problem = CapacitatedPMedian.from_cost_matrix(
        cost, p=4, demand=rng.integers(1, 9, size=30), capacity=np.full(12, 40.0)
    )
    calls: list[tuple[float, float, float]] = []
    result = solve(problem, progress=lambda *report: calls.append(report))
    times, objectives, _ = zip(*calls, strict=True)
    assert list(times) == sorted(times) and list(objectives) == sorted(objectives, reverse=True)
    assert calls[-1] == (result.runtime, result.objective, result.bound)
    assert check(problem, result) == pytest.approx(result.objective)


def test_time_out_without_a_plan_is_not_an_input_error(monkeypatch) -> None:
    # a solver that ran out of time with no plan (objective inf) and a finite bound: solve()
    # must report a time-out, which callers cannot mistake for bad input
    def timed_out(problem, deadline, rng, exact):
        return np.flatnonzero(problem.fixed), np.inf, 3.0, None

    monkeypatch.setitem(solve_module._SOLVERS, CapacitatedPMedian, timed_out)
    with pytest.raises(SolverTimeout, match="raise time_limit") as caught:
        solve(cpmp(capacity=[9, 9, 9]), time_limit=1)
    assert not isinstance(caught.value, InputError)


def test_a_plan_breaking_the_rules_is_withheld(monkeypatch) -> None:
    # a solver (here a fake one) opening the forbidden site: solve() checks and refuses
    def wrong(problem, deadline, rng, exact):
        return np.array([0, 2]), 10.0, 10.0, None

    monkeypatch.setitem(solve_module._SOLVERS, PMedian, wrong)
    problem = PMedian.from_cost_matrix(COST, p=2, weights=W, forbidden=[0])
    with pytest.raises(InvalidPlanError, match=r"forbidden sites \[0\] are open"):
        solve(problem)


def test_highs_never_writes_to_stdout(capfd) -> None:
    # HiGHS prints its banner once per process, at the first Highs(): solve in a fresh
    # interpreter (its output captured by capfd) so that the first instance is ours
    code = (
        "import numpy as np\n"
        "from accessplan.optimize import SetCover, solve\n"
        "cost = np.array([[1, 4, 6], [2, 3, 5], [6, 1, 2], [7, 5, 1]], dtype=float)\n"
        "assert solve(SetCover.from_cost_matrix(cost, radius=2)).objective == 2\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    solve(CapacitatedPMedian.from_cost_matrix(COST, p=2, weights=W, capacity=[2, 3, 4]))
    captured = capfd.readouterr()
    assert captured.out == ""


def test_scale_up_adds_sites_greedily_and_optimally() -> None:
    # existing site 1; add one: greedy and optimal both pick site 2 (14 vs 21)
    problem = PMedian.from_cost_matrix(COST, p=1, weights=W, fixed=[1])
    plan = scale_up(problem, add=1)
    assert plan.added_optimal.tolist() == [2] and plan.optimal.objective == 14
    assert plan.difference == plan.greedy.objective - 14 >= 0


def test_scale_up_to_a_coverage_target() -> None:
    # unit weights, radius 1; site 0 covers clients 1-4, site 1 clients 0-2, site 2 clients
    # 3-5. To cover everyone greedy takes site 0 first and needs all three; {1, 2} suffices.
    cover = np.full((6, 3), 9.0)
    for site, clients in enumerate([[1, 2, 3, 4], [0, 1, 2], [3, 4, 5]]):
        cover[clients, site] = 0
    problem = MaxCover.from_cost_matrix(cover, p=1, radius=1)
    plan = scale_up(problem, target=1.0)
    assert len(plan.added_greedy) == 3
    assert plan.added_optimal.tolist() == [1, 2]
    assert plan.optimal.objective == 6 and plan.difference == 1  # one site saved
    assert check(MaxCover.from_cost_matrix(cover, p=2, radius=1), plan.optimal) == 6


def test_from_region_reads_the_long_table() -> None:
    roads = road_network([(0, 0), (1000, 0)], [(0, 1, "primary", False)])
    settlements = points(
        [{"id": "a", "population": 10}, {"id": "b", "population": 5}, {"id": "c", "population": 1}]
    )
    facilities = points(
        [
            {"id": "old", "service": "health", "tier": "village_clinic", "capacity": 20},
            {"id": "new", "service": "health", "tier": "village_clinic", "capacity": 20},
        ]
    )
    region = Region(settlements=settlements, facilities=facilities, roads=roads)
    times = pd.DataFrame(
        {
            "from_id": ["a", "a", "b", "b", "c"],
            "to_id": ["old", "new", "old", "new", "new"],
            "minutes": [5.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    problem = PMedian.from_region(
        region, times, candidates=["old", "new"], tier="village_clinic", p=2
    )
    assert problem.fixed.tolist() == [True, True]
    assert problem.cost[2, 0] == np.inf  # missing pair: not allowed
    result = solve(problem)
    # a -> new (10 x 1), b -> old (5 x 2), c -> new (1 x 4)
    assert result.objective == 24 == check(problem, result)
    capped = CapacitatedPMedian.from_region(region, times, candidates=["old", "new"], p=2)
    assert capped.capacity.tolist() == [20, 20]
    with pytest.raises(InputError, match="not among the candidates"):
        PMedian.from_region(region, times, candidates=["new"], fixed=["old"], p=1)


def test_unknown_parameter_is_an_input_error() -> None:
    with pytest.raises(InputError, match="takes no"):
        SetCover.from_cost_matrix(COST, radius=2, p=1)


def test_plan_sites_from_a_region_on_real_travel_times() -> None:
    # a 2 km primary road (1 minute per km by car); villages at both ends, clinics at both ends
    roads = road_network(
        [(0, 0), (1000, 0), (2000, 0)], [(0, 1, "primary", False), (1, 2, "primary", False)]
    )
    settlements = points(
        [{"id": "west", "x": 0, "population": 100}, {"id": "east", "x": 2000, "population": 10}]
    )
    facilities = points(
        [
            {"id": "w", "x": 0, "service": "health", "tier": "village_clinic"},
            {"id": "e", "x": 2000, "service": "health", "tier": "village_clinic"},
        ]
    )
    region = Region(settlements=settlements, facilities=facilities, roads=roads)
    result, table = plan_sites(region, "car", model="pmedian", p=1)
    assert result.is_optimal
    assert table["site_id"].tolist() == ["w", "w"]  # the bigger village keeps its clinic
    assert table["cost"].iloc[0] == pytest.approx(0, abs=0.01)
    assert table["cost"].iloc[1] == pytest.approx(2, abs=0.01)
