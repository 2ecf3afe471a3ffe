"""``solve(problem)``: one entry point for every location problem, returning a frozen Result."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, NoReturn

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.optimize.location import _capacitated as _capacitated_engine
from accessplan.optimize.location import _heuristics, _rules
from accessplan.optimize.location._compact import cover_model, set_cover_model
from accessplan.optimize.location._highs import Deadline, Outcome, Progress
from accessplan.optimize.location._instance import instance
from accessplan.optimize.location._pcenter import solve_center
from accessplan.optimize.location._pmedian import solve_median
from accessplan.optimize.location._split import solve_split
from accessplan.optimize.location.errors import InfeasibleError, InvalidPlanError, SolverTimeout
from accessplan.optimize.location.problems import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    SetCover,
)

logger = logging.getLogger(__name__)

Method = Literal["exact", "heuristic"]


@dataclass(frozen=True, eq=False)
class Result:
    """A solved location problem.

    Attributes
    ----------
    objective
        Value of the plan (total weighted cost, covered weight, radius, or site cost).
    bound
        Proven bound on the optimum (lower when minimising, upper when maximising).
    gap
        ``|objective - bound| / |objective|`` (0 when both are 0).
    is_optimal
        The plan is proven optimal (gap closed).
    open_sites
        Column numbers of the open sites, sorted (labels: ``problem.site_ids``).
    assignment
        Per client the column of its serving site, -1 when not served (uncovered); with
        split demand, the site serving its largest share.
    runtime
        Seconds.
    shares
        With split demand (``split=True``), clients x sites: the share of each client's
        demand each site serves (rows sum to 1, or less when covering); None otherwise.
    """

    objective: float
    bound: float
    gap: float
    is_optimal: bool
    open_sites: np.ndarray
    assignment: np.ndarray
    runtime: float
    shares: np.ndarray | None = None

    def plan(self, problem: LocationProblem) -> pd.DataFrame:
        """Long table ``client_id, site_id, cost`` (site empty and cost NaN when unserved);
        with split demand one row per client and site serving it, and a ``share`` column
        (a client's unserved part on a row without a site)."""
        if self.shares is not None:
            return self._split_plan(problem, self.shares)
        served = self.assignment >= 0
        site = np.where(served, self.assignment, 0)
        return pd.DataFrame(
            {
                "client_id": list(problem.client_ids),
                "site_id": [
                    problem.site_ids[s] if ok else None for s, ok in zip(site, served, strict=True)
                ],
                "cost": np.where(served, problem.cost[np.arange(problem.n_clients), site], np.nan),
            }
        )

    def _split_plan(self, problem: LocationProblem, shares: np.ndarray) -> pd.DataFrame:
        rows, cols = np.nonzero(shares)
        left = 1.0 - shares.sum(axis=1)
        out = np.flatnonzero(left > 1e-9)
        order = np.argsort(np.concatenate([rows, out]), kind="stable")
        clients = np.concatenate([rows, out])[order]
        sites: list[Any] = [problem.site_ids[j] for j in cols] + [None] * len(out)
        return pd.DataFrame(
            {
                "client_id": [problem.client_ids[i] for i in clients],
                "site_id": pd.Series([sites[k] for k in order], dtype=object),
                "cost": np.concatenate([problem.cost[rows, cols], np.full(len(out), np.nan)])[
                    order
                ],
                "share": np.concatenate([shares[rows, cols], left[out]])[order],
            }
        )

    def open_site_ids(self, problem: LocationProblem) -> list[Any]:
        return [problem.site_ids[j] for j in self.open_sites]


def solve(
    problem: LocationProblem,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    method: Method = "exact",
    progress: Progress | None = None,
) -> Result:
    """Solve a location problem.

    Parameters
    ----------
    problem
        A :class:`PMedian`, :class:`PCenter`, :class:`MaxCover`, :class:`SetCover`,
        :class:`CapacitatedPMedian` or :class:`CapacitatedMaxCover`.
    time_limit
        Seconds; the best plan so far and its bound are returned when it runs out
        (``is_optimal`` False, ``gap`` above zero).
    seed
        Seeds the heuristics (``numpy.random.default_rng``) and HiGHS.
    method
        ``"exact"`` (prove optimality) or ``"heuristic"`` (fast plan with an LP or
        Lagrangian bound, for very large instances).
    progress
        Called as ``progress(seconds, objective, bound)`` whenever the capacitated models
        find a better plan (objective) or bound, and once at the end for every model; for
        watching a long solve (time to a first plan, to within 1 %).

    Returns
    -------
    Result
        A plan that keeps every rule of the problem (checked here, whatever found it).

    Raises
    ------
    InfeasibleError
        No plan exists; the message says why (also an ``InputError``).
    SolverTimeout
        The time limit ran out before any feasible plan was found.
    """
    if method not in ("exact", "heuristic"):
        msg = f"method must be 'exact' or 'heuristic', got {method!r}."
        raise InputError(msg)
    if time_limit is not None and not time_limit > 0:
        msg = f"time_limit must be a positive number of seconds, got {time_limit!r}."
        raise InputError(msg)
    solver = _SOLVERS.get(type(problem))
    if solver is None:
        msg = f"cannot solve a {type(problem).__name__}; build one of {sorted(_NAMES)}."
        raise InputError(msg)
    maximise = isinstance(problem, MaxCover | CapacitatedMaxCover)
    deadline = Deadline(time_limit, _signed(progress, -1.0 if maximise else 1.0))
    rng = np.random.default_rng(seed)
    open_sites, objective, bound, assignment, shares = Solved(
        *solver(problem, deadline, rng, method == "exact")
    )
    if not np.isfinite(objective):  # no plan serves every client
        _no_plan(problem, proven=bound == np.inf)
    open_sites = np.sort(np.asarray(open_sites, dtype=np.int64))
    if shares is not None:
        served = (shares > 0).any(axis=1)
        assignment = np.where(served, np.argmax(shares, axis=1), -1)
        shares.setflags(write=False)
    if assignment is None:
        assignment = _nearest(problem, open_sites)
    assignment = np.asarray(assignment, dtype=np.int64)
    value = _rules.value(problem, open_sites, assignment, shares)
    faults = _rules.broken(problem, open_sites, assignment, shares)
    if not np.isfinite(value):
        faults.append("clients are left unserved")
    if faults or not np.isclose(value, objective, rtol=1e-7, atol=1e-7):
        msg = (
            f"the {type(problem).__name__} solver produced a plan that breaks the problem "
            f"({'; '.join(faults) or f'objective {objective:g}, recomputed {value:g}'}); it "
            "is withheld. This is a bug in accessplan: please report it with the problem."
        )
        raise InvalidPlanError(msg)
    # a bound past the objective by rounding noise is still a proof
    bound = max(bound, value) if maximise else min(bound, value)
    gap = abs(value - bound) / max(abs(value), 1e-12) if value != bound else 0.0
    result = Result(
        float(value),
        float(bound),
        float(gap),
        bool(gap <= 1e-9),
        _readonly(open_sites),
        _readonly(assignment),
        deadline.elapsed(),
        shares,
    )
    if progress is not None:
        progress(result.runtime, result.objective, result.bound)
    logger.info(
        "%s: objective %.6g, bound %.6g, %.1f s",
        type(problem).__name__,
        objective,
        bound,
        result.runtime,
    )
    return result


class Solved(NamedTuple):
    """What a model's solver returns (in the model's own sense: covered weight is positive)."""

    sites: np.ndarray
    objective: float
    bound: float
    assignment: np.ndarray | None = None
    shares: np.ndarray | None = None


def _signed(progress: Progress | None, sign: float) -> Progress | None:
    """``progress`` fed the engines' minimised values, with the model's own sign."""
    if progress is None or sign == 1.0:
        return progress
    return lambda seconds, objective, bound: progress(seconds, sign * objective, sign * bound)


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=np.int64)
    array.setflags(write=False)
    return array


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def _nearest(problem: LocationProblem, open_sites: np.ndarray) -> np.ndarray:
    """Nearest open site per client, -1 when none is allowed (or, for covers, within radius)."""
    sub = problem.cost[:, open_sites]
    best = np.argmin(sub, axis=1)
    reach = sub[np.arange(problem.n_clients), best]
    limit = getattr(problem, "radius", np.inf)
    ok = np.isfinite(reach) & (reach <= limit)
    return np.where(ok, open_sites[best], -1)


def _weighted(problem: LocationProblem) -> np.ndarray:
    return problem.weighted_cost()


def _pmedian(p: PMedian, deadline: Deadline, rng: np.random.Generator, exact: bool) -> Solved:
    plan = solve_median(
        _weighted(p), p.p, p.fixed, ~p.forbidden, deadline=deadline, rng=rng, exact=exact
    )
    return Solved(plan.open_sites, plan.objective, plan.bound, None)


def _open(x: np.ndarray, m: int) -> np.ndarray:
    return np.flatnonzero(x[:m] > 0.5)


def _sites_or(outcome: Outcome, fallback: np.ndarray, m: int) -> np.ndarray:
    """Open sites of the solver's plan, or ``fallback`` when it has none."""
    return fallback if outcome.x is None else _open(outcome.x, m)


def _maxcover(p: MaxCover, deadline: Deadline, rng: np.random.Generator, exact: bool) -> Solved:
    cover = p.cost <= p.radius
    greedy = _heuristics.greedy_cover(cover, p.weights, p.p, p.fixed, ~p.forbidden)
    covered = float(p.weights[cover[:, greedy].any(axis=1)].sum())
    reachable = float(p.weights[cover[:, ~p.forbidden].any(axis=1)].sum())
    if covered >= reachable:  # everyone who can be covered is: nothing to prove
        return Solved(greedy, covered, reachable, None)
    if p.p - int(p.fixed.sum()) <= 1:  # greedy tried every single addition
        return Solved(greedy, covered, covered, None)
    model = cover_model(p, cover, p.p, integer=exact, seed=_seed(rng))
    start = np.concatenate([_indicator(greedy, p.n_sites), cover[:, greedy].any(axis=1)])
    out = model.solve(deadline, start=start if exact else None)
    sites = _sites_or(out, greedy, p.n_sites) if exact else greedy
    return Solved(sites, float(p.weights[cover[:, sites].any(axis=1)].sum()), out.bound, None)


def _setcover(p: SetCover, deadline: Deadline, rng: np.random.Generator, exact: bool) -> Solved:
    cover = p.cost <= p.radius
    site_cost = np.ones(p.n_sites) if p.site_cost is None else np.asarray(p.site_cost, float)
    greedy = _heuristics.greedy_set_cover(cover, site_cost, p.fixed, ~p.forbidden)
    assert greedy is not None  # the problem's check found a site within radius for everyone
    model = set_cover_model(p, cover, site_cost, integer=exact, seed=_seed(rng))
    out = model.solve(deadline, start=_indicator(greedy, p.n_sites) if exact else None)
    sites = _sites_or(out, greedy, p.n_sites) if exact else greedy
    return Solved(sites, float(site_cost[sites].sum()), out.bound, None)


def _pcenter(p: PCenter, deadline: Deadline, rng: np.random.Generator, exact: bool) -> Solved:
    cost = _weighted(p)
    if exact:
        sites, radius, bound = solve_center(p, cost, deadline=deadline, rng=rng)
        return Solved(sites, radius, bound, None)
    sites = _heuristics.farthest_first(cost, p.p, p.fixed, p.forbidden)
    return Solved(
        sites, float(cost[:, sites].min(axis=1).max()), float(cost.min(axis=1).max()), None
    )


def _capacitated(
    p: CapacitatedPMedian | CapacitatedMaxCover,
    deadline: Deadline,
    rng: np.random.Generator,
    exact: bool,
) -> Solved:
    """The capacitated engine (``_capacitated``), or ``_split`` when demand may split: both
    minimise, so covering comes back negated."""
    sign = -1.0 if isinstance(p, CapacitatedMaxCover) else 1.0
    if p.split:
        sites, objective, bound, shares = solve_split(p, deadline, rng, exact=exact)
        return Solved(sites, sign * objective, sign * bound, None, shares)
    out = _capacitated_engine.solve(instance(p), deadline, rng, exact=exact)
    if out.plan is None:
        return Solved(np.flatnonzero(p.fixed), np.inf, out.bound, None)
    return Solved(out.plan.sites, sign * out.plan.cost, sign * out.bound, out.plan.a)


def _no_plan(p: LocationProblem, *, proven: bool) -> NoReturn:
    """Raise why no plan came back: none exists (with the reason), or none found in time."""
    name = type(p).__name__
    if not proven:
        msg = (
            f"no feasible plan for the {name} was found within the time limit (none is "
            "known to be impossible); raise time_limit."
        )
        raise SolverTimeout(msg)
    if isinstance(p, CapacitatedPMedian):
        msg = (
            f"the {name} has no plan: no assignment of every client to one of {p.p} open "
            "sites within max_cost fits the capacities (the total capacity and each client's "
            "reachable sites suffice, but not together); raise capacities, p or max_cost."
        )
    else:
        msg = (
            f"p is too small to cover: no plan of {getattr(p, 'p', 0)} sites serves every "
            "client within the allowed costs (a set covering of the clients needs more "
            "sites); raise p or max_cost, or allow more sites."
        )
    raise InfeasibleError(msg)


def _indicator(sites: np.ndarray, m: int) -> np.ndarray:
    y = np.zeros(m)
    y[sites] = 1.0
    return y


_SOLVERS: dict[type, Callable[..., Solved]] = {
    PMedian: _pmedian,
    PCenter: _pcenter,
    MaxCover: _maxcover,
    SetCover: _setcover,
    CapacitatedPMedian: _capacitated,
    CapacitatedMaxCover: _capacitated,
}
_NAMES = [t.__name__ for t in _SOLVERS]
