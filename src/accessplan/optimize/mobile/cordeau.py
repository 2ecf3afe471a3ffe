"""Cordeau's periodic VRP files (Cordeau, Gendreau & Laporte 1997, *Networks* 30: 105-119).

Layout: a header ``type m n t`` (``type`` 1 for the PVRP, ``m`` vehicles a day, ``n``
customers, ``t`` days); ``t`` lines ``D Q`` (longest route, 0 for none, and vehicle capacity
per day); then one line per location ``i x y d q f a c_1 .. c_a``: coordinates, service
duration, demand, visit frequency, and the ``a`` allowed visit combinations. A combination is
a ``t``-bit number read left to right as days ``1 .. t``: with ``t = 5``, ``20 = 10100`` is
days 1 and 3. Location 0 is the depot. Costs are unrounded Euclidean distances; a route's
duration is its distance plus its service durations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accessplan._errors import InputError
from accessplan.optimize.mobile.problem import Pattern, PeriodicProblem


def decode_combination(code: int, n_days: int) -> Pattern:
    """The days (0-based) of visit combination ``code`` over ``n_days`` days."""
    return tuple(d for d in range(n_days) if code >> (n_days - 1 - d) & 1)


def read_cordeau(path: str | Path) -> PeriodicProblem:
    """Read a PVRP instance of Cordeau's format (see the module docstring)."""
    path = Path(path)
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    try:
        kind, m, n, t = (int(v) for v in rows[0][:4])
        limits = [(float(r[0]), float(r[1])) for r in rows[1 : 1 + t]]
        places = rows[1 + t : 2 + t + n]
        xy = np.array([[float(r[1]), float(r[2])] for r in places])
        service = np.array([float(r[3]) for r in places[1:]])
        demand = np.array([float(r[4]) for r in places[1:]])
        patterns = []
        for r in places[1:]:
            f, a = int(r[5]), int(r[6])
            options = tuple(decode_combination(int(c), t) for c in r[7 : 7 + a])
            if len(options) != a or any(len(p) != f for p in options):
                raise ValueError(f"customer {r[0]}: combinations do not match frequency {f}")
            patterns.append(options)
    except (IndexError, ValueError) as exc:
        msg = (
            f"{path}: not a Cordeau PVRP file (header 'type m n t', t lines 'D Q', n + 1 "
            f"places): {exc}"
        )
        raise InputError(msg) from None
    if kind != 1 or len(places) != n + 1:
        msg = (
            f"{path}: expected a PVRP (type 1) with {n + 1} places, got type {kind}, {len(places)}."
        )
        raise InputError(msg)
    if len({lim for lim in limits}) != 1:
        msg = f"{path}: route limits differ between days ({limits}); only equal days are read."
        raise InputError(msg)
    longest, capacity = limits[0]
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return PeriodicProblem.from_cost_matrix(
        dist,
        n_depots=1,
        demand=demand,
        service=service,
        patterns=patterns,
        vehicles=np.full((1, t), m),
        capacity=capacity,
        workday=longest if longest > 0 else np.inf,
        depot_ids=("0",),
        client_ids=[r[0] for r in places[1:]],
    )
