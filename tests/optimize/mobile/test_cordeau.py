"""Cordeau's PVRP files: combinations decoded by hand, the benchmark files read, a small
instance solved to its best known value."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from accessplan._errors import InputError
from accessplan.optimize.mobile import read_cordeau, solve_periodic
from accessplan.optimize.mobile.cordeau import decode_combination
from tests.conftest import shared_file


def test_combinations_read_left_to_right() -> None:
    """t = 5: 16 = 10000 is day 1, 20 = 10100 days 1 and 3, 11 = 01011 days 2, 4, 5."""
    assert decode_combination(16, 5) == (0,)
    assert decode_combination(20, 5) == (0, 2)
    assert decode_combination(11, 5) == (1, 3, 4)
    assert decode_combination(15, 4) == (0, 1, 2, 3)


def test_p02_as_published() -> None:
    """50 customers, 5 days, 3 vehicles of 160 a day; customer 2 every day, 3 on days 1+3,
    2+4 or 3+5 (20, 10, 5)."""
    p = read_cordeau(shared_file("vrp", "pvrp", "p02.txt"))
    assert (p.n_depots, p.n_clients, p.n_days) == (1, 50, 5)
    assert (p.vehicles == 3).all() and (p.capacity == 160).all()
    assert p.patterns[1] == ((0, 1, 2, 3, 4),)
    assert p.patterns[2] == ((2, 4), (1, 3), (0, 2))  # in the file's order: 5, 10, 20
    assert p.distance[0, 1] == pytest.approx(((37 - 30) ** 2 + (52 - 40) ** 2) ** 0.5)
    pr = read_cordeau(shared_file("vrp", "pvrp", "pr01.txt"))
    assert pr.workday == 500 and pr.service[0] == 2


def test_p14_reaches_its_best_known_value() -> None:
    path = shared_file("vrp", "pvrp", "p14.txt")
    bks = {r["instance"]: float(r["bks_vidal2012_per_azadsalam"])
           for r in csv.DictReader(open(path.parent / "bks.csv"))}  # fmt: skip
    result = solve_periodic(read_cordeau(path), time_limit=120, seed=0, iterations=1000)
    assert result.check.ok
    assert result.cost() == pytest.approx(bks["p14"], rel=1e-4)


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("NAME : X-n101\nTYPE : CVRP\n")
    with pytest.raises(InputError, match="not a Cordeau PVRP file"):
        read_cordeau(bad)
