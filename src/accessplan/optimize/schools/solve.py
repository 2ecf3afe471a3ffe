"""``solve_schools(problem)``: the consolidation plan, lexicographically optimal and proven.

Two stages, one deadline:

1. **Fewest schools** (when ``p`` is not given): HiGHS on the model of usable pairs with
   ``min sum y``; its optimum ``p*`` fixes the count of the next stage.
2. **Least cost with ``p`` schools open.** Without boarding pairs, new teaching points or
   opening costs (existing teaching points are schools exempt from the minimum size), the
   problem with its rules dropped (minimum size, closest assignment) is a
   capacitated p-median on the usable pairs: the capacitated engine (Lagrangian bound,
   heuristics, corners, HiGHS on reduced models) solves it within the deadline. Its bound
   holds for the model with the rules (they only remove plans); when its plan keeps the
   rules as well, that plan is the answer (proven optimal for the rules too when the engine
   proved it), and when there are no rules at all the problem *is* that p-median. Otherwise
   HiGHS solves the full model from the first stage's plan (if any), with the engine's bound
   kept when higher.

With ``method="auto"``, when the number of schools is not given and there is no closure
budget, the problem is first split into its independent parts (groups and schools linked by
no usable pair, ``_model.parts``) and each is solved as above on its own: the fewest schools
of the whole is the sum of the parts' fewest, and the least cost with that many is the sum
of the parts' least costs. A problem (or part) in which no school may close skips the first
stage (all stay open), and when it is large its second goes to HiGHS by targets above its
LP bound (``location._targets``) instead of as one MILP.

A setting with no plan raises :class:`InfeasibleError` naming the settlements no school can
take (their band, the nearest school's minutes and the limit) or the rule whose removal
would let a plan exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.optimize.location._highs import Deadline, Outcome
from accessplan.optimize.location._targets import solve_by_targets
from accessplan.optimize.location.errors import InfeasibleError, InvalidPlanError, SolverTimeout
from accessplan.optimize.location.problems import CapacitatedPMedian
from accessplan.optimize.location.solve import solve as solve_location
from accessplan.optimize.schools import _model
from accessplan.optimize.schools._model import BOARD, DAY, Pairs
from accessplan.optimize.schools.problem import SchoolProblem

logger = logging.getLogger(__name__)

Method = Literal["auto", "highs"]

#: Least-cost models of at least this many usable pairs with every school open are solved by
#: targets above their LP bound (see ``_targets``).
_TARGET_PAIRS = 20_000


@dataclass(frozen=True, eq=False)
class SchoolSolution:
    """A solved :class:`SchoolProblem`.

    Attributes
    ----------
    open
        Per school, whether it stays open.
    downgraded
        Per school, whether it stays open below the minimum size as a teaching point.
    school, boarding
        Per pupil group (settlement and band with pupils, see :meth:`plan`): its school and
        whether it boards there.
    objective, bound, gap, is_optimal
        Cost of the plan (pupil-minutes, boarding and moves) with ``p`` schools open, a
        proven lower bound and whether it is proven optimal.
    count_bound
        Proven lower bound on the number of open schools (equal to it when the first stage
        was proven); ``p`` itself when ``p`` was given.
    method
        ``"engine"`` (the capacitated engine's plan, proven for the rules too),
        ``"highs"`` (the full model on HiGHS), ``"targets"`` (the full model on HiGHS by
        targets above its LP bound) or ``"parts"`` (each independent part on its own).
    runtime
        Seconds, both stages.
    """

    open: np.ndarray
    downgraded: np.ndarray
    settlement: np.ndarray
    band: np.ndarray
    pupils: np.ndarray
    school: np.ndarray
    boarding: np.ndarray
    minutes: np.ndarray
    objective: float
    bound: float
    gap: float
    is_optimal: bool
    count_bound: int
    method: str
    runtime: float

    @property
    def n_open(self) -> int:
        return int(self.open.sum())

    def plan(self, problem: SchoolProblem) -> pd.DataFrame:
        """``settlement_id, band, pupils, school_id, minutes, boarding, moved``: one row per
        pupil group."""
        current = problem.current[self.band, self.settlement]
        return pd.DataFrame(
            {
                "settlement_id": [problem.settlement_ids[i] for i in self.settlement],
                "band": [problem.bands[b] for b in self.band],
                "pupils": self.pupils,
                "school_id": [problem.school_ids[j] for j in self.school],
                "minutes": self.minutes,
                "boarding": self.boarding,
                "moved": current != self.school,
            }
        )


def solve_schools(
    problem: SchoolProblem,
    *,
    p: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    method: Method = "auto",
) -> SchoolSolution:
    """Solve the consolidation problem (see the module docstring).

    Parameters
    ----------
    problem
        The schools, pupils, times and rules.
    p
        Number of schools open; None for the fewest the rules allow (then least cost).
    time_limit
        Seconds for both stages; the best plan so far comes back unproven when it runs out.
    seed
        Seeds the engine's heuristics and HiGHS.
    method
        ``"auto"`` (independent parts, the capacitated engine and targets where they
        apply) or ``"highs"`` (the full model on HiGHS alone, both stages: the plain
        formulation, for comparison).

    Raises
    ------
    InfeasibleError
        No plan keeps the rules; the message names the settlements or the rule.
    SolverTimeout
        No plan was found within the time limit.
    """
    if method not in ("auto", "highs"):
        msg = f"method must be 'auto' or 'highs', got {method!r}."
        raise InputError(msg)
    if time_limit is not None and not time_limit > 0:
        msg = f"time_limit must be a positive number of seconds, got {time_limit!r}."
        raise InputError(msg)
    deadline = Deadline(time_limit)
    pairs = _model.pairs(problem)
    if pairs.n_groups == 0:
        msg = "no settlement has pupils in any band: there is nothing to plan; check the pupils."
        raise InputError(msg)
    _check_reach(problem, pairs)
    auto = method == "auto"
    if p is not None:
        _check_count(problem, p, int((problem.protected | ~problem.closable).sum()))
    elif auto and problem.max_closures is None:
        parts = _model.parts(problem, pairs)
        if len(parts) > 1:
            try:
                plan = _by_parts(problem, pairs, parts, deadline, seed)
            except SolverTimeout:
                if deadline.left() <= 0:
                    raise
                logger.info("schools: a part found no plan in the time: the whole model")
                plan = _solve(problem, pairs, None, deadline, seed, auto=auto)
            return _result(problem, pairs, plan, deadline)
    return _result(problem, pairs, _solve(problem, pairs, p, deadline, seed, auto=auto), deadline)


class _Plan(NamedTuple):
    """A plan before its checks: open schools, the chosen pair per group, small schools kept
    as teaching points, the bound, the count of open schools and its bound, the method, and
    whether the solver proved it (within its tolerances: summed over hundreds of parts, the
    bound alone could fall short of the objective by more than ``_result``'s test)."""

    sites: np.ndarray
    choice: np.ndarray
    down: np.ndarray
    bound: float
    n_open: int
    count_bound: int
    method: str
    proven: bool


def _solve(
    problem: SchoolProblem,
    pairs: Pairs,
    p: int | None,
    deadline: Deadline,
    seed: int,
    *,
    auto: bool,
) -> _Plan:
    """Both stages on the whole problem (see the module docstring)."""
    first: Outcome | None = None
    if p is not None:
        count, count_bound = int(p), int(p)
    elif auto and not problem.closable.any():  # no school may close: the fewest is all
        count = count_bound = problem.n_schools
    else:
        first = _model.model(problem, pairs, count=None, seed=seed).solve(deadline)
        if first.x is None:
            _no_plan(problem, pairs, first, count=None, seed=seed)
        count = round(first.objective)
        count_bound = int(np.ceil(first.bound - 1e-6)) if np.isfinite(first.bound) else 0
    sites, choice, down, bound, used, proven = _least_cost(
        problem, pairs, count, first, deadline, seed, auto=auto, asked=p is not None
    )
    return _Plan(
        sites, choice, down, bound, count, count_bound, used, proven and count_bound == count
    )


def _by_parts(
    problem: SchoolProblem,
    pairs: Pairs,
    parts: list[tuple[np.ndarray, np.ndarray]],
    deadline: Deadline,
    seed: int,
) -> _Plan:
    """Each independent part solved on its own (both stages), the plans put together.

    With the fewest schools first and no closure budget, nothing ties the parts: the fewest
    schools of the whole is the sum of each part's fewest, and a plan with that many open
    has each part at its own fewest, so the least cost is each part's least cost too. A
    synthetic province of 3,000 settlements falls into 688 parts (the primary schools
    within 30 minutes' walk of one another; the middle-school band, whose pupils may board
    at any hostel, is one part)."""
    m = problem.n_schools
    pair_key = pairs.group * m + pairs.school  # ascending: pairs are ordered by group, school
    choice = np.full(pairs.n_groups, -1)
    sites, down = [], []
    bound, count, count_bound, methods, proven = 0.0, 0, 0, set(), True
    placed = np.zeros(m, dtype=bool)
    sizes = _model.part_sizes(pairs, parts)
    waiting = sum(sizes)
    # fewest pairs first, each with its share of the time left by its pairs (what a part
    # leaves unused goes to the next), so that no part spends the time of the others; a part
    # that finds no plan in its share tries once more with all the time left
    for k in np.argsort(sizes, kind="stable"):
        (groups, schools), size = parts[k], sizes[k]
        left = deadline.left()
        share = Deadline(left * size / waiting if np.isfinite(left) else None)
        waiting -= size
        part = _model.part_problem(problem, pairs, groups, schools)
        part_pairs = _model.pairs(part)  # its groups are ``groups``, in the same order
        try:
            plan = _solve(part, part_pairs, None, share, seed, auto=True)
        except SolverTimeout:
            if deadline.left() <= 0:
                raise
            plan = _solve(part, part_pairs, None, deadline, seed, auto=True)
        given = plan.choice >= 0
        at = plan.choice[given]
        chosen = groups[part_pairs.group[at]] * m + schools[part_pairs.school[at]]
        choice[groups[given]] = np.searchsorted(pair_key, chosen)
        sites.append(schools[plan.sites])
        down.append(schools[plan.down])
        placed[schools] = True
        bound += plan.bound
        count += plan.n_open
        count_bound += plan.count_bound
        methods.add(plan.method)
        proven &= plan.proven
    alone = (problem.protected | ~problem.closable) & ~placed  # kept, with no pupils in reach
    sites.append(np.flatnonzero(alone))
    bound += float(problem.open_cost[alone].sum())
    n_alone = int(alone.sum())
    logger.info("schools: %d independent parts (%s)", len(parts), ", ".join(sorted(methods)))
    return _Plan(
        np.sort(np.concatenate(sites)),
        choice,
        np.sort(np.concatenate(down)),
        bound,
        count + n_alone,
        count_bound + n_alone,
        "parts",
        proven,
    )


def _targets(problem: SchoolProblem, pairs: Pairs, auto: bool) -> bool:
    """Whether the least-cost stage goes to HiGHS by targets above its LP bound
    (``location._targets``): with ``auto``, on large models in which every school stays
    open. Assigning pupil groups to open schools under room and hostel capacities is a
    generalised assignment problem, whose LP bound is tight (0.015 % below the optimum on
    the middle schools of the synthetic province, 127,891 pairs: 8-10 s by targets against
    43 s as one MILP). Where schools may close, the minimum size and opening rows weaken it
    (0.9 % on the whole province with 1,000 schools open: 240 s by targets against 44 s)."""
    return auto and not problem.closable.any() and len(pairs.group) >= _TARGET_PAIRS


def _least_cost(
    problem: SchoolProblem,
    pairs: Pairs,
    count: int,
    first: Outcome | None,
    deadline: Deadline,
    seed: int,
    *,
    auto: bool,
    asked: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, str, bool]:
    """The second stage: open schools, chosen pairs, small schools kept as teaching points,
    bound, method and whether it is proven (see the module docstring). ``asked``: the count
    is the caller's (else it is the fewest, which an error message does not name)."""
    engine = None
    if auto and _is_p_median(problem, pairs):
        engine = _engine(problem, pairs, count, deadline, seed)
    rules = _rules_broken(problem, pairs, *engine[:2]) if engine is not None else ["no plan"]
    if engine is not None and not rules:  # proven, or the engine used the time up
        return engine[0], engine[1], np.zeros(0, dtype=np.int64), engine[2], "engine", engine[3]
    model = _model.model(problem, pairs, count=count, seed=seed)
    by_targets = _targets(problem, pairs, auto)
    if by_targets:
        out = solve_by_targets(model, deadline)
    else:
        out = model.solve(deadline, start=None if first is None else first.x)
    if out.x is None:
        if out.infeasible:
            _no_plan(problem, pairs, out, count=count if asked else None, seed=seed)
        msg = f"no school plan with {count} schools was found within the time limit; raise it."
        raise SolverTimeout(msg)
    sites, choice, down = _decode(problem, pairs, out.x)
    bound = max(out.bound, engine[2]) if engine is not None else out.bound
    return sites, choice, down, bound, "targets" if by_targets else "highs", out.optimal


def _engine(
    problem: SchoolProblem, pairs: Pairs, count: int, deadline: Deadline, seed: int
) -> tuple[np.ndarray, np.ndarray, float, bool] | None:
    """The capacitated p-median of the usable pairs (the rules dropped) on the engine:
    ``(open schools, chosen pair per group, bound, proven)``, None if it has no plan."""
    m = problem.n_schools
    cost = np.full((pairs.n_groups, m), np.inf)
    cost[pairs.group, pairs.school] = pairs.cost
    kept = np.flatnonzero(problem.protected | ~problem.closable)
    if deadline.left() <= 0:
        return None
    try:
        cpmp = CapacitatedPMedian.from_cost_matrix(
            cost, p=count, capacity=problem.capacity, demand=pairs.q, fixed=kept
        )
        left = deadline.left()
        result = solve_location(cpmp, time_limit=left if np.isfinite(left) else None, seed=seed)
    except (InfeasibleError, SolverTimeout):
        return None
    where = {
        (int(g), int(j)): k for k, (g, j) in enumerate(zip(pairs.group, pairs.school, strict=True))
    }
    choice = np.array([where[(g, int(j))] for g, j in enumerate(result.assignment)])
    return np.asarray(result.open_sites), choice, result.bound, result.is_optimal


def _is_p_median(problem: SchoolProblem, pairs: Pairs) -> bool:
    """Whether dropping the minimum size and closest rules leaves a capacitated p-median:
    no boarding, no new teaching point (its rule of taking only pupils no open school takes
    by day is not the engine's), no cost of opening. An existing teaching point is a school
    like any other once the minimum size is dropped (it is only exempt from that rule)."""
    return not (
        (pairs.mode == BOARD).any()
        or _model.new_points(problem)[pairs.school].any()
        or problem.open_cost.any()
    )


def _decode(
    problem: SchoolProblem, pairs: Pairs, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open schools, the chosen pair per group and the small schools kept as teaching
    points, from the model's columns (``y``, pairs, ``u``)."""
    m, n_pairs = problem.n_schools, len(pairs.group)
    sites = np.flatnonzero(x[:m] > 0.5)
    used = np.flatnonzero(x[m : m + n_pairs] > 0.5)
    choice = np.full(pairs.n_groups, -1)
    choice[pairs.group[used]] = used
    down = _model.downgradable(problem)[x[m + n_pairs :] > 0.5]
    return sites, choice, down


def _loads(problem: SchoolProblem, pairs: Pairs, choice: np.ndarray) -> np.ndarray:
    return np.bincount(pairs.school[choice], pairs.q, minlength=problem.n_schools)


def _rules_broken(
    problem: SchoolProblem,
    pairs: Pairs,
    sites: np.ndarray,
    choice: np.ndarray,
    down: np.ndarray | None = None,
) -> list[str]:
    """The rules a plan breaks, in words (capacities, time limits and counts aside, which the
    engine's model holds): the minimum size and closest assignment."""
    faults = []
    is_open = np.zeros(problem.n_schools, dtype=bool)
    is_open[sites] = True
    load = _loads(problem, pairs, choice)
    sized = problem.closable & ~problem.teaching_point & is_open
    if down is not None:
        sized[down] = False
    if problem.min_size > 0 and (small := np.flatnonzero(sized & (load < problem.min_size))).size:
        faults.append(f"schools {small.tolist()} are open below the minimum size")
    if problem.closest:
        at_open = is_open[pairs.school]
        nearest = np.full(pairs.n_groups, np.inf)
        np.minimum.at(nearest, pairs.group[at_open], pairs.minutes[at_open])
        if (pairs.minutes[choice] > nearest + 1e-9).any():
            faults.append("groups pass a nearer open school")
    at_point = _model.new_points(problem)[pairs.school[choice]]
    for g in np.flatnonzero(at_point):
        own = (pairs.group == g) & (pairs.mode == DAY) & ~problem.teaching_point[pairs.school]
        if is_open[pairs.school[own]].any():
            faults.append(f"group {g} is at a teaching point beside an open school")
            break
    return faults


def _result(
    problem: SchoolProblem, pairs: Pairs, plan: _Plan, deadline: Deadline
) -> SchoolSolution:
    """The solution, after checking the plan keeps every rule (else it is withheld)."""
    sites, choice, down, bound, count, count_bound, method, proven = plan
    m = problem.n_schools
    is_open = np.zeros(m, dtype=bool)
    is_open[sites] = True
    faults = _rules_broken(problem, pairs, sites, choice, down)
    downgraded = np.zeros(m, dtype=bool)
    downgraded[down] = True
    if (downgraded & ~is_open).any():
        faults.append("closed schools are kept as teaching points")
    if (choice < 0).any():
        faults.append("groups are left without a school")
    else:
        if not is_open[pairs.school[choice]].all():
            faults.append("groups are sent to closed schools")
        load = _loads(problem, pairs, choice)
        if (load > problem.capacity + 1e-9).any():
            faults.append("schools are over capacity")
        boarders = np.bincount(
            pairs.school[choice], pairs.q * (pairs.mode[choice] == BOARD), minlength=m
        )
        if (boarders > problem.hostel + 1e-9).any():
            faults.append("hostels are over capacity")
    if int(is_open.sum()) != count or not is_open[problem.protected | ~problem.closable].all():
        faults.append("the open schools break the count or the kept schools")
    if faults:
        msg = (
            f"the school solver produced a plan that breaks the rules ({'; '.join(faults)}); "
            "it is withheld. This is a bug in accessplan: please report it with the problem."
        )
        raise InvalidPlanError(msg)
    objective = float(
        pairs.cost[choice].sum()
        + problem.open_cost[is_open].sum()
        + (problem.downgrade_cost or 0.0) * len(down)
    )
    bound = objective if proven else min(float(bound), objective)
    gap = (objective - bound) / max(abs(objective), 1e-12) if objective != bound else 0.0
    for array in (is_open, downgraded):
        array.setflags(write=False)
    solution = SchoolSolution(
        open=is_open,
        downgraded=downgraded,
        settlement=pairs.settlement,
        band=pairs.band,
        pupils=pairs.q,
        school=pairs.school[choice],
        boarding=pairs.mode[choice] == BOARD,
        minutes=pairs.minutes[choice],
        objective=objective,
        bound=bound,
        gap=float(gap),
        is_optimal=bool(gap <= 1e-9) and count_bound == count,
        count_bound=count_bound,
        method=method,
        runtime=deadline.elapsed(),
    )
    logger.info(
        "schools: %d open (bound %d), cost %.6g, bound %.6g, %s, %.1f s",
        count, count_bound, objective, bound, method, solution.runtime,
    )  # fmt: skip
    return solution


def _check_count(problem: SchoolProblem, p: int, kept: int) -> None:
    if isinstance(p, bool) or not isinstance(p, int | np.integer):
        msg = f"p must be a whole number of schools, got {p!r}."
        raise InputError(msg)
    m = problem.n_schools
    least = kept
    if problem.max_closures is not None:
        least = max(least, int((~problem.new).sum()) - problem.max_closures)
    if not max(least, 1) <= p <= m:
        msg = (
            f"p must be between {max(least, 1)} (the {kept} schools kept open"
            + (f", at most {problem.max_closures} closures" if problem.max_closures else "")
            + f") and the {m} schools, got p={p}; change p or the rules."
        )
        raise InfeasibleError(msg)


def _check_reach(problem: SchoolProblem, pairs: Pairs) -> None:
    """Every pupil group has a school it may attend, by day or as boarders; else name them."""
    has = np.zeros(pairs.n_groups, dtype=bool)
    has[pairs.group] = True
    lost = np.flatnonzero(~has)
    if len(lost):
        lines = []
        for g in lost[:5]:
            i, b = int(pairs.settlement[g]), int(pairs.band[g])
            t = problem.minutes[b, i]
            nearest = float(t.min())
            band, limit = problem.bands[b], float(problem.max_minutes[b])
            near = (
                "no school teaching it in reach"
                if not np.isfinite(nearest)
                else (f"nearest school {nearest:.1f} min")
            )
            if not problem.boarding[b]:
                board = f"{band} pupils may not board"
            else:
                board = "no school in reach has a hostel"
            lines.append(
                f"{problem.settlement_ids[i]!r} ({band}: {near}, day limit {limit:g} min, {board})"
            )
        bands = sorted({problem.bands[int(pairs.band[g])] for g in lost})
        msg = (
            f"{len(lost)} pupil group(s) have no school in reach: {'; '.join(lines)}. The rule "
            f"that cannot be met: the maximum one-way time of {', '.join(bands)}; raise it, "
            "allow boarding at a school with a hostel, or keep a teaching point there."
        )
        raise InfeasibleError(msg)
    room = np.zeros(pairs.n_groups)
    np.maximum.at(room, pairs.group, problem.capacity[pairs.school])
    stuck = np.flatnonzero(pairs.q > room)
    if len(stuck):
        lines = [
            f"{_group(problem, pairs, g)}: {pairs.q[g]:g} pupils, largest school in reach "
            f"{room[g]:g})"
            for g in stuck[:5]
        ]
        msg = (
            f"{len(stuck)} pupil group(s) fit no school in reach: {'; '.join(lines)}. The rule "
            "that cannot be met: school capacity (a village's pupils of a band go to one "
            "school); raise those capacities or the time limits."
        )
        raise InfeasibleError(msg)
    total = float(pairs.q.sum())
    if float(problem.capacity.sum()) < total:
        msg = (
            f"the schools hold {problem.capacity.sum():g} pupils but there are {total:g}: the "
            "capacity rule cannot be met; raise capacities."
        )
        raise InfeasibleError(msg)


def _group(problem: SchoolProblem, pairs: Pairs, g: int) -> str:
    """A pupil group as ``'V0012' (primary`` (the caller closes the bracket)."""
    settlement = problem.settlement_ids[int(pairs.settlement[g])]
    return f"{settlement!r} ({problem.bands[int(pairs.band[g])]}"


_RULES = {
    "closest": "the closest-assignment rule (pupils go to the nearest open school)",
    "min_size": "the minimum school size",
    "budget": "the closure budget",
}


def _no_plan(
    problem: SchoolProblem, pairs: Pairs, out: Outcome, *, count: int | None, seed: int
) -> None:
    """Raise why no plan exists: the rule whose removal lets one exist, if one does."""
    if not out.infeasible:
        msg = "no school plan was found within the time limit (none is known impossible)."
        raise SolverTimeout(msg)
    present = {
        "closest": problem.closest,
        "min_size": problem.min_size > 0
        and bool((problem.closable & ~problem.teaching_point).any()),
        "budget": problem.max_closures is not None,
    }
    culprits = []
    for rule, active in present.items():
        if not active:
            continue
        relaxed = _model.model(problem, pairs, count=count, seed=seed, **{rule: False})
        if relaxed.solve(Deadline(30.0)).x is not None:
            culprits.append(_RULES[rule])
    with_count = f" with {count} schools open" if count is not None else ""
    if culprits:
        msg = (
            f"no school plan{with_count} keeps every rule: the rule that cannot be met is "
            f"{' or '.join(culprits)} (without it a plan exists); relax it."
        )
    else:
        msg = (
            f"no school plan{with_count} fits every pupil group within the capacities, the "
            "time limits and the other rules together; raise capacities or time limits, or "
            "allow boarding."
        )
    raise InfeasibleError(msg)
