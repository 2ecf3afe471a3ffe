"""Partitioned runs on a Dask LocalCluster of two worker processes.

The reference is the single-process run of the same steps (tests/scale/test_partitioned.py
builds the same province and scenario).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accessplan import scale
from accessplan.region import Region
from accessplan.run import run_scenario
from accessplan.settings import Scenario
from tests.scale.test_partitioned import csv_tables, province, scenario, single_process

distributed = pytest.importorskip("distributed", reason="the `distributed` extra (Dask)")

__all__ = ["province"]  # the fixture, shared


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def reference(province: Region) -> dict[str, bytes]:
    return csv_tables(single_process(province, scenario()))


def test_a_worker_killed_mid_run_the_run_completes_with_the_same_tables(
    province: Region, client: Any, reference: dict[str, bytes], tmp_path: Path
) -> None:
    """One of the two workers is killed (SIGKILL) while it computes a partition; its nanny
    starts a new one, Dask runs the lost tasks again, and the tables are the single
    process's."""
    pids = client.run(os.getpid)
    run = scale.partition_region(province, tmp_path / "store", scale.DaskRunner(client))
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["results"] = scale.run_steps(run, scenario())
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            victim = busy[0]
            os.kill(pids[victim], signal.SIGKILL)
        time.sleep(0.05)
    thread.join(timeout=600)
    scale.release(run)
    assert victim is not None, "no task was seen running"
    assert "error" not in out, out.get("error")
    assert pids[victim] not in client.run(os.getpid).values()  # it was replaced
    assert csv_tables(out["results"]) == reference


def test_run_distributed_writes_the_single_process_run_folder(
    province: Region, tmp_path: Path
) -> None:
    """``accessplan run --distributed`` (run_distributed on its own LocalCluster) and
    ``accessplan run`` on the same scenario file write the same tables (the manifests list
    the same files and the same SHA-256 of every table)."""
    province.write(tmp_path / "province.gpkg")
    (tmp_path / "scenario.toml").write_text(
        'name = "province"\n[region]\npath = "province.gpkg"\n'
        '[[steps]]\nkind = "equity"\nprofile = "car"\ncatchment = 30\n',
        "utf-8",
    )
    scen = Scenario.from_toml(tmp_path / "scenario.toml")
    run_scenario(scen, out=tmp_path / "single")
    seen: list[tuple[str, int, int]] = []
    scale.run_distributed(
        scen,
        out=tmp_path / "partitioned",
        store=tmp_path / "store",
        round_progress=lambda label, done, total: seen.append((label, done, total)),
    )
    single = json.loads((tmp_path / "single" / "manifest.json").read_text("utf-8"))
    partitioned = json.loads((tmp_path / "partitioned" / "manifest.json").read_text("utf-8"))
    assert single["outputs"] == partitioned["outputs"] and len(single["outputs"]) == 7
    assert single["files"] == partitioned["files"]
    assert seen[-1][1] == seen[-1][2] == 20  # one task per county, all done
    report = json.loads((tmp_path / "store" / "report.json").read_text("utf-8"))
    assert {len(r["passes"]) for r in report} == {20}
