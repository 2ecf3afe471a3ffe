"""A thin layer over highspy: models passed as CSR arrays in one call, rows added in blocks.

No per-term Python objects: every matrix is a ``scipy.sparse.csr_array`` handed to HiGHS whole.
HiGHS never writes to the console: its log goes to this module's logger at DEBUG level (and
is not even produced otherwise).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

_ROWWISE = 2


class _QuietHighs(highspy.Highs):
    """``highspy.Highs`` with console logging off before its constructor can print: the
    constructor enables callbacks, which writes HiGHS's banner to stdout unless
    ``log_to_console`` is already false (highspy 1.16)."""

    def enableCallbacks(self) -> None:
        self.setOptionValue("log_to_console", False)
        super().enableCallbacks()


def new_highs() -> highspy.Highs:
    """A HiGHS instance that logs to :data:`logger` at DEBUG level and never to the console."""
    highs = _QuietHighs()
    # one thread: on a shared two-core machine HiGHS's worker threads made small MIPs
    # (the engine's corners) twice as slow, and its MIP search itself runs serially
    highs.setOptionValue("threads", 1)
    debug = logger.isEnabledFor(logging.DEBUG)
    highs.setOptionValue("output_flag", debug)
    if debug:
        highs.cbLogging.subscribe(lambda event: logger.debug("%s", event.message.rstrip()))
    return highs


@dataclass(frozen=True)
class Outcome:
    """What one HiGHS run gave: primal values (None if none), objective, bound, optimality."""

    x: np.ndarray | None
    objective: float
    bound: float
    optimal: bool
    infeasible: bool = False
    col_dual: np.ndarray | None = None
    row_dual: np.ndarray | None = None


Progress = Callable[[float, float, float], None]
"""``progress(seconds, objective, bound)``: called as better plans (or bounds) are found."""


class Deadline:
    """Wall-clock budget shared by the steps of one solve, and where they report progress."""

    def __init__(self, seconds: float | None, progress: Progress | None = None) -> None:
        self.start = time.perf_counter()
        self.end = np.inf if seconds is None else self.start + float(seconds)
        self.progress = progress

    def report(self, objective: float, bound: float) -> None:
        """Tell the caller's ``progress`` (if any) about a better plan or bound."""
        if self.progress is not None:
            self.progress(self.elapsed(), objective, bound)

    def left(self) -> float:
        """Seconds left (``inf`` without a limit); never negative."""
        return max(0.0, self.end - time.perf_counter())

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


class Model:
    """A linear model ``min/max c x, row_lower <= A x <= row_upper, lower <= x <= upper``.

    Parameters
    ----------
    cost, lower, upper
        Column data.
    matrix, row_lower, row_upper
        Constraint rows.
    integer
        Boolean mask of integer columns.
    maximize
        Objective sense.
    integral_objective
        The objective takes integer values at integer points: gaps below 1 are closed.
    seed
        HiGHS random seed.
    """

    def __init__(
        self,
        cost: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        matrix: sp.csr_array,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        *,
        integer: np.ndarray | None = None,
        maximize: bool = False,
        integral_objective: bool = False,
        offset: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.highs = new_highs()
        self.seed = int(seed) % 2_147_483_647
        self.highs.setOptionValue("random_seed", self.seed)
        self.highs.setOptionValue("mip_rel_gap", 1e-9)
        self.highs.setOptionValue("mip_abs_gap", 1 - 1e-6 if integral_objective else 1e-7)
        self.maximize = maximize
        self.integral_objective = integral_objective
        self.cost = np.asarray(cost, dtype=np.float64)
        self.offset = float(offset)
        self.is_mip = integer is not None and bool(np.any(integer))
        n_col = len(cost)
        matrix = sp.csr_array(matrix, shape=(len(row_lower), n_col))
        integrality = (
            np.zeros(n_col, dtype=np.int32)
            if integer is None
            else np.asarray(integer, dtype=np.int32)
        )
        self.highs.passModel(
            n_col,
            matrix.shape[0],
            matrix.nnz,
            _ROWWISE,
            -1 if maximize else 1,
            offset,
            np.asarray(cost, dtype=np.float64),
            np.asarray(lower, dtype=np.float64),
            np.asarray(upper, dtype=np.float64),
            np.asarray(row_lower, dtype=np.float64),
            np.asarray(row_upper, dtype=np.float64),
            matrix.indptr.astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data.astype(np.float64),
            integrality,
        )

    def add_rows(self, matrix: sp.csr_array, lower: np.ndarray, upper: np.ndarray) -> None:
        """Append the rows of ``matrix`` with bounds ``lower <= row <= upper``."""
        self.highs.addRows(
            matrix.shape[0],
            np.asarray(lower, dtype=np.float64),
            np.asarray(upper, dtype=np.float64),
            matrix.nnz,
            matrix.indptr.astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data.astype(np.float64),
        )

    def set_integer(self, columns: np.ndarray) -> None:
        """Make ``columns`` integer (the model becomes a MIP)."""
        cols = np.asarray(columns, dtype=np.int32)
        self.highs.changeColsIntegrality(len(cols), cols, np.ones(len(cols), dtype=np.int32))
        self.is_mip = True

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.asarray(columns, dtype=np.int32)
        self.highs.changeColsBounds(
            len(cols), cols, np.asarray(lower, np.float64), np.asarray(upper, np.float64)
        )

    def stop_at(self, objective: float) -> None:
        """Stop the MIP at the first plan at least this good (a feasibility question)."""
        self.highs.setOptionValue("objective_target", float(objective))

    def relaxation(self, deadline: Deadline) -> Outcome:
        """The LP relaxation (integrality dropped for this run only), with reduced costs."""
        lp = self.highs.getLp()
        integrality = np.asarray(lp.integrality_, dtype=np.uint8)
        n = len(integrality)
        if not self.is_mip or n == 0:
            return self.solve(deadline)
        cols = np.arange(n, dtype=np.int32)
        self.highs.changeColsIntegrality(n, cols, np.zeros(n, dtype=np.uint8))
        self.is_mip = False
        try:
            return self.solve(deadline)
        finally:
            self.highs.changeColsIntegrality(n, cols, integrality)
            self.is_mip = True
            self.highs.clearSolver()  # HiGHS would start the MIP from the LP's point

    def solve(self, deadline: Deadline, *, start: np.ndarray | None = None) -> Outcome:
        """Run HiGHS within the deadline, from a feasible ``start`` point if given.

        The plan's objective is recomputed from its columns. HiGHS 1.16, given a start
        point (or left with one by an earlier run) on a model that presolve reduces, can
        value it wrongly (a school model: 903,402.17 for a plan costing 903,682.17) and then
        prune with that value, "proving" a plan that is not optimal. When the values
        disagree the model is solved again from scratch; if that disagrees too (or finds
        nothing), the better plan is kept at its true cost, with no bound.
        """
        out = self._run(deadline, start)
        if self._agrees(out):
            return out
        logger.warning(
            "HiGHS valued its plan at %.10g but it costs %.10g (a start point on a presolved "
            "model): solving again without it",
            out.objective, self._value(out.x),
        )  # fmt: skip
        self.highs.clearSolver()
        again = self._run(deadline, None)
        if again.x is not None and self._agrees(again):
            return again
        # keep the better plan at its true cost, with nothing proven
        plans = [o.x for o in (out, again) if o.x is not None]
        x = (max if self.maximize else min)(plans, key=self._value)
        return Outcome(x, self._value(x), np.inf if self.maximize else -np.inf, False, False)

    def _value(self, x: np.ndarray | None) -> float:
        return np.nan if x is None else float(self.cost @ x + self.offset)

    def _agrees(self, out: Outcome) -> bool:
        """Whether HiGHS's objective is the plan's cost (no plan: nothing to disagree)."""
        if out.x is None:
            return True
        value = self._value(out.x)
        # HiGHS's tolerances let columns sit 1e-9 off their values: scale by the terms' size
        return abs(value - out.objective) <= 1e-6 * (1.0 + float(np.abs(self.cost * out.x).sum()))

    def _run(self, deadline: Deadline, start: np.ndarray | None) -> Outcome:
        left = deadline.left()
        if np.isfinite(left):
            self.highs.setOptionValue("time_limit", max(left, 0.01))
        if start is not None:
            cols = np.arange(len(start), dtype=np.int32)
            self.highs.setSolution(len(cols), cols, np.asarray(start, dtype=np.float64))
        self.highs.run()
        status = self.highs.getModelStatus()
        info = self.highs.getInfo()
        solution = self.highs.getSolution()
        has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
        x = np.asarray(solution.col_value) if has_x else None
        objective = info.objective_function_value if has_x else np.nan
        optimal = status == highspy.HighsModelStatus.kOptimal
        if self.is_mip:
            bound = info.mip_dual_bound
        else:
            bound = objective if optimal else (np.inf if self.maximize else -np.inf)
        if self.integral_objective and np.isfinite(bound):
            # integer objective values: the bound rounds towards the objective
            bound = np.floor(bound + 1e-6) if self.maximize else np.ceil(bound - 1e-6)
        col_dual = np.asarray(solution.col_dual) if solution.dual_valid else None
        row_dual = np.asarray(solution.row_dual) if solution.dual_valid else None
        infeasible = status == highspy.HighsModelStatus.kInfeasible
        return Outcome(x, float(objective), float(bound), optimal, infeasible, col_dual, row_dual)
