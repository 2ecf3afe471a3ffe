"""Whole provinces on Dask: counties per minute per worker, memory, and the national outlook.

Two parts, each step in its own process so that peak memory (the kernel's high-water mark,
``VmHWM``, reset before the step through ``/proc/self/clear_refs``) is the step's:

``--memory``: the search graph of the 1 M-road-node synthetic province
(``synth.province(73, seed=0, road_node_spacing_m=20)``, as ``benchmarks/travel_times.py``
draws it), built by a fresh process that has read the province from a pickle: peak RSS, the
peak above the RSS before the build, and bytes per road node; then the full layered graph of
the same network (what every build made before the search graph was built without it).

``--counties N``: ``accessplan run --distributed`` of the service circle (walk, motorcycle,
car; 15, 30, 60 min) and equity (beds by car within 60 min) on a synthetic province of N
counties, on a LocalCluster of ``--workers`` single-threaded workers; per round the wall
time of the partition tasks, and each worker's peak RSS; then the same scenario by
``accessplan run`` in one process, for the speed-up; the tables of both are compared (SHA-256
from the manifests). Counties per minute per worker = counties x rounds / (partition wall x
workers) counts partition work only; the coordinator's part (reading the region, writing the
store, the measures' tables and the report) is given apart, and the closing note projects
a national run from both.

    python benchmarks/scale.py --memory [--before /path/to/older/checkout/src]
    python benchmarks/scale.py --counties 100 --workers 2
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: China: administrative villages, township health centres, county-level units (issue #17).
NATION = {"counties": 2_800, "villages": 600_000}


def _kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


# ------------------------------------------------------------------------------ memory
def memory_worker(path: str) -> None:
    """In a fresh process: read the province, build its car network, then its full graph."""
    import accessplan.travel as tr

    with open(path, "rb") as fh:
        region = pickle.load(fh)
    out: dict[str, Any] = {"road_nodes": len(region.roads.nodes), "load": _load()}
    _reset_peak()
    base = _kb("VmRSS")
    t0 = time.perf_counter()
    network = tr.build_network(region, "car")
    out["search"] = {
        "wall_s": time.perf_counter() - t0,
        "base_mb": base / 1024,
        "peak_mb": _kb("VmHWM") / 1024,
        "nodes": len(network.search.nodes),
        "arcs": int(network.search.graph.nnz),
    }
    _reset_peak()
    base = _kb("VmRSS")
    t0 = time.perf_counter()
    graph = network.graph
    out["full"] = {
        "wall_s": time.perf_counter() - t0,
        "base_mb": base / 1024,
        "peak_mb": _kb("VmHWM") / 1024,
        "nodes": graph.shape[0],
        "arcs": int(graph.nnz),
    }
    print(json.dumps(out))


def memory(args: argparse.Namespace) -> None:
    from accessplan import synth

    t0 = time.perf_counter()
    region = synth.province(73, seed=0, road_node_spacing_m=20.0)
    made = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "province.pkl")
        with open(path, "wb") as fh:
            pickle.dump(region, fh, protocol=pickle.HIGHEST_PROTOCOL)
        del region
        cmd = [sys.executable, __file__, "--memory-worker", path]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res = json.loads(done.stdout.strip().splitlines()[-1])
        rows = [
            ("search graph (build_network)", res["search"]),
            ("full graph, on top", res["full"]),
        ]
        if args.before:  # the same worker on an older checkout's src/ (PYTHONPATH first)
            env = {**os.environ, "PYTHONPATH": args.before}
            old = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            rows.insert(
                0, (f"before: {args.before}", json.loads(old.stdout.splitlines()[-1])["search"])
            )
    n = res["road_nodes"]
    s, f = res["search"], res["full"]
    print(f"synthetic province 73 counties at 20 m: {n:,} road nodes (drawn in {made:.0f} s)")
    print(f"load at start: {res['load']}")
    print("| step | wall s | RSS before MB | peak MB | peak - before MB | bytes / road node |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in rows:
        extra = r["peak_mb"] - r["base_mb"]
        print(
            f"| {label} | {r['wall_s']:.1f} | {r['base_mb']:,.0f} | {r['peak_mb']:,.0f} | "
            f"{extra:,.0f} | {extra * 2**20 / n:,.0f} |"
        )
    print(
        f"search graph: {s['nodes']:,} nodes, {s['arcs']:,} arcs; full: {f['nodes']:,}, "
        f"{f['arcs']:,}"
    )


# ------------------------------------------------------------------------------ distributed
SCENARIO = """name = "synthetic province"
seed = 0
lang = "en"
[region]
path = "{region}"
[[steps]]
kind = "access"
profiles = ["walk", "motorcycle", "car"]
thresholds = [15, 30, 60]
[[steps]]
kind = "equity"
resource = "beds"
profile = "car"
catchment = 60
"""


def run_worker(mode: str, folder: str, workers: int) -> None:
    """In a fresh process: the scenario by ``accessplan run`` (single) or ``--distributed``."""
    from accessplan.run import run_scenario
    from accessplan.settings import Scenario

    scen = Scenario.from_toml(Path(folder) / "scenario.toml")
    out: dict[str, Any] = {"load_start": _load()}
    stages: list[tuple[float, str]] = []
    tasks: list[tuple[float, str, int, int]] = []
    t0 = time.perf_counter()
    if mode == "single":
        run_scenario(scen, out=Path(folder) / "single")
    else:
        from distributed import Client, LocalCluster

        from accessplan.scale import run_distributed

        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(cluster)
        run_distributed(
            scen,
            out=Path(folder) / "partitioned",
            scheduler=cluster.scheduler_address,
            store=Path(folder) / "store",
            progress=lambda stage: stages.append((time.perf_counter(), stage)),
            round_progress=lambda label, d, n: tasks.append((time.perf_counter(), label, d, n)),
        )
        out["worker_peak_mb"] = list(
            client.run(lambda: _kb("VmHWM") / 1024).values()  # type: ignore[arg-type]
        )
        rounds = []
        for label in dict.fromkeys(t[1] for t in tasks):
            end = max(t[0] for t in tasks if t[1] == label)
            start = max(s[0] for s in stages if s[0] <= min(t[0] for t in tasks if t[1] == label))
            rounds.append({"label": label, "wall_s": end - start})
        out["rounds"] = rounds
        # the coordinator's stages: from each stage message to the next (rounds left out)
        marks = [*stages, (time.perf_counter(), "end")]
        out["stages"] = [
            {"stage": a[1], "wall_s": b[0] - a[0]}
            for a, b in itertools.pairwise(marks)
            if "searches on" not in a[1]
        ]
        client.close()
        cluster.close()
    out["wall_s"] = time.perf_counter() - t0
    out["peak_mb"] = _kb("VmHWM") / 1024
    out["load_end"] = _load()
    print(json.dumps(out))


def scale_run(args: argparse.Namespace) -> None:
    from accessplan import synth

    folder = Path(args.work or tempfile.mkdtemp(prefix="accessplan-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    region = synth.province(
        args.counties, seed=0, road_node_spacing_m=args.spacing, border_roads=True
    )
    region.write(folder / "province.gpkg")
    facts = {
        "counties": args.counties,
        "settlements": len(region.settlements),
        "facilities": len(region.facilities),
        "road_nodes": len(region.roads.nodes),
        "drawn_s": time.perf_counter() - t0,
    }
    del region
    (folder / "scenario.toml").write_text(SCENARIO.format(region="province.gpkg"), "utf-8")
    res = {}
    for mode in ("partitioned", "single"):
        cmd = [sys.executable, __file__, "--run-worker", mode, str(folder), str(args.workers)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        (folder / f"{mode}.json").write_text(json.dumps(res[mode], indent=1))
    manifests = {
        m: json.loads((folder / m / "manifest.json").read_text("utf-8"))["outputs"]
        for m in ("single", "partitioned")
    }
    report(facts, res, manifests, args)


def report(
    facts: dict[str, Any], res: dict[str, Any], manifests: dict[str, Any], args: argparse.Namespace
) -> None:
    n, w = facts["counties"], args.workers
    p, s = res["partitioned"], res["single"]
    part_wall = sum(r["wall_s"] for r in p["rounds"])
    rate = n / (part_wall / 60 * w)  # counties per minute per worker
    coordinator = p["wall_s"] - part_wall
    same = manifests["single"] == manifests["partitioned"]
    print(
        f"synthetic province: {n} counties, {facts['settlements']:,} settlements, "
        f"{facts['facilities']:,} facilities, {facts['road_nodes']:,} road nodes "
        f"(spacing {args.spacing:g} m, border tracks); {w} workers"
    )
    print(
        f"load: partitioned {p['load_start']} -> {p['load_end']}; single {s['load_start']} "
        f"-> {s['load_end']}"
    )
    print("| round | partition tasks wall s |")
    print("|---|---:|")
    for r in p["rounds"]:
        print(f"| {r['label']} | {r['wall_s']:.1f} |")
    print()
    print("| run | wall s | peak MB (process) | peak MB per worker |")
    print("|---|---:|---:|---|")
    peaks = ", ".join(f"{m:,.0f}" for m in p["worker_peak_mb"])
    print(f"| distributed ({w} workers) | {p['wall_s']:.0f} | {p['peak_mb']:,.0f} | {peaks} |")
    print(f"| one process | {s['wall_s']:.0f} | {s['peak_mb']:,.0f} | |")
    print()
    stages = ", ".join(f"{st['stage']} {st['wall_s']:.1f}" for st in p["stages"])
    print(f"coordinator stages (s): {stages}")
    print(
        f"partition work {part_wall:.0f} s -> {rate:.2f} counties per minute per worker; "
        f"coordinator {coordinator:.0f} s; speed-up {s['wall_s'] / p['wall_s']:.2f}x; "
        f"{len(manifests['single'])} tables {'identical' if same else 'DIFFER'}"
    )
    per_village = coordinator / facts["settlements"]
    nat_coord = per_village * NATION["villages"]
    for workers in (16, 64, 256):
        part = NATION["counties"] / (rate * workers)
        print(
            f"national on {workers} workers: {NATION['counties']:,} / ({rate:.2f} x {workers}) "
            f"= {part:.0f} min of partition work + coordinator {coordinator:.0f} s x "
            f"{NATION['villages']:,} / {facts['settlements']:,} = {nat_coord / 60:.0f} min "
            f"-> {part + nat_coord / 60:.0f} min"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--memory", action="store_true", help="search-graph memory, 1 M road nodes")
    p.add_argument("--counties", type=int, default=0, help="distributed run on N counties")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--spacing", type=float, default=100.0, help="road node spacing (m)")
    p.add_argument("--work", help="keep the run folders and store here")
    p.add_argument("--before", help="--memory: also build with this src/ (an older checkout)")
    p.add_argument("--memory-worker", help=argparse.SUPPRESS)
    p.add_argument("--run-worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.memory_worker:
        memory_worker(args.memory_worker)
    elif args.run_worker:
        mode, folder, workers = args.run_worker
        run_worker(mode, folder, int(workers))
    else:
        if args.memory:
            memory(args)
        if args.counties:
            scale_run(args)


if __name__ == "__main__":
    main()
