"""Capacity-limited coverage: AccessMod's catchment cases, its two zonings, processing order,
zonal sums.

The ring populations come from the worked example in AccessMod's ``amCatchmentAnalyst``
(capacity 10, five one-minute zones): cumulative sums A = 1 3 5 9 15, B = 11 13 20 25 50,
C = 1 3 4 5 6, D = 2 4 9 10 11. The demo's capacity table, residual population and zonal
table are compared with AccessMod's in ``test_surface.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from accessplan._errors import InputError
from accessplan.measures.capacity import (
    Reaches,
    fill_catchment,
    geographic_coverage,
    population_within,
    processing_order,
    zonal_coverage,
)
from accessplan.travel.surface import Reach

MINUTES = np.array([0.0, 1.0, 2.0, 3.0, 4.0])  # one cell per zone


def rings(cumulative: list[float]) -> np.ndarray:
    return np.diff(np.array([0.0, *cumulative]))


def reach(minutes: np.ndarray) -> Reach:
    """Every cell reached, at these minutes."""
    return Reach(np.arange(len(minutes)), np.asarray(minutes, float) * 60.0)


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
    fill, catchment = fill_catchment(reach(MINUTES), people, 10.0, max_minutes=5)
    assert fill.catchment_minutes == limit, case
    assert fill.covered == pytest.approx(covered)
    assert fill.capacity_residual == pytest.approx(left)
    assert fill.time_limit_reached is reached_max
    assert fill.pop_within_max == cumulative[-1]
    assert fill.pop_first_zone == cumulative[0]
    np.testing.assert_allclose(people, residual)
    assert set(catchment) == set(np.flatnonzero(MINUTES <= limit))


def test_todays_zones_hold_times_up_to_and_including_the_whole_minute() -> None:
    """Zone k holds k-1 < t <= k minutes (AccessMod exports minutes rounded up): a cell at
    1.0 min is in zone 1 with the one at 0.5, one at 1.01 in zone 2; covered cells go to 0."""
    people = np.array([4.0, 4.0, 4.0])
    fill, catchment = fill_catchment(reach(np.array([0.5, 1.0, 1.01])), people, 8.0, max_minutes=5)
    assert fill.inner_ring == 1 and np.isnan(fill.outer_ring)
    assert fill.catchment_minutes == 1 and fill.covered == 8
    assert catchment.tolist() == [0, 1] and people.tolist() == [0, 0, 4]


def test_2015_zones_are_whole_seconds_and_the_inner_ring_becomes_null() -> None:
    """2015: zone = int(seconds). People 1, 1, 2, 2, 4 at 0.2, 8.9, 9.0, 9.5, 10 s make
    zones 0, 8, 9, 9, 10 with sums 1, 1, 4, 4; capacity 3 takes zones 0 and 8 whole (inner
    ring up to 8 s, now no data) and 1 of the 4 people of zone 9 (outer ring, share 0.25:
    each cell keeps 0.75 of its people); the catchment ends at 10 s."""
    people = np.array([1.0, 1.0, 2.0, 2.0, 4.0])
    seconds = Reach(np.arange(5), np.array([0.2, 8.9, 9.0, 9.5, 10.0]))
    fill, catchment = fill_catchment(seconds, people, 3.0, max_minutes=1, rules="accessmod-2015")
    assert (fill.inner_ring, fill.outer_ring, fill.outer_share_removed) == (8, 9, 0.25)
    assert fill.pop_first_zone == 1 and fill.pop_within_max == 10
    assert fill.covered == 3 and fill.capacity_residual == 0
    assert fill.catchment_minutes == pytest.approx(10 / 60) and catchment.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(people, [np.nan, np.nan, 1.5, 1.5, 4.0])


def test_zones_without_population_data_do_not_count() -> None:
    """As in AccessMod's r.univar sums, a zone holding only no-data cells is no zone: with
    people 1, no data, 5 at 0, 1, 2 s and capacity 1 the inner ring ends at zone 0, not 1
    (it would if no data counted as 0 people), and the capacity is used up exactly."""
    people = np.array([1.0, np.nan, 5.0])
    seconds = Reach(np.arange(3), np.array([0.0, 1.0, 2.0]))
    fill, _ = fill_catchment(seconds, people, 1.0, max_minutes=1, rules="accessmod-2015")
    assert fill.inner_ring == 0 and np.isnan(fill.outer_ring)
    assert fill.covered == 1 and fill.capacity_residual == 0
    np.testing.assert_array_equal(people, [np.nan, np.nan, 5.0])


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


def searches(times: dict[int, np.ndarray]) -> Reaches:
    """A ``reaches`` callable over minute grids given per facility (inf: not reached)."""

    def reaches(positions: Sequence[int]) -> Iterator[Reach]:
        for i in positions:
            flat = times[i].ravel()
            cells = np.flatnonzero(np.isfinite(flat))
            yield Reach(cells, flat[cells] * 60.0)

    return reaches


def test_a_later_facility_serves_only_the_people_left() -> None:
    """Two facilities reach the same 10 people; the first (capacity 6) leaves 4 to the second."""
    population = np.full((1, 10), 1.0)
    times = {0: np.arange(10.0)[None, :], 1: np.arange(10.0)[::-1][None, :]}
    result = geographic_coverage(
        searches(times),
        population,
        np.array([6.0, 100.0]),
        max_minutes=60,
        order="capacity",
    )
    table = result.table.set_index("facility")
    assert table["rank"].to_dict() == {1: 1, 0: 2}
    assert table.loc[1, "covered"] == 10 and table.loc[0, "covered"] == 0
    assert table.loc[0, "time_limit_reached"] and table.loc[0, "capacity_residual"] == 6
    assert result.residual.sum() == 0


def test_processing_by_population_counts_each_facility_alone_then_ties_keep_table_order() -> None:
    """The first pass counts the people each facility reaches on the initial population:
    both reach all 10 here, so they tie and the table order decides (AccessMod's demo: its
    four facilities tie at 100,507 people and run in table order)."""
    population = np.full((1, 10), 1.0)
    times = {0: np.arange(10.0)[None, :], 1: np.arange(10.0)[::-1][None, :]}
    result = geographic_coverage(
        searches(times),
        population,
        np.array([6.0, 100.0]),
        max_minutes=60,
        order="population",
    )
    assert result.table["facility"].tolist() == [0, 1]
    assert result.table["order_value"].tolist() == [10, 10]
    assert result.table["pop_within_max"].tolist() == [10, 4]


def test_residual_on_cells_nobody_can_cross_is_0_today_and_kept_in_2015() -> None:
    """AccessMod 5.8 starts the residual at 0 where the speed is null; 2015 keeps those
    people in it. Either way they are never covered."""
    population = np.array([[3.0, 5.0]])
    passable = np.array([[True, False]])
    times = {0: np.array([[0.0, np.inf]])}
    for rules, stuck in (("current", 0.0), ("accessmod-2015", 5.0)):
        result = geographic_coverage(
            searches(times),
            population,
            np.array([10.0]),
            max_minutes=60,
            rules=rules,
            order="capacity",
            passable=passable,
        )
        assert result.residual[0, 1] == stuck
        table = zonal_coverage(
            population, passable, result.residual, np.zeros((1, 2), np.int32), ["z"]
        )
        assert table.set_index("zone").loc["z", ["covered", "on_barrier"]].tolist() == [3, 5]


def test_zonal_tables_add_up() -> None:
    """Per-zone and total people, covered and within T, with uncoverable people apart; a
    null residual (a covered 2015 inner ring) counts as covered."""
    population = np.array([[10.0, 20.0], [30.0, 40.0]])
    passable = np.array([[True, True], [True, False]])  # the last cell is on a barrier
    residual = np.array([[np.nan, 5.0], [30.0, 40.0]])
    zones = np.array([[0, 0], [1, -1]], dtype=np.int32)
    table = zonal_coverage(population, passable, residual, zones, ["a", "b"]).set_index("zone")
    assert table.loc["a", "covered"] == 25 and table.loc["b", "covered"] == 0
    assert table.loc["(total)", "on_barrier"] == 40
    assert table.loc["(total)", "covered_share"] == pytest.approx(25 / 100)
    minutes = np.array([[0.0, 15.0], [15.5, np.inf]])
    within = population_within(minutes, population, [15, 30], zones, ["a", "b"])
    within = within.set_index("zone")
    assert within.loc["a", "within_15"] == 30 and within.loc["b", "within_15"] == 0
    assert within.loc["(total)", "within_30"] == 60


def test_the_ordering_pass_searches_serve_the_coverage_pass_too() -> None:
    """Ordered by population, each facility is searched once: its reach is kept (packed)
    for the coverage pass, whose result equals that of fresh searches."""
    rng = np.random.default_rng(11)
    population = rng.integers(0, 5, (20, 30)).astype(float)
    population[rng.random((20, 30)) < 0.1] = np.nan
    rows, cols = np.indices((20, 30))
    times = {}  # discs of 60 min around three facilities, 4 min per cell, jittered
    for i, (r, c) in enumerate([(3, 4), (10, 20), (15, 8)]):
        minutes = 4.0 * np.hypot(rows - r, cols - c) + rng.random((20, 30))
        times[i] = np.where(minutes <= 60, minutes, np.inf)
    calls: list[list[int]] = []

    def counted(positions: Sequence[int]) -> Iterator[Reach]:
        calls.append(list(positions))
        return searches(times)(positions)

    capacities = np.array([300.0, 150.0, 900.0])
    kept = geographic_coverage(counted, population, capacities, max_minutes=60)
    assert [len(c) for c in calls] == [3, 0]
    ranked = kept.table["facility"].tolist()
    fresh = geographic_coverage(
        searches(times),
        population,
        capacities,
        max_minutes=60,
        order="field",
        field_values=[-ranked.index(i) for i in range(3)],  # the same order, no first pass
    )
    columns = ["facility", "covered", "pop_within_max", "inner_ring_min", "outer_share_removed"]
    np.testing.assert_array_equal(kept.table[columns], fresh.table[columns])
    np.testing.assert_array_equal(kept.residual, fresh.residual)
