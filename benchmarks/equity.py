"""2SFCA and E2SFCA on a synthetic province: accessplan against PySAL ``access`` on one cost table.

The province (``synth.province``, about 20,000 settlements) gives its doctors at about 2,000
health facilities: every county hospital and township health centre, and village clinics
drawn with a seed to make up ``--facilities``. The car times within 60 minutes are computed
once (accessplan's bounded search) and written as the long table ``from_id, to_id, minutes``
that both libraries read:

* ``accessplan pairs``: from the engine's sparse rows (settlement row, facility row, minutes),
  the way ``measure_equity`` reads them: ``fca.Pairs`` then ``fca.two_step``;
* ``accessplan table``: from the long table with string ids: ``fca.Pairs.from_table`` (ids to
  rows) then ``fca.two_step``;
* ``PySAL access``: ``Access(...)`` on the same long table, then ``two_stage_fca(max_cost=60)``
  or ``enhanced_two_stage_fca`` with ``weights.step_fn({20: 1, 40: 0.68, 60: 0.22})`` (Luo &
  Qi's steps stretched to 60 minutes; accessplan gets the same ``Steps``).

``--methods 2sfca,e2sfca,raam`` adds RAAM (PySAL's builds dense settlements x facilities
arrays: about 170 s and 2.3 GB a run here, so give it ``--repeats 1``).

Each (engine, method) runs in its own subprocess (this script with ``--worker``), under an
address-space cap (``--mem-gb``) and a timeout, after loading the inputs; time is wall-clock
and CPU (median of ``--repeats``), memory the peak resident set during the step (the kernel's
high-water mark, reset before each repeat) above the RSS at its start (``measured`` of
``travel_times.py``). Every engine's numbers are compared with accessplan's (PySAL: settlements
without a facility in reach are NaN there and 0 here).

    python benchmarks/equity.py --counties 72 --facilities 2000 --repeats 5
    python benchmarks/equity.py --counties 72 --facilities 2000 --repeats 1 --methods raam
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from travel_times import _limit_memory, measured

CATCHMENT = 60.0
#: Luo & Qi's E2SFCA steps (1, 0.68, 0.22 in thirds of the catchment) for 60 minutes.
STEPS = {20.0: 1.0, 40.0: 0.68, 60.0: 0.22}
ENGINES = ("accessplan-pairs", "accessplan-table", "pysal")
LABELS = {
    "accessplan-pairs": "accessplan, engine rows",
    "accessplan-table": "accessplan, long table",
    "pysal": "PySAL access",
}


# ====================================================================== the work
def prepare(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Province, facilities, car times within the catchment: written for the workers."""
    from accessplan import synth
    from accessplan.travel.matrix import bounded_times
    from accessplan.travel.network import network_for

    t0 = time.perf_counter()
    region = synth.province(args.counties, seed=args.seed)
    fac = region.facilities
    keep = np.flatnonzero(((fac["service"] == "health") & (fac["beds"] > 0)).to_numpy())
    clinics = np.flatnonzero((fac["tier"] == "village_clinic").to_numpy())
    extra = max(0, args.facilities - len(keep))
    rng = np.random.default_rng(args.seed)
    rows = np.sort(np.concatenate([keep, rng.choice(clinics, extra, replace=False)]))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    network = network_for(region, "car")
    facility, settlement, minutes = bounded_times(network, cutoff=CATCHMENT, facility_rows=rows)
    search = time.perf_counter() - t0
    chosen = fac.iloc[rows]
    settlement_ids = region.settlements["id"].to_numpy(dtype=object)
    facility_ids = chosen["id"].to_numpy(dtype=object)
    local = np.searchsorted(rows, facility)
    data = {
        "settlement_ids": settlement_ids,
        "facility_ids": facility_ids,
        "people": region.settlements["population"].fillna(0.0).to_numpy(dtype="float64"),
        "doctors": chosen["doctors"].fillna(0.0).to_numpy(dtype="float64"),
        "settlement": settlement,
        "facility": local,
        "minutes": minutes,
        "table": pd.DataFrame(
            {
                "from_id": settlement_ids[settlement],
                "to_id": facility_ids[local],
                "minutes": minutes,
            }
        ),
    }
    with open(folder / "inputs.pkl", "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "settlements": len(settlement_ids),
        "facilities": len(facility_ids),
        "pairs": len(minutes),
        "road_nodes": len(region.roads.nodes),
        "build_s": build,
        "search_s": search,
    }


def _accessplan(data: dict[str, Any], method: str, *, from_table: bool) -> Callable[[], Any]:
    from accessplan.measures import fca

    p, s = data["people"], data["doctors"]
    weight = fca.Steps.from_mapping(STEPS) if method == "e2sfca" else None

    def run() -> np.ndarray:
        if from_table:
            pairs = fca.Pairs.from_table(
                data["table"], data["settlement_ids"], data["facility_ids"]
            )
        else:
            n_s, n_f = len(data["settlement_ids"]), len(data["facility_ids"])
            pairs = fca.Pairs(data["settlement"], data["facility"], data["minutes"], n_s, n_f)
        if method == "raam":
            return np.asarray(fca.raam(p, s, pairs, tau=CATCHMENT).cost)
        return np.asarray(fca.two_step(p, s, pairs, weight=weight, max_minutes=CATCHMENT).access)

    return run


def _pysal(data: dict[str, Any], method: str) -> Callable[[], Any]:
    from access import Access
    from access import weights as pysal_weights

    demand = pd.DataFrame({"geoid": data["settlement_ids"], "people": data["people"]})
    supply = pd.DataFrame({"geoid": data["facility_ids"], "doctors": data["doctors"]})

    def run() -> np.ndarray:
        peer = Access(
            demand_df=demand,
            demand_index="geoid",
            demand_value="people",
            supply_df=supply,
            supply_index="geoid",
            supply_value="doctors",
            cost_df=data["table"],
            cost_origin="from_id",
            cost_dest="to_id",
            cost_name="minutes",
        )
        if method == "2sfca":
            out = peer.two_stage_fca(name="m", max_cost=CATCHMENT)
        elif method == "e2sfca":
            out = peer.enhanced_two_stage_fca(
                name="m", weight_fn=pysal_weights.step_fn(STEPS), max_cost=CATCHMENT
            )
        else:
            out = peer.raam(name="m", tau=CATCHMENT)
        values = out["m_doctors"].reindex(data["settlement_ids"])
        return np.asarray(values.to_numpy(dtype="float64"))

    return run


def worker(engine: str, method: str, folder: Path, repeats: int) -> None:
    """Load the inputs, run ``method`` ``repeats`` times, write timings and the answer."""
    warnings.simplefilter("ignore")  # PySAL on pandas 3 warns on every in-place call
    with open(folder / "inputs.pkl", "rb") as fh:
        data = pickle.load(fh)
    if engine == "pysal":
        run = _pysal(data, method)
    else:
        run = _accessplan(data, method, from_table=engine == "accessplan-table")
    runs = []
    answer = None
    for _ in range(repeats):
        record: dict[str, Any] = {"load": os.getloadavg()[0]}
        with measured(record):
            answer = run()
        runs.append(record)
    np.save(folder / f"{engine}.{method}.npy", answer)
    (folder / f"{engine}.{method}.json").write_text(json.dumps(runs))


def launch(engine: str, method: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One worker in its own process group, capped; its records or why it failed."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, method]
    cmd += ["--work", str(folder), "--repeats", str(args.repeats)]
    log = folder / f"{engine}.{method}.log"
    print(f"  {engine} {method} ...", file=sys.stderr, flush=True)
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=_limit_memory(args.mem_gb)
        )
        try:
            code = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"status": f"timeout ({args.timeout:g} s)"}
    if code != 0:
        text = log.read_text(errors="replace")
        memory = any(s in text for s in ("MemoryError", "bad_alloc", "Cannot allocate"))
        last = text.strip().splitlines()[-1][:100] if text.strip() else ""
        return {"status": f"killed: memory ({args.mem_gb:g} GB)" if memory else f"error: {last}"}
    runs = json.loads((folder / f"{engine}.{method}.json").read_text())
    return {
        "status": "ok",
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "delta_mb": max(r["delta_mb"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "load": statistics.median(r["load"] for r in runs),
        "answer": np.load(folder / f"{engine}.{method}.npy"),
    }


# ====================================================================== the table
def _agreement(reference: np.ndarray, other: np.ndarray, method: str) -> str:
    """Max absolute and relative difference; PySAL's NaN (nothing in reach) is 0 for ratios."""
    if method != "raam":
        other = np.nan_to_num(other, nan=0.0)
    both = np.isfinite(reference) & np.isfinite(other)
    if not both.any():
        return "nothing to compare"
    diff = np.abs(reference[both] - other[both])
    scale = np.abs(reference[both]).max()
    return f"{diff.max():.1e} abs, {diff.max() / scale:.1e} of max ({both.sum():,} settlements)"


def report(setup: dict[str, Any], records: dict[tuple[str, str], dict[str, Any]]) -> None:
    print(
        f"\nSynthetic province: {setup['settlements']:,} settlements, {setup['facilities']:,} "
        f"facilities (doctors), {setup['pairs']:,} pairs within {CATCHMENT:g} min by car "
        f"({setup['road_nodes']:,} road nodes; province {setup['build_s']:.1f} s, network and "
        f"bounded search {setup['search_s']:.1f} s, not timed below).\n"
    )
    header = ["method", "engine", "wall s", "CPU s", "peak MB (above start)", "load"]
    header += ["speed-up (wall)", "CPU ratio", "agreement"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for method in dict.fromkeys(m for _, m in records):
        peer = records.get(("pysal", method), {})
        reference = records.get(("accessplan-pairs", method), {}).get("answer")
        for engine in ENGINES:
            rec = records.get((engine, method))
            if rec is None:
                continue
            if rec["status"] != "ok":
                print(f"| {method} | {LABELS[engine]} | {rec['status']} | | | | | | |")
                continue
            ratios = ["", ""]
            if engine != "pysal" and peer.get("status") == "ok":
                ratios = [f"{peer[k] / rec[k]:.1f}x" if rec[k] > 0 else "" for k in ("wall", "cpu")]
            agree = (
                _agreement(reference, rec["answer"], method)
                if engine != "accessplan-pairs" and reference is not None
                else "reference"
            )
            print(
                f"| {method} | {LABELS[engine]} | {rec['wall']:.3f} | {rec['cpu']:.3f} | "
                f"{rec['peak_mb']:,.0f} ({rec['delta_mb']:,.0f}) | {rec['load']:.1f} | "
                f"{ratios[0]} | {ratios[1]} | "
                f"{agree} |"
            )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--counties", type=int, default=72, help="counties (72: ~20,000 settlements)"
    )
    parser.add_argument("--facilities", type=int, default=2000, help="health facilities kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5, help="runs per engine (median)")
    parser.add_argument(
        "--methods", default="2sfca,e2sfca", help="comma-separated: 2sfca, e2sfca, raam"
    )
    parser.add_argument("--mem-gb", type=float, default=12.0, help="address-space cap per worker")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per worker")
    parser.add_argument("--work", type=Path, help="folder for the inputs (default: temporary)")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "METHOD"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.work, args.repeats)
        return
    with tempfile.TemporaryDirectory(prefix="equity-bench-", dir=args.work) as tmp:
        folder = Path(tmp)
        print(f"preparing the province in {folder} ...", file=sys.stderr, flush=True)
        setup = prepare(args, folder)
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        records = {
            (engine, method): launch(engine, method, folder, args)
            for method in methods
            for engine in ENGINES
            if not (method == "raam" and engine == "accessplan-table")
        }
        report(setup, records)


if __name__ == "__main__":
    main()
