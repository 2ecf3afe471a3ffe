"""Financial-protection indicators against values worked out by hand on five households, and
SDG 3.8.2 on a synthetic survey against an independent pandas computation.

The five households (money a year; people weight = weight x size):

    hh  township consumption  oop  size weight food  oop/c  people
    A   T1          10,000  1,000    1     2  4,000  0.10     2
    B   T1          20,000  3,000    2     1  9,000  0.15     2
    C   T2           8,000  4,000    4     1  5,000  0.50     4
    D   T2          30,000      0    3     1 12,000  0.00     3
    E   T2          12,000  3,000    2     2  6,000  0.25     4      (15 people in all)

A sits exactly on the 10% threshold and E exactly on 25%: "greater than" leaves them out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan._errors import InputError
from accessplan.monitor.indicators import (
    IndicatorConfig,
    capacity_to_pay,
    discretionary_budget_share,
    financial_protection,
    impoverishment,
    overshoot,
    sdg_382,
    societal_poverty_line,
    spl_amounts,
    within_county_share,
    xu_subsistence_line,
)

FIVE = pd.DataFrame(
    {
        "id": ["A", "B", "C", "D", "E"],
        "township": ["T1", "T1", "T2", "T2", "T2"],
        "consumption": [10_000.0, 20_000, 8_000, 30_000, 12_000],
        "oop": [1_000.0, 3_000, 4_000, 0, 3_000],
        "size": [1, 2, 4, 3, 2],
        "weight": [2.0, 1, 1, 1, 2],
        "food": [4_000.0, 9_000, 5_000, 12_000, 6_000],
    }
)


def test_sdg_382_by_hand() -> None:
    """10%: B, C and E are above (A is on the line) -> 2+4+4 of 15 people; 25%: only C (E is on
    the line) -> 4 of 15."""
    got = sdg_382(FIVE)
    assert got[0.10] == pytest.approx(10 / 15)
    assert got[0.25] == pytest.approx(4 / 15)


def test_discretionary_budget_by_hand() -> None:
    """SPL 3,000 a person: budgets A 7,000, B 14,000, C -4,000, D 21,000, E 6,000. Above 40%:
    C (no budget, pays 4,000) and E (3,000 > 2,400); D pays nothing -> 8 of 15 people."""
    assert discretionary_budget_share(FIVE, spl=3_000) == pytest.approx(8 / 15)


def test_societal_poverty_line_by_hand() -> None:
    """Consumption per person, people-weighted: C 2,000 (4), E 6,000 (4), A, B, D 10,000 (7):
    half of 15 people is reached at E, so the median is 6,000 and the SPL max(2,000,
    500 + 3,000) = 3,500; with a floor of 4,000 the floor wins."""
    assert societal_poverty_line(FIVE, floor=2_000, base=500) == pytest.approx(3_500)
    assert societal_poverty_line(FIVE, floor=4_000, base=500) == pytest.approx(4_000)


def test_spl_amounts_convert_dollars_a_day() -> None:
    """$2.15 and $1.15 a day at 4 yuan per PPP dollar over 365 days."""
    assert spl_amounts(4.0) == pytest.approx((2.15 * 4 * 365, 1.15 * 4 * 365))


def test_xu_subsistence_line_by_hand() -> None:
    """Food shares with household weights: A 0.40 (2), D 0.40 (1), B 0.45 (1), E 0.50 (2),
    C 0.625 (1); cumulative 2, 3, 4, 6, 7 of 7. The 45th (3.15) and 55th (3.85) percentiles
    are both B's 0.45, so the line is B's food per equivalent person, 9,000 / 2**0.56."""
    assert xu_subsistence_line(FIVE) == pytest.approx(9_000 / 2**0.56)


def test_capacity_to_pay_by_hand() -> None:
    """Subsistence line 2,500 per equivalent person, exponent 0.56:
    A se 2,500, food above -> ctp 7,500, 40% = 3,000 > 1,000: no;
    B se 2,500*2**0.56 = 3,685.7 -> ctp 16,314 -> 6,526 > 3,000: no;
    C se 2,500*4**0.56 = 5,433.7 > food 5,000 -> ctp = 8,000 - 5,000 = 3,000, 40% = 1,200 <=
    4,000: yes; D pays nothing: no; E ctp 8,314 -> 3,326 > 3,000: no. -> C's 4 of 15."""
    assert capacity_to_pay(FIVE, subsistence_line=2_500) == pytest.approx(4 / 15)
    # Without food spending capacity to pay is always c - se: C's ctp is 8,000 - 5,433.7,
    # 40% = 1,027 <= 4,000, still yes; the others as above.
    no_food = FIVE.drop(columns="food")
    assert capacity_to_pay(no_food, subsistence_line=2_500) == pytest.approx(4 / 15)
    # A line of 6,000: C's food 5,000 < se 13,040 -> ctp 3,000 (yes); E's food 6,000 < se
    # 8,846 -> ctp 12,000 - 6,000, 40% = 2,400 <= 3,000: yes; B se 8,846 -> ctp 11,154 ->
    # 4,462 > 3,000: no; A's food 4,000 < se 6,000 -> ctp 6,000 -> 2,400 > 1,000: no.
    assert capacity_to_pay(FIVE, subsistence_line=6_000) == pytest.approx(8 / 15)


def test_impoverishment_by_hand() -> None:
    """Line 5,000 a person. Per person before/after paying: A 10,000/9,000, B 10,000/8,500,
    C 2,000/1,000, D 10,000/10,000, E 6,000/4,500. Poor before: C (4); after: C, E (8); pushed
    below: E (4); further below: C (4). Gaps: before 3,000 x 4 / 15 = 800; after
    (4,000 x 4 + 500 x 4) / 15 = 1,200; change 400, 0.08 of the line."""
    got = impoverishment(FIVE, poverty_line=5_000)
    assert got["headcount_before"] == pytest.approx(4 / 15)
    assert got["headcount_after"] == pytest.approx(8 / 15)
    assert got["pushed_below"] == pytest.approx(4 / 15)
    assert got["further_below"] == pytest.approx(4 / 15)
    assert got["gap_before"] == pytest.approx(800)
    assert got["gap_after"] == pytest.approx(1_200)
    assert got["gap_change"] == pytest.approx(400)
    assert got["gap_change_normalised"] == pytest.approx(0.08)


def test_overshoot_by_hand() -> None:
    """At 10%: B (0.05 over), C (0.40), E (0.15) above; H = 10/15, O = (2*0.05 + 4*0.40 +
    4*0.15)/15 = 2.3/15, MPO = O/H = 0.23."""
    got = overshoot(FIVE, threshold=0.10)
    assert got["headcount"] == pytest.approx(10 / 15)
    assert got["overshoot"] == pytest.approx(2.3 / 15)
    assert got["mean_positive_overshoot"] == pytest.approx(0.23)
    # Nobody above 60%: no overshoot, and the mean over nobody is undefined.
    none = overshoot(FIVE, threshold=0.60)
    assert none["overshoot"] == 0 and math.isnan(none["mean_positive_overshoot"])


def test_financial_protection_by_township() -> None:
    """The grouped table repeats the functions per township with the lines of all households:
    T1 (A, B; 4 people): 10% B's 2 of 4, 25% none; T2 (C, D, E; 11 people): 10% C, E = 8/11,
    25% C = 4/11. The SPL (500 + 0.5 x 6,000 = 3,500) is computed once, on everyone."""
    config = IndicatorConfig(poverty_line=5_000, spl_floor=2_000, spl_base=500)
    table = financial_protection(FIVE, config, by="township").set_index("group")
    assert list(table.index) == ["all", "T1", "T2"]
    assert table.loc["all", "sdg382_10"] == pytest.approx(10 / 15)
    assert table.loc["T1", "sdg382_10"] == pytest.approx(2 / 4)
    assert table.loc["T1", "sdg382_25"] == 0
    assert table.loc["T2", "sdg382_10"] == pytest.approx(8 / 11)
    assert table.loc["T2", "sdg382_25"] == pytest.approx(4 / 11)
    assert (table["spl"] == 3_500).all()
    # T2 with SPL 3,500: C budget 8,000 - 14,000 < 0 (yes), E 12,000 - 7,000 = 5,000 -> 2,000
    # < 3,000 (yes) -> 8 of 11.
    assert table.loc["T2", "discretionary_40"] == pytest.approx(8 / 11)
    assert table.loc["T1", "people"] == 4 and table.loc["T2", "households"] == 3


def test_bad_households_are_refused_with_rows() -> None:
    """Negative payments and empty households are refused, naming the rows."""
    bad = FIVE.assign(oop=[1.0, -5, 0, 0, 0])
    with pytest.raises(InputError, match=r"oop.*\[1\]"):
        sdg_382(bad)
    with pytest.raises(InputError, match="size"):
        sdg_382(FIVE.assign(size=[1, 0, 1, 1, 1]))
    with pytest.raises(InputError, match="share"):
        IndicatorConfig(poverty_line=1, sdg_thresholds=(1.5,))


def test_sdg_382_equals_pandas_on_a_synthetic_survey() -> None:
    """2,000 households drawn from a seeded generator; the reference is a plain pandas
    computation of the metadata's formula, sharing no code with the library."""
    rng = np.random.default_rng(382)
    n = 2_000
    survey = pd.DataFrame(
        {
            "consumption": rng.lognormal(10, 0.6, n),
            "size": rng.integers(1, 8, n),
            "weight": rng.uniform(50, 400, n),
        }
    )
    survey["oop"] = survey["consumption"] * rng.beta(0.5, 6, n) * (rng.random(n) < 0.7)
    reference = {}
    for threshold in (0.10, 0.25):
        people = survey["weight"] * survey["size"]
        large = survey["oop"] / survey["consumption"] > threshold
        reference[threshold] = people[large].sum() / people.sum()
    got = sdg_382(survey)
    assert got[0.10] == pytest.approx(reference[0.10], rel=1e-12)
    assert got[0.25] == pytest.approx(reference[0.25], rel=1e-12)
    assert 0.05 < reference[0.10] < 0.6  # the draw exercises both sides of the threshold


def test_within_county_share_by_hand() -> None:
    """Six claims of county 530102 patients: township T1 village clinic 2 (both within),
    township hospital 2 (one within), T2 county hospital 2 (one within, the other in 530103).
    Overall 4 of 6 within (66.7%, below the 90% target); by cost 100+100+200+1,000 within of
    100+100+200+300+1,000+3,000: 1,400 / 4,700."""
    claims = pd.DataFrame(
        {
            "township": ["T1", "T1", "T1", "T1", "T2", "T2"],
            "tier": ["village_clinic"] * 2
            + ["township_health_center"] * 2
            + ["county_hospital"] * 2,
            "home_county": ["530102"] * 6,
            "provider_county": ["530102", "530102", "530102", "530111", "530102", "530103"],
            "total_cost": [100.0, 100, 200, 300, 1_000, 3_000],
        }
    )
    table = within_county_share(claims).set_index(["township", "tier"])
    overall = table.loc[("all", "all")]
    assert (overall["claims"], overall["within"]) == (6, 4)
    assert overall["share"] == pytest.approx(4 / 6)
    assert overall["cost_share"] == pytest.approx(1_400 / 4_700)
    assert not overall["meets_target"]
    assert table.loc[("T1", "village_clinic"), "share"] == 1.0
    assert table.loc[("T1", "village_clinic"), "meets_target"]
    assert table.loc[("T1", "all"), "share"] == pytest.approx(3 / 4)
    assert table.loc[("all", "county_hospital"), "share"] == pytest.approx(1 / 2)
