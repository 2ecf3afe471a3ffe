"""The plan a county would draw by hand, as a baseline: each centre serves its nearest
villages, nearest-neighbour tours, a fixed rota.

1. Each village goes to the depot with the shortest round trip.
2. Per depot and per number of visits ``v``, its villages are cut into nearest-neighbour
   tours: from the depot, always on to the nearest village not yet toured, as long as the tour
   (service and the way back included) fits the workday and the vehicle's capacity.
3. Fixed rota: tours with most visits first, each takes the earliest day ``d`` on which its
   depot has a free vehicle on all of ``d, d + g, ..., d + (v - 1) g`` (``g`` the even spacing
   of ``v`` visits, within the villages' gap bounds); a tour that finds no such days is left
   out (its villages are dropped, reason ``fleet_short``).

The result has the same tables as :func:`~accessplan.optimize.mobile.solve_periodic` and goes
through the same validator. Each centre serving its nearest villages may need more vehicles
than it has while a neighbour's stand idle: :func:`naive_full_coverage` adds vehicles where
villages are left out, to compare plans at equal coverage.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from accessplan.optimize.mobile.problem import PeriodicProblem
from accessplan.optimize.mobile.solve import REASONS, SCHEDULE_COLUMNS, _hopeless


def naive_plan(problem: PeriodicProblem) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(schedule, dropped)`` of the hand-drawn plan (see the module docstring)."""
    p = problem
    hopeless = _hopeless(p)
    k = p.n_depots
    trip = p.duration[:k, k:] + p.duration[k:, :k].T
    home = np.argmin(np.where(p.vehicles.sum(axis=1)[:, None] > 0, trip, np.inf), axis=0)
    visits = p.visits
    free = p.vehicles.copy()
    tours: list[tuple[int, int, list[int]]] = []  # (depot, visits, clients)
    for depot in range(k):
        for v in sorted({int(x) for x in visits}, reverse=True):
            group = [
                i
                for i in range(p.n_clients)
                if home[i] == depot and visits[i] == v and i not in hopeless
            ]
            tours.extend((depot, v, t) for t in _nearest_neighbour_tours(p, depot, group))
    tours.sort(key=lambda t: (-t[1], t[0]))
    rows: list[dict[str, Any]] = []
    dropped = [
        {"client_id": p.client_ids[i], "reason": r, "detail": REASONS[r]}
        for i, r in hopeless.items()
    ]
    next_vehicle = np.zeros_like(free)
    for depot, v, clients in tours:
        days = _rota_days(p, free[depot], v, clients)
        if days is None:
            dropped.extend(
                {
                    "client_id": p.client_ids[i],
                    "reason": "fleet_short",
                    "detail": REASONS["fleet_short"],
                }
                for i in clients
            )
            continue
        for d in days:
            free[depot, d] -= 1
            number = next_vehicle[depot, d]
            next_vehicle[depot, d] += 1
            rows.extend(_route_rows(p, depot, int(number), d, clients))
    schedule = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS).sort_values(
        ["day", "vehicle", "stop"], kind="stable"
    )
    return schedule.reset_index(drop=True), pd.DataFrame(
        dropped, columns=["client_id", "reason", "detail"]
    )


def _nearest_neighbour_tours(p: PeriodicProblem, depot: int, group: list[int]) -> list[list[int]]:
    k = p.n_depots
    left = set(group)
    limit = p.workday
    tours = []
    while left:
        tour: list[int] = []
        here, minutes, load = depot, 0.0, 0.0
        while True:
            options = sorted(left, key=lambda i: (p.duration[here, k + i], i))
            added = False
            for i in options[:1]:
                there = k + i
                total = minutes + p.duration[here, there] + p.service[i] + p.duration[there, depot]
                if (total <= limit or not tour) and load + p.demand[i] <= p.capacity[depot]:
                    tour.append(i)
                    minutes += p.duration[here, there] + p.service[i]
                    load += p.demand[i]
                    here = there
                    left.discard(i)
                    added = True
            if not added or not left:
                break
        tours.append(tour)
    return tours


def _rota_days(
    p: PeriodicProblem, free: np.ndarray, v: int, clients: list[int]
) -> list[int] | None:
    """Earliest days ``d, d + g, ...`` with a free vehicle, ``g`` evenly spaced and within
    every client's gap bounds (and each day one of the clients' allowed days)."""
    allowed = set.intersection(*({d for pat in p.patterns[i] for d in pat} for i in clients))
    low = max((p.min_gap[i] for i in clients), default=1) if p.min_gap is not None else 1
    high = (
        min((p.max_gap[i] for i in clients), default=math.inf)
        if p.max_gap is not None
        else math.inf
    )
    spacing = max(1, round((p.n_days - 1) / v)) if v > 1 else 0
    steps = sorted(
        (g for g in range(int(low), int(min(high, p.n_days)) + 1) if v > 1),
        key=lambda g: (abs(g - spacing), g),
    ) or [0]
    for g in steps:
        for first in range(p.n_days):
            days = [first + n * g for n in range(v)]
            if days[-1] < p.n_days and all(free[d] > 0 and d in allowed for d in days):
                if v == 1 or all(tuple(days) in set(p.patterns[i]) for i in clients):
                    return days
    return None


def _route_rows(
    p: PeriodicProblem, depot: int, number: int, day: int, clients: list[int]
) -> list[dict[str, Any]]:
    k = p.n_depots
    name = p.depot_ids[depot]
    base = {
        "day": day + 1,
        "date": p.day_label(day),
        "vehicle": f"{name}#{number + 1}",
        "depot": name,
    }
    rows = [
        {
            **base,
            "stop": 0,
            "kind": "start",
            "place": name,
            "arrival_min": 0.0,
            "service_min": 0.0,
            "departure_min": 0.0,
            "distance": 0.0,
        }
    ]
    clock, here = 0.0, depot
    for n, i in enumerate(clients, start=1):
        there = k + i
        clock += float(p.duration[here, there])
        rows.append(
            {
                **base,
                "stop": n,
                "kind": "visit",
                "place": p.client_ids[i],
                "arrival_min": clock,
                "service_min": float(p.service[i]),
                "departure_min": clock + float(p.service[i]),
                "distance": float(p.distance[here, there]),
            }
        )
        clock += float(p.service[i])
        here = there
    clock += float(p.duration[here, depot])
    rows.append(
        {
            **base,
            "stop": len(clients) + 1,
            "kind": "end",
            "place": name,
            "arrival_min": clock,
            "service_min": 0.0,
            "departure_min": clock,
            "distance": float(p.distance[here, depot]),
        }
    )
    return rows


def naive_full_coverage(problem: PeriodicProblem) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The hand-drawn plan with a vehicle added at every depot that leaves a village out
    (for lack of vehicles) until none does: ``(schedule, dropped, vehicles per depot)``."""
    p = problem
    k = p.n_depots
    trip = p.duration[:k, k:] + p.duration[k:, :k].T
    home = np.argmin(np.where(p.vehicles.sum(axis=1)[:, None] > 0, trip, np.inf), axis=0)
    index = {c: i for i, c in enumerate(p.client_ids)}
    fleet = p.vehicles.copy()
    while True:
        schedule, dropped = naive_plan(p.replace(vehicles=fleet))
        short = dropped.loc[dropped["reason"] == "fleet_short", "client_id"]
        if short.empty:
            return schedule, dropped, fleet.max(axis=1)
        for depot in sorted({int(home[index[c]]) for c in short}):
            fleet[depot] += fleet[depot] > 0
