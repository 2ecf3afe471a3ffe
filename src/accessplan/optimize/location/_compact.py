"""Compact MILPs for covering and capacitated assignment models, built as CSR arrays.

Columns are always ``[y (sites), other columns]``; ``y`` is binary, 1 on fixed sites and 0 on
forbidden ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from accessplan.optimize.location._highs import Model
from accessplan.optimize.location.problems import LocationProblem


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


def assignment_model(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    p: int,
    sites: tuple[np.ndarray, np.ndarray],
    unserved: np.ndarray,
    *,
    seed: int,
    integral: bool = False,
    split: bool = False,
) -> tuple[Model, np.ndarray, np.ndarray]:
    r"""Capacitated assignment to ``p`` open sites, minimising
    ``sum_ij cost_ij x_ij + sum_i unserved_i s_i``:

    .. math:: \sum_j x_{ij} + s_i = 1,\; \sum_i q_i x_{ij} \le Q_j y_j,\; x_{ij} \le y_j,\;
              \sum_j y_j = p,\; \sum_j Q_j y_j \ge \sum_{i: e_i = \infty} q_i .

    ``cost`` is clients x sites with ``inf`` on the pairs left out; ``sites`` the lower and
    upper bounds on ``y``; ``s_i`` exists only where ``unserved_i`` is finite. ``x`` is
    binary (single source) unless ``split``. Columns are ``[y, x, s]``; returns the model
    and the client and site of each ``x`` column.
    """
    n, m = cost.shape
    pi, pj = np.nonzero(np.isfinite(cost))
    k = len(pi)
    optional = np.flatnonzero(np.isfinite(unserved))
    xcol = m + np.arange(k)
    scol = m + k + np.arange(len(optional))
    width = m + k + len(optional)
    assign = sp.csr_array(
        (
            np.ones(k + len(optional)),
            (np.concatenate([pi, optional]), np.concatenate([xcol, scol])),
        ),
        shape=(n, width),
    )
    load = sp.csr_array(
        (
            np.concatenate([demand[pi], -capacity]),
            (np.concatenate([pj, np.arange(m)]), np.concatenate([xcol, np.arange(m)])),
        ),
        shape=(m, width),
    )
    link = sp.csr_array(
        (
            np.concatenate([np.ones(k), -np.ones(k)]),
            (np.tile(np.arange(k), 2), np.concatenate([xcol, pj])),
        ),
        shape=(k, width),
    )
    count = sp.csr_array(
        (np.ones(m), (np.zeros(m, dtype=np.int64), np.arange(m))), shape=(1, width)
    )
    # open capacity must hold the demand that must be served (implied; tightens the LP)
    total = sp.csr_array((capacity, (np.zeros(m, dtype=np.int64), np.arange(m))), shape=(1, width))
    must = float(demand[~np.isfinite(unserved)].sum())
    lower, upper = sites
    model = Model(
        np.concatenate([np.zeros(m), cost[pi, pj], unserved[optional]]),
        np.concatenate([lower, np.zeros(k + len(optional))]),
        np.concatenate([upper, np.ones(k + len(optional))]),
        sp.vstack([assign, load, link, count, total], format="csr"),
        np.concatenate([np.ones(n), np.full(m + k, -np.inf), [p, must]]),
        np.concatenate([np.ones(n), np.zeros(m + k), [p, np.inf]]),
        integer=np.concatenate([np.ones(m, dtype=bool), np.full(k + len(optional), not split)]),
        integral_objective=integral,
        seed=seed,
    )
    return model, pi, pj


def lagrangian_rows(
    reduced: np.ndarray, value: np.ndarray, pi: np.ndarray, pj: np.ndarray, width: int
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Rows ``sum_i reduced_ij x_ij - K_j y_j >= 0`` over the model's columns ``[y, x, s]``:
    valid (site ``j``'s clients are one of its knapsack's sets) and they lift the LP bound to
    the Lagrangian one."""
    m, k = len(value), len(pi)
    matrix = sp.csr_array(
        (
            np.concatenate([reduced[pi, pj], -value]),
            (np.concatenate([pj, np.arange(m)]), np.concatenate([m + np.arange(k), np.arange(m)])),
        ),
        shape=(m, width),
    )
    return matrix, np.zeros(m), np.full(m, np.inf)


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.mod(values, 1) == 0))
