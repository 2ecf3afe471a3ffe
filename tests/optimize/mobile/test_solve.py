"""solve_periodic: the paper plan's optimum, the same seed giving the same plan, clients left
out with their reasons, continuity of care, capacity, and every plan through the validator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan._errors import InputError
from accessplan.optimize.mobile import PeriodicProblem, gap_patterns, solve_periodic, validate
from tests.optimize.mobile.handmade import BEST_KM, problem


def random_problem(seed: int, *, n: int = 24, days: int = 6, **kw: object) -> PeriodicProblem:
    """Clients on a 100 x 100 square around a central depot; a third need two visits 2-3
    days apart, one in six three visits; driving minutes = distance."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([[50.0, 50.0], rng.uniform(0, 100, (n, 2))])
    dist = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    working = [True] * days
    visits = rng.choice([1, 1, 1, 2, 2, 3], n)
    patterns = [gap_patterns(working, int(v), min_gap=2, max_gap=3) for v in visits]
    args: dict[str, object] = {
        "n_depots": 1, "service": np.full(n, 20.0), "demand": rng.integers(1, 10, n),
        "patterns": patterns, "vehicles": 2, "workday": 300.0, "capacity": 40.0,
        "min_gap": np.where(visits > 1, 2, 1), "max_gap": np.where(visits > 1, 3, days),
    }  # fmt: skip
    args.update(kw)
    return PeriodicProblem.from_cost_matrix(dist, **args)  # type: ignore[arg-type]


def test_the_paper_plan_is_found() -> None:
    """88 km, four trips, valid (handmade.py works it out)."""
    result = solve_periodic(problem(), time_limit=60, seed=0, iterations=30)
    assert result.check.ok
    assert result.cost() == pytest.approx(BEST_KM)
    assert len(result.routes()) == 4
    a = result.schedule[result.schedule["place"] == "A"]["day"].tolist()
    assert a in ([1, 4], [2, 4], [2, 5])  # every pattern of A costs the same here


def test_same_seed_same_plan_other_seed_valid() -> None:
    """With counted work the schedule is identical for one seed; another seed is valid."""
    p = random_problem(1)
    first = solve_periodic(p, time_limit=120, seed=3, iterations=40)
    again = solve_periodic(p, time_limit=120, seed=3, iterations=40)
    pd.testing.assert_frame_equal(first.schedule, again.schedule)
    other = solve_periodic(p, time_limit=120, seed=4, iterations=40)
    assert first.check.ok and other.check.ok
    assert validate(p, other.schedule, other.dropped).ok


def test_fleet_short_drops_villages_with_their_reason() -> None:
    """With a vehicle on days 1 and 2 only, two of the four trips fit: two clients (with a
    prize) are left out as fleet_short; a client 40 minutes away cannot be served in a
    60-minute workday and is left out as too_far, one without a road as unreachable."""
    base = problem()
    far = base.duration.copy()
    far[0, 3] = far[3, 0] = 40.0
    far[0, 2] = far[2, 0] = math.inf
    short = base.replace(
        vehicles=np.array([[1, 1, 0, 0, 0]]),
        prize=np.array([900.0, 500.0, 500.0]),
        duration=far,
    )
    result = solve_periodic(short, time_limit=60, seed=0, iterations=30)
    assert result.check.ok
    reasons = dict(zip(result.dropped["client_id"], result.dropped["reason"], strict=True))
    assert reasons == {"A": "fleet_short", "B": "unreachable", "C": "too_far"}
    # A's two visits cannot both fall on days 1 and 2 (2-3 days apart): it is left out whole
    assert "A" not in set(result.schedule["place"])


def test_a_required_client_that_cannot_be_served_is_refused() -> None:
    far = problem().duration.copy()
    far[0, 3] = far[3, 0] = 40.0
    with pytest.raises(InputError, match=r"cannot be served by any vehicle.*C"):
        solve_periodic(problem(duration=far), time_limit=10, seed=0)


def test_continuity_keeps_one_team_per_client() -> None:
    p = random_problem(2, vehicles=3, continuity=True)
    result = solve_periodic(p, time_limit=120, seed=0, iterations=40)
    assert result.check.ok  # the validator checks the continuity rule
    visits = result.schedule[result.schedule["kind"] == "visit"]
    assert (visits.groupby("place")["vehicle"].nunique() == 1).all()


def test_capacity_and_workday_hold() -> None:
    """Tight capacity and workday: every route within both, recomputed by the validator."""
    p = random_problem(3, capacity=15.0, workday=180.0, vehicles=4)
    result = solve_periodic(p, time_limit=120, seed=1, iterations=40)
    assert result.check.ok
    routes = result.routes()
    assert (routes["load"] <= 15.0 + 1e-9).all()
    assert (routes["minutes"] <= 180.0 + 1e-9).all()


def test_gap_patterns_by_hand() -> None:
    """Five days, day 3 off, two visits 2-3 days apart: (1,4), (2,4), (2,5) (0-based below),
    the most even first."""
    working = [True, True, False, True, True]
    assert set(gap_patterns(working, 2, min_gap=2, max_gap=3)) == {(0, 3), (1, 3), (1, 4)}
    assert gap_patterns(working, 1, min_gap=1, max_gap=1) == ((0,), (1,), (3,), (4,))
    with pytest.raises(InputError, match="no 3 working days"):
        gap_patterns(working, 3, min_gap=3, max_gap=3)


def test_pyvrp_iterations_count_the_routing_search() -> None:
    # every client one visit on any of the six days: nothing for the pattern layer to
    # choose, so the run is one PyVRP search; with counted work (iterations=10) that search
    # runs max(200, 4 x 10) = 200 iterations (the lower end of FINAL_ITERATIONS), and the
    # result counts each of them once (the stopping call that ends the search is not one)
    once = [gap_patterns([True] * 6, 1, min_gap=1, max_gap=6)] * 12
    p = random_problem(5, n=12, days=6, patterns=once, min_gap=None, max_gap=None)
    result = solve_periodic(p, time_limit=60, seed=0, iterations=10)
    assert result.check.ok
    assert result.iterations == 0
    assert result.pyvrp_iterations == 200
