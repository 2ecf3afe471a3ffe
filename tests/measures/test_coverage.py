"""Coverage, time statistics and gaps: hand-made cases and properties on a synthetic county."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan import synth
from accessplan.measures import access_times, coverage, gaps, time_stats
from accessplan.measures.coverage import weighted_quantile
from accessplan.region import Region
from tests.travel.test_handmade import EXPECTED
from tests.travel.test_handmade import region as handmade  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def county() -> Region:
    return synth.mountain_county(3)


@pytest.fixture(scope="module")
def county_times(county: Region) -> pd.DataFrame:
    return access_times(county, ("walk", "car"))


def test_handmade_coverage_counts_people_by_hand(handmade: Region) -> None:  # noqa: F811
    """Within 3 minutes by car: S0 (1.5 to the centre), S3 (2.0), S_off (2.49), S_mid (1.99)
    reach a health centre; S5 (12.4, walking the one-way track) does not. People: 100 + 200 +
    10 + 20 of 380."""
    times = access_times(handmade, ("car",))
    table = coverage(handmade, times, [3, 10])
    row = table[(table["tier"] == "township_health_center") & (table["threshold_min"] == 3)]
    assert row["population"].item() == 380
    assert row["covered_population"].item() == 330
    assert row["share"].item() == pytest.approx(330 / 380)
    expected_any = sum(
        pop
        for sid, pop in {"S0": 100, "S3": 200, "S5": 50, "S_off": 10, "S_mid": 20}.items()
        if min(EXPECTED[sid]) <= 3
    )
    any_row = table[
        (table["service"] == "health") & (table["tier"] == "any") & (table["threshold_min"] == 3)
    ]
    assert any_row["covered_population"].item() == expected_any
    assert list(table.columns) == [
        "admin_code", "admin_name", "level", "service", "tier", "profile",
        "threshold_min", "population", "covered_population", "share",
    ]  # fmt: skip


def test_share_never_falls_as_the_threshold_grows(
    county: Region, county_times: pd.DataFrame
) -> None:
    """For every unit, tier and profile, covered people rise (or stay) with the threshold."""
    table = coverage(county, county_times, [5, 15, 30, 60, 120])
    keys = ["admin_code", "service", "tier", "profile"]
    diffs = table.sort_values([*keys, "threshold_min"]).groupby(keys)["covered_population"].diff()
    assert (diffs.dropna() >= 0).all()
    assert (table["covered_population"] <= table["population"] + 1e-9).all()


def test_unit_populations_add_up_to_the_total(county: Region, county_times: pd.DataFrame) -> None:
    """Villages add up to their township, townships to the county, the county to the region."""
    table = coverage(county, county_times, [15])
    one = table[
        (table["tier"] == "any") & (table["service"] == "health") & (table["profile"] == "walk")
    ]
    total = county.settlements["population"].sum()
    assert one.loc[one["level"] == "region", "population"].item() == pytest.approx(total)
    assert one.loc[one["level"] == "county", "population"].sum() == pytest.approx(total)
    assert one.loc[one["level"] == "township", "population"].sum() == pytest.approx(total)
    assert one.loc[one["level"] == "village", "population"].sum() == pytest.approx(total)
    for level in ("township", "village"):
        part = one[one["level"] == level]
        assert part["covered_population"].sum() == pytest.approx(
            one.loc[one["level"] == "region", "covered_population"].item()
        )


def test_removing_a_clinic_changes_exactly_the_settlements_it_served(
    county: Region, county_times: pd.DataFrame
) -> None:
    """Only settlements whose nearest clinic was the removed one change; coverage drops by
    exactly the people among them who now fall beyond the threshold."""
    walk = county_times[county_times["profile"] == "walk"].reset_index(drop=True)
    served_counts = walk["nearest_village_clinic"].value_counts()
    clinic = served_counts.index[0]
    served = (walk["nearest_village_clinic"] == clinic).to_numpy()
    smaller = Region(
        settlements=county.settlements,
        facilities=county.facilities[county.facilities["id"] != clinic],
        roads=county.roads,
        admin_units=county.admin_units,
        terrain=county.terrain,
        name=county.name,
    )
    after = access_times(smaller, ("walk",))
    before_min = walk["minutes_to_village_clinic"].to_numpy()
    after_min = after["minutes_to_village_clinic"].to_numpy()
    np.testing.assert_array_equal(before_min[~served], after_min[~served])
    assert (after_min[served] > before_min[served]).all()
    limit = 15.0
    pop = county.settlements["population"].to_numpy()
    lost = pop[served & (before_min <= limit) & (after_min > limit)].sum()
    region_row = lambda t: t[  # noqa: E731
        (t["level"] == "region") & (t["tier"] == "village_clinic") & (t["profile"] == "walk")
    ]["covered_population"].item()
    before_cov = region_row(coverage(county, walk, [limit]))
    after_cov = region_row(coverage(smaller, after, [limit]))
    assert before_cov - after_cov == pytest.approx(lost)
    assert lost > 0


def test_weighted_quantile_matches_repeated_values() -> None:
    """A weight of k counts like k copies of the value; inf stays inf."""
    values = np.array([5.0, 1.0, 3.0, math.inf])
    weights = np.array([2.0, 1.0, 1.0, 1.0])
    copies = np.repeat(values, weights.astype(int))  # 1, 3, 5, 5, inf
    assert weighted_quantile(values, weights, 0.5) == np.sort(copies)[2]
    assert weighted_quantile(values, weights, 0.9) == math.inf
    assert weighted_quantile(values, weights, 0.2) == 1.0


def test_time_stats_and_gaps_on_the_handmade_network(handmade: Region) -> None:  # noqa: F811
    """Population-weighted mean; people who reach no facility counted apart (no school
    exists); gaps ranked by people x minutes beyond the threshold."""
    times = access_times(handmade, ("car",))
    stats = time_stats(handmade, times).set_index(["level", "tier"])
    row = stats.loc[("region", "village_clinic")]
    pops = {"S0": 100, "S3": 200, "S5": 50, "S_off": 10, "S_mid": 20}
    mean = sum(pops[k] * EXPECTED[k][0] for k in pops) / sum(pops.values())
    assert row["mean_min"] == pytest.approx(mean)
    assert row["unreachable_population"] == 0
    school = stats.loc[("region", "primary")]
    assert school["unreachable_population"] == 380 and math.isnan(school["mean_min"])
    table = gaps(handmade, times, [3])
    clinic = table[table["tier"] == "village_clinic"]
    assert list(clinic["id"]) == [
        "S5",
        "S0",
        "S_mid",
        "S_off",
    ]  # 50*12.3, 100*0.4, 20*0.89, 10*1.39
    assert clinic["minutes_beyond"].iloc[1] == pytest.approx(EXPECTED["S0"][0] - 3)


def test_no_trip_is_slower_by_car_than_on_foot(county: Region, county_times: pd.DataFrame) -> None:
    """Car travellers walk paths to the road (or all the way), so driving never loses."""
    walk = county_times[county_times["profile"] == "walk"].reset_index(drop=True)
    car = county_times[county_times["profile"] == "car"].reset_index(drop=True)
    columns = [c for c in walk.columns if c.startswith("minutes_to_")]
    assert (car[columns].to_numpy() <= walk[columns].to_numpy() + 1e-9).all()
    assert (car[columns].to_numpy() < walk[columns].to_numpy()).any()
