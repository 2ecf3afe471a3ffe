"""Mobile clinic tours for a synthetic mountain county: time to a feasible plan, quality after
60 s against a 10-minute run, memory, a fleet one vehicle short, and the hand-drawn plan.

The county: ``synth.mountain_county(seed, n_townships=10, n_villages=300)`` -- 10 township
health centres with 2 vehicles each (20 vehicles), 22 working days, 8-hour workdays, the
villages beyond 15 minutes' walk of a health centre or the hospital, monthly follow-up of
their chronic patients. Every plan is checked by the independent validator; costs are the
validator's (per km, per extra vehicle-day, prizes of villages left out).

    python benchmarks/mobile_county.py                      # 60 s and 600 s, seed 0
    python benchmarks/mobile_county.py --long 0 --short 30  # a quick look

The machine is shared: every line gives wall and CPU seconds and the load. ``--cpu`` makes
the search budgets CPU time of this process instead of wall time (a busy machine then takes
longer but does the same work).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from typing import Any

from accessplan import synth
from accessplan.optimize.mobile import (
    _search,
    build_setup,
    fleet_sweep,
    naive_full_coverage,
    plan_kpis,
    solve_periodic,
    validate,
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the county and the search")
    parser.add_argument("--short", type=float, default=60.0, help="seconds of the main run")
    parser.add_argument(
        "--long", type=float, default=600.0, help="seconds of the reference run (0: none)"
    )
    parser.add_argument("--vehicles", type=int, default=2, help="vehicles per health centre")
    parser.add_argument(
        "--sweep-iterations", type=int, default=300, help="search work of each fleet-sweep solve"
    )
    parser.add_argument(
        "--cpu", action="store_true", help="search budgets in CPU time of this process"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.cpu:
        _search.clock = time.process_time
    print(f"load at start {os.getloadavg()}; clock: {'CPU' if args.cpu else 'wall'} time")
    t = time.perf_counter()
    county = synth.mountain_county(args.seed, n_townships=10, n_villages=300)
    setup = build_setup(
        county, days=22, workday=480.0, vehicles={"township_health_center": args.vehicles}
    )
    p = setup.problem
    print(
        f"county: {len(county.settlements)} villages, {p.n_depots} centres, "
        f"{int(setup.depots['vehicles'].sum())} vehicles, {p.n_days} working days; "
        f"{p.n_clients} villages beyond 15 min, {int(p.visits.sum())} visits; "
        f"built (travel matrices included) in {time.perf_counter() - t:.1f} s"
    )
    costs = setup.kwargs["costs"]

    def figures(schedule: Any, dropped: Any) -> dict[str, Any]:
        return plan_kpis(p, setup.villages, schedule, dropped, per_km=costs.per_km,
                         per_vehicle_day=costs.per_vehicle_day,
                         per_overtime_min=costs.per_overtime_min)  # fmt: skip

    # time to the first plan (the construction, which inserts every visit where it keeps the
    # limits when it can), then one PyVRP local search on it; the search keeps the
    # construction when that local search leaves a route over a limit
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    search = _search.PatternSearch(p, seed=args.seed)
    state = search.construct()
    print(
        f"first plan (construction, search set-up included): feasible {state.feasible}, "
        f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
        f"cost {state.base:,.0f}, dropped {int((state.assign == _search.DROPPED).sum())}, "
        f"load {load:.1f}"
    )
    search.polish(state, exhaustive=True)
    print(
        f"  then one PyVRP local search: feasible {state.feasible} (excess {state.excess:.1f}), "
        f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU in "
        f"all, cost {state.base:,.0f}"
    )
    runs = {}
    for label, seconds in (("short", args.short), ("long", args.long)):
        if seconds <= 0:
            continue
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        result = solve_periodic(p, time_limit=seconds, seed=args.seed)
        k = figures(result.schedule, result.dropped)
        runs[label] = result
        print(
            f"{label} run {seconds:g} s: cost {result.cost():,.1f}, valid {result.check.ok}, "
            f"served {k['villages_served']}/{k['villages']}, trips {k['trips']}, km {k['km']:.0f}, "
            f"km/person-visit {k['km_per_person_visit']:.4f}, iterations {result.iterations}, "
            f"{time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s CPU, "
            f"load {load:.1f}, peak {peak_mb():.0f} MB"
        )
    if "long" in runs and "short" in runs:
        gap = 100 * (runs["short"].cost() / runs["long"].cost() - 1)
        print(f"short run vs long run: {gap:+.2f} % cost")
    schedule, dropped, naive_fleet = naive_full_coverage(p)
    k = figures(schedule, dropped)
    ours = figures(runs["short"].schedule, runs["short"].dropped) if "short" in runs else None
    more = p.replace(vehicles=(p.vehicles > 0) * naive_fleet[:, None])
    print(
        f"naive plan ({int(naive_fleet.sum())} vehicles, {naive_fleet.tolist()} per centre): "
        f"valid {validate(more, schedule, dropped).ok}, served {k['villages_served']}/"
        f"{k['villages']}, trips {k['trips']}, km {k['km']:.0f}, km/person-visit "
        f"{k['km_per_person_visit']:.4f}"
    )
    if ours is not None and ours["villages_served"] == k["villages_served"]:
        lower = 100 * (1 - ours["km_per_person_visit"] / k["km_per_person_visit"])
        print(f"km per person-visit {lower:.1f} % lower than the naive plan at equal coverage")
    # the fleet needed, and what one vehicle fewer leaves out
    wall, cpu = time.perf_counter(), time.process_time()
    sweep = fleet_sweep(setup, seed=args.seed, iterations=args.sweep_iterations)
    print(
        f"fleet sweep ({time.perf_counter() - wall:.0f} s wall, "
        f"{time.process_time() - cpu:.0f} s CPU):"
    )
    for row in sweep.to_dict("records"):
        reasons: dict[str, int] = {}
        for item in str(row["dropped"]).split():
            reason = item.split(":", 1)[1]
            reasons[reason] = reasons.get(reason, 0) + 1
        print(
            f"  {row['vehicles']} vehicles ({row['depots_fleet']}): served "
            f"{row['villages_served']}, dropped {row['villages_dropped']} {reasons or ''}"
        )
    print(f"load at end {os.getloadavg()}; peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
