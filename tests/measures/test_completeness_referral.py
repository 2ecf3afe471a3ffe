"""Three-tier completeness and the referral chain on hand-made cases."""

from __future__ import annotations

import pandas as pd
import pytest

from accessplan.measures import CompletenessRule, access_times, completeness, referral_chain
from accessplan.region import Region
from tests.travel.test_handmade import EXPECTED, road_walk, walk
from tests.travel.test_handmade import region as handmade  # noqa: F401  (fixture)

ADMIN = pd.DataFrame(
    {
        "code": ["530102", "530102101", "530102101001", "530102101002", "530102102"],
        "name": ["County", "Town A", "Village 1", "Village 2", "Town B"],
        "level": ["county", "township", "village", "village", "township"],
        "parent": ["", "530102", "530102101", "530102101", "530102"],
    }
)


@pytest.fixture
def admin_region(handmade: Region) -> Region:  # noqa: F811
    """S0, S_mid, S_off in village 1 (which holds the clinic and the centre); S3, S5 in
    village 2 (no clinic); the hospital in village 2; Town B has nothing."""
    s = handmade.settlements.copy()
    s["admin_code"] = [
        "530102101001",
        "530102101002",
        "530102101002",
        "530102101001",
        "530102101001",
    ]
    f = handmade.facilities.copy()
    f["admin_code"] = ["530102101001", "530102101001", "530102101002"]
    return Region(settlements=s, facilities=f, roads=handmade.roads, admin_units=ADMIN)


def test_completeness_lists_the_missing_tiers(admin_region: Region) -> None:
    """County has its hospital, Town A its centre, Town B none, village 2 no clinic."""
    table = completeness(admin_region).set_index("admin_code")
    assert table.loc["530102", "status"] == "ok" and table.loc["530102", "facilities"] == "hosp"
    assert table.loc["530102101", "status"] == "ok"
    assert table.loc["530102102", "status"] == "missing"
    assert table.loc["530102101001", "status"] == "ok"
    assert table.loc["530102101002", "status"] == "missing"


def test_clinic_within_time_rule(admin_region: Region) -> None:
    """Village 2's settlements are S3 (2.4 min to the clinic) and S5 (15.3 min: by car it
    must walk the one-way track back to node 2, 11.9 min, then drive 1 + 2.4): a 5-minute
    rule fails the village, a 16-minute rule passes it with S5 as the slowest."""
    times = access_times(admin_region, ("car",))
    strict = completeness(admin_region, times, rule=CompletenessRule(clinic_within_min=5))
    assert strict.set_index("admin_code").loc["530102101002", "status"] == "missing"
    loose = completeness(admin_region, times, rule=CompletenessRule(clinic_within_min=16))
    row = loose.set_index("admin_code").loc["530102101002"]
    assert row["status"] == "ok"
    assert row["slowest_clinic_min"] == pytest.approx(EXPECTED["S5"][0])
    assert 15 < EXPECTED["S5"][0] < 16
    with pytest.raises(ValueError, match="positive"):
        CompletenessRule(clinic_within_min=0)


def test_referral_chain_adds_both_legs(admin_region: Region) -> None:
    """S0 -> centre (1.5) -> hospital (0.5 + 4 along the one-way track) = 6.0 minutes."""
    table = referral_chain(admin_region, "car", limit_min=6.2).set_index("id")
    assert table.loc["S0", "to_first_min"] == pytest.approx(EXPECTED["S0"][1])
    assert table.loc["S0", "first_to_second_min"] == pytest.approx(4.5)
    assert table.loc["S0", "chain_min"] == pytest.approx(6.0)
    assert not table.loc["S0", "exceeds"]
    assert table.loc["S_off", "chain_min"] == pytest.approx(walk(100) + 0.5 + 4.5)
    # S5 walks the one-way track back (11.9 min) to reach the centre: over the 6.2-min limit
    assert table.loc["S5", "chain_min"] == pytest.approx(road_walk(1000) + 0.5 + 4.5)
    assert table.loc["S5", "exceeds"]
    assert table.loc["S0", "first_id"] == "thc" and table.loc["S0", "second_id"] == "hosp"


def test_referral_without_a_centre_flags_everyone_and_says_why(
    admin_region: Region, caplog: pytest.LogCaptureFixture
) -> None:
    """No township health centre: no chain can be completed; the log names the missing tier."""
    fac = admin_region.facilities
    region = Region(
        settlements=admin_region.settlements,
        facilities=fac[fac["tier"] != "township_health_center"].reset_index(drop=True),
        roads=admin_region.roads,
        admin_units=ADMIN,
    )
    with caplog.at_level("WARNING", logger="accessplan.measures.referral"):
        table = referral_chain(region, "car")
    assert table["exceeds"].all() and (table["first_id"] == "").all()
    assert "no township_health_center facility" in caplog.text
