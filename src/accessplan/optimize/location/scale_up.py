"""Scaling up an existing network, as AccessMod does: add sites greedily and optimally.

The existing facilities are the problem's ``fixed`` sites. Either ``add`` a number of new sites
or add until a ``target`` share of the weight is covered (maximal covering only); the greedy
plan (one site at a time, each the best addition) and the optimal plan are returned together
with their difference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from accessplan._errors import InputError
from accessplan.optimize.location import _heuristics
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location.problems import MaxCover, PMedian
from accessplan.optimize.location.solve import Result, _nearest, solve


@dataclass(frozen=True, eq=False)
class ScaleUp:
    """Greedy and optimal additions to an existing network.

    ``difference`` is how much better the optimal plan is, never negative: covered weight
    gained or total cost saved for a fixed number of additions, sites saved for a coverage
    target. ``added_*`` are the new sites' columns.
    """

    greedy: Result
    optimal: Result
    added_greedy: np.ndarray
    added_optimal: np.ndarray
    difference: float


def scale_up(
    problem: MaxCover | PMedian,
    *,
    add: int | None = None,
    target: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
) -> ScaleUp:
    """Add ``add`` sites to the fixed ones, or the fewest reaching ``target`` coverage.

    Parameters
    ----------
    problem
        A :class:`MaxCover` or :class:`PMedian` whose ``fixed`` sites are the existing ones
        (its ``p`` is ignored).
    add
        Number of new sites.
    target
        Share of the total weight to cover, in (0, 1] (maximal covering only).
    time_limit, seed
        Passed to :func:`solve` for each exact solve.
    """
    if (add is None) == (target is None):
        msg = "give exactly one of `add` (number of new sites) or `target` (coverage share)."
        raise InputError(msg)
    existing = int(problem.fixed.sum())
    if target is not None:
        if not isinstance(problem, MaxCover) or not 0 < target <= 1:
            msg = f"target needs a MaxCover problem and a share in (0, 1], got {target!r}."
            raise InputError(msg)
        return _to_target(problem, target, time_limit, seed)
    assert add is not None
    with_p = _with_p(problem, existing + add)
    greedy = _greedy(with_p)
    optimal = solve(with_p, time_limit=time_limit, seed=seed)
    return _compare(with_p, greedy, optimal)


def _with_p(problem: MaxCover | PMedian, p: int) -> MaxCover | PMedian:
    new = dataclasses.replace(problem, p=p)
    new._check()
    return new


def _greedy(problem: MaxCover | PMedian) -> Result:
    deadline = Deadline(None)
    if isinstance(problem, MaxCover):
        cover = problem.cost <= problem.radius
        sites = _heuristics.greedy_cover(
            cover, problem.weights, problem.p, problem.fixed, ~problem.forbidden
        )
        value = float(problem.weights[cover[:, sites].any(axis=1)].sum())
        bound = float(problem.weights.sum())
    else:
        cost = _heuristics.finite_cost(problem.weighted_cost())
        sites = _heuristics.greedy_median(cost, problem.p, problem.fixed, ~problem.forbidden)
        value = _heuristics.median_cost(cost, sites)
        bound = 0.0
    return Result(
        value,
        bound,
        abs(value - bound) / max(abs(value), 1e-12),
        False,
        sites,
        _nearest(problem, sites),
        deadline.elapsed(),
    )


def _to_target(problem: MaxCover, target: float, time_limit: float | None, seed: int) -> ScaleUp:
    need = target * float(problem.weights.sum()) - 1e-9
    allowed = int((~problem.forbidden).sum())
    p = int(problem.fixed.sum())
    greedy = _greedy(_with_p(problem, max(p, 1)))
    while greedy.objective < need and p < allowed:
        p += 1
        greedy = _greedy(_with_p(problem, p))
    optimal = solve(_with_p(problem, p), time_limit=time_limit, seed=seed)
    while p > max(int(problem.fixed.sum()), 1):
        fewer = solve(_with_p(problem, p - 1), time_limit=time_limit, seed=seed)
        if fewer.objective < need:
            break
        p, optimal = p - 1, fewer
    plans = _compare(problem, greedy, optimal)
    saved = len(plans.added_greedy) - len(plans.added_optimal)
    return dataclasses.replace(plans, difference=float(saved))


def _compare(problem: MaxCover | PMedian, greedy: Result, optimal: Result) -> ScaleUp:
    sign = 1.0 if isinstance(problem, MaxCover) else -1.0
    existing = np.flatnonzero(problem.fixed)
    return ScaleUp(
        greedy,
        optimal,
        np.setdiff1d(greedy.open_sites, existing),
        np.setdiff1d(optimal.open_sites, existing),
        max(0.0, sign * (optimal.objective - greedy.objective)),
    )
