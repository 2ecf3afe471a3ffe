"""accessplan vs spopt (PuLP with CBC and with HiGHS) on the classic location benchmarks.

OR-Library pmed1-40 (p-median, and vertex p-center on the same graphs), pmedcap1 (cpmp01-20,
capacitated p-median), the larger capacitated sets (SJC1-2, lin318, u724) and the
SJC324/SJC402 maximal covering instances. Every objective is compared with the known
optimum; a peer counts as solved only when PuLP's ``sol_status`` is 1 (optimal) *and* its
objective equals the optimum (CBC can report "Optimal" after its time limit).

Needs the shared data (../shared/data) and, for the peers, ``pip install spopt`` (not a
dependency of accessplan). Run from the project root:

    python benchmarks/location_orlib.py --pmed 1-40 --pcenter 1-40 --cpmp 1-20 --mclp \\
        --peers cbc,highs --peer-pmed 1-20 --peer-limit 60

Capacitated p-median (``--cpmp``, ``--larger``): per instance the time to accessplan's first
plan, to a plan within 1 % of the published optimum (or best known), to that value, to the
proof, wall and CPU seconds, and the final gaps (every plan, HiGHS's too, re-checked by
tests/optimize/checker.py), beside HiGHS on the compact
single-source model (the same times, from its improving-solution callback; ``--compact``)
and spopt's capacitated p-median with CBC and HiGHS (``--peers ... --peer-cpmp``). spopt's
model is not the same problem: it lets a client's demand split over sites and weights
distances by demand, so only its time and status are comparable, not its objective.

    python benchmarks/location_orlib.py --larger all --limit 600 --compact 600 \\
        --peers cbc,highs --peer-cpmp --peer-limit 120

Prints one table per model with times in seconds and the ratio peer time / accessplan time
(single run each; the machine is shared, so read medians, not single rows; ``load`` is the
1-minute load average when accessplan started on the row).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
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
from accessplan.optimize.location._compact import assignment_model
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location.orlib import Instance, read_cpmp, read_pmed, read_sjc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.optimize.checker import check

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LARGER = ["SJC1", "SJC2"] + [f"lin318_{p:03d}" for p in (5, 15, 40, 70, 100)]
LARGER += [f"u724_{p:03d}" for p in (10, 30, 75, 125, 200)]


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


CHECKPOINTS = (60.0, 120.0)  # seconds at which the best plan so far is reported


class Trace:
    """Times at which a solver reached a first plan and a plan within 1 % of ``reference``,
    and its best plan at the :data:`CHECKPOINTS`."""

    def __init__(self, reference: float) -> None:
        self.reference = reference
        self.first = np.nan
        self.close = np.nan
        self.reached = np.nan  # the reference itself (published with two decimals)
        self.plans: list[tuple[float, float]] = []

    def __call__(self, seconds: float, objective: float, bound: float) -> None:
        if not np.isfinite(objective):
            return
        self.plans.append((seconds, objective))
        if np.isnan(self.first):
            self.first = seconds
        if np.isnan(self.close) and objective <= self.reference * 1.01 + 1e-9:
            self.close = seconds
        if np.isnan(self.reached) and objective <= self.reference + 0.01:
            self.reached = seconds

    def at(self, seconds: float) -> float:
        """The best plan's objective found by ``seconds`` (inf before the first)."""
        return min((v for t, v in self.plans if t <= seconds), default=np.inf)


def capacitated_ours(inst: Instance, reference: float, limit: float) -> dict[str, Any]:
    problem = CapacitatedPMedian.from_cost_matrix(
        inst.cost, p=inst.p, capacity=inst.capacity, demand=inst.demand
    )
    trace = Trace(reference)
    load = os.getloadavg()[0]
    cpu = time.process_time()
    result = solve(problem, time_limit=limit, progress=trace)
    cpu = time.process_time() - cpu
    # every plan re-checked by the tests' independent checker (plain loops)
    recomputed = check(problem, result)
    assert abs(recomputed - result.objective) <= 1e-6 * max(1.0, result.objective)
    return {
        "first": trace.first,
        "close": trace.close,
        "reached": trace.reached,
        "at": [trace.at(t) for t in CHECKPOINTS],
        "trace": trace,
        "proof": result.runtime if result.is_optimal else np.nan,
        "time": result.runtime,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "proven": result.is_optimal,
        "load": load,
        "cpu": cpu,
    }


def capacitated_compact(inst: Instance, reference: float, limit: float) -> dict[str, Any]:
    """HiGHS on the compact single-source model: every pair, ``x_ij <= y_j``, capacities."""
    n = len(inst.cost)
    assert inst.capacity is not None and inst.demand is not None
    start = time.perf_counter()
    model, pi, pj = assignment_model(
        inst.cost,
        inst.demand,
        inst.capacity,
        inst.p,
        (np.zeros(n), np.ones(n)),
        np.full(n, np.inf),
        seed=0,
        integral=bool(np.all(np.mod(inst.cost, 1) == 0)),
    )
    trace = Trace(reference)
    load = os.getloadavg()[0]
    cpu = time.process_time()
    model.highs.cbMipImprovingSolution.subscribe(
        lambda e: trace(time.perf_counter() - start, e.data_out.objective_function_value, 0.0)
    )
    out = model.solve(Deadline(limit))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    objective = out.objective if out.x is not None else np.inf
    if out.x is not None:  # HiGHS's plan re-checked by the same independent checker
        chosen = out.x[n : n + len(pi)] > 0.5
        assignment = np.full(n, -1)
        assignment[pi[chosen]] = pj[chosen]
        plan = SimpleNamespace(
            open_sites=np.flatnonzero(out.x[:n] > 0.5), assignment=assignment, shares=None
        )
        problem = CapacitatedPMedian.from_cost_matrix(
            inst.cost, p=inst.p, capacity=inst.capacity, demand=inst.demand
        )
        recomputed = check(problem, plan)
        assert abs(recomputed - objective) <= 1e-6 * max(1.0, objective)
    gap = (objective - out.bound) / objective if np.isfinite(objective) else np.inf
    return {
        "first": trace.first,
        "close": trace.close,
        "reached": trace.reached,
        "proof": elapsed if out.optimal else np.nan,
        "time": elapsed,
        "objective": objective,
        "bound": out.bound,
        "gap": gap,
        "proven": out.optimal,
        "load": load,
        "cpu": cpu,
    }


def compact_in_child(inst: Instance, reference: float, limit: float) -> dict[str, Any]:
    """:func:`capacitated_compact` in a child process, killed ``_HANG_ALLOWANCE`` seconds
    after its limit: HiGHS 1.16 ran cpmp16's compact model 9 minutes past its 60 s limit,
    inside presolve (``strengthenInequalities``) of a RENS sub-MIP, where it does not look
    at the clock."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_compact_child, args=(inst, reference, limit, queue))
    load = os.getloadavg()[0]
    start = time.perf_counter()
    child.start()
    child.join(limit + _HANG_ALLOWANCE)
    if child.is_alive():
        child.kill()
        child.join()
        elapsed = time.perf_counter() - start
        return {
            "first": np.nan,
            "close": np.nan,
            "reached": np.nan,
            "proof": np.nan,
            "time": elapsed,
            "objective": np.inf,
            "bound": -np.inf,
            "gap": np.inf,
            "proven": False,
            "load": load,
            "cpu": np.nan,
            "killed": True,
        }
    return queue.get()


_HANG_ALLOWANCE = 120.0  # seconds past its limit before the compact model's child is killed


def _compact_child(inst: Instance, reference: float, limit: float, queue: Any) -> None:
    queue.put(capacitated_compact(inst, reference, limit))


def capacitated_spopt(inst: Instance, solver: str, limit: float) -> dict[str, Any]:
    """spopt's capacitated p-median (split demand, demand-weighted distances), in a child
    process killed with its solver after ``limit`` + ``_BUILD_ALLOWANCE`` seconds: CBC
    overran its 120 s time limit on lin318_005 by 15 minutes."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_spopt_child, args=(inst, solver, limit, queue))
    start = time.perf_counter()
    child.start()
    child.join(limit + _BUILD_ALLOWANCE)
    if child.is_alive():
        os.killpg(child.pid, signal.SIGKILL)  # the child and the CBC/HiGHS it started
        child.join()
        elapsed = time.perf_counter() - start
        return {"time": elapsed, "objective": None, "status": "killed", "cpu": np.nan}
    return queue.get()


_BUILD_ALLOWANCE = 120.0  # seconds for spopt to build its PuLP model (u724: 524,176 pairs)


def _spopt_child(inst: Instance, solver: str, limit: float, queue: Any) -> None:
    from spopt.locate import PMedian as SPMedian

    os.setpgrp()  # a process group of its own, so that its solver can be killed with it
    demand, capacity = inst.demand, inst.capacity
    assert demand is not None and capacity is not None

    def build() -> Any:
        return SPMedian.from_cost_matrix(
            inst.cost, demand, p_facilities=inst.p, facility_capacities=capacity
        )

    import resource

    out = peer(build, solver, limit)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # CBC runs as a child process
    out["cpu"] = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    queue.put(out)


def _s(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.1f}"


def _pct(value: float, reference: float) -> str:
    """``value`` above ``reference`` in percent (2 decimals of the objective: the published
    values have two)."""
    if not np.isfinite(value):
        return "-"
    return f"{100 * (round(value, 2) - reference) / reference:+.3f} %"


def capacitated_table(title: str, rows: list[dict[str, Any]], peers: list[str]) -> None:
    print(f"\n## {title}\n")
    head = "| instance | reference | load | first s | within 1 % s | at reference s |"
    head += "".join(f" vs ref at {t:g} s |" for t in CHECKPOINTS)
    head += " proof s | wall s | CPU s | objective | vs ref | gap |"
    if any("compact" in r for r in rows):
        head += (
            " compact load | first s | within 1 % s | at reference s | proof s | wall s |"
            " CPU s | objective |"
            " gap | proof ratio |"
        )
    for name in peers:
        head += f" spopt+{name} s | CPU s | sol_status |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    ratios = []
    for row in rows:
        a = row["ours"]
        ref = row["reference"]
        line = (
            f"| {row['name']} | {ref:.2f} | {a['load']:.1f} | {_s(a['first'])} | "
            f"{_s(a['close'])} | {_s(a['reached'])} |"
            + "".join(f" {_pct(v, ref)} |" for v in a["at"])
            + f" {_s(a['proof'])} | {a['time']:.1f} | {a['cpu']:.1f} | {a['objective']:.2f} | "
            f"{_pct(a['objective'], ref)} | {100 * a['gap']:.3f} % |"
        )
        c = row.get("compact")
        if c is not None:
            ratio = c["proof"] / a["proof"] if a["proven"] and c["proven"] else np.nan
            if np.isfinite(ratio):
                ratios.append(ratio)
            line += (
                f" {c['load']:.1f} | {_s(c['first'])} | {_s(c['close'])} | "
                f"{_s(c['reached'])} | {_s(c['proof'])} | "
                f"{c['time']:.1f}{' (killed)' if c.get('killed') else ''} | {_s(c['cpu'])} | "
                f"{c['objective']:.2f} | "
                f"{100 * c['gap']:.3f} % | {_s(ratio)} |"
            )
        for name in peers:
            b = row.get(name)
            line += (
                " - | - | - |"
                if b is None
                else f" {b['time']:.1f} | {_s(b['cpu'])} | {b['status']} |"
            )
        print(line)
    ours = [r["ours"] for r in rows]
    proven = [a for a in ours if a["proven"]]
    print(
        f"\naccessplan: {len(proven)}/{len(rows)} proven; within 1 % of the reference on "
        f"{sum(np.isfinite(a['close']) for a in ours)}/{len(rows)}"
    )
    if ratios:
        print(
            f"compact HiGHS time to proof / accessplan's: median {statistics.median(ratios):.1f}x "
            f"over {len(ratios)} instances both proved"
        )
    compared = [r for r in rows if "compact" in r]
    if compared:
        # accessplan's best plan by the time compact HiGHS stopped, against HiGHS's last
        worse = [
            r["name"]
            for r in compared
            if r["ours"]["trace"].at(r["compact"]["time"]) > r["compact"]["objective"] + 1e-6
        ]
        print(f"at equal time, accessplan's plan worse than compact HiGHS's on: {worse or 'none'}")


def run_capacitated(args: argparse.Namespace, peers: list[str]) -> None:
    """pmedcap1 (``--cpmp``) and the larger sets (``--larger``)."""
    jobs: list[tuple[str, Instance, float]] = []
    if args.cpmp:
        with open(DATA / "cpmp" / "optimal_values.csv") as handle:
            opt = {r["instance"]: float(r["optimal_value"]) for r in csv.DictReader(handle)}
        for k in numbers(args.cpmp):
            inst = read_cpmp(DATA / "cpmp" / f"cpmp{k:02d}.txt")
            jobs.append(("pmedcap1", inst, opt[inst.name]))
    if args.larger:
        folder = DATA / "cpmp" / "larger"
        with open(folder / "reference_values.csv") as handle:
            ref = {r["instance"]: float(r["value"]) for r in csv.DictReader(handle)}
        names = LARGER if args.larger == "all" else args.larger.split(",")
        for name in names:
            path = folder / (f"{name}.dat" if name.startswith("SJC") else f"{name}.txt")
            jobs.append(("larger", read_cpmp(path, floor=False), ref[name]))
    for group in ("pmedcap1", "larger"):
        rows = []
        for _, inst, reference in (j for j in jobs if j[0] == group):
            row: dict[str, Any] = {"name": inst.name, "reference": reference}
            row["ours"] = capacitated_ours(inst, reference, args.limit)
            shown = {k: v for k, v in row["ours"].items() if k != "trace"}
            print(inst.name, "accessplan", shown, flush=True)
            if args.compact:
                row["compact"] = compact_in_child(inst, reference, args.compact)
                print(inst.name, "compact", row["compact"], flush=True)
            for name in peers:
                row[name] = capacitated_spopt(inst, name, args.peer_limit)
                print(inst.name, name, row[name], flush=True)
            rows.append(row)
        if rows:
            capacitated_table(f"capacitated p-median ({group})", rows, peers)


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
    if args.cpmp or args.larger:
        run_capacitated(args, peers if args.peer_cpmp else [])
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
    parser.add_argument("--larger", default="", help="larger CPMP sets: all, or SJC1,lin318_005")
    parser.add_argument("--compact", type=float, default=0.0, help="HiGHS compact model seconds")
    parser.add_argument("--peer-cpmp", action="store_true", help="spopt on the CPMP sets too")
    parser.add_argument("--mclp", action="store_true", help="SJC maximal covering")
    parser.add_argument("--peers", default="", help="spopt back ends: cbc,highs")
    parser.add_argument("--peer-pmed", default="1-40", help="pmed instances the peers run")
    parser.add_argument("--peer-mclp", action="store_true", help="peers on SJC too")
    parser.add_argument("--limit", type=float, default=300.0, help="accessplan seconds")
    parser.add_argument("--peer-limit", type=float, default=60.0, help="peer seconds")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
