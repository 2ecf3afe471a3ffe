"""A MILP proven by HiGHS on models fixed against targets above its LP bound.

The LP relaxation's row multipliers give a bound ``z_LP`` and reduced costs ``d``
(recomputed here from the multipliers, so that the bound holds whatever HiGHS's tolerances,
:meth:`_Arrays.dual_bound`): every integer point ``x``
costs at least ``z_LP + sum_j d_j (x_j - l_j)`` over columns at their lower bound
(``d_j > 0``) plus ``sum_j -d_j (u_j - x_j)`` over those at their upper bound (``d_j <
0``). So for a target ``T``, every plan costing at most ``T`` keeps each such integer
column within ``(T - z_LP) / |d_j|`` of its bound: a binary column whose reduced cost
exceeds ``T - z_LP`` is fixed. HiGHS then solves the fixed model. Its plans are plans of the
whole model; if the best costs at most ``T`` and is proven optimal there, it is the optimum
of the whole model (every cheaper plan is in the fixed model); otherwise the whole model's
optimum is at least ``min(T, the fixed model's bound)``, the new bound. Targets start a
little above the LP bound and double their distance to it until they reach the best plan
found (the last round is the proof against it).

Where the LP bound is tight and the plain MILP spends its time looking for plans among many
near-equal columns (boarding pupils at any hostel), the first targets leave small models
HiGHS solves at once: the middle-school band of a synthetic province (3,000 groups, 47
schools, 127,891 columns; LP bound 0.015 % below the optimum) took 43 s as one MILP and
8-10 s in four targets (18, 36, 72 above the bound, then the best plan, 132 above). The
capacitated engine does the
same with its Lagrangian bound (``_capacitated.Engine.aim``); this is the LP's version, for
models the engine does not hold.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from accessplan.optimize.location._highs import Deadline, Model, Outcome

logger = logging.getLogger(__name__)

#: First target above the LP bound, as a share of the bound (then twice as far, ...).
FIRST = 2e-5


def solve_by_targets(model: Model, deadline: Deadline, *, first: float = FIRST) -> Outcome:
    """Solve the (minimising) MILP ``model`` by targets (see the module docstring).

    Each target is solved on a new model of the columns it leaves free (the fixed ones
    folded into the row bounds and the objective's constant: presolving them away took
    HiGHS 0.8 s a round on the province's middle schools), from the best plan so far where
    the target allows it (:meth:`Model.solve` checks HiGHS's valuation of it). Returns the
    best plan, a proven bound and whether they meet, as :meth:`Model.solve` does; an
    infeasible LP relaxation means an infeasible model.
    """
    if model.maximize:
        msg = "solve_by_targets minimises; negate the objective of a maximisation."
        raise ValueError(msg)
    whole = _Arrays.of(model)
    relaxed = model.relaxation(deadline)
    if relaxed.infeasible or not relaxed.optimal or relaxed.row_dual is None:
        return relaxed if relaxed.infeasible else model.solve(deadline)
    base, d, margin = whole.dual_bound(relaxed.row_dual)
    if not np.isfinite(base):  # a column without the bound its reduced cost needs
        return model.solve(deadline)
    proven = float(np.ceil(base - margin)) if model.integral_objective else base
    best: Outcome | None = None
    step = max(first * max(abs(base), 1.0), 1.0 if model.integral_objective else 0.0)
    while deadline.left() > 0:
        target = proven + step
        if model.integral_objective:
            target = float(np.floor(target + 1e-9))
        last = best is not None and target >= best.objective - margin
        if last:
            assert best is not None
            target = best.objective
        slack = target - base + margin
        start = None if best is None else best.x
        low, high = whole.fixed(d, slack)
        if (low == whole.lower).all() and (high == whole.upper).all():
            # nothing is fixed: the whole model, from the best plan
            return _better(model, model.solve(deadline, start=start), best, proven)
        out = whole.restricted(model, low, high).solve(deadline, start)
        reached = np.inf if out.infeasible else out.bound
        proven = max(proven, min(reached, target))
        logger.debug(
            "target %.10g: %d of %d columns free, plan %.10g, bound %.10g",
            target, int((high > low).sum()), len(d), out.objective, proven,
        )  # fmt: skip
        if out.x is not None and (best is None or out.objective < best.objective):
            best = out
        if best is not None and best.objective - proven <= _closed(model, best.objective):
            break
        if last:  # the proof against the best plan did not close (time, or HiGHS's doubt)
            if deadline.left() <= 0:
                break
            assert best is not None
            return _better(model, model.solve(deadline, start=best.x), best, proven)
        step *= 2
    return _better(model, None, best, proven)


@dataclass(frozen=True)
class _Arrays:
    """A model's arrays (as HiGHS holds them, rows added since included)."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray
    offset: float

    @classmethod
    def of(cls, model: Model) -> _Arrays:
        lp = model.highs.getLp()
        a = lp.a_matrix_
        parts = (np.array(a.value_), np.array(a.index_), np.array(a.start_))
        shape = (lp.num_row_, lp.num_col_)
        if a.format_ == highspy.MatrixFormat.kColwise:
            matrix = sp.csc_array(parts, shape=shape)
        else:
            matrix = sp.csr_array(parts, shape=shape).tocsc()
        integer = np.array([int(v) for v in lp.integrality_], dtype=np.int64) != 0
        return cls(
            np.array(lp.col_cost_),
            np.array(lp.col_lower_),
            np.array(lp.col_upper_),
            matrix,
            np.array(lp.row_lower_),
            np.array(lp.row_upper_),
            integer if integer.size else np.zeros(lp.num_col_, dtype=bool),
            float(lp.offset_),
        )

    def dual_bound(self, row_dual: np.ndarray) -> tuple[float, np.ndarray, float]:
        """The bound of the LP's row multipliers, their reduced costs and the rounding margin.

        With multipliers ``y`` (kept only with the sign their row's finite bound allows) and
        ``d = c - A'y``, every point within the column bounds that keeps the rows costs
        ``c x = y'Ax + d x >= sum_i y_i (L_i or U_i) + sum_j d_j (l_j or u_j)`` plus
        ``|d_j|`` times each column's distance from that bound: a valid bound whatever the
        LP's tolerances, computed here rather than taken from HiGHS's objective. The margin
        covers the sum's rounding and plans that break rows by HiGHS's tolerance (1e-7)."""
        y = np.where((row_dual > 0) & np.isfinite(self.row_lower), row_dual, 0.0)
        y = np.where((row_dual < 0) & np.isfinite(self.row_upper), row_dual, y)
        d = self.cost - self.matrix.T @ y
        # the bound each multiplier holds its row at (finite where the multiplier is not 0)
        rows = y * np.where(y > 0, self.row_lower, np.where(y < 0, self.row_upper, 0.0))
        at = np.where(d > 0, self.lower, np.where(d < 0, self.upper, 0.0))
        if not np.isfinite(at).all():
            return -np.inf, d, 0.0
        cols = d * at
        size = 1.0 + np.abs(rows).sum() + np.abs(cols).sum() + abs(self.offset)
        margin = 1e-9 * size + 1e-7 * float(np.abs(y).sum())
        return self.offset + float(rows.sum() + cols.sum()), d, margin

    def fixed(self, d: np.ndarray, slack: float) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds that keep every plan within ``slack`` of the bound: an integer
        column moves at most ``slack / |d|`` from the bound its reduced cost holds it at."""
        low, high = self.lower.copy(), self.upper.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.floor(slack / np.abs(d) + 1e-9)
        reach[reach > 1e15] = np.inf  # no limit worth the name (and none on an open range)
        up = self.integer & (d > 0)
        high[up] = np.minimum(self.upper[up], self.lower[up] + reach[up])
        down = self.integer & (d < 0)
        low[down] = np.maximum(self.lower[down], self.upper[down] - reach[down])
        return low, high

    def restricted(self, model: Model, low: np.ndarray, high: np.ndarray) -> _Restricted:
        """The model of the columns free within ``low``-``high``, the others at ``low``."""
        free = np.flatnonzero(high > low)
        fixed = np.flatnonzero(high <= low)
        shift = self.matrix[:, fixed] @ low[fixed]
        if len(free) == 0:  # one point: a plan if it keeps the rows (HiGHS calls it empty)
            tolerance = 1e-7 * (1.0 + np.abs(shift))
            keeps = (self.row_lower - shift <= tolerance) & (shift - self.row_upper <= tolerance)
            value = self.offset + float(self.cost @ low)
            lone = (
                Outcome(low, value, value, True, False)
                if keeps.all()
                else Outcome(None, np.nan, np.inf, False, True)
            )
            return _Restricted(None, free, low, lone)
        sub = Model(
            self.cost[free],
            low[free],
            high[free],
            self.matrix[:, free].tocsr(),
            self.row_lower - shift,
            self.row_upper - shift,
            integer=self.integer[free],
            integral_objective=model.integral_objective,
            offset=self.offset + float(self.cost[fixed] @ low[fixed]),
            seed=model.seed,
        )
        return _Restricted(sub, free, low)


@dataclass(frozen=True)
class _Restricted:
    """A model of some columns, its plans given back over all of them (``lone``: the
    outcome when no column is free)."""

    model: Model | None
    free: np.ndarray
    low: np.ndarray
    lone: Outcome | None = None

    def solve(self, deadline: Deadline, start: np.ndarray | None) -> Outcome:
        if self.model is None:
            assert self.lone is not None
            return self.lone
        if start is not None:
            held = np.ones(len(start), dtype=bool)
            held[self.free] = False
            if np.abs(start[held] - self.low[held]).max(initial=0.0) > 1e-9:
                start = None  # the plan uses a column the target fixes
        out = self.model.solve(deadline, start=None if start is None else start[self.free])
        if out.x is None:
            return out
        x = self.low.copy()
        x[self.free] = out.x
        return dataclasses.replace(out, x=x, col_dual=None, row_dual=None)


def _closed(model: Model, objective: float) -> float:
    """The gap below which a plan counts as proven (HiGHS's own, as ``Model`` sets it)."""
    return (1 - 1e-6) if model.integral_objective else 1e-9 * max(1.0, abs(objective)) + 1e-7


def _better(model: Model, out: Outcome | None, best: Outcome | None, proven: float) -> Outcome:
    """The better plan of ``out`` (the last solve, if it ran on the whole model) and
    ``best``, with the best bound known."""
    plans = [o for o in (out, best) if o is not None and o.x is not None]
    if out is not None and not out.infeasible and np.isfinite(out.bound):
        proven = max(proven, out.bound)
    if not plans:
        infeasible = out is not None and out.infeasible
        return Outcome(None, np.nan, np.inf if infeasible else proven, False, infeasible)
    top = min(plans, key=lambda o: o.objective)
    bound = min(proven, top.objective)
    optimal = top.objective - bound <= _closed(model, top.objective)
    return Outcome(top.x, top.objective, bound, bool(optimal), False)
