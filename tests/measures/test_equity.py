"""Inequality statistics against PySAL ``inequality`` and hand computations, and the equity
analysis of a synthetic county: its tables add up, read the right facilities and refuse what
they cannot measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from access import Access
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from accessplan import synth
from accessplan.measures import equity
from accessplan.measures.equity import (
    concentration_index,
    gini,
    lorenz,
    measure_equity,
    theil,
)
from accessplan.region import Region
from accessplan.travel.matrix import place_times, travel_times

# PySAL access 1.1 sets indexes and drops columns in place, which pandas 3.1 warns about
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.fixture(scope="module")
def county() -> Region:
    return synth.mountain_county(2)


@pytest.fixture(scope="module")
def results(county: Region) -> equity.EquityResults:
    return measure_equity(county, methods=("2sfca", "e2sfca", "3sfca", "gravity", "raam"))


def people_of(county: Region) -> np.ndarray:
    return county.settlements["population"].to_numpy(dtype="float64")


# ----------------------------------------------------------------- statistics against PySAL
def expanded(values: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Every person written out with the value of their settlement: what PySAL's unweighted
    indices see as population weights (populations are whole numbers)."""
    return np.repeat(values, people.astype(np.int64))


def test_gini_equals_pysal_on_people(results: equity.EquityResults) -> None:
    """Population-weighted Gini of 2SFCA access (and of beds per person among townships)
    equals PySAL's Gini of the same people listed one by one, to 1e-12."""
    table = results.settlements
    x, w = table["access_2sfca"].to_numpy(), table["population"].to_numpy()
    assert gini(x, w) == pytest.approx(Gini(expanded(x, w)).g, abs=1e-12)
    units = results.units
    y, v = units["per_1000"].to_numpy(), units["population"].to_numpy()
    assert gini(y, v) == pytest.approx(Gini(expanded(y, v)).g, abs=1e-12)
    # without weights each value is one unit, as in PySAL
    assert gini(y) == pytest.approx(Gini(y).g, abs=1e-12)


def test_theil_and_its_split_equal_pysal(results: equity.EquityResults, county: Region) -> None:
    """Theil's T, and its between-township part, equal PySAL's Theil and TheilD on the people
    listed one by one, to 1e-12; PySAL's within part is T minus between, ours is summed over
    the townships on its own, and they agree too."""
    table = results.settlements
    x, w = table["access_e2sfca"].to_numpy(), table["population"].to_numpy()
    town = table["unit_code"].to_numpy()
    ours = theil(x, w, town)
    people = expanded(x, w)
    groups = np.repeat(town, w.astype(np.int64))
    peer = TheilD(people, groups)
    assert ours.total == pytest.approx(float(Theil(people).T), abs=1e-12)
    assert ours.between == pytest.approx(float(np.asarray(peer.bg).ravel()[0]), abs=1e-12)
    assert ours.within == pytest.approx(float(np.asarray(peer.wg).ravel()[0]), abs=1e-12)


def test_equal_shares_have_no_inequality() -> None:
    """Everybody with the same value: Gini 0, Theil 0, nothing between or within groups."""
    x = np.full(6, 3.5)
    w = np.array([10.0, 20.0, 5.0, 1.0, 7.0, 2.0])
    assert gini(x, w) == pytest.approx(0.0, abs=1e-15)
    split = theil(x, w, ["a", "a", "b", "b", "c", "c"])
    assert (split.total, split.between, split.within) == pytest.approx((0, 0, 0), abs=1e-15)
    curve = lorenz(x, w)
    np.testing.assert_allclose(curve["population_share"], curve["value_share"], atol=1e-15)


def test_one_holder_of_everything() -> None:
    """One of n equal units holds all: Gini (n - 1) / n (the n² form PySAL uses) and Theil
    ln n, all of it between two groups that split the holder from the rest."""
    x = np.array([0.0, 0.0, 0.0, 0.0, 8.0])
    assert gini(x) == pytest.approx(4 / 5, abs=1e-15)
    split = theil(x, None, ["rest", "rest", "rest", "rest", "holder"])
    assert split.total == pytest.approx(np.log(5), abs=1e-15)
    assert split.between == pytest.approx(np.log(5), abs=1e-15)
    assert split.within == pytest.approx(0.0, abs=1e-15)


def test_theil_split_adds_up_exactly(results: equity.EquityResults) -> None:
    """Between + within = total for every variable and partition the analysis split, and the
    groups' contributions add up to within."""
    for row in results.theil.itertuples(index=False):
        assert row.between + row.within == pytest.approx(row.total, abs=1e-14)
        groups = results.theil_groups
        mine = groups[(groups["variable"] == row.variable) & (groups["partition"] == row.partition)]
        assert mine["contribution"].sum() == pytest.approx(row.within, abs=1e-14)
        assert mine["value_share"].sum() == pytest.approx(1.0, abs=1e-14)


# Five settlements ranked by income (given out of order below):
#
#   income   people   access h   people before   fractional rank R = (before + people/2) / 1000
#     10      100        1             0              0.05
#     20      200        2           100              0.20
#     30      100        2           300              0.35
#     40      300        4           400              0.55
#     50      300        5           700              0.85
#
#   sum(w h) = 100 + 400 + 200 + 1200 + 1500 = 3400
#   sum(w h R) = 5 + 80 + 70 + 660 + 1275 = 2090
#   C = 2 * 2090 / 3400 - 1 = 780 / 3400 = 39 / 170 (access favours the better-off)
INCOME = np.array([30.0, 10.0, 50.0, 20.0, 40.0])
PEOPLE = np.array([100.0, 100.0, 300.0, 200.0, 300.0])
ACCESS = np.array([2.0, 1.0, 5.0, 2.0, 4.0])


def test_concentration_index_on_five_settlements() -> None:
    """The index equals the hand computation above, whatever the order of the rows."""
    assert concentration_index(ACCESS, INCOME, PEOPLE) == pytest.approx(39 / 170, abs=1e-15)


def test_concentration_index_ties_and_reversal() -> None:
    """Reversing the ordering flips the sign; two settlements with the same income share the
    mean of their ranks, so swapping their access changes nothing."""
    assert concentration_index(ACCESS, -INCOME, PEOPLE) == pytest.approx(-39 / 170, abs=1e-15)
    tied = np.array([30.0, 10.0, 50.0, 30.0, 40.0])
    swapped = ACCESS.copy()
    swapped[[0, 3]] = swapped[[3, 0]]
    assert concentration_index(ACCESS, tied, PEOPLE) == pytest.approx(
        concentration_index(swapped, tied, PEOPLE), abs=1e-15
    )


# ------------------------------------------------------------------------------ the analysis
def test_access_columns_equal_pysal_on_the_engine_table(
    county: Region, results: equity.EquityResults
) -> None:
    """The analysis's 2SFCA and 3SFCA, per 1,000 people, equal PySAL's on the long table of
    travel_times (car, 60 minutes) with the health facilities holding beds: the analysis
    reads the right facilities, people and pairs."""
    fac = county.facilities
    fac = fac[(fac["service"] == "health") & (fac["beds"] > 0)]
    table = travel_times(county, "car", cutoff=60)
    table = table[table["to_id"].isin(fac["id"])]
    peer = Access(
        demand_df=county.settlements[["id", "population"]],
        demand_index="id",
        demand_value="population",
        supply_df=fac[["id", "beds"]],
        supply_index="id",
        supply_value="beds",
        cost_df=table,
        cost_origin="from_id",
        cost_dest="to_id",
        cost_name="minutes",
    )
    ids = county.settlements["id"]
    mine = results.settlements.set_index("id")
    two = peer.two_stage_fca(max_cost=60)["2sfca_beds"].reindex(ids).fillna(0.0)
    # PySAL's default 3SFCA steps are Wan's for 60 minutes, the analysis's default here
    three = peer.three_stage_fca(max_cost=60)["3sfca_beds"].reindex(ids).fillna(0.0)
    np.testing.assert_allclose(mine["access_2sfca"], 1000 * two.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(mine["access_3sfca"], 1000 * three.to_numpy(), rtol=1e-9)


@pytest.mark.filterwarnings("ignore:some tracts may be unaccounted:UserWarning")
def test_catchment_ratio_reads_times_towards_each_settlement(county: Region) -> None:
    """The ratio's people are those who reach settlement i within the catchment: PySAL's
    fca_ratio on place_times read from each other settlement k to i (one search per origin,
    the dense route) gives the analysis's numbers."""
    ids = county.settlements["id"].tolist()
    towards = place_times(county, "car", ids, ids)
    towards = towards[towards["minutes"] <= 60].rename(
        columns={"from_id": "to_id", "to_id": "from_id"}
    )
    fac = county.facilities
    fac = fac[(fac["service"] == "health") & (fac["doctors"] > 0)]
    table = travel_times(county, "car", cutoff=60)
    peer = Access(
        demand_df=county.settlements[["id", "population"]],
        demand_index="id",
        demand_value="population",
        supply_df=fac[["id", "doctors"]],
        supply_index="id",
        supply_value="doctors",
        cost_df=table[table["to_id"].isin(fac["id"])],
        cost_origin="from_id",
        cost_dest="to_id",
        cost_name="minutes",
        neighbor_cost_df=towards,
        neighbor_cost_origin="from_id",
        neighbor_cost_dest="to_id",
        neighbor_cost_name="minutes",
    )
    theirs = peer.fca_ratio(max_cost=60)["fca_doctors"].reindex(ids).fillna(0.0)
    mine = measure_equity(county, resource="doctors", methods=("fca",)).settlements
    np.testing.assert_allclose(mine["access_fca"], 1000 * theirs.to_numpy(), rtol=1e-9)


def test_units_add_up(county: Region, results: equity.EquityResults) -> None:
    """Townships hold every person and every bed; densities and the HRAD/PAD ratio follow
    from the counts (resource share over people share); need is the settlements' need and
    rank 1 has the most."""
    units = results.units
    beds = county.facilities.loc[county.facilities["service"] == "health", "beds"].sum()
    assert units["resource"].sum() == pytest.approx(beds)
    assert units["population"].sum() == pytest.approx(people_of(county).sum())
    assert (units["level"] == "township").all() and len(units) == 24
    np.testing.assert_allclose(units["per_1000"], 1000 * units["resource"] / units["population"])
    np.testing.assert_allclose(
        units["hrad_pad"],
        (units["resource"] / beds) / (units["population"] / units["population"].sum()),
    )
    assert units["area_km2"].isna().all() and units["hrad"].isna().all()  # no areas here
    assert units["need"].sum() == pytest.approx(results.settlements["need"].sum())
    assert units.loc[units["need_rank"] == 1, "need"].iat[0] == units["need"].max()
    below = units["per_1000"] < 6.0  # the default reference for beds
    assert (units["meets_reference"] == ~below).all()


def test_areas_give_densities_and_agglomeration(county: Region) -> None:
    """With an area per township, per km² = beds / area, HRAD = beds share / area share,
    PAD = people share / area share, and HRAD / PAD equals the area-free ratio."""
    admin = county.admin_units.copy()
    towns = admin["level"] == "township"
    admin.loc[towns, "area_km2"] = np.linspace(20.0, 120.0, int(towns.sum()))
    region = Region(county.settlements, county.facilities, county.roads, admin_units=admin)
    units = measure_equity(region, methods=("2sfca",)).units
    area = units["area_km2"]
    np.testing.assert_allclose(units["per_km2"], units["resource"] / area)
    np.testing.assert_allclose(
        units["hrad"], (units["resource"] / units["resource"].sum()) / (area / area.sum())
    )
    np.testing.assert_allclose(units["hrad"] / units["pad"], units["hrad_pad"])


def test_urban_rural_and_ordering(county: Region) -> None:
    """An urban-rural code on the settlements (111 urban, 220 rural) adds an urban/rural
    split of Theil's index; an income column adds the concentration index, equal to the
    function's on the same rows."""
    settle = county.settlements.copy()
    seat_town = settle["admin_code"].str[:9] == "530102101"
    settle["urban_rural"] = np.where(seat_town, "111", "220")
    settle["income"] = np.linspace(5_000, 15_000, len(settle))
    region = Region(settle, county.facilities, county.roads, admin_units=county.admin_units)
    result = measure_equity(region, methods=("2sfca",), order="income")
    split = result.theil.set_index("partition").loc["urban_rural"]
    assert split["between"] + split["within"] == pytest.approx(split["total"], abs=1e-14)
    table = result.settlements
    assert set(table["urban_rural"]) == {"urban", "rural"}
    ineq = result.inequality.set_index("measure")
    expected = concentration_index(table["access_2sfca"], settle["income"], table["population"])
    assert ineq.loc["concentration", "value"] == pytest.approx(expected, abs=1e-15)
    assert result.summary()["concentration_index"] == pytest.approx(expected, abs=1e-15)


def test_urban_rural_from_osm_place_kinds(county: Region) -> None:
    """Without an urban_rural column, OSM's place kind decides when every settlement has
    one (towns urban, villages rural); one settlement of unknown kind and nothing is split."""
    settle = county.settlements.copy()
    settle["place"] = np.where(settle["admin_code"].str[:9] == "530102101", "town", "village")
    region = Region(settle, county.facilities, county.roads, admin_units=county.admin_units)
    result = measure_equity(region, methods=("2sfca",))
    assert result.urban_rural == "place"
    town = (settle["place"] == "town").to_numpy()
    assert (result.settlements["urban_rural"].to_numpy()[town] == "urban").all()
    assert (result.settlements["urban_rural"].to_numpy()[~town] == "rural").all()
    settle.loc[0, "place"] = ""
    region = Region(settle, county.facilities, county.roads, admin_units=county.admin_units)
    unsure = measure_equity(region, methods=("2sfca",))
    assert unsure.urban_rural == "" and "urban_rural" not in set(unsure.theil["partition"])


def test_region_without_admin_units(county: Region) -> None:
    """Without admin units the whole region is the one unit and nothing is split."""
    region = Region(county.settlements, county.facilities, county.roads)
    result = measure_equity(region, methods=("2sfca",))
    assert result.unit_level == "region" and len(result.units) == 1
    assert result.units["resource"].iat[0] == pytest.approx(result.facilities["supply"].sum())
    assert result.theil.empty


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"resource": "nurses"}, ["'nurses'", "numeric columns are", "'beds'", "'doctors'"]),
        ({"tiers": ["village_clinic"]}, ["no health facility", "'beds'"]),
        ({"tiers": ["clinic"]}, ["unknown health tier", "village_clinic"]),
        ({"service": "water"}, ["unknown service", "health"]),
        ({"methods": ["2sfca", "pagerank"]}, ["pagerank", "3sfca"]),
        ({"order": "income"}, ["'income'", "population"]),
        ({"catchment": 0}, ["catchment"]),
    ],
)
def test_what_cannot_be_measured_is_refused(
    county: Region, options: dict[str, object], words: list[str]
) -> None:
    """A resource column the facilities lack (the message lists those they have), tiers
    without the resource, unknown names and an empty catchment are refused."""
    with pytest.raises(ValueError) as caught:
        measure_equity(county, **options)  # type: ignore[arg-type]
    for word in words:
        assert word in str(caught.value)


def test_same_inputs_same_tables(county: Region, results: equity.EquityResults) -> None:
    """A second run gives identical tables, RAAM included."""
    again = measure_equity(county, methods=results.methods)
    for name, table in results.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], check_exact=True)
