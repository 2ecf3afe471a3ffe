"""The trade-off between the number of schools and travel: the least cost plan at each count.

For each count the problem is solved with that many schools open (:func:`solve_schools` with
``p``). Without a closure budget, a large problem that falls into independent parts (see
:mod:`.solve`) gets its curve from each part's own: every part's least cost at every count
it may take (from its fewest schools up to what the largest total asked for leaves it),
then, for each total, the split of the count over the parts of least cost (dynamic
programming over the parts, a min-plus sum). Each part is small where the whole model with
a count is one large MILP per point; schools with no pupil in reach may be opened empty to
make up a count, as the whole model may. The synthetic province of benchmarks/schools.py
(rules setting, 688 parts, counts 996-1,130): 14.8 s by parts against 211.9 s count by
count, the same proven costs at the five counts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location.errors import InfeasibleError, SolverTimeout
from accessplan.optimize.schools import _model
from accessplan.optimize.schools._model import Pairs
from accessplan.optimize.schools.problem import SchoolProblem
from accessplan.optimize.schools.solve import SchoolSolution, solve_schools

#: Problems of at least this many usable pairs build their curve part by part; below, the
#: whole model per count is quicker (the synthetic county, 300 settlements: 2.8 s for five
#: counts against 9.2 s by parts).
PARTS_PAIRS = 20_000

COLUMNS = [
    "schools", "objective", "bound", "proven", "pupil_minutes", "mean_minutes", "max_minutes",
    "boarders", "moved",
]  # fmt: skip

Row = dict[str, float | int | bool]


def tradeoff(
    problem: SchoolProblem,
    counts: list[int],
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """For each count, the least cost plan (``schools, objective, bound, proven,
    pupil_minutes, mean_minutes, max_minutes, boarders, moved``), NaN where no plan keeps the
    rules. ``time_limit`` is per count (for all of them together when built by parts)."""
    if problem.max_closures is None and counts:
        pairs = _model.pairs(problem)
        parts = _model.parts(problem, pairs)
        # a group no school may take (a part without schools) has no plan at any count: the
        # count-by-count path says so with the reason
        reachable = all(len(schools) for _, schools in parts)
        if len(parts) > 1 and reachable and len(pairs.group) >= PARTS_PAIRS:
            limit = None if time_limit is None else time_limit * len(counts)
            by_parts = _by_parts(problem, pairs, parts, counts, Deadline(limit), seed)
            if by_parts is not None:
                return pd.DataFrame(by_parts, columns=COLUMNS)
    rows: list[Row] = []
    for count in counts:
        try:
            s = solve_schools(problem, p=count, time_limit=time_limit, seed=seed)
        except (InfeasibleError, SolverTimeout):
            rows.append({"schools": int(count)})
            continue
        rows.append(_Point.of(problem, s).row(int(count), s.bound, s.is_optimal))
    return pd.DataFrame(rows, columns=COLUMNS)


class _Point(NamedTuple):
    """A plan's figures on the curve, which add up over independent parts."""

    objective: float
    pupil_minutes: float = 0.0
    day_pupils: float = 0.0
    max_minutes: float = 0.0
    boarders: float = 0.0
    moved: float = 0.0

    @classmethod
    def of(cls, problem: SchoolProblem, s: SchoolSolution) -> _Point:
        day = ~s.boarding
        return cls(
            s.objective,
            float(s.pupils[day] @ s.minutes[day]),
            float(s.pupils[day].sum()),
            float(s.minutes[day].max(initial=0.0)),
            float(s.pupils[s.boarding].sum()),
            float(s.pupils[problem.current[s.band, s.settlement] != s.school].sum()),
        )

    def plus(self, other: _Point) -> _Point:
        return _Point(
            self.objective + other.objective,
            self.pupil_minutes + other.pupil_minutes,
            self.day_pupils + other.day_pupils,
            max(self.max_minutes, other.max_minutes),
            self.boarders + other.boarders,
            self.moved + other.moved,
        )

    def row(self, count: int, bound: float, proven: bool) -> Row:
        return {
            "schools": count,
            "objective": self.objective,
            "bound": bound,
            "proven": proven,
            "pupil_minutes": self.pupil_minutes,
            "mean_minutes": self.pupil_minutes / max(self.day_pupils, 1e-12),
            "max_minutes": self.max_minutes,
            "boarders": self.boarders,
            "moved": self.moved,
        }


class _Curve(NamedTuple):
    """One part's least cost plans by count: ``points[k - low]`` (None: no plan), their
    bounds and whether each count was settled (proven optimal, or proven to have no plan)."""

    low: int
    points: list[_Point | None]
    bounds: list[float]
    proven: list[bool]


def _by_parts(
    problem: SchoolProblem,
    pairs: Pairs,
    parts: list[tuple[np.ndarray, np.ndarray]],
    counts: list[int],
    deadline: Deadline,
    seed: int,
) -> list[Row] | None:
    """The curve from the parts' own (see the module docstring); None when a part found no
    plan of its own in its share of the time, or a count got no plan for want of time (the
    caller then goes count by count, so the curve may take up to twice its time). Each part
    gets a share of the time left by its pairs, first for its own plan, then for its curve;
    counts not reached before the deadline are unknown (bound 0: costs are never negative)."""
    top = min(max(counts), problem.n_schools)
    kept = problem.protected | ~problem.closable
    placed = np.zeros(problem.n_schools, dtype=bool)
    for _, schools in parts:
        placed[schools] = True
    base = int((kept & ~placed).sum())  # kept open with no pupils in reach: in every plan
    sizes = _model.part_sizes(pairs, parts)
    subs, owns = [], []
    waiting = sum(sizes)
    for (groups, schools), size in zip(parts, sizes, strict=True):
        subs.append(_model.part_problem(problem, pairs, groups, schools))
        try:
            owns.append(
                solve_schools(subs[-1], time_limit=_share(deadline, size, waiting), seed=seed)
            )
        except InfeasibleError:
            return [{"schools": int(c)} for c in counts]  # a part without a plan: no point
        except SolverTimeout:
            return None
        waiting -= size
    fewest = [own.count_bound for own in owns]
    slack = top - base - sum(fewest)
    if slack < 0:  # every count asked for is below the fewest schools
        return [{"schools": int(c)} for c in counts]
    curves = [_empty_schools(problem, kept | placed, slack)]
    waiting = sum(sizes)
    for part, own, low, size in zip(subs, owns, fewest, sizes, strict=True):
        curve = _Curve(low, [], [], [])
        limit = _share(deadline, size, waiting)
        waiting -= size
        box = Deadline(limit)
        for k in range(low, min(part.n_schools, low + slack) + 1):
            found: SchoolSolution | None = None
            floor, proven = np.inf, True  # no plan keeps the rules: settled so
            if k == low and own.n_open == low:  # its own plan: the least cost at its fewest
                found, floor, proven = own, own.bound, own.is_optimal
            elif deadline.left() <= 0:  # not reached: unknown
                floor, proven = 0.0, False
            else:
                try:
                    found = solve_schools(part, p=k, time_limit=_left(box), seed=seed)
                    floor, proven = found.bound, found.is_optimal
                except InfeasibleError:
                    pass
                except SolverTimeout:  # no plan found: nothing known but costs >= 0
                    floor, proven = 0.0, False
            curve.points.append(None if found is None else _Point.of(part, found))
            curve.bounds.append(floor)
            curve.proven.append(proven)
        curves.append(curve)
    start = float(problem.open_cost[kept & ~placed].sum())
    rows = _combine(curves, counts, base, start, top)
    unknown = any(
        point is None and not proven
        for curve in curves
        for point, proven in zip(curve.points, curve.proven, strict=True)
    )
    if unknown and any("objective" not in row for row in rows):
        return None  # a count without a plan for want of time: count by count instead
    return rows


def _empty_schools(problem: SchoolProblem, excluded: np.ndarray, slack: int) -> _Curve:
    """Schools with no pupil in reach that may close, opened empty to make up a count: the
    cheapest first. Each costs its opening cost; one held to the minimum size only as a
    small school kept as a teaching point (its fee), and not at all if it may not be."""
    free = np.flatnonzero(~excluded)
    sized = problem.closable & ~problem.teaching_point if problem.min_size > 0 else None
    fee = problem.downgrade_cost or 0.0
    may = set(_model.downgradable(problem).tolist())
    costs = []
    for j in free:
        cost = float(problem.open_cost[j])
        if sized is not None and sized[j]:
            if j not in may:
                continue
            cost += fee
        costs.append(cost)
    sums = np.concatenate([[0.0], np.cumsum(np.sort(costs))])[: slack + 1]
    points: list[_Point | None] = [_Point(float(v)) for v in sums]
    return _Curve(0, points, [float(v) for v in sums], [True] * len(sums))


def _combine(
    curves: list[_Curve], counts: list[int], base: int, start: float, top: int
) -> list[Row]:
    """For each count (up to ``top``), the least cost split over the parts and the least sum
    of bounds."""
    cost = np.full(top + 1, np.inf)
    bound = np.full(top + 1, np.inf)
    cost[base] = bound[base] = start
    picks = []
    for curve in curves:
        new_cost = np.full(top + 1, np.inf)
        new_bound = np.full(top + 1, np.inf)
        best_k = np.full(top + 1, -1)
        for i, (point, floor) in enumerate(zip(curve.points, curve.bounds, strict=True)):
            k = curve.low + i
            if k > top:
                break
            under = np.full(top + 1, np.inf)
            under[k:] = bound[: top + 1 - k] + floor
            new_bound = np.minimum(new_bound, under)
            if point is None:
                continue
            shifted = np.full(top + 1, np.inf)
            shifted[k:] = cost[: top + 1 - k] + point.objective
            better = shifted < new_cost
            new_cost[better], best_k[better] = shifted[better], k
        cost, bound = new_cost, new_bound
        picks.append(best_k)
    # every part's every count settled: the least cost split is proven (bounds summed over
    # hundreds of parts would fall short of it by the solvers' tolerances alone)
    settled = all(all(curve.proven) for curve in curves)
    rows: list[Row] = []
    for count in counts:
        if not 0 <= count <= top or not np.isfinite(cost[count]):
            rows.append({"schools": int(count)})
            continue
        total, left = _Point(start), count
        for curve, best_k in zip(reversed(curves), reversed(picks), strict=True):
            k = int(best_k[left])
            point = curve.points[k - curve.low]
            assert point is not None
            total, left = total.plus(point), left - k
        low = min(float(bound[count]), total.objective)
        proven = settled or total.objective - low <= 1e-9 * max(1.0, abs(total.objective))
        rows.append(total.row(int(count), total.objective if proven else low, proven))
    return rows


def _share(deadline: Deadline, size: int, waiting: int) -> float | None:
    """A part's share of the time left, by its pairs among those still waiting."""
    left = deadline.left()
    return None if not np.isfinite(left) else max(left * size / max(waiting, 1), 0.01)


def _left(deadline: Deadline) -> float | None:
    left = deadline.left()
    return None if not np.isfinite(left) else max(left, 0.01)
