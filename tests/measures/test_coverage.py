"""Coverage, time statistics and gaps: hand-made cases and properties on a synthetic county."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan import synth
from accessplan.measures import (
    AccessResults,
    access_times,
    coverage,
    gaps,
    measure_access,
    time_stats,
)
from accessplan.measures.coverage import weighted_quantile
from accessplan.region import Region
from accessplan.travel import nearest
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


@pytest.fixture(scope="module")
def served() -> AccessResults:
    """A county with elderly care and kindergartens, measured on foot only: the standards
    bring the car and motorcycle in on their own."""
    region = synth.mountain_county(11, n_villages=150, services=("elderly_care", "preschool"))
    return measure_access(region, profiles=("walk",), thresholds=(15,))


def test_standards_equal_nearest_and_the_catalogue_by_hand(served: AccessResults) -> None:
    """Each standard recomputed with plain pandas from travel.nearest: minutes to the tier or
    any tier above it (typed here from the catalogue's order), people of the group (unknown as
    0), summed for the county and for each township (the first 9 digits of a village code)."""
    region = served.region
    s = region.settlements
    township = s["admin_code"].str[:9]
    checked = 0
    for service in region.catalogue.services:
        names = [t.name for t in service.tiers]
        for std in service.standards:
            near = nearest(region, std.profile)
            above = names[names.index(std.tier) :]
            minutes = near[[f"minutes_to_{t}" for t in above]].min(axis=1)
            column = "population" if std.group == "all" else std.group
            people = s[column].fillna(0.0)
            met = people.where(minutes.to_numpy() <= std.minutes, 0.0)
            rows = served.standards[
                (served.standards["service"] == service.name)
                & (served.standards["tier"] == std.tier)
                & (served.standards["profile"] == std.profile)
            ].set_index("admin_code")
            assert rows.loc["", "population"] == pytest.approx(people.sum())
            assert rows.loc["", "covered_population"] == pytest.approx(met.sum())
            by_town = met.groupby(township).sum()
            for code, covered in by_town.items():
                assert rows.loc[code, "covered_population"] == pytest.approx(covered)
            missed = set(s.loc[minutes.to_numpy() > std.minutes, "id"])
            gaps_of = served.standard_gaps
            gaps_of = gaps_of[(gaps_of["tier"] == std.tier) & (gaps_of["profile"] == std.profile)]
            assert set(gaps_of["id"]) == missed
            checked += 1
    assert checked == 10  # health 3, school 2, preschool 2, elderly care 3
    shares = served.standards[served.standards["level"] == "region"].set_index("tier")["share"]
    assert 0 < shares["kindergarten"] < shares["central_kindergarten"] <= 1
    assert 0 < shares["elderly_day_care"] < 1


def test_standard_profiles_are_measured_but_not_reported_as_profiles(
    served: AccessResults,
) -> None:
    """The step's tables keep their profiles (walk); the standards' car and motorcycle are in
    the parameters in full."""
    assert set(served.times["profile"]) == {"walk"}
    assert set(served.coverage["profile"]) == {"walk"}
    assert set(served.standards["profile"]) == {"walk", "car", "motorcycle"}
    parameters = served.parameters()
    assert set(parameters["standard_profiles"]) == {"car", "motorcycle"}
    assert len(parameters["standards"]) == 10


def test_completeness_per_service_from_the_catalogue_levels(served: AccessResults) -> None:
    """Every township is checked for a health centre, an elderly care centre and a central
    kindergarten; a row is ok exactly when a facility of that tier lies in the township."""
    table = served.completeness
    region = served.region
    towns = region.admin_units.loc[region.admin_units["level"] == "township", "code"]
    fac = region.facilities
    for tier in ("township_health_center", "township_elderly_centre", "central_kindergarten"):
        rows = table[(table["level"] == "township") & (table["required_tier"] == tier)]
        assert sorted(rows["admin_code"]) == sorted(towns)
        holders = set(fac.loc[fac["tier"] == tier, "admin_code"].str[:9])
        expected = ["ok" if code in holders else "missing" for code in rows["admin_code"]]
        assert list(rows["status"]) == expected
    assert set(table["service"]) == {"health", "preschool", "elderly_care"}
