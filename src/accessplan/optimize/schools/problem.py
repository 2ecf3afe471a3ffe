r"""The school consolidation problem: frozen data, checked at the door.

Clients are *pupil groups*: the pupils of one grade band (primary, middle, ...) in one
settlement. A group is served whole by one open school that teaches its band, either as day
pupils (one-way time within the band's limit) or as boarders (beyond the limit, at a school
with hostel room, for bands old enough to board). Schools have a capacity (pupils, all bands
together) and a hostel capacity (boarders).

.. math::
    \min \sum_j y_j \quad\text{then}\quad
    \min \sum_{kj} w_k t_{kj} x_{kj} + \sum_{kj} q_k (b + \ldots) z_{kj}
    + \mu \sum_{kj} q_k [j \ne c_k] (x_{kj} + z_{kj})

subject to :math:`\sum_j (x_{kj} + z_{kj}) = 1` (every group placed),
:math:`\sum_k q_k (x_{kj} + z_{kj}) \le Q_j y_j` (capacity),
:math:`\sum_k q_k z_{kj} \le H_j y_j` (hostel),
:math:`\sum_k q_k (x_{kj} + z_{kj}) \ge S y_j` for schools that may close (minimum size),
:math:`y_j = 1` for protected and kept schools, :math:`\sum_{j \in C} (1 - y_j) \le B`
(closure budget), and with the closest-assignment rule
:math:`\sum_{l: t_{kl} \le t_{kj}} (x_{kl} + z_{kl}) \ge y_j` (a group goes to its nearest
open school). ``x`` exists only for pairs within the band's day limit and ``z`` only for
boarding pairs, so the model holds only the pairs that can be used.

With no minimum size, no closest rule, no boarding and ``p`` schools open, it is the
capacitated p-median with costs :math:`w_k t_{kj} + \mu q_k [j \ne c_k]`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from accessplan._errors import InputError


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _numbers(
    values: Any, name: str, shape: tuple[int, ...], *, allow_inf: bool = False
) -> np.ndarray:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be numbers; got {values!r:.60}."
        raise InputError(msg) from None
    if array.shape != shape:
        msg = f"{name} must have shape {shape}, got {array.shape}."
        raise InputError(msg)
    bad = np.isnan(array) | (array < 0) | (~np.isfinite(array) if not allow_inf else False)
    if np.any(bad):
        where = tuple(int(v) for v in np.argwhere(bad)[0])
        kind = "non-negative (inf allowed)" if allow_inf else "finite and non-negative"
        msg = f"{name} must be {kind}; entry {where} is {array[where]!r}."
        raise InputError(msg)
    return _readonly(array)


def _columns(values: Any) -> Any:
    """A 1-D sequence as one column (one band)."""
    array = np.asarray(values)
    return array[:, None] if array.ndim == 1 else array


def _mask(values: Any, name: str, m: int) -> np.ndarray:
    array = np.zeros(m, dtype=bool) if values is None else np.array(values, dtype=bool)
    if array.shape != (m,):
        msg = f"{name} must have one True/False per school ({m}), got shape {array.shape}."
        raise InputError(msg)
    return _readonly(array)


@dataclass(frozen=True, eq=False, kw_only=True)
class SchoolProblem:
    """Which schools stay open and where every pupil group goes (see the module docstring).

    Build with :meth:`from_arrays`; solve with
    :func:`accessplan.optimize.schools.solve_schools`.

    Attributes
    ----------
    minutes
        ``(bands, settlements, schools)`` one-way minutes, ``inf`` where the school does not
        teach the band or cannot be reached.
    pupils
        ``(settlements, bands)`` pupils (the demand on capacities).
    trip_weights
        ``(settlements, bands)`` weight of a group's minutes in the objective (its pupils
        unless given).
    capacity, hostel
        Pupils each school can take, and boarders its hostel can take.
    bands
        Grade band names.
    max_minutes
        Per band, the longest one-way day journey (``inf``: none).
    boarding
        Per band, whether its pupils are old enough to board (the minimum boarding age).
    boarder_cost
        Cost of one boarder, in the objective's unit (pupil-minutes).
    move_cost
        Cost of one pupil moved away from their current school (disruption).
    current
        ``(bands, settlements)`` the school each group attends now (-1: none).
    protected, teaching_point
        Schools that stay open; teaching points, exempt from the minimum size. New ones
        (``new``) take only pupils with no other open school within their day limit (a
        teaching point is opened where neither travel nor boarding is acceptable).
    new
        Schools that do not exist yet (candidate teaching points): left shut, they are no
        closure.
    open_cost
        Per school, the cost of keeping it open (a new teaching point's), in the objective's
        unit.
    min_size
        Minimum pupils of an open school that may close (0: no minimum).
    downgrade_cost
        When set, a school held to the minimum size that teaches the youngest band (band 0)
        alone may instead stay open below it as a teaching point, at this cost (None: it
        may not).
    closable
        Schools that may close: with a minimum size those below it now, otherwise all,
        never protected ones.
    closest
        Whether every group goes to its nearest open school teaching its band.
    max_closures
        Most schools that may close (None: no budget); new schools left shut are no
        closures.
    settlement_ids, school_ids
        Labels.
    """

    minutes: np.ndarray
    pupils: np.ndarray
    trip_weights: np.ndarray
    capacity: np.ndarray
    hostel: np.ndarray
    bands: tuple[str, ...]
    max_minutes: np.ndarray
    boarding: np.ndarray
    boarder_cost: float
    move_cost: float
    current: np.ndarray
    protected: np.ndarray
    teaching_point: np.ndarray
    new: np.ndarray
    open_cost: np.ndarray
    min_size: float
    downgrade_cost: float | None
    closable: np.ndarray
    closest: bool
    max_closures: int | None
    settlement_ids: tuple[Hashable, ...]
    school_ids: tuple[Hashable, ...]

    @property
    def n_settlements(self) -> int:
        return int(self.minutes.shape[1])

    @property
    def n_schools(self) -> int:
        return int(self.minutes.shape[2])

    def part(self, groups: np.ndarray, schools: np.ndarray) -> SchoolProblem:
        """The problem of the pupil groups ``groups`` (``(settlements, bands)`` True/False)
        and the schools ``schools`` (indices) alone: other groups have no pupils, other
        schools do not exist. Settlements keep their indices; which schools may close stays
        as decided for the whole problem (by its enrolment), and a group now at a school
        outside the part counts as moved wherever it goes."""
        schools = np.asarray(schools, dtype=np.int64)
        where = np.full(self.n_schools + 1, -1)  # -1 (no school now) maps to -1
        where[schools] = np.arange(len(schools))
        return dataclasses.replace(
            self,
            minutes=_readonly(self.minutes[:, :, schools]),
            pupils=_readonly(np.where(groups, self.pupils, 0.0)),
            capacity=_readonly(self.capacity[schools]),
            hostel=_readonly(self.hostel[schools]),
            current=_readonly(where[self.current]),
            protected=_readonly(self.protected[schools]),
            teaching_point=_readonly(self.teaching_point[schools]),
            new=_readonly(self.new[schools]),
            open_cost=_readonly(self.open_cost[schools]),
            closable=_readonly(self.closable[schools]),
            school_ids=tuple(self.school_ids[j] for j in schools),
        )

    def enrolment(self) -> np.ndarray:
        """Pupils per school now (by ``current``)."""
        out = np.zeros(self.n_schools)
        for b in range(len(self.bands)):
            at = self.current[b] >= 0
            np.add.at(out, self.current[b][at], self.pupils[at, b])
        return out

    @classmethod
    def from_arrays(
        cls,
        minutes: Any,
        pupils: Any,
        capacity: Any,
        *,
        bands: Sequence[str] | None = None,
        max_minutes: Any = None,
        boarding: Any = None,
        hostel: Any = None,
        boarder_cost: float = 0.0,
        move_cost: float = 0.0,
        current: Any = None,
        protected: Any = None,
        teaching_point: Any = None,
        new: Any = None,
        open_cost: Any = None,
        min_size: float = 0.0,
        downgrade_cost: float | None = None,
        closest: bool = False,
        max_closures: int | None = None,
        trip_weights: Any = None,
        settlement_ids: Sequence[Hashable] | None = None,
        school_ids: Sequence[Hashable] | None = None,
    ) -> SchoolProblem:
        """Build from arrays.

        ``minutes`` is ``(bands, settlements, schools)`` (a 2-D ``settlements x schools``
        array is one band); ``pupils`` is ``(settlements, bands)`` (1-D: one band).
        ``current`` defaults to each group's nearest school teaching its band. See the class
        attributes for the rest.
        """
        t = np.array(minutes, dtype=np.float64)
        if t.ndim == 2:
            t = t[None]
        if t.ndim != 3 or 0 in t.shape:
            msg = f"minutes must be (bands, settlements, schools), got shape {t.shape}."
            raise InputError(msg)
        n_bands, n, m = t.shape
        t = _numbers(t, "minutes", (n_bands, n, m), allow_inf=True)
        q = _numbers(_columns(pupils), "pupils", (n, n_bands))
        w = (
            q
            if trip_weights is None
            else _numbers(_columns(trip_weights), "trip_weights", (n, n_bands))
        )
        names = tuple(f"band{b}" for b in range(n_bands)) if bands is None else tuple(bands)
        if len(names) != n_bands or len(set(names)) != n_bands:
            msg = f"bands must be {n_bands} distinct names, got {list(names)}."
            raise InputError(msg)
        limit = np.full(n_bands, np.inf) if max_minutes is None else max_minutes
        limit = _numbers(limit, "max_minutes", (n_bands,), allow_inf=True)
        board = np.zeros(n_bands, bool) if boarding is None else np.array(boarding, dtype=bool)
        if board.shape != (n_bands,):
            msg = f"boarding must have one True/False per band ({n_bands}), got {board.shape}."
            raise InputError(msg)
        cap = _numbers(capacity, "capacity", (m,))
        beds = _numbers(np.zeros(m) if hostel is None else hostel, "hostel", (m,))
        if current is None:
            near = np.argmin(t, axis=2)
            reach = np.take_along_axis(t, near[:, :, None], axis=2)[:, :, 0]
            now = np.where(np.isfinite(reach), near, -1)
        else:
            now = np.array(current, dtype=np.int64).reshape(n_bands, n)
            if ((now < -1) | (now >= m)).any():
                msg = f"current must name schools 0..{m - 1} (or -1), got {now.min()}..{now.max()}."
                raise InputError(msg)
        keep = _mask(protected, "protected", m)
        exempt = _mask(teaching_point, "teaching_point", m)
        candidate = _mask(new, "new", m)
        fee = _numbers(np.zeros(m) if open_cost is None else open_cost, "open_cost", (m,))
        for name, value in (
            ("boarder_cost", boarder_cost),
            ("move_cost", move_cost),
            ("min_size", min_size),
            ("downgrade_cost", 0.0 if downgrade_cost is None else downgrade_cost),
        ):
            if not (np.isfinite(value) and value >= 0):
                msg = f"{name} must be a finite non-negative number, got {value!r}."
                raise InputError(msg)
        if max_closures is not None and (
            isinstance(max_closures, bool)
            or not isinstance(max_closures, int | np.integer)
            or max_closures < 0
        ):
            msg = f"max_closures must be a whole number >= 0 or None, got {max_closures!r}."
            raise InputError(msg)
        if not isinstance(closest, bool | np.bool_):
            msg = f"closest must be True or False, got {closest!r}."
            raise InputError(msg)
        for name, ids, size in (
            ("settlement_ids", settlement_ids, n),
            ("school_ids", school_ids, m),
        ):
            if ids is not None and len(ids) != size:
                msg = f"{name} must have {size} labels, got {len(ids)}."
                raise InputError(msg)
        problem = cls(
            minutes=t,
            pupils=q,
            trip_weights=w,
            capacity=cap,
            hostel=beds,
            bands=names,
            max_minutes=limit,
            boarding=_readonly(board),
            boarder_cost=float(boarder_cost),
            move_cost=float(move_cost),
            current=_readonly(now),
            protected=keep,
            teaching_point=exempt,
            new=candidate,
            open_cost=fee,
            min_size=float(min_size),
            downgrade_cost=None if downgrade_cost is None else float(downgrade_cost),
            closable=_readonly(np.zeros(m, dtype=bool)),
            closest=bool(closest),
            max_closures=None if max_closures is None else int(max_closures),
            settlement_ids=tuple(range(n) if settlement_ids is None else settlement_ids),
            school_ids=tuple(range(m) if school_ids is None else school_ids),
        )
        small = problem.enrolment() < min_size if min_size > 0 else np.ones(m, dtype=bool)
        object.__setattr__(problem, "closable", _readonly(small & ~keep))
        return problem
