"""A MILP proven by targets above its LP bound (``location._targets``), and HiGHS's plans
valued by their own columns (``_highs.Model.solve``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from accessplan.optimize.location._compact import assignment_model
from accessplan.optimize.location._highs import Deadline, Model, Outcome
from accessplan.optimize.location._targets import solve_by_targets
from accessplan.optimize.location.orlib import read_cpmp
from tests.conftest import shared_file
from tests.optimize.test_orlib import cpmp_optimum


def compact(cost: np.ndarray, demand, capacity, p: int, *, integral: bool = False) -> Model:
    """The compact capacitated p-median (single sourcing) on HiGHS."""
    m = cost.shape[1]
    unserved = np.full(cost.shape[0], np.inf)
    sites = (np.zeros(m), np.ones(m))
    return assignment_model(
        cost,
        np.asarray(demand, float),
        np.asarray(capacity, float),
        p,
        sites,
        unserved,
        seed=0,
        integral=integral,
    )[0]


@pytest.mark.parametrize("integral", [False, True])
@pytest.mark.parametrize("k", [5, 9, 13])
def test_targets_prove_the_published_pmedcap1_optima(k: int, integral: bool) -> None:
    # Osman & Christofides's optima (664, 715, 1,026; cpmp13 has 100 sites and p = 10) are
    # independent of this code; the LP bound sits below them, so targets fail before one
    # reaches the optimum and proves it. With ``integral`` the objective is known to be a
    # whole number (these distances are), so targets are whole numbers too
    inst = read_cpmp(shared_file("cpmp", f"cpmp{k:02d}.txt"))
    assert inst.demand is not None and inst.capacity is not None
    model = compact(inst.cost, inst.demand, inst.capacity, inst.p, integral=integral)
    out = solve_by_targets(model, Deadline(120))
    assert out.optimal
    assert out.objective == pytest.approx(cpmp_optimum()[inst.name], abs=1e-6)
    assert out.bound == pytest.approx(out.objective, abs=1e-6)


def test_a_packing_that_cannot_fit_is_reported_infeasible() -> None:
    # three clients of demand 4, two sites of 6: the LP splits a client and is feasible, no
    # plan is (no site takes two clients); the targets grow until they fix nothing and the
    # whole model says so
    out = solve_by_targets(compact(np.ones((3, 2)), [4, 4, 4], [6, 6], 2), Deadline(30))
    assert out.infeasible and out.x is None


def test_an_infeasible_lp_is_reported_at_once() -> None:
    # total capacity 10 < demand 12: the LP relaxation already has no point
    out = solve_by_targets(compact(np.ones((3, 2)), [4, 4, 4], [5, 5], 2), Deadline(30))
    assert out.infeasible and out.x is None


def test_a_plan_highs_misvalues_is_solved_again_without_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # HiGHS 1.16 once valued a start point 280 below its cost on a presolved school model
    # (and pruned with that value). Simulated here: a run from a start reports 280 less than
    # its plan costs. The model must notice (its own cost times the plan), drop that run and
    # solve again without the start, which gives this knapsack's optimum by hand: items 2
    # and 3 (values 9 + 7 = 16, weights 3 + 4 <= 7; any other pair weighs more than 7)
    model = Model(
        np.array([-5.0, -9.0, -7.0]),
        np.zeros(3),
        np.ones(3),
        sp.csr_array(np.array([[5.0, 3.0, 4.0]])),
        np.array([-np.inf]),
        np.array([7.0]),
        integer=np.ones(3, dtype=bool),
    )
    run, starts = model._run, []

    def misvalued(deadline: Deadline, start: np.ndarray | None) -> Outcome:
        starts.append(start is not None)
        out = run(deadline, start)
        return (
            dataclasses.replace(out, objective=out.objective - 280.0) if start is not None else out
        )

    monkeypatch.setattr(model, "_run", misvalued)
    out = model.solve(Deadline(10), start=np.array([1.0, 0.0, 0.0]))
    assert starts == [True, False]
    assert out.optimal and out.objective == pytest.approx(-16.0)
    assert out.x is not None and out.x @ model.cost == pytest.approx(-16.0)


def test_continuous_columns_stay_continuous() -> None:
    # min 2x + y with x + y >= 1.5, x whole in [0, 3], y any number in [0, 3]: the optimum
    # is x = 0, y = 1.5, cost 1.5 (x = 1 costs 2.5). Treating y as whole (as an earlier
    # reading of HiGHS's column types did) gives 2 and calls it optimal
    model = Model(
        np.array([2.0, 1.0]),
        np.zeros(2),
        np.full(2, 3.0),
        sp.csr_array(np.array([[1.0, 1.0]])),
        np.array([1.5]),
        np.array([np.inf]),
        integer=np.array([True, False]),
    )
    out = solve_by_targets(model, Deadline(10))
    assert out.optimal and out.objective == pytest.approx(1.5)
    assert out.x is not None and out.x[1] == pytest.approx(1.5)


def test_the_relaxation_leaves_no_point_behind() -> None:
    # HiGHS starts a MIP from the point a previous run left, and 1.16 could misvalue such a
    # point (a fuzzed school model: 307 "optimal" for a plan costing 328); after the LP the
    # model must hold no solution, and the MIP then finds cpmp05's optimum (664) itself
    inst = read_cpmp(shared_file("cpmp", "cpmp05.txt"))
    assert inst.demand is not None and inst.capacity is not None
    model = compact(inst.cost, inst.demand, inst.capacity, inst.p)
    lp = model.relaxation(Deadline(30))
    assert lp.optimal and lp.objective < 664
    assert not model.highs.getSolution().value_valid
    out = model.solve(Deadline(60))
    assert out.optimal and out.objective == pytest.approx(664)


def test_a_target_that_fixes_every_column_settles_it_without_highs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # min 3 + x0 + x1 over binaries with x0 + x1 <= 5: the LP bound 3 (both at 0) has reduced
    # costs 1 and the first target (3 + 6e-5) fixes both columns at 0, a point that keeps
    # the row: the optimum 3, proven, with no MILP run (HiGHS calls a model without columns
    # empty and returns no plan, which left the targets doubling until nothing was fixed)
    model = Model(
        np.ones(2),
        np.zeros(2),
        np.ones(2),
        sp.csr_array(np.array([[1.0, 1.0]])),
        np.array([-np.inf]),
        np.array([5.0]),
        integer=np.ones(2, dtype=bool),
        offset=3.0,
    )
    runs = []
    real = Model.solve

    def counted(self: Model, deadline: Deadline, *, start: np.ndarray | None = None) -> Outcome:
        runs.append(self.is_mip)
        return real(self, deadline, start=start)

    monkeypatch.setattr(Model, "solve", counted)
    out = solve_by_targets(model, Deadline(10))
    assert out.optimal and out.objective == pytest.approx(3.0)
    assert runs == [False]  # the LP relaxation only
