"""Partitioned runs give the single process's answers, to the bit.

The reference is the single-process run of the same analyses on the same region (the
ordinary :func:`accessplan.travel.network.build_network` on the whole province); the
partitioned run computes on county partitions with border buffers
(:mod:`accessplan.scale`). The province has 20 counties of few road nodes each (roads split
every 1 km), so that it builds in two seconds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accessplan import scale, synth
from accessplan.analyses import Context, analysis
from accessplan.measures.equity import DEFAULT_METHODS
from accessplan.region import Region
from accessplan.run import as_table
from accessplan.scale.partition import Query, _answer, buffer_box
from accessplan.settings import Scenario
from accessplan.travel.matrix import LocalEngine, nearest
from accessplan.travel.network import build_network
from accessplan.travel.profiles import get_profile


@pytest.fixture(scope="module")
def province() -> Region:
    return synth.province(
        20, seed=3, road_node_spacing_m=1000.0, n_townships=3, n_villages=40, border_roads=True
    )


def scenario() -> Scenario:
    access = Scenario.one_step("access", {"profiles": ["walk", "car"], "thresholds": [15, 30]})
    methods = [*DEFAULT_METHODS, "fca"]  # fca: settlements to settlements too
    equity = Scenario.one_step("equity", {"profile": "car", "catchment": 30, "methods": methods})
    return Scenario(region=None, steps=(access.steps[0], equity.steps[0]), name="province")


def single_process(region: Region, scen: Scenario) -> list:
    context = Context(region=lambda: region, seed=0, progress=lambda _: None)
    return [(s, analysis(s.kind).run(context, dict(s.options))) for s in scen.steps]


def county(code: pd.Series) -> pd.Series:
    return code.str[:6]


def csv_tables(results: list) -> dict[str, bytes]:
    """Each table as the bytes of its CSV in a run folder (``accessplan.run.as_table``,
    written as :func:`accessplan.run.write_run_folder` writes it)."""
    return {
        f"{step.name}/{name}.csv": as_table(frame).to_csv(index=False, lineterminator="\n").encode()
        for step, result in results
        for name, frame in result.tables().items()
    }


@pytest.fixture(scope="module")
def runs(province: Region, tmp_path_factory: pytest.TempPathFactory) -> dict:
    scen = scenario()
    single = single_process(province, scen)
    root = tmp_path_factory.mktemp("scale")
    run = scale.partition_region(province, root / "store", scale.SerialRunner(), hint=30.0)
    try:
        partitioned = scale.run_steps(run, scen)
    finally:
        scale.release(run)
    return {"single": single, "partitioned": partitioned, "reports": run.reports()}


def test_every_table_is_byte_identical(runs: dict) -> None:
    """Every table of the service circle and of equity, as the run folder's CSV, is the same
    bytes (so are the manifest's hashes of them)."""
    a, b = csv_tables(runs["single"]), csv_tables(runs["partitioned"])
    assert len(a) == 16  # 9 of the service circle, 7 of equity
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


def test_villages_whose_nearest_facility_is_across_a_county_border(
    runs: dict, province: Region
) -> None:
    """Such villages exist (named here), and the partitioned run finds the same facility
    and the same minutes for them: their county's partition saw across the border."""
    single = runs["single"][0][1].times
    partitioned = runs["partitioned"][0][1].times
    fac_county = dict(
        zip(province.facilities["id"], county(province.facilities["admin_code"]), strict=True)
    )
    crossing = {}
    for tier in ("township_health_center", "county_hospital", "primary"):
        nearest = single[f"nearest_{tier}"]
        other = nearest.map(fac_county).fillna("") != county(single["admin_code"])
        crossing[tier] = single.loc[other & (nearest != ""), ["id", "profile", f"nearest_{tier}"]]
    # on foot, V0086 (county 530103) is 184 minutes from H104, the health centre of county
    # 530108, its nearest; V0004 (530101) 339 minutes from its nearest hospital, H073 of
    # 530106; by car, V0044 is nearest to another county's hospital
    assert {"V0086", "V0098"} <= set(crossing["township_health_center"]["id"])
    assert {"V0004", "V0044"} <= set(crossing["county_hospital"]["id"])
    assert sum(len(c) for c in crossing.values()) >= 100
    rows = single["id"].isin(pd.concat(crossing.values())["id"])
    pd.testing.assert_frame_equal(single[rows], partitioned[rows])


def test_isochrones_are_the_same_shapes(runs: dict) -> None:
    """results.gpkg's isochrones: the reached road pieces are the same, so the polygons are."""
    a = runs["single"][0][1].isochrones
    b = runs["partitioned"][0][1].isochrones
    assert len(a) == len(b) > 0
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=0.0).all()


def test_a_partition_grows_its_buffer_where_times_exceed_it(runs: dict) -> None:
    """Walking to the nearest county hospital takes hours in places: a 30-minute buffer is
    not enough there, those partitions say so and compute again with a wider one."""
    walk = [r for r in runs["reports"] if r["profile"] == "walk"]
    grown = {code: p for r in walk for code, p in r["passes"].items() if len(p) > 1}
    assert grown
    for passes in grown.values():
        assert passes[0]["uncertain"] > 0 and passes[-1]["uncertain"] == 0
        assert passes[-1]["radius_m"] > passes[0]["radius_m"]


def test_answers_called_certain_are_exact_and_the_uncertain_ones_include_wrong_ones(
    province: Region, tmp_path: Path
) -> None:
    """One pass of every partition with a 2 km buffer, walking: each answer the check calls
    certain equals the whole network's; among those it does not, some are wrong: the check
    is needed, and it holds."""
    walk = get_profile("walk")
    whole = build_network(province, walk)
    rows = np.flatnonzero(province.facilities["tier"] == "county_hospital")
    truth, _ = LocalEngine(whole).nearest(whole.facility_nodes[rows], whole.settlement_nodes)
    n_set = len(province.settlements)
    hospitals = rows + n_set  # place indices: settlements, then facilities
    targets = np.arange(n_set)
    query = Query("nearest", hospitals, targets, (), 20.0)
    run = scale.partition_region(province, tmp_path / "store", scale.SerialRunner())
    try:
        run.network(walk, 1000.0)  # writes the walking joins
        store, key = run.store, next(iter(run.engines))
        sure_equal = wrong_unsure = 0
        for part in store.partitions():
            owned = {
                "places": store.owned("settlements", part.index),
                "edges": store.owned("road_edges", part.index),
            }
            sub = store.sub_region(buffer_box(part.core, 2000.0), key)
            answers, certain, _, _ = _answer(sub, walk, [query], owned, 1000.0)
            tpos, minutes, _ = answers[query.key()]
            sure = certain[query.key()]
            assert len(sure) == len(tpos) == len(owned["places"])  # every one here
            assert np.array_equal(minutes[sure], truth[tpos][sure])
            sure_equal += int(sure.sum())
            wrong_unsure += int((minutes[~sure] != truth[tpos][~sure]).sum())
    finally:
        scale.release(run)
    assert sure_equal > 100 and wrong_unsure > 10


def test_site_selection_runs_once_per_county(tmp_path: Path) -> None:
    """A step that is per county by nature (site selection) runs once per county, on the
    county's own villages and facilities, as steps ``site-<county code>``; each equals the
    analysis run directly on that county's region."""
    region = synth.province(
        4, seed=5, road_node_spacing_m=1000.0, n_townships=3, n_villages=30, border_roads=True
    )
    options = {"tier": "township_health_center", "model": "mclp", "p": 1, "threshold": 30}
    step = Scenario.one_step("site", options).steps[0]
    run = scale.partition_region(region, tmp_path / "store", scale.SerialRunner())
    try:
        results = scale.run_steps(run, Scenario(region=None, steps=(step,), name="site"))
    finally:
        scale.release(run)
    codes = sorted(region.admin_units.loc[region.admin_units["level"] == "county", "code"])
    assert [s.name for s, _ in results] == [f"site-{c}" for c in codes]
    for (named, result), part in zip(results, run.store.partitions(), strict=True):
        own = region.settlements.loc[county(region.settlements["admin_code"]) == part.code]
        assert sorted(result.region.settlements["id"]) == sorted(own["id"])
        again = single_process(
            run.store.county_region(part, buffer_box(part.core, scale.runner.COUNTY_BUFFER_M)),
            Scenario(region=None, steps=(step,), name="site"),
        )[0][1]
        assert csv_tables([(named, result)]) == csv_tables([(named, again)])


def test_a_store_written_again_with_other_inputs_never_serves_old_answers(
    tmp_path: Path,
) -> None:
    """Partitions keep their answers in the store (a rerun resumes); writing into the same
    store a region that differs only in where its facilities stand (the same searches by
    number) changes the inputs' digest, so its answers are computed afresh, not served
    from the first region's. (``nearest`` is not sent ahead: a round per tier.)"""
    first = synth.province(4, seed=5, road_node_spacing_m=1000.0, n_townships=2, n_villages=20)
    moved = first.facilities.copy()
    moved["geometry"] = moved.geometry.translate(xoff=700.0)
    answers = []
    for region in (first, dataclasses.replace(first, facilities=moved)):
        expected = nearest(region, "car")
        run = scale.partition_region(region, tmp_path / "store", scale.SerialRunner())
        try:
            got = nearest(region, "car")
        finally:
            scale.release(run)
        pd.testing.assert_frame_equal(got, expected)
        answers.append(got)
    assert not answers[0].equals(answers[1])
    assert len(list((tmp_path / "store" / "results").iterdir())) == 12  # 6 tiers x 2 regions
