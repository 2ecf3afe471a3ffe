"""The load benchmark (benchmarks/web_load.py) in a bounded run: users reading results over
loopback while a job runs get every answer (no error), and the job runs all along. The full
run (50 users, 60 s, mobile tours) runs with ACCESSPLAN_WEB_LONG=1; its figures are in
benchmarks/README.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.web.conftest import long_run

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "web_load.py"


def benchmark() -> ModuleType:
    """benchmarks/web_load.py as a module (benchmarks/ is no package)."""
    if "web_load" in sys.modules:
        return sys.modules["web_load"]
    spec = importlib.util.spec_from_file_location("web_load", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["web_load"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def check(figures: dict[str, object], seconds: float) -> None:
    assert figures["errors"] == 0, figures["error_kinds"]
    assert int(figures["requests"]) > 0  # type: ignore[call-overload]
    job = figures["long_job"]
    assert isinstance(job, dict)
    assert job["running_s"] > 0.8 * seconds  # a job ran while the users read


def test_readers_while_a_job_runs() -> None:
    """Ten users for five seconds, no think time, the service circle running."""
    figures = benchmark().measure(10, 5.0, "access", compare_with_itself=True)
    check(figures, 5.0)
    kinds = {"runs", "run", "jobs", "layer (GeoJSON)", "township table", "CSV", "compare"}
    assert set(figures["by_kind"]) == kinds | {"roads (GeoJSON)"}


@pytest.mark.slow
@long_run
def test_fifty_readers_for_a_minute() -> None:
    """The issue's load: 50 users for 60 s while mobile tours are planned."""
    figures = benchmark().measure(50, 60.0, "mobile")
    check(figures, 60.0)
