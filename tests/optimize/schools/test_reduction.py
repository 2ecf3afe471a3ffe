"""With no minimum size, no time limit, no boarding and exactly p schools open, the school
model is the capacitated p-median: it reaches the published optima of OR-Library pmedcap1
(Osman & Christofides) and lin318 (Lorena & Senne), proven, through the capacitated engine."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from accessplan.optimize.location.orlib import Instance, read_cpmp
from accessplan.optimize.schools import SchoolProblem, solve_schools
from tests.conftest import shared_file
from tests.optimize.schools.checker import check


def as_schools(inst: Instance) -> SchoolProblem:
    """Every node a village (pupils = demand) and a school (its capacity). The benchmarks sum
    distances, not demand x distance: each village's trips weigh 1."""
    assert inst.demand is not None and inst.capacity is not None
    return SchoolProblem.from_arrays(
        inst.cost, inst.demand, inst.capacity, trip_weights=np.ones(len(inst.demand))
    )


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 9, 13])
def test_pmedcap1_optimum_through_the_engine(k: int) -> None:
    with open(shared_file("cpmp", "optimal_values.csv")) as handle:
        optimum = {r["instance"]: float(r["optimal_value"]) for r in csv.DictReader(handle)}
    inst = read_cpmp(shared_file("cpmp", f"cpmp{k:02d}.txt"))
    problem = as_schools(inst)
    s = solve_schools(problem, p=inst.p, time_limit=120)
    # the published optimum, proven, by the engine (no rule left for HiGHS to add)
    assert s.method == "engine" and s.is_optimal
    assert s.objective == optimum[inst.name]
    assert check(problem, s) == optimum[inst.name]


@pytest.mark.slow
def test_lin318_optimum_through_the_engine() -> None:
    with open(shared_file("cpmp", "larger", "reference_values.csv")) as handle:
        reference = {r["instance"]: float(r["value"]) for r in csv.DictReader(handle)}
    inst = read_cpmp(shared_file("cpmp", "larger", "lin318_005.txt"), floor=False)
    problem = as_schools(inst)
    s = solve_schools(problem, p=inst.p, time_limit=300)
    # real distances: the published optimum to the cent, proven
    assert s.method == "engine" and s.is_optimal
    assert s.objective == pytest.approx(reference["lin318_005"], abs=0.01)
    assert check(problem, s) == pytest.approx(s.objective)
