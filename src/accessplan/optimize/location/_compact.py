"""Compact MILPs for covering and capacitated models, built as CSR arrays.

Columns are always ``[y (sites), other columns]``; ``y`` is binary, 1 on fixed sites and 0 on
forbidden ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from accessplan.optimize.location._highs import Model
from accessplan.optimize.location.problems import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    _capacity,
)


def _site_bounds(problem: LocationProblem) -> tuple[np.ndarray, np.ndarray]:
    return problem.fixed.astype(float), (~problem.forbidden).astype(float)


def _count_row(m: int, n_other: int) -> sp.csr_array:
    return sp.csr_array(np.concatenate([np.ones(m), np.zeros(n_other)])[None, :])


def cover_model(
    problem: LocationProblem, cover: np.ndarray, p: int, *, integer: bool, seed: int
) -> Model:
    """Maximal covering: ``max w z``, ``z_i <= sum_{j covers i} y_j``, ``sum y = p``."""
    n, m = cover.shape
    ci, cj = np.nonzero(cover)
    links = sp.csr_array(
        (
            np.concatenate([-np.ones(len(ci)), np.ones(n)]),
            (np.concatenate([ci, np.arange(n)]), np.concatenate([cj, m + np.arange(n)])),
        ),
        shape=(n, m + n),
    )
    lower, upper = _site_bounds(problem)
    return Model(
        np.concatenate([np.zeros(m), problem.weights]),
        np.concatenate([lower, np.zeros(n)]),
        np.concatenate([upper, np.ones(n)]),
        sp.vstack([links, _count_row(m, n)], format="csr"),
        np.concatenate([np.full(n, -np.inf), [p]]),
        np.concatenate([np.zeros(n), [p]]),
        integer=np.concatenate([np.full(m, integer), np.zeros(n, dtype=bool)]),
        maximize=True,
        integral_objective=_integral(problem.weights),
        seed=seed,
    )


def set_cover_model(
    problem: LocationProblem,
    cover: np.ndarray,
    site_cost: np.ndarray,
    *,
    integer: bool,
    seed: int,
    max_sites: int | None = None,
) -> Model:
    """Set covering: ``min f y``, ``sum_{j covers i} y_j >= 1`` (and ``sum y <= max_sites``)."""
    n, m = cover.shape
    lower, upper = _site_bounds(problem)
    rows = sp.csr_array(cover.astype(float))
    limit = [] if max_sites is None else [max_sites]
    if max_sites is not None:
        rows = sp.vstack([rows, _count_row(m, 0)], format="csr")
    return Model(
        site_cost,
        lower,
        upper,
        rows,
        np.concatenate([np.ones(n), np.full(len(limit), -np.inf)]),
        np.concatenate([np.full(n, np.inf), limit]),
        integer=np.full(m, integer),
        integral_objective=_integral(site_cost),
        seed=seed,
    )


def capacitated_model(
    problem: CapacitatedPMedian | CapacitatedMaxCover,
    *,
    seed: int,
    pairs: np.ndarray | None = None,
    sites: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Model, np.ndarray, np.ndarray]:
    """Single-source capacitated assignment over the allowed pairs ``(i, j)``.

    ``pairs`` (clients x sites, boolean) and ``sites`` (lower and upper bounds on ``y``)
    narrow the model further, e.g. after variable fixing or to assign clients to given sites.
    Returns the model and the client and site of each ``x`` column (after the ``y`` ones).
    """
    n, m = problem.cost.shape
    is_median = isinstance(problem, CapacitatedPMedian)
    allowed = np.isfinite(problem.cost)
    if isinstance(problem, CapacitatedMaxCover):
        allowed &= problem.cost <= problem.radius
    if pairs is not None:
        allowed &= pairs
    pi, pj = np.nonzero(allowed)
    k = len(pi)
    demand = problem.q if isinstance(problem, CapacitatedPMedian) else problem.weights
    capacity = _capacity(problem, problem.capacity)
    xcol = m + np.arange(k)
    assign = sp.csr_array((np.ones(k), (pi, xcol)), shape=(n, m + k))
    load = sp.csr_array(
        (
            np.concatenate([demand[pi], -capacity]),
            (np.concatenate([pj, np.arange(m)]), np.concatenate([xcol, np.arange(m)])),
        ),
        shape=(m, m + k),
    )
    link = sp.csr_array(
        (
            np.concatenate([np.ones(k), -np.ones(k)]),
            (np.tile(np.arange(k), 2), np.concatenate([xcol, pj])),
        ),
        shape=(k, m + k),
    )
    # open capacity must hold all demand (implied, but it tightens the LP a lot)
    total = sp.csr_array(np.concatenate([capacity, np.zeros(k)])[None, :])
    matrix = sp.vstack([assign, load, link, _count_row(m, k), total], format="csr")
    row_lower = np.concatenate(
        [
            np.ones(n) if is_median else np.full(n, -np.inf),
            np.full(m + k, -np.inf),
            [problem.p, demand.sum() if is_median else -np.inf],
        ]
    )
    row_upper = np.concatenate([np.ones(n), np.zeros(m + k), [problem.p, np.inf]])
    gain = problem.weights[pi] * (problem.cost[pi, pj] if is_median else 1.0)
    lower, upper = _site_bounds(problem) if sites is None else sites
    model = Model(
        np.concatenate([np.zeros(m), gain]),
        np.concatenate([lower, np.zeros(k)]),
        np.concatenate([upper, np.ones(k)]),
        matrix,
        row_lower,
        row_upper,
        integer=np.ones(m + k, dtype=bool),
        maximize=not is_median,
        integral_objective=_integral(gain),
        seed=seed,
    )
    return model, pi, pj


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.mod(values, 1) == 0))
