"""The start from relaxed days (optimize/mobile/_relax.py): the relaxed problem's copies and
runs of days, the day assignment on hand-made cases, and the whole path through the
independent validator."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from accessplan.optimize.mobile import PeriodicProblem, gap_patterns, solve_periodic
from accessplan.optimize.mobile._relax import ROUND, _days, _rounds, applies, relaxed
from accessplan.optimize.mobile._search import PatternSearch
from tests.optimize.mobile.handmade import A, B, C, problem
from tests.optimize.mobile.test_solve import random_problem


def test_every_visit_becomes_a_client_in_its_own_runs_of_days() -> None:
    """A needs two visits, so the four working days (0, 1, 3, 4; day 2 a holiday) are cut
    into two runs, (0, 1) and (3, 4), each with the depot's two vehicle-days: A's first copy
    goes in the first run, its second in the second (never one route); B and C in either.
    The roads are the original ones."""
    p = problem()
    r, copy_of = relaxed(p)
    assert copy_of.tolist() == [0, 0, 1, 2]
    assert r.client_ids == ("A#0", "A#1", "B#2", "C#3")
    assert r.vehicles.tolist() == [[2, 2]]
    assert r.patterns == (((0,),), ((1,),), ((0,), (1,)), ((0,), (1,)))
    assert r.distance[2, 3] == p.distance[A, B] == 14.0
    assert r.distance[1, 2] == 0.0 and r.distance[0, 2] == p.distance[0, A] == 10.0
    assert r.visits.tolist() == [1, 1, 1, 1]
    assert applies(p) and not applies(r) and not applies(p.replace(continuity=True))


def test_copies_of_one_client_never_share_a_run() -> None:
    """Clients needing one to three visits in six days: three runs; a client's copies take
    disjoint runs that together cover them all in order (two visits: run 0, then runs 1-2)."""
    p = random_problem(3)
    r, copy_of = relaxed(p)
    assert r.n_days == 3
    for i in range(p.n_clients):
        runs = [[q for (q,) in r.patterns[c]] for c in np.flatnonzero(copy_of == i)]
        if p.visits[i] == 1:
            assert runs == [[0, 1, 2]]
        else:
            flat = [q for part in runs for q in part]
            assert flat == [0, 1, 2]
            assert len(runs) == p.visits[i]


def test_days_give_a_its_gap_and_each_route_its_own_day() -> None:
    """One vehicle a day on days 0, 1, 3, 4: four one-stop routes (A, A, B, C) take four
    different days, and A's two days must be 2-3 apart: (0, 3), (1, 3) or (1, 4)."""
    p = problem()
    routes = [(0, [A - 1]), (0, [B - 1]), (0, [A - 1]), (0, [C - 1])]
    days, patterns = _days(p, routes, np.random.default_rng(0))
    assert sorted(days.tolist()) == [0, 1, 3, 4]
    a_days = (int(days[0]), int(days[2]))
    assert tuple(sorted(a_days)) in {(0, 3), (1, 3), (1, 4)}
    assert p.patterns[0][patterns[0]] == tuple(sorted(a_days))
    assert p.patterns[1][patterns[1]] == (int(days[1]),)
    assert p.patterns[2][patterns[2]] == (int(days[3]),)


def test_clients_whose_patterns_cannot_agree_leave_one_unscheduled() -> None:
    """X and Y share both their routes; X's visits must be 2 days apart, Y's 3: no two days
    satisfy both, so exactly one of them keeps a pattern (the other goes back to insertion)."""
    working = [True] * 5
    dist = np.ones((3, 3)) - np.eye(3)
    p = PeriodicProblem.from_cost_matrix(
        dist,
        service=[10.0, 10.0],
        patterns=[
            gap_patterns(working, 2, min_gap=2, max_gap=2),
            gap_patterns(working, 2, min_gap=3, max_gap=3),
        ],
        vehicles=2,
        min_gap=[2, 3],
        max_gap=[2, 3],
    )
    days, patterns = _days(p, [(0, [0, 1]), (0, [0, 1])], np.random.default_rng(1))
    gap = abs(int(days[0]) - int(days[1]))
    assert gap in (2, 3)
    kept = 0 if gap == 2 else 1
    assert patterns[kept] >= 0 and patterns[1 - kept] == -1
    assert p.patterns[kept][patterns[kept]] == tuple(sorted(days.tolist()))


def test_solve_starts_from_the_relaxed_days_and_the_plan_is_valid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A random problem with gap rules goes through the relaxed start (logged), and the plan
    passes the independent validator."""
    p = random_problem(2)
    assert applies(p)
    with caplog.at_level(logging.INFO, logger="accessplan.optimize.mobile._relax"):
        result = solve_periodic(p, time_limit=60, seed=0, iterations=30)
    assert any("relaxed days" in m for m in caplog.messages)
    assert result.check.ok
    assert result.dropped.empty


def test_the_relaxed_search_runs_in_rounds_and_serves_every_copy() -> None:
    """A search of 2.5 rounds makes at least two PyVRP calls (rounds restart PyVRP), and the
    plan keeps every limit with every copy of every client on exactly one route."""
    r, copy_of = relaxed(random_problem(4))
    inner = PatternSearch(r, seed=0)
    plan = _rounds(inner, 2.5 * ROUND)
    assert inner.stats.pyvrp_calls >= 2
    assert plan.feasible
    assert sorted(c for stops in plan.routes for c in stops) == list(range(len(copy_of)))
