"""A periodic problem small enough to plan on paper.

::

        D ----10---- A          drive minutes (= km) both ways; D-C is the diagonal, 14
        |            |          service: 30 minutes a visit; workday 60 minutes
       10           10          days 1..5, day 3 a holiday (no vehicle)
        |            |          A: 2 visits, 2 to 3 days apart -> days (1,4), (2,4), (2,5)
        B ----10---- C          B and C: one visit on any working day

One vehicle at D. A round trip D-x-D takes 10 + 30 + 10 = 50 minutes (D-C-D: 58), two
villages in one day never fit (D-A-C-D: 10 + 30 + 10 + 30 + 14 = 94), so the plan needs four
trips: A twice, B once, C once; the cheapest costs 20 + 20 + 20 + 28 = 88 km.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from accessplan.optimize.mobile import PeriodicProblem, gap_patterns

WORKING = [True, True, False, True, True]
D, A, B, C = 0, 1, 2, 3
MINUTES = np.array(
    [
        [0, 10, 10, 14],
        [10, 0, 14, 10],
        [10, 14, 0, 10],
        [14, 10, 10, 0],
    ],
    dtype=float,
)
BEST_KM = 88.0


def problem(**changes: object) -> PeriodicProblem:
    single = tuple((d,) for d, w in enumerate(WORKING) if w)
    made = PeriodicProblem.from_cost_matrix(
        MINUTES,
        n_depots=1,
        service=[30.0, 30.0, 30.0],
        demand=[1.0, 1.0, 1.0],
        patterns=[gap_patterns(WORKING, 2, min_gap=2, max_gap=3), single, single],
        vehicles=np.array([[1 if w else 0 for w in WORKING]]),
        capacity=2.0,
        workday=60.0,
        depot_ids=["D"],
        client_ids=["A", "B", "C"],
        min_gap=[2, 1, 1],
        max_gap=[3, 30, 30],
    )
    return made.replace(**changes) if changes else made


def route(day: int, places: list[str], *, vehicle: str = "D#1") -> list[dict[str, object]]:
    """Schedule rows of one route D -> places -> D on ``day`` (from 1), times by hand."""
    index = {"D": D, "A": A, "B": B, "C": C}
    rows = []
    clock, here = 0.0, D
    stops = ["D", *places, "D"]
    for n, place in enumerate(stops):
        there = index[place]
        leg = MINUTES[here, there]
        clock += leg
        kind = "start" if n == 0 else "end" if n == len(stops) - 1 else "visit"
        service = 30.0 if kind == "visit" else 0.0
        rows.append(
            {
                "day": day, "date": str(day), "vehicle": vehicle, "depot": "D", "stop": n,
                "kind": kind, "place": place, "arrival_min": clock, "service_min": service,
                "departure_min": clock + service, "distance": leg,
            }
        )  # fmt: skip
        clock += service
        here = there
    return rows


def schedule(*routes: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([row for r in routes for row in r])


def good_plan() -> pd.DataFrame:
    """A on days 1 and 4, B on day 2, C on day 5: 88 km."""
    return schedule(route(1, ["A"]), route(2, ["B"]), route(4, ["A"]), route(5, ["C"]))


NO_DROPS = pd.DataFrame(columns=["client_id", "reason", "detail"])
