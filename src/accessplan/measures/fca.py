r"""Spatial access to a resource: the floating-catchment family, gravity and RAAM.

Every measure reads one sparse table of travel times, :class:`Pairs` (settlement row, facility
row, minutes; the long table ``from_id, to_id, minutes`` of
:func:`accessplan.travel.matrix.travel_times`), a demand per settlement :math:`P_i` (people)
and a supply per facility :math:`S_j` (beds, doctors, capacity...). Weights are sparse
matrices over the pairs; no settlements x facilities array is ever built.

With :math:`w` a distance-decay weight (:class:`Uniform`, :class:`Steps`, :class:`Gaussian`,
:class:`Power`) and :math:`t_{ij} \le t_0` the catchment:

* **2SFCA** (Luo & Wang 2003; with steps, E2SFCA, Luo & Qi 2009; with a Gaussian, Dai 2010):
  :math:`R_j = S_j / \sum_i P_i w(t_{ij})`, :math:`A_i = \sum_j R_j w(t_{ij})`
  (:func:`two_step`).
* **3SFCA** (Wan, Zou & Sternberg 2012): selection weights
  :math:`G_{ij} = w(t_{ij}) / \sum_k w(t_{ik})` over the pairs of the table, then 2SFCA with
  :math:`w(t_{ij}) G_{ij}` in both steps (:func:`three_step`).
* **Gravity** (a weighted catchment, PySAL ``access``'s ``weighted_catchment``):
  :math:`A_i = \sum_j S_j w(t_{ij})` (:func:`gravity`).
* **Provider-to-population ratio** within a catchment (PySAL's ``fca_ratio``): supply within
  :math:`t_0` of settlement :math:`i` over the people of the settlements within :math:`t_0`
  of it, read from a settlement-to-settlement table (:func:`catchment_ratio`).
* **RAAM**, the rational agent access model (Saxon & Snow 2019): people move, a few at a
  time, to the facility with the lowest travel plus congestion cost; the result is each
  settlement's mean cost (:func:`raam`).

Each formula, its defaults and its normalisation follow PySAL ``access`` 1.1
(``access/fca.py``, ``access/raam.py``, ``access/weights.py``) so that the numbers are the
same on the same table (tests/measures/test_fca.py), except where PySAL divides by zero:
a facility with no people weighted into its catchment has ratio 0 (PySAL: ``inf`` or NaN),
and a settlement with no facility in reach has access 0 (PySAL: NaN, absent from its table).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from accessplan._errors import InputError

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------- weights
class Weight(Protocol):
    """A distance-decay weight: minutes in, weights (>= 0) out, element by element."""

    def __call__(self, minutes: np.ndarray) -> np.ndarray: ...

    def parameters(self) -> dict[str, Any]:
        """The weight's kind and parameters, JSON-ready."""
        ...


def _positive(value: float, name: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        msg = f"{name} must be a positive finite number, got {value!r}."
        raise InputError(msg)
    return number


@dataclass(frozen=True)
class Uniform:
    """Weight 1 everywhere: the catchment alone decides (the original 2SFCA)."""

    def __call__(self, minutes: np.ndarray) -> np.ndarray:
        return np.ones(len(minutes))

    def parameters(self) -> dict[str, Any]:
        return {"kind": "uniform"}


@dataclass(frozen=True)
class Steps:
    """Step weights: ``weights[k]`` for minutes up to ``limits[k]`` (and above the previous
    limit), 0 beyond the last; PySAL's ``weights.step_fn({limit: weight, ...})``."""

    limits: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        limits = tuple(float(x) for x in self.limits)
        weights = tuple(float(x) for x in self.weights)
        ascending = all(a < b for a, b in itertools.pairwise(limits))
        if (
            not limits
            or len(limits) != len(weights)
            or not ascending
            or not all(math.isfinite(x) and x > 0 for x in limits)
            or not all(math.isfinite(w) and w >= 0 for w in weights)
        ):
            msg = (
                "step weights need as many weights (>= 0) as limits (minutes > 0, ascending); "
                f"got limits {list(self.limits)} and weights {list(self.weights)}."
            )
            raise InputError(msg)
        object.__setattr__(self, "limits", limits)
        object.__setattr__(self, "weights", weights)

    @classmethod
    def from_mapping(cls, steps: dict[float, float]) -> Steps:
        """From PySAL's ``{limit: weight}``."""
        ordered = sorted(steps.items())
        return cls(tuple(k for k, _ in ordered), tuple(v for _, v in ordered))

    def scaled(self, factor: float) -> Steps:
        """The same weights with every limit times ``factor``."""
        return Steps(tuple(x * factor for x in self.limits), self.weights)

    def __call__(self, minutes: np.ndarray) -> np.ndarray:
        # the zone of each time: how many limits lie below it (a few passes beat a binary
        # search per element for the handful of zones step weights have)
        zone = np.zeros(np.shape(minutes), dtype=np.intp)
        for limit in self.limits:
            zone += minutes > limit
        return np.asarray(np.append(self.weights, 0.0)[zone])

    def parameters(self) -> dict[str, Any]:
        return {"kind": "steps", "limits_min": list(self.limits), "weights": list(self.weights)}


@dataclass(frozen=True)
class Gaussian:
    r"""Gaussian decay :math:`e^{-t^2 / 2\sigma^2}` (1 at 0 minutes), PySAL's
    ``weights.gaussian(sigma)``."""

    sigma: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", _positive(self.sigma, "sigma (minutes)"))

    def __call__(self, minutes: np.ndarray) -> np.ndarray:
        return np.asarray(np.exp(-minutes * minutes / (2 * self.sigma**2)))

    def parameters(self) -> dict[str, Any]:
        return {"kind": "gaussian", "sigma_min": self.sigma}


@dataclass(frozen=True)
class Power:
    r"""Gravity decay :math:`(\max(t, t_{min}) / s)^{\alpha}`, PySAL's
    ``weights.gravity(scale, alpha, min_dist)``; ``min_minutes`` keeps a place next to a
    facility from an infinite weight."""

    scale: float
    alpha: float = -1.0
    min_minutes: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", _positive(self.scale, "the gravity scale (minutes)"))
        if not math.isfinite(self.alpha):
            msg = f"the gravity exponent must be finite, got {self.alpha!r}."
            raise InputError(msg)
        if not (math.isfinite(self.min_minutes) and self.min_minutes >= 0):
            msg = f"the gravity minimum must be >= 0 minutes, got {self.min_minutes!r}."
            raise InputError(msg)

    def __call__(self, minutes: np.ndarray) -> np.ndarray:
        return np.asarray(np.power(np.maximum(minutes, self.min_minutes) / self.scale, self.alpha))

    def parameters(self) -> dict[str, Any]:
        return {
            "kind": "power",
            "scale_min": self.scale,
            "alpha": self.alpha,
            "min_minutes": self.min_minutes,
        }


#: E2SFCA's steps (Luo & Qi 2009; PySAL's default): 1, 0.68, 0.22 in three zones of a
#: 30-minute catchment. :func:`default_weights` scales the zones to the catchment.
E2SFCA_STEPS = Steps((10.0, 20.0, 30.0), (1.0, 0.68, 0.22))
#: 3SFCA's steps (Wan, Zou & Sternberg 2012; PySAL's default) for a 60-minute catchment.
THREE_STEP_STEPS = Steps((10.0, 20.0, 30.0, 60.0), (0.962, 0.704, 0.377, 0.042))


def default_weights(catchment_min: float) -> dict[str, Weight]:
    """The weight of each method for a catchment of ``catchment_min`` minutes.

    The step zones of E2SFCA (thirds of 30 minutes) and 3SFCA (10, 20, 30, 60 of 60
    minutes) are stretched to the catchment, so that at the papers' catchments they are
    PySAL's defaults; the Gaussian's sigma is half the catchment (weight 0.14 at its edge);
    gravity is :math:`(t / t_0)^{-1}` from 1 minute on.
    """
    c = _positive(catchment_min, "the catchment (minutes)")
    return {
        "fca": Uniform(),
        "2sfca": Uniform(),
        "e2sfca": E2SFCA_STEPS.scaled(c / 30.0),
        "g2sfca": Gaussian(c / 2.0),
        "3sfca": THREE_STEP_STEPS.scaled(c / 60.0),
        "gravity": Power(c, -1.0, 1.0),
    }


# --------------------------------------------------------------------------------- pairs
@dataclass(frozen=True, eq=False)
class Pairs:
    """Travel times between settlements and facilities that lie within reach, as a sparse
    table: ``settlement[k]`` reaches ``facility[k]`` in ``minutes[k]``; pairs absent are out
    of reach. Rows index the demand and supply arrays the measures take."""

    settlement: np.ndarray
    facility: np.ndarray
    minutes: np.ndarray
    n_settlements: int
    n_facilities: int

    def __post_init__(self) -> None:
        s = np.asarray(self.settlement, dtype=np.int64)
        f = np.asarray(self.facility, dtype=np.int64)
        m = np.asarray(self.minutes, dtype="float64")
        if not len(s) == len(f) == len(m):
            msg = f"pairs need equal lengths, got {len(s)}, {len(f)} and {len(m)}."
            raise InputError(msg)
        if len(m) and (
            s.min() < 0
            or f.min() < 0
            or s.max() >= self.n_settlements
            or f.max() >= self.n_facilities
        ):
            msg = "pairs refer to settlement or facility rows outside the tables; rebuild them."
            raise InputError(msg)
        if not np.all(np.isfinite(m) & (m >= 0)):
            msg = (
                "travel times must be finite minutes >= 0; leave unreachable pairs out of "
                "the table instead of giving them inf or NaN."
            )
            raise InputError(msg)
        for name, value in (("settlement", s), ("facility", f), ("minutes", m)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        settlement_ids: Sequence[str] | pd.Series | np.ndarray,
        facility_ids: Sequence[str] | pd.Series | np.ndarray,
        *,
        columns: tuple[str, str, str] = ("from_id", "to_id", "minutes"),
    ) -> Pairs:
        """From a long table ``from_id, to_id, minutes``; rows index ``settlement_ids`` and
        ``facility_ids``. Pairs with a facility not among ``facility_ids`` (another service)
        are left out; an unknown settlement or a pair given twice is refused."""
        origin, destination, cost = columns
        missing = [c for c in columns if c not in table]
        if missing:
            msg = f"the travel-time table lacks column(s) {missing}; it has {list(table.columns)}."
            raise InputError(msg)
        s = pd.Index(settlement_ids).get_indexer(pd.Index(table[origin]))
        f = pd.Index(facility_ids).get_indexer(pd.Index(table[destination]))
        if (s < 0).any():
            unknown = table[origin].to_numpy()[s < 0][:5].tolist()
            msg = f"travel times from unknown settlement id(s) {unknown}; use the region's ids."
            raise InputError(msg)
        keep = f >= 0
        pairs = cls(
            s[keep],
            f[keep],
            table[cost].to_numpy(dtype="float64")[keep],
            len(settlement_ids),
            len(facility_ids),
        )
        key = np.sort(pairs.settlement * pairs.n_facilities + pairs.facility)
        if (key[1:] == key[:-1]).any():
            msg = "the travel-time table gives some pair twice; keep one time per pair."
            raise InputError(msg)
        return pairs

    def within(self, max_minutes: float | None) -> Pairs:
        """The pairs within ``max_minutes`` (all when None)."""
        if max_minutes is None or not len(self.minutes) or self.minutes.max() <= max_minutes:
            return self
        keep = self.minutes <= max_minutes
        return Pairs(
            self.settlement[keep],
            self.facility[keep],
            self.minutes[keep],
            self.n_settlements,
            self.n_facilities,
        )

    def matrix(self, values: np.ndarray) -> sp.coo_matrix:
        """``values`` (one per pair) as a settlements x facilities sparse matrix (COO: its
        products run over the pairs as they are, without sorting them first)."""
        shape = (self.n_settlements, self.n_facilities)
        return sp.coo_matrix((values, self._index), shape=shape, copy=False)

    @cached_property
    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns in the index type scipy picks for the shape (int32 up to 2**31
        rows), made once: scipy would otherwise convert them for every matrix."""
        small = max(self.n_settlements, self.n_facilities) <= np.iinfo(np.int32).max
        dtype = np.int32 if small else np.int64
        return self.settlement.astype(dtype), self.facility.astype(dtype)

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Facilities within reach of each settlement, settlements within reach of each
        facility."""
        return (
            np.bincount(self.settlement, minlength=self.n_settlements),
            np.bincount(self.facility, minlength=self.n_facilities),
        )


def _vector(values: np.ndarray | Sequence[float], n: int, what: str) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    if array.shape != (n,):
        msg = f"{what} needs one value per row ({n}), got shape {array.shape}."
        raise InputError(msg)
    if not np.all(np.isfinite(array) & (array >= 0)):
        msg = f"{what} must be finite numbers >= 0 (count unknowns as 0 before)."
        raise InputError(msg)
    return array


# ------------------------------------------------------------------------ floating catchments
@dataclass(frozen=True, eq=False)
class Catchment:
    """A two- or three-step floating catchment: access per settlement, and per facility the
    weighted demand in its catchment and its supply-to-demand ratio."""

    access: np.ndarray
    demand: np.ndarray
    ratio: np.ndarray


def _ratio(supply: np.ndarray, demand: np.ndarray) -> np.ndarray:
    out = np.zeros_like(supply)
    np.divide(supply, demand, out=out, where=demand > 0)
    return out


def _two_steps(demand: np.ndarray, supply: np.ndarray, weights: sp.coo_matrix) -> Catchment:
    weighted_demand = np.asarray(weights.T @ demand)
    ratio = _ratio(supply, weighted_demand)
    return Catchment(np.asarray(weights @ ratio), weighted_demand, ratio)


def two_step(
    demand: np.ndarray | Sequence[float],
    supply: np.ndarray | Sequence[float],
    pairs: Pairs,
    *,
    weight: Weight | None = None,
    max_minutes: float | None = None,
) -> Catchment:
    r"""The two-step floating catchment (2SFCA), with an optional distance decay.

    .. math::

        R_j = \frac{S_j}{\sum_{i: t_{ij} \le t_0} P_i\, w(t_{ij})}, \qquad
        A_i = \sum_{j: t_{ij} \le t_0} R_j\, w(t_{ij})

    ``weight`` None is the original 2SFCA (Luo & Wang 2003); :class:`Steps` gives E2SFCA
    (Luo & Qi 2009), :class:`Gaussian` Dai's Gaussian 2SFCA. ``max_minutes`` is the
    catchment :math:`t_0` (None: every pair of the table). PySAL:
    ``Access.two_stage_fca`` / ``enhanced_two_stage_fca``.
    """
    near = pairs.within(max_minutes)
    p = _vector(demand, pairs.n_settlements, "demand")
    s = _vector(supply, pairs.n_facilities, "supply")
    w = (weight or Uniform())(near.minutes)
    return _two_steps(p, s, near.matrix(w))


def three_step(
    demand: np.ndarray | Sequence[float],
    supply: np.ndarray | Sequence[float],
    pairs: Pairs,
    *,
    weight: Weight = THREE_STEP_STEPS,
    max_minutes: float | None = None,
) -> Catchment:
    r"""The three-step floating catchment (3SFCA, Wan, Zou & Sternberg 2012).

    A settlement's demand is shared among the facilities it reaches by the selection weight
    :math:`G_{ij} = w(t_{ij}) / \sum_k w(t_{ik})`, the sum over *every* pair of the table
    (PySAL computes it before the catchment is applied), then 2SFCA runs with
    :math:`w(t_{ij})\, G_{ij}` in both steps. PySAL: ``Access.three_stage_fca``.
    """
    p = _vector(demand, pairs.n_settlements, "demand")
    s = _vector(supply, pairs.n_facilities, "supply")
    w = weight(pairs.minutes)
    total = np.bincount(pairs.settlement, weights=w, minlength=pairs.n_settlements)
    share = np.zeros_like(w)
    np.divide(w, total[pairs.settlement], out=share, where=total[pairs.settlement] > 0)
    keep = np.ones(len(w), dtype=bool) if max_minutes is None else pairs.minutes <= max_minutes
    near = pairs.within(max_minutes)
    return _two_steps(p, s, near.matrix((w * share)[keep]))


def gravity(
    supply: np.ndarray | Sequence[float],
    pairs: Pairs,
    *,
    weight: Weight,
    max_minutes: float | None = None,
) -> np.ndarray:
    r"""Supply weighted by its decay, summed per settlement: :math:`A_i = \sum_j S_j w(t_{ij})`
    (PySAL's ``Access.weighted_catchment`` with ``weights.gravity``). No demand enters: it
    measures the potential supply in reach, not its share per person."""
    near = pairs.within(max_minutes)
    s = _vector(supply, pairs.n_facilities, "supply")
    return np.asarray(near.matrix(weight(near.minutes)) @ s)


def catchment_ratio(
    demand: np.ndarray | Sequence[float],
    supply: np.ndarray | Sequence[float],
    pairs: Pairs,
    neighbours: Pairs,
    *,
    max_minutes: float | None = None,
) -> np.ndarray:
    r"""Provider-to-population ratio within a catchment (PySAL's ``Access.fca_ratio``).

    :math:`A_i = \sum_{j: t_{ij} \le t_0} S_j \,/\, \sum_{k: t'_{ik} \le t_0} P_k`, with
    ``neighbours`` the settlement-to-settlement table :math:`t'` (its "facilities" are the
    settlements; a settlement is its own neighbour at 0 minutes). Settlements with nobody in
    their catchment get 0.
    """
    p = _vector(demand, pairs.n_settlements, "demand")
    s = _vector(supply, pairs.n_facilities, "supply")
    if neighbours.n_facilities != pairs.n_settlements:
        msg = "neighbours must be a settlements x settlements table of the same settlements."
        raise InputError(msg)
    near = pairs.within(max_minutes)
    around = neighbours.within(max_minutes)
    in_reach = np.asarray(near.matrix(np.ones(len(near.minutes))) @ s)
    people = np.asarray(around.matrix(np.ones(len(around.minutes))) @ p)
    return _ratio(in_reach, people)


# ----------------------------------------------------------------------------------- RAAM
@dataclass(frozen=True, eq=False)
class Raam:
    """The rational agent access model's result.

    Attributes
    ----------
    cost
        Per settlement, the mean cost (travel / tau + congestion) of its people at their
        facilities; NaN without people or without a facility of positive supply in reach.
    assignment
        People of each pair at the end (aligned with the pairs RAAM used: ``pairs``).
    pairs
        The pairs with people and supply.
    rho
        The congestion scale used: people per unit of supply.
    gap
        Per settlement, the largest cost among the facilities its people use minus the
        lowest cost in reach: how far from equilibrium the iterations stopped (0 = none of
        its people would gain by moving); NaN where ``cost`` is.
    """

    cost: np.ndarray
    assignment: np.ndarray
    pairs: Pairs
    rho: float
    gap: np.ndarray


def _first_extreme(values: np.ndarray, starts: np.ndarray, row: np.ndarray, *, low: bool) -> Any:
    """Index of the first smallest (or largest) value in each CSR row (every row non-empty)."""
    reduce = np.minimum if low else np.maximum
    best = reduce.reduceat(values, starts)
    hits = np.flatnonzero(values == best[row])
    _, first = np.unique(row[hits], return_index=True)
    return hits[first]


def raam(
    demand: np.ndarray | Sequence[float],
    supply: np.ndarray | Sequence[float],
    pairs: Pairs,
    *,
    tau: float = 60.0,
    rho: float | None = None,
    max_cycles: int = 150,
    initial_step: float = 0.2,
    min_step: float = 0.005,
    half_life: float = 50.0,
    limit_initial: int = 20,
) -> Raam:
    r"""The rational agent access model (Saxon & Snow 2019), as PySAL ``access`` runs it.

    Each person of settlement :math:`i` at facility :math:`j` bears the cost
    :math:`c_{ij} = t_{ij}/\tau + D_j / (\rho S_j)`, :math:`D_j` the people assigned to
    :math:`j` and :math:`\rho` people per unit of supply (default: all people over all
    supply, the region's mean). Everybody starts at the nearest facility; each cycle, every
    settlement moves whole people from its costliest used facility towards its cheapest one,
    as many as balance the two, at most a share of its people that halves every
    ``half_life`` cycles from ``initial_step`` down to ``min_step``; in the first
    ``limit_initial`` cycles moves into a facility are scaled down when they would exceed its
    capacity :math:`\rho S_j`. After ``max_cycles`` the cost of a settlement is its people's
    mean cost. These are PySAL's ``raam.iterate_raam`` steps on sparse pairs: the same
    numbers on the same table (ties broken by facility row). Whole-person moves leave a
    residual imbalance, reported in :attr:`Raam.gap`.

    Only settlements with people and facilities with supply take part, as in PySAL.
    """
    p = _vector(demand, pairs.n_settlements, "demand")
    s = _vector(supply, pairs.n_facilities, "supply")
    tau = _positive(tau, "tau (minutes)")
    if rho is None:
        rho = float(p[p > 0].sum() / s[s > 0].sum()) if (s > 0).any() else 1.0
    rho = _positive(rho, "rho")
    keep = (p[pairs.settlement] > 0) & (s[pairs.facility] > 0)
    order = np.lexsort((pairs.facility[keep], pairs.settlement[keep]))
    used = Pairs(
        pairs.settlement[keep][order],
        pairs.facility[keep][order],
        pairs.minutes[keep][order],
        pairs.n_settlements,
        pairs.n_facilities,
    )
    rows, row = np.unique(used.settlement, return_inverse=True)
    starts = np.searchsorted(used.settlement, rows)
    people = p[rows]
    capacity = s * rho
    travel = used.minutes / tau
    col = used.facility
    x = np.zeros(len(col))
    x[_first_extreme(travel, starts, row, low=True)] = people
    total = np.zeros(len(col))
    for cycle in range(max_cycles):
        at_supply = np.bincount(col, weights=x, minlength=pairs.n_facilities)
        congestion = np.zeros_like(capacity)
        np.divide(at_supply, capacity, out=congestion, where=capacity > 0)
        total = congestion[col] + travel
        hi = _first_extreme(np.where(x != 0, total, -np.inf), starts, row, low=False)
        lo = _first_extreme(total, starts, row, low=True)
        s_lo, s_hi = capacity[col[lo]], capacity[col[hi]]
        d_lo, d_hi = x[lo], x[hi]
        other_lo = at_supply[col[lo]] - d_lo
        other_hi = at_supply[col[hi]] - d_hi
        balanced = ((s_lo * s_hi) / (s_lo + s_hi)) * (
            (travel[hi] - travel[lo]) + (d_lo + d_hi + other_hi) / s_hi - other_lo / s_lo
        )
        delta = np.minimum(balanced - d_lo, d_hi)
        delta = np.where(col[hi] == col[lo], 0, delta)
        step = max(initial_step * 0.5 ** (cycle / half_life), min_step)
        delta = np.minimum(delta, step * people).astype(np.int64)
        if cycle < limit_initial:
            # moves into one facility beyond its capacity are scaled down (PySAL: "mobbed")
            arriving = np.bincount(col[lo], weights=delta, minlength=pairs.n_facilities)
            scale = np.ones_like(capacity)
            np.divide(arriving, capacity, out=scale, where=capacity > 0)
            delta = np.round(delta / np.maximum(scale, 1.0)[col[lo]]).astype(np.int64)
        np.add.at(x, lo, delta)
        np.subtract.at(x, hi, delta)
    cost = np.full(pairs.n_settlements, np.nan)
    gap = np.full(pairs.n_settlements, np.nan)
    if len(col):
        # PySAL weighs the costs of the last cycle's start by the final assignment
        cost[rows] = np.bincount(row, weights=total * x) / np.bincount(row, weights=x)
        at_supply = np.bincount(col, weights=x, minlength=pairs.n_facilities)
        congestion = np.zeros_like(capacity)
        np.divide(at_supply, capacity, out=congestion, where=capacity > 0)
        final = congestion[col] + travel
        highest = np.maximum.reduceat(np.where(x > 0, final, -np.inf), starts)
        gap[rows] = highest - np.minimum.reduceat(final, starts)
    logger.debug("RAAM: %d settlements, %d pairs, %d cycles", len(rows), len(col), max_cycles)
    return Raam(cost, x, used, rho, gap)
