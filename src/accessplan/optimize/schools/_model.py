"""The school problem's usable pairs and its MILP on HiGHS, built as sparse blocks in one call.

Columns: ``y`` (one per school) then one per usable pair (a pupil group at a school, by day
or as boarders). Pairs beyond a band's day limit exist only as boarding pairs (band old
enough, school with hostel room): the model never holds a pair that no plan may use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from accessplan.optimize.location._highs import Model
from accessplan.optimize.schools.problem import SchoolProblem

DAY, BOARD = 0, 1


@dataclass(frozen=True, eq=False)
class Pairs:
    """Pupil groups (settlement, band with pupils) and the pairs each may use."""

    settlement: np.ndarray  # per group
    band: np.ndarray  # per group
    q: np.ndarray  # pupils per group
    group: np.ndarray  # per pair
    school: np.ndarray  # per pair
    minutes: np.ndarray  # per pair
    mode: np.ndarray  # per pair: DAY or BOARD
    cost: np.ndarray  # per pair: its objective coefficient

    @property
    def n_groups(self) -> int:
        return len(self.q)


def pairs(problem: SchoolProblem) -> Pairs:
    """Every usable pair of a group and a school, with its cost, ordered by group."""
    q = problem.pupils
    s_idx, b_idx = np.nonzero(q > 0)
    order = np.lexsort((b_idx, s_idx))
    s_idx, b_idx = s_idx[order], b_idx[order]
    t = problem.minutes[b_idx, s_idx, :]  # groups x schools
    limit = problem.max_minutes[b_idx][:, None]
    day = np.isfinite(t) & (t <= limit)
    board = (
        np.isfinite(t)
        & (t > limit)
        & problem.boarding[b_idx][:, None]
        & (problem.hostel[None, :] > 0)
    )
    g_day, j_day = np.nonzero(day)
    g_board, j_board = np.nonzero(board)
    group = np.concatenate([g_day, g_board])
    school = np.concatenate([j_day, j_board])
    mode = np.concatenate([np.full(len(g_day), DAY), np.full(len(g_board), BOARD)])
    order = np.lexsort((school, group))
    group, school, mode = group[order], school[order], mode[order]
    minutes = t[group, school]
    pupils = q[s_idx, b_idx]
    weight = problem.trip_weights[s_idx, b_idx]
    moved = problem.current[b_idx[group], s_idx[group]] != school
    cost = np.where(mode == DAY, weight[group] * minutes, pupils[group] * problem.boarder_cost)
    cost = cost + problem.move_cost * pupils[group] * moved
    return Pairs(s_idx, b_idx, pupils, group, school, minutes, mode, cost)


def parts(problem: SchoolProblem, p: Pairs) -> list[tuple[np.ndarray, np.ndarray]]:
    """The independent parts of the problem: per connected set of groups and schools linked
    by usable pairs, its groups (indices) and schools (indices), largest first. Schools
    with no usable pair belong to no part. Only the count of open schools and the closure
    budget tie parts together; without them, the lexicographic optimum is each part's."""
    m, n = problem.n_schools, p.n_groups
    if n == 0:
        return []
    links = sp.coo_array((np.ones(len(p.group)), (p.group, n + p.school)), shape=(n + m, n + m))
    _, label = connected_components(links, directed=False)
    groups = np.argsort(label[:n], kind="stable")
    schools = np.argsort(label[n:], kind="stable")
    g_cut = np.flatnonzero(np.diff(label[:n][groups])) + 1
    at = label[n:][schools]
    out = []
    for members in np.split(groups, g_cut):
        k = label[members[0]]
        out.append((members, schools[np.searchsorted(at, k) : np.searchsorted(at, k, "right")]))
    return sorted(out, key=lambda part: -len(part[0]))


def part_problem(
    problem: SchoolProblem, p: Pairs, groups: np.ndarray, schools: np.ndarray
) -> SchoolProblem:
    """The problem of one part of :func:`parts`: its groups' pupils and its schools alone
    (its groups keep their order, so the part's group ``k`` is ``groups[k]``)."""
    mask = np.zeros(problem.pupils.shape, dtype=bool)
    mask[p.settlement[groups], p.band[groups]] = True
    return problem.part(mask, schools)


def part_sizes(p: Pairs, parts: list[tuple[np.ndarray, np.ndarray]]) -> list[int]:
    """Usable pairs per part."""
    per_group = np.bincount(p.group, minlength=p.n_groups)
    return [int(per_group[groups].sum()) for groups, _ in parts]


def model(
    problem: SchoolProblem,
    p: Pairs,
    *,
    count: int | None,
    seed: int,
    closest: bool | None = None,
    min_size: bool = True,
    budget: bool = True,
) -> Model:
    """The MILP: fewest schools when ``count`` is None, else least cost with ``count`` open.

    Columns: ``y`` per school, one per pair, then ``u`` per school held to the minimum size
    when small schools may stay as teaching points (``downgrade_cost`` set): ``u = 1`` lets
    it stay open below the size.

    ``closest``, ``min_size`` and ``budget`` may drop a rule (to find which one makes a
    setting infeasible).
    """
    m, n_pairs, n_groups = problem.n_schools, len(p.group), p.n_groups
    cols = m + np.arange(n_pairs)
    sized = problem.closable & ~problem.teaching_point
    sized = sized if min_size and problem.min_size > 0 else np.zeros(m, dtype=bool)
    down = downgradable(problem) if min_size else np.zeros(0, dtype=np.int64)
    n_cols = m + n_pairs + len(down)
    q_pair = p.q[p.group]
    blocks: list[tuple[sp.csr_array, np.ndarray, np.ndarray]] = []

    def rows(r: np.ndarray, c: np.ndarray, v: np.ndarray, n_rows: int, lo: Any, hi: Any) -> None:
        matrix = sp.csr_array((v, (r, c)), shape=(n_rows, n_cols))
        blocks.append((matrix, np.broadcast_to(lo, n_rows), np.broadcast_to(hi, n_rows)))

    # every group placed once
    rows(p.group, cols, np.ones(n_pairs), n_groups, 1.0, 1.0)
    # capacity and hostel: sum q v - Q y <= 0
    for room, use in (
        (problem.capacity, np.ones(n_pairs, bool)),
        (problem.hostel, p.mode == BOARD),
    ):
        r = np.concatenate([p.school[use], np.arange(m)])
        c = np.concatenate([cols[use], np.arange(m)])
        rows(r, c, np.concatenate([q_pair[use], -room]), m, -np.inf, 0.0)
    kept = problem.protected | ~problem.closable
    # a pair only at an open school (schools kept open need no such row)
    linked = np.flatnonzero(~kept[p.school])
    k = np.arange(len(linked))
    rows(
        np.concatenate([k, k]),
        np.concatenate([cols[linked], p.school[linked]]),
        np.concatenate([np.ones(len(k)), -np.ones(len(k))]),
        len(k),
        -np.inf,
        0.0,
    )
    if sized.any():
        # sum q v - S y + S u >= 0: at least the minimum size, unless a teaching point (u)
        at = sized[p.school]
        schools = np.flatnonzero(sized)
        where = np.full(m, -1)
        where[schools] = np.arange(len(schools))
        r = np.concatenate([where[p.school[at]], np.arange(len(schools)), where[down]])
        c = np.concatenate([cols[at], schools, m + n_pairs + np.arange(len(down))])
        v = np.concatenate(
            [
                q_pair[at],
                np.full(len(schools), -problem.min_size),
                np.full(len(down), problem.min_size),
            ]
        )
        rows(r, c, v, len(schools), 0.0, np.inf)
    if len(down):  # a teaching point only in an open school: u <= y
        k = np.arange(len(down))
        u = m + n_pairs + k
        rows(
            np.concatenate([k, k]),
            np.concatenate([u, down]),
            np.repeat([1.0, -1.0], len(k)),
            len(k),
            -np.inf,
            0.0,
        )
    existing = problem.closable & ~problem.new  # new schools left shut are no closures
    if budget and problem.max_closures is not None and existing.any():
        closable = np.flatnonzero(existing)
        least = len(closable) - problem.max_closures
        rows(np.zeros(len(closable), int), closable, np.ones(len(closable)), 1, least, np.inf)
    if count is not None:
        rows(np.zeros(m, int), np.arange(m), np.ones(m), 1, count, count)
    if new_points(problem)[p.school].any():
        blocks.append(_point_rows(problem, p, n_cols))
    if problem.closest if closest is None else closest:
        blocks.append(_closest_rows(p, m, n_cols))
    matrix = sp.vstack([b[0] for b in blocks], format="csr")
    lower = np.concatenate([b[1] for b in blocks])
    upper = np.concatenate([b[2] for b in blocks])
    col_lower = np.concatenate([kept.astype(float), np.zeros(n_pairs + len(down))])
    col_upper = np.ones(n_cols)
    if count is None:
        cost = np.concatenate([np.ones(m), np.zeros(n_pairs + len(down))])
    else:
        fee = np.full(len(down), problem.downgrade_cost or 0.0)
        cost = np.concatenate([problem.open_cost, p.cost, fee])
    integral = bool(np.all(cost == np.round(cost)))
    integer = np.ones(n_cols, dtype=bool)
    return Model(
        cost,
        col_lower,
        col_upper,
        matrix,
        lower,
        upper,
        integer=integer,
        integral_objective=integral,
        seed=seed,
    )


def _point_rows(
    problem: SchoolProblem, p: Pairs, n_cols: int
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """``v_kt + y_j <= 1`` for a group ``k`` at a new teaching point ``t`` and every school
    ``j`` (not a teaching point) the group reaches within its day limit: a new teaching
    point takes only pupils no open school can take by day. (Existing teaching points keep
    their pupils as they can: the school within reach may have no room for them.)"""
    m = problem.n_schools
    regular = (p.mode == DAY) & ~problem.teaching_point[p.school]
    starts = np.searchsorted(p.group, np.arange(p.n_groups + 1))
    rows, cols = [], []
    for row, pair in enumerate(np.flatnonzero(new_points(problem)[p.school])):
        own = np.arange(starts[p.group[pair]], starts[p.group[pair] + 1])
        others = p.school[own[regular[own]]]
        rows.append(np.full(len(others) + 1, row))
        cols.append(np.append(others, m + pair))
    r, c = np.concatenate(rows), np.concatenate(cols)
    n_rows = len(rows)
    matrix = sp.csr_array((np.ones(len(r)), (r, c)), shape=(n_rows, n_cols))
    return matrix, np.full(n_rows, -np.inf), np.ones(n_rows)


def downgradable(problem: SchoolProblem) -> np.ndarray:
    """Schools held to the minimum size that may stay below it as teaching points: those
    teaching the youngest band (band 0) alone."""
    if problem.min_size <= 0 or problem.downgrade_cost is None:
        return np.zeros(0, dtype=np.int64)
    youngest_only = np.isinf(problem.minutes[1:]).all(axis=(0, 1))
    return np.flatnonzero(problem.closable & ~problem.teaching_point & youngest_only)


def new_points(problem: SchoolProblem) -> np.ndarray:
    """The new teaching points (candidates), to which the rule of :func:`_point_rows` applies."""
    return problem.teaching_point & problem.new


def _closest_rows(p: Pairs, m: int, n_cols: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """``sum over the group's pairs at least as near as j of v - y_j >= 0`` per pair (k, j):
    if ``j`` is open, the group goes to ``j`` or somewhere no farther."""
    r_all, c_all = [], []
    starts = np.searchsorted(p.group, np.arange(p.n_groups + 1))
    for k in range(p.n_groups):
        own = np.arange(starts[k], starts[k + 1])
        t = p.minutes[own]
        near = t[None, :] <= t[:, None]  # row: pair, column: pairs at least as near
        r, c = np.nonzero(near)
        r_all.append(own[r])
        c_all.append(m + own[c])
    n_pairs = len(p.group)
    r = np.concatenate([*r_all, np.arange(n_pairs)])
    c = np.concatenate([*c_all, p.school])
    v = np.concatenate([np.ones(len(r) - n_pairs), -np.ones(n_pairs)])
    matrix = sp.csr_array((v, (r, c)), shape=(n_pairs, n_cols))
    return matrix, np.zeros(n_pairs), np.full(n_pairs, np.inf)
