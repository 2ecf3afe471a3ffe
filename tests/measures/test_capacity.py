"""Capacity-limited coverage: AccessMod's four catchment cases, processing order, zonal sums.

The ring populations come from the worked example in AccessMod's ``amCatchmentAnalyst``
(capacity 10, five one-minute rings): cumulative sums A = 1 3 5 9 15, B = 11 13 20 25 50,
C = 1 3 4 5 6, D = 2 4 9 10 11.
"""

from __future__ import annotations

import numpy as np
import pytest

from accessplan._errors import InputError
from accessplan.measures.capacity import (
    fill_catchment,
    geographic_coverage,
    population_within,
    processing_order,
    reached_cells,
    zonal_coverage,
)

MINUTES = np.array([0.0, 1.0, 2.0, 3.0, 4.0])  # one cell per ring


def rings(cumulative: list[float]) -> np.ndarray:
    return np.diff(np.array([0.0, *cumulative]))


@pytest.mark.parametrize(
    ("case", "cumulative", "limit", "covered", "left", "residual", "reached_max"),
    [
        ("A", [1, 3, 5, 9, 15], 4, 10, 0, [0, 0, 0, 0, 5], False),
        ("B", [11, 13, 20, 25, 50], 0, 10, 0, [1, 2, 7, 5, 25], False),
        ("C", [1, 3, 4, 5, 6], 5, 6, 4, [0, 0, 0, 0, 0], True),
        ("D", [2, 4, 9, 10, 11], 3, 10, 0, [0, 0, 0, 0, 1], False),
    ],
)
def test_accessmod_catchment_cases(
    case: str,
    cumulative: list[float],
    limit: float,
    covered: float,
    left: float,
    residual: list[float],
    reached_max: bool,
) -> None:
    """Each case covers, removes and draws the catchment as AccessMod's table says."""
    people = rings(cumulative)
    cells, minutes = reached_cells(MINUTES, max_minutes=5)
    fill, catchment = fill_catchment(cells, minutes, people, 10.0, max_minutes=5)
    assert fill.catchment_minutes == limit, case
    assert fill.covered == pytest.approx(covered)
    assert fill.capacity_residual == pytest.approx(left)
    assert fill.time_limit_reached is reached_max
    assert fill.pop_within_max == cumulative[-1]
    np.testing.assert_allclose(people, residual)
    assert set(catchment) == set(np.flatnonzero(MINUTES <= limit))


def test_rings_hold_times_up_to_and_including_the_whole_minute() -> None:
    """Ring k holds k-1 < t <= k: a cell at 1.0 min is in ring 1, one at 1.01 in ring 2."""
    people = np.array([4.0, 4.0, 4.0])
    minutes = np.array([0.5, 1.0, 1.01])
    fill, catchment = fill_catchment(np.arange(3), minutes, people, 8.0, max_minutes=5)
    assert fill.catchment_minutes == 1 and fill.covered == 8
    assert catchment.tolist() == [0, 1] and people.tolist() == [0, 0, 4]


def test_order_by_population_capacity_or_field_largest_first_ties_stable() -> None:
    """Largest first; equal values keep the input order; unknown orders are refused."""
    caps = np.array([5.0, 50.0, 50.0])
    assert processing_order("capacity", capacities=caps).tolist() == [1, 2, 0]
    pops = np.array([10.0, 30.0, 20.0])
    assert processing_order("population", capacities=caps, pop_within_max=pops).tolist() == [
        1,
        2,
        0,
    ]
    got = processing_order("field", capacities=caps, field_values=["2", "10", "1"])
    assert got.tolist() == [1, 0, 2]  # numbers sort as numbers
    with pytest.raises(InputError, match="order must be one of"):
        processing_order("random", capacities=caps)


def test_a_later_facility_serves_only_the_people_left() -> None:
    """Two facilities reach the same 10 people; the first (capacity 6) leaves 4 to the second."""
    population = np.full((1, 10), 1.0)
    times = {0: np.arange(10.0)[None, :], 1: np.arange(10.0)[::-1][None, :]}
    result = geographic_coverage(
        lambda i: times[i], population, np.array([6.0, 100.0]), max_minutes=60, order="capacity"
    )
    table = result.table.set_index("facility")
    assert table["rank"].to_dict() == {1: 1, 0: 2}
    assert table.loc[1, "covered"] == 10 and table.loc[0, "covered"] == 0
    assert table.loc[0, "time_limit_reached"] and table.loc[0, "capacity_residual"] == 6
    assert result.residual.sum() == 0


def test_zonal_tables_add_up() -> None:
    """Per-zone and total people, covered and within T, with uncoverable people apart."""
    population = np.array([[10.0, 20.0], [30.0, 40.0]])
    coverable = np.array([[10.0, 20.0], [30.0, 0.0]])  # the last cell is on a barrier
    residual = np.array([[0.0, 5.0], [30.0, 0.0]])
    zones = np.array([[0, 0], [1, -1]], dtype=np.int32)
    table = zonal_coverage(population, coverable, residual, zones, ["a", "b"]).set_index("zone")
    assert table.loc["a", "covered"] == 25 and table.loc["b", "covered"] == 0
    assert table.loc["(total)", "on_barrier"] == 40
    assert table.loc["(total)", "covered_share"] == pytest.approx(25 / 100)
    minutes = np.array([[0.0, 15.0], [15.5, np.inf]])
    within = population_within(minutes, population, [15, 30], zones, ["a", "b"])
    within = within.set_index("zone")
    assert within.loc["a", "within_15"] == 30 and within.loc["b", "within_15"] == 0
    assert within.loc["(total)", "within_30"] == 60
