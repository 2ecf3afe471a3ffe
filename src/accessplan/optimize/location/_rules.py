"""The rules every plan must keep, checked by ``solve`` before a Result leaves the library.

Whatever path produced a plan (heuristic, Lagrangian, HiGHS on a reduced model, a time-out
fallback), the same checks run on the open sites and the assignment against the problem:
fixed sites open, forbidden sites closed, ``p`` sites, every client served where the model
says so and only by an open site it may use (``inf`` cost beyond ``max_cost``), within the
radius of covering models, site loads within capacity. The objective is recomputed from the
plan rather than taken from the solver.
"""

from __future__ import annotations

import numpy as np

from accessplan.optimize.location.problems import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    SetCover,
)

_LOAD_TOL = 1e-9


def must_serve_all(problem: LocationProblem) -> bool:
    """Whether every client must be assigned (false for the maximal covering models)."""
    return not isinstance(problem, MaxCover | CapacitatedMaxCover)


def value(
    problem: LocationProblem,
    sites: np.ndarray,
    assignment: np.ndarray,
    shares: np.ndarray | None = None,
) -> float:
    """The plan's objective from the data; ``inf`` when a client that must be served is not
    (or by a site it may not use). ``shares`` (clients x sites) replace the assignment when
    demand splits."""
    if shares is not None:
        return _split_value(problem, shares)
    served = assignment >= 0
    rows = np.flatnonzero(served)
    cost = problem.cost[rows, assignment[rows]]
    w = problem.weights
    if must_serve_all(problem) and (not served.all() or not np.isfinite(cost).all()):
        return np.inf
    if isinstance(problem, PMedian | CapacitatedPMedian):
        return float(np.sum(w[rows] * cost))
    if isinstance(problem, PCenter):
        return float(np.max(w[rows] * cost))
    if isinstance(problem, MaxCover | CapacitatedMaxCover):
        return float(w[rows].sum())
    assert isinstance(problem, SetCover)
    site_cost = np.ones(problem.n_sites) if problem.site_cost is None else problem.site_cost
    return float(site_cost[sites].sum())


def _split_value(problem: LocationProblem, shares: np.ndarray) -> float:
    usable = np.isfinite(problem.cost) & (shares > 0)
    if (shares > 0).any() and not usable[shares > 0].all():
        return np.inf
    total = shares.sum(axis=1)
    w = problem.weights
    if isinstance(problem, CapacitatedMaxCover):
        return float(w @ total)
    if (total < 1 - _LOAD_TOL * 1e3).any():
        return np.inf
    cost = np.where(usable, problem.cost, 0.0)
    return float(w @ (shares * cost).sum(axis=1))


def broken(
    problem: LocationProblem,
    sites: np.ndarray,
    assignment: np.ndarray,
    shares: np.ndarray | None = None,
) -> list[str]:
    """The rules the plan breaks, in words (empty when it keeps them all)."""
    faults = []
    m = problem.n_sites
    if len(sites) and (sites.min() < 0 or sites.max() >= m or len(np.unique(sites)) < len(sites)):
        faults.append(f"open sites are not distinct columns in 0..{m - 1}: {sites.tolist()}")
        return faults
    is_open = np.zeros(m, dtype=bool)
    is_open[sites] = True
    if (closed := np.flatnonzero(problem.fixed & ~is_open)).size:
        faults.append(f"fixed sites {closed.tolist()} are closed")
    if (bad := np.flatnonzero(problem.forbidden & is_open)).size:
        faults.append(f"forbidden sites {bad.tolist()} are open")
    p = getattr(problem, "p", None)
    if p is not None and len(sites) != p:
        faults.append(f"{len(sites)} sites are open, p = {p}")
    if assignment.shape != (problem.n_clients,):
        faults.append(f"the assignment has shape {assignment.shape}")
        return faults
    if shares is not None:
        return faults + _split_faults(problem, is_open, assignment, shares)
    served = assignment >= 0
    rows = np.flatnonzero(served)
    to = assignment[rows]
    if (to >= m).any() or not is_open[to].all():
        faults.append("clients are assigned to closed sites")
        return faults
    cost = problem.cost[rows, to]
    if not np.isfinite(cost).all():
        faults.append("clients are assigned to sites they may not use (beyond max_cost)")
    radius = getattr(problem, "radius", None)
    if radius is not None and isinstance(problem, CapacitatedMaxCover) and (cost > radius).any():
        faults.append(f"clients are assigned beyond the radius {radius:g}")
    if isinstance(problem, PMedian | PCenter):
        nearest = problem.cost[:, sites].min(axis=1)
        if (
            served.all()
            and (problem.cost[np.arange(problem.n_clients), assignment] > nearest).any()
        ):
            faults.append("clients are not assigned to their nearest open site")
    if isinstance(problem, CapacitatedPMedian | CapacitatedMaxCover):
        demand = problem.q if isinstance(problem, CapacitatedPMedian) else problem.weights
        load = np.bincount(to, weights=demand[rows], minlength=m)
        over = np.flatnonzero(load > problem.capacity * (1 + _LOAD_TOL) + _LOAD_TOL)
        if over.size:
            faults.append(f"sites {over.tolist()} are loaded beyond their capacity")
    return faults


def _split_faults(
    problem: LocationProblem, is_open: np.ndarray, assignment: np.ndarray, shares: np.ndarray
) -> list[str]:
    """Rules of split demand: shares in [0, 1] summing to at most 1 per client, only on open
    sites a client may use (within the radius when covering), loads within capacity, and
    the assignment naming each client's largest share."""
    assert isinstance(problem, CapacitatedPMedian | CapacitatedMaxCover)
    faults = []
    if shares.shape != problem.cost.shape:
        return [f"the shares have shape {shares.shape}, not {problem.cost.shape}"]
    if (shares < 0).any() or (shares.sum(axis=1) > 1 + 1e-6).any():
        faults.append("shares are negative or exceed a client's whole demand")
    used = shares > 0
    if (used & ~is_open[None, :]).any():
        faults.append("clients are served by closed sites")
    reach = np.isfinite(problem.cost)
    if isinstance(problem, CapacitatedMaxCover):
        reach &= problem.cost <= problem.radius
    if (used & ~reach).any():
        faults.append("clients are served by sites they may not use")
    demand = problem.q if isinstance(problem, CapacitatedPMedian) else problem.weights
    load = demand @ shares
    over = np.flatnonzero(load > problem.capacity * (1 + _LOAD_TOL) + 1e-6)
    if over.size:
        faults.append(f"sites {over.tolist()} are loaded beyond their capacity")
    largest = np.where(used.any(axis=1), np.argmax(shares, axis=1), -1)
    if (assignment != largest).any():
        faults.append("the assignment does not name each client's largest share")
    return faults
