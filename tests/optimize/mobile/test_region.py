"""A mobile problem from a synthetic county: the villages beyond the threshold, travel times
of the one engine, km along the fastest paths (re-walked arc by arc here), and bad input
refused with one clear error."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from accessplan import synth
from accessplan._errors import InputError
from accessplan.optimize.mobile import Setup, build_setup, working_calendar
from accessplan.region import Region
from accessplan.travel import nearest, network_for, place_times
from accessplan.travel.network import DRIVE


@pytest.fixture(scope="module")
def county() -> Region:
    return synth.mountain_county(5, n_townships=5, n_villages=80)


@pytest.fixture(scope="module")
def setup(county: Region) -> Setup:
    return build_setup(county, days=10, vehicles={"township_health_center": 1})


def test_villages_are_those_beyond_the_threshold(county: Region, setup: Setup) -> None:
    """Minutes to the nearest health centre or hospital on foot, from travel.nearest."""
    near = nearest(county, "walk").set_index("id")
    minutes = near[["minutes_to_township_health_center", "minutes_to_county_hospital"]].min(axis=1)
    beyond = set(minutes.index[minutes > 15.0])
    assert set(setup.villages["id"]) == beyond
    assert (setup.villages["visits"] >= 1).all()


def test_times_come_from_place_times(county: Region, setup: Setup) -> None:
    ids = [*setup.depots["id"], *setup.villages["id"]]
    times = place_times(county, "mobile_clinic", ids[:3], ids[-2:])
    for row in times.itertuples():
        a, b = ids.index(row.from_id), ids.index(row.to_id)
        assert setup.problem.duration[a, b] == pytest.approx(row.minutes)


def test_km_is_the_drive_along_the_fastest_path(county: Region, setup: Setup) -> None:
    """Walk the predecessor chain of a few trips arc by arc and add each drive arc's length."""
    network = network_for(county, "mobile_clinic")
    g = network.graph
    node = dict(zip(county.facilities["id"], network.facility_nodes, strict=True))
    node.update(zip(county.settlements["id"], network.settlement_nodes, strict=True))
    ids = [*setup.depots["id"], *setup.villages["id"]]
    for a, b in [(0, len(ids) - 1), (len(ids) - 1, 0), (1, 7), (8, 2)]:
        _, pred = dijkstra(g, indices=node[ids[a]], return_predecessors=True)
        here, km = node[ids[b]], 0.0
        while here != node[ids[a]]:
            back = pred[here]
            row = slice(g.indptr[back], g.indptr[back + 1])
            arcs = [k for k in range(row.start, row.stop) if g.indices[k] == here]
            k = min(arcs, key=lambda k: g.data[k])
            if network.arc_mode[k] == DRIVE:
                dx, dy = network.node_xy[here] - network.node_xy[back]
                km += math.hypot(dx, dy) / 1000.0
            here = back
        assert setup.km[a, b] == pytest.approx(km, abs=1e-3)


def test_bad_input_gives_one_clear_error(county: Region) -> None:
    with pytest.raises(InputError, match="no village is beyond 500 minutes"):
        build_setup(county, threshold=500.0, days=5)
    with pytest.raises(InputError, match="'V0003' is neither a facility tier"):
        build_setup(county, days=5, vehicles={"V0003": 1})
    with pytest.raises(InputError, match="shorter than the fastest round trip"):
        build_setup(county, days=5, workday=10.0)
    with pytest.raises(InputError, match="days must be a whole number"):
        build_setup(county, days=0)
    with pytest.raises(InputError, match="weekdays must be numbers 0"):
        working_calendar(5, start="2025-03-03", weekdays=[7])
    with pytest.raises(InputError, match="holidays need a start date"):
        working_calendar(5, holidays=["2025-05-01"])
    every_day = [dt.date(2025, 1, 1) + dt.timedelta(days=d) for d in range(400)]
    with pytest.raises(InputError, match="fewer than 5 working days"):
        working_calendar(5, start="2025-01-01", holidays=every_day)


def test_calendar_with_weekends_and_holidays() -> None:
    """From Friday 2 May 2025 with 5 May off: Fri, (Sat, Sun, Mon off), Tue, Wed."""
    cal = working_calendar(3, start="2025-05-02", holidays=["2025-05-05"])
    assert cal.labels == (
        "2025-05-02",
        "2025-05-03",
        "2025-05-04",
        "2025-05-05",
        "2025-05-06",
        "2025-05-07",
    )
    assert cal.working == (True, False, False, False, True, True)
    assert np.sum(cal.working) == 3
