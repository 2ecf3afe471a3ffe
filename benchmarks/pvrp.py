"""Periodic VRP (Cordeau et al. 1997) and CVRP X instances through accessplan's mobile engine.

Each run is ``solve_periodic(problem, time_limit=..., seed=...)``: the pattern layer around
PyVRP for the periodic instances, PyVRP's own search (through accessplan's adapter) for the
once-per-period and CVRP instances; every plan is checked by the independent validator and
its cost is the validator's (unrounded Euclidean distances for the PVRP, rounded for X).
Gaps are against ``bks.csv`` (Vidal et al. 2012 era for the PVRP; CVRPLIB for X).

    python benchmarks/pvrp.py --time 60 --seeds 0,1                # all 15 PVRP instances
    python benchmarks/pvrp.py --instances p02,p08 --time 20 --cpu   # CPU-time budgets
    python benchmarks/pvrp.py --cvrp-only --seeds 0,1,2,3          # the 10 X instances, 3 s

The machine is shared: each row gives the wall and CPU seconds of its run and the 1-minute
load when it started. ``--cpu`` makes the budget CPU time of this process instead of wall
time (a busy machine then takes longer but does the same work).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from accessplan.optimize.mobile import PeriodicProblem, _search, read_cordeau, solve_periodic

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "vrp"
#: Instances whose customers need one visit each (a CVRP with day limits on the fleet).
ONCE = ("p01", "p03", "p04", "p06", "p07", "p09")


def read_vrplib(path: Path) -> PeriodicProblem:
    """A CVRPLIB instance (NODE_COORD, DEMAND, DEPOT sections; rounded Euclidean costs) as
    a one-day problem with one vehicle per customer (the fleet is not limited)."""
    section, xy, demand, capacity = "", {}, {}, 0.0
    for line in path.read_text().splitlines():
        text = line.strip()
        if text.startswith("CAPACITY"):
            capacity = float(text.split(":")[1])
        elif text.endswith("_SECTION"):
            section = text
        elif text == "EOF":
            break
        elif section == "NODE_COORD_SECTION" and text:
            i, x, y = text.split()
            xy[int(i)] = (float(x), float(y))
        elif section == "DEMAND_SECTION" and text:
            i, q = text.split()
            demand[int(i)] = float(q)
    ids = sorted(xy)
    a = np.array([xy[i] for i in ids])
    dist = np.round(np.hypot(*(a[:, None] - a[None]).transpose(2, 0, 1)))
    n = len(ids) - 1
    return PeriodicProblem.from_cost_matrix(
        dist, n_depots=1, demand=[demand[i] for i in ids[1:]], vehicles=np.array([[n]]),
        capacity=capacity,
    )  # fmt: skip


def run(problem: PeriodicProblem, *, seconds: float, seed: int) -> dict[str, float]:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    result = solve_periodic(problem, time_limit=seconds, seed=seed)
    return {
        "cost": result.cost(),
        "valid": result.check.ok,
        "iterations": result.iterations,
        "pyvrp_iterations": result.pyvrp_iterations,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "load": load,
    }


def table(title: str, rows: list[dict[str, object]]) -> None:
    print(f"\n{title}\n")
    head = "| instance | seed | cost | best known | gap % | valid | iterations | PyVRP iterations |"
    print(head + " wall s | CPU s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['instance']} | {r['seed']} | {r['cost']:.2f} | {r['bks']:.2f} | "
            f"{r['gap']:.2f} | {r['valid']} | {r['iterations']} | {r['pyvrp_iterations']} | "
            f"{r['wall']:.1f} | {r['cpu']:.1f} | {r['load']:.1f} |",
            flush=True,
        )


def summary(label: str, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    gaps = [float(r["gap"]) for r in rows]  # type: ignore[arg-type]
    by: dict[object, list[float]] = {}
    for r in rows:
        by.setdefault(r["instance"], []).append(float(r["gap"]))  # type: ignore[arg-type]
    spread = max(max(v) - min(v) for v in by.values())
    print(
        f"\n{label}: {len(rows)} runs, mean gap {statistics.fmean(gaps):.2f} %, worst run "
        f"{max(gaps):.2f} %, largest spread between seeds {spread:.2f} points, "
        f"all valid: {all(r['valid'] for r in rows)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", default="", help="PVRP instances (default: all)")
    parser.add_argument("--time", type=float, default=60.0, help="seconds per PVRP run")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--cvrp", action="store_true", help="also the CVRP X instances")
    parser.add_argument("--cvrp-only", action="store_true", help="only the CVRP X instances")
    parser.add_argument("--cvrp-time", type=float, default=3.0, help="seconds per X instance")
    parser.add_argument("--cpu", action="store_true", help="budgets in CPU time of this process")
    parser.add_argument("--out", type=Path, help="also write the rows as CSV")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # PyVRP's penalty warnings on hard moments of a search
    if args.cpu:
        _search.clock = time.process_time
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"load at start {os.getloadavg()}; clock: {'CPU' if args.cpu else 'wall'} time")
    rows: list[dict[str, object]] = []
    if not args.cvrp_only:
        bks = {r["instance"]: float(r["bks_vidal2012_per_azadsalam"])
               for r in csv.DictReader(open(DATA / "pvrp" / "bks.csv"))}  # fmt: skip
        names = args.instances.split(",") if args.instances else sorted(bks)
        for name in names:
            problem = read_cordeau(DATA / "pvrp" / f"{name}.txt")
            for seed in seeds:
                r = run(problem, seconds=args.time, seed=seed)
                rows.append({"set": "pvrp", "instance": name, "seed": seed, "bks": bks[name],
                             "gap": 100 * (r["cost"] / bks[name] - 1), **r})  # fmt: skip
                print(f"{name} seed {seed}: gap {rows[-1]['gap']:.2f} %", flush=True)
        once = [r for r in rows if r["instance"] in ONCE]
        multi = [r for r in rows if r["instance"] not in ONCE]
        table(f"PVRP, {args.time:g} s per run, seeds {args.seeds}", rows)
        summary("once per period (p01 p03 p04 p06 p07 p09)", once)
        summary("several visits per period", multi)
    if args.cvrp or args.cvrp_only:
        bks_x = {
            r["instance"]: float(r["bks_cost"])
            for r in csv.DictReader(open(DATA / "cvrp" / "bks.csv"))
        }
        x_rows = []
        for name in sorted(bks_x):
            problem = read_vrplib(DATA / "cvrp" / f"{name}.vrp")
            for seed in seeds:
                r = run(problem, seconds=args.cvrp_time, seed=seed)
                x_rows.append({"set": "cvrp", "instance": name, "seed": seed, "bks": bks_x[name],
                               "gap": 100 * (r["cost"] / bks_x[name] - 1), **r})  # fmt: skip
        table(f"CVRP X, {args.cvrp_time:g} s per instance, seeds {args.seeds}", x_rows)
        summary("CVRP X", x_rows)
        for seed in seeds:
            gaps = [float(r["gap"]) for r in x_rows if r["seed"] == seed]  # type: ignore[arg-type]
            print(f"CVRP X seed {seed}: mean gap {statistics.fmean(gaps):.2f} % (the bar: 1 %)")
        rows += x_rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nload at end {os.getloadavg()}; peak memory {peak:.0f} MB")
    if args.out:
        with open(args.out, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
