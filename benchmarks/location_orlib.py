"""accessplan vs spopt (PuLP with CBC and with HiGHS) on the classic location benchmarks.

OR-Library pmed1-40 (p-median, and vertex p-center on the same graphs), pmedcap1 (cpmp01-20,
capacitated p-median; accessplan only: spopt's capacitated p-median is not single source)
and the SJC324/SJC402 maximal covering instances. Every objective is compared with the known
optimum; a peer counts as solved only when PuLP's ``sol_status`` is 1 (optimal) *and* its
objective equals the optimum (CBC can report "Optimal" after its time limit).

Needs the shared data (../shared/data) and, for the peers, ``pip install spopt`` (not a
dependency of accessplan). Run from the project root:

    python benchmarks/location_orlib.py --pmed 1-40 --pcenter 1-40 --cpmp 1-20 --mclp \\
        --peers cbc,highs --peer-pmed 1-20 --peer-limit 60

Prints one table per model with times in seconds and the ratio peer time / accessplan time
(single run each; the machine is shared, so read medians, not single rows).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from accessplan.optimize import (
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    solve,
)
from accessplan.optimize.location.orlib import Instance, read_cpmp, read_pmed, read_sjc

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def numbers(spec: str) -> list[int]:
    """``"1-5,9"`` -> ``[1, 2, 3, 4, 5, 9]``."""
    out: list[int] = []
    for part in filter(None, spec.split(",")):
        first, _, last = part.partition("-")
        out += range(int(first), int(last or first) + 1)
    return out


def known(path: Path) -> dict[str, float]:
    rows = [line.split() for line in path.read_text().splitlines()]
    return {r[0]: float(r[1]) for r in rows if len(r) == 2 and r[1].replace(".", "").isdigit()}


def ours(problem: LocationProblem, limit: float) -> dict[str, Any]:
    result = solve(problem, time_limit=limit)
    return {
        "time": result.runtime,
        "objective": result.objective,
        "gap": result.gap,
        "proven": result.is_optimal,
    }


def peer(build: Callable[[], Any], solver: str, limit: float) -> dict[str, Any]:
    """Build and solve a spopt model; time both (spopt builds term by term in PuLP)."""
    import pulp

    start = time.perf_counter()
    model = build()
    backend = (
        pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
        if solver == "cbc"
        else pulp.HiGHS(msg=False, timeLimit=limit)
    )
    try:
        model.solve(backend, results=False)
    except RuntimeError:  # spopt raises when PuLP reports "Not Solved" (time limit)
        pass
    problem = model.problem
    return {
        "time": time.perf_counter() - start,
        "objective": pulp.value(problem.objective),
        "status": int(problem.sol_status),
    }


def spopt_builders(kind: str, inst: Instance, **kw: Any) -> Callable[[], Any]:
    from spopt.locate import MCLP
    from spopt.locate import PCenter as SPCenter
    from spopt.locate import PMedian as SPMedian

    n = len(inst.cost)
    if kind == "pmedian":
        return lambda: SPMedian.from_cost_matrix(inst.cost, np.ones(n), p_facilities=inst.p)
    if kind == "pcenter":
        return lambda: SPCenter.from_cost_matrix(inst.cost, p_facilities=inst.p)
    return lambda: MCLP.from_cost_matrix(
        inst.cost, inst.demand, service_radius=kw["radius"], p_facilities=kw["p"]
    )


def table(title: str, rows: list[dict[str, Any]], peers: list[str]) -> None:
    print(f"\n## {title}\n")
    head = "| instance | optimum | accessplan s | objective | gap | ok |"
    for name in peers:
        head += f" spopt+{name} s | objective | sol_status | ok | ratio |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    ratios: dict[str, list[float]] = {name: [] for name in peers}
    for row in rows:
        a = row["ours"]
        ok = a["proven"] and abs(a["objective"] - row["optimum"]) < 1e-6
        line = (
            f"| {row['name']} | {row['optimum']:g} | {a['time']:.2f} | {a['objective']:g} | "
            f"{a['gap']:.2e} | {'yes' if ok else 'NO'} |"
        )
        for name in peers:
            b = row.get(name)
            if b is None:
                line += " - | - | - | - | - |"
                continue
            good = (
                b["status"] == 1
                and b["objective"] is not None
                and abs(b["objective"] - row["optimum"]) < 1e-6
            )
            ratio = b["time"] / a["time"] if good and ok else float("nan")
            if good and ok:
                ratios[name].append(ratio)
            objective = "-" if b["objective"] is None else f"{b['objective']:g}"
            line += (
                f" {b['time']:.2f} | {objective} | {b['status']} | "
                f"{'yes' if good else 'NO'} | {ratio:.1f} |"
            )
        print(line)
    times = [r["ours"]["time"] for r in rows]
    solved = sum(
        r["ours"]["proven"] and abs(r["ours"]["objective"] - r["optimum"]) < 1e-6 for r in rows
    )
    print(
        f"\naccessplan: {solved}/{len(rows)} at the known optimum and proven; "
        f"median {statistics.median(times):.2f} s, max {max(times):.2f} s"
    )
    for name, values in ratios.items():
        if values:
            print(
                f"spopt+{name}: median ratio {statistics.median(values):.1f}x over "
                f"{len(values)} instances both solved"
            )


def run(args: argparse.Namespace) -> None:
    peers = [p for p in args.peers.split(",") if p]
    peer_pmed = set(numbers(args.peer_pmed))
    if args.pmed or args.pcenter:
        medians = known(DATA / "pmed" / "pmedopt.txt")
        centers = known(DATA / "pmed" / "pcenteropt.txt")
        for kind, which, opt, cls in (
            ("pmedian", numbers(args.pmed), medians, PMedian),
            ("pcenter", numbers(args.pcenter), centers, PCenter),
        ):
            rows = []
            for k in which:
                inst = read_pmed(DATA / "pmed" / f"pmed{k}.txt")
                row: dict[str, Any] = {"name": inst.name, "optimum": opt[inst.name]}
                row["ours"] = ours(cls.from_cost_matrix(inst.cost, p=inst.p), args.limit)
                for name in peers if k in peer_pmed else []:
                    row[name] = peer(spopt_builders(kind, inst), name, args.peer_limit)
                rows.append(row)
                print(inst.name, kind, row["ours"], flush=True)
            if rows:
                table(f"{kind} (OR-Library pmed)", rows, peers)
    if args.cpmp:
        with open(DATA / "cpmp" / "optimal_values.csv") as handle:
            opt = {r["instance"]: float(r["optimal_value"]) for r in csv.DictReader(handle)}
        rows = []
        for k in numbers(args.cpmp):
            inst = read_cpmp(DATA / "cpmp" / f"cpmp{k:02d}.txt")
            problem = CapacitatedPMedian.from_cost_matrix(
                inst.cost, p=inst.p, capacity=inst.capacity, demand=inst.demand
            )
            rows.append({"name": inst.name, "optimum": opt[inst.name]})
            rows[-1]["ours"] = ours(problem, args.limit)
            print(inst.name, rows[-1]["ours"], flush=True)
        table("capacitated p-median (pmedcap1)", rows, [])
    if args.mclp:
        with open(DATA / "mclp" / "reference_values.csv") as handle:
            refs = list(csv.DictReader(handle))
        sjc = {
            name: read_sjc(DATA / "mclp" / f"{name}.txt", DATA / "mclp" / f"demand-{name}.dat")
            for name in ("SJC324", "SJC402")
        }
        rows = []
        for ref in refs:
            inst, p, radius = sjc[ref["instance"]], int(ref["p"]), float(ref["S"])
            problem = MaxCover.from_cost_matrix(inst.cost, p=p, radius=radius, weights=inst.demand)
            row = {
                "name": f"{inst.name} S={radius:g} p={p}",
                "optimum": float(ref["covered_demand"]),
                "ours": ours(problem, args.limit),
            }
            for name in peers if args.peer_mclp else []:
                row[name] = peer(
                    spopt_builders("mclp", inst, p=p, radius=radius), name, args.peer_limit
                )
            rows.append(row)
            print(row["name"], row["ours"], flush=True)
        table("maximal covering (SJC)", rows, peers if args.peer_mclp else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pmed", default="", help="pmed instances for p-median, e.g. 1-40")
    parser.add_argument("--pcenter", default="", help="pmed instances for p-center")
    parser.add_argument("--cpmp", default="", help="pmedcap1 instances, e.g. 1-20")
    parser.add_argument("--mclp", action="store_true", help="SJC maximal covering")
    parser.add_argument("--peers", default="", help="spopt back ends: cbc,highs")
    parser.add_argument("--peer-pmed", default="1-40", help="pmed instances the peers run")
    parser.add_argument("--peer-mclp", action="store_true", help="peers on SJC too")
    parser.add_argument("--limit", type=float, default=300.0, help="accessplan seconds")
    parser.add_argument("--peer-limit", type=float, default=60.0, help="peer seconds")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
