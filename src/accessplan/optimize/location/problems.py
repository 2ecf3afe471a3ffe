r"""Facility location problems: frozen data, two constructors each, solved by :func:`solve`.

Every problem holds a clients x candidate sites cost matrix (minutes, metres, ...; ``inf``
where a client may not use a site), client weights (people), sites that must stay open
(``fixed``, e.g. existing facilities) and sites that may not open (``forbidden``). A maximum
travel time on assignments (``max_cost``) turns longer pairs into ``inf``.

Build with ``from_cost_matrix(cost, ...)`` (arrays) or ``from_region(region, times, ...)``
(the long ``from_id, to_id, minutes`` table of :func:`accessplan.travel.matrix.travel_times`),
then call :func:`accessplan.optimize.solve`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.optimize.location.errors import InfeasibleError
from accessplan.region import Region


def _frozen_array(values: Any, dtype: Any) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


def _vector(values: Any, name: str, length: int, per: str) -> np.ndarray:
    """``values`` as a read-only float vector of ``length`` finite non-negative numbers."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be numbers, one per {per}; got {values!r:.60}."
        raise InputError(msg) from None
    if array.shape != (length,):
        given = array.shape[0] if array.ndim == 1 else f"shape {array.shape}"
        msg = f"{name} must have one number per {per}: expected {length} values, got {given}."
        raise InputError(msg)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if len(bad):
        msg = (
            f"{name} must be finite and non-negative; {per} {int(bad[0])} has "
            f"{float(array[bad[0]]):g} ({len(bad)} such value(s))."
        )
        raise InputError(msg)
    array.setflags(write=False)
    return array


def _number(value: Any, name: str) -> float:
    """A finite non-negative number (a radius)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = np.nan
    if not (np.isfinite(number) and number >= 0):
        msg = f"{name} must be a finite non-negative number, got {value!r}."
        raise InputError(msg)
    return number


@dataclass(frozen=True, eq=False, kw_only=True)
class LocationProblem:
    """Data shared by all location problems (build through the subclasses' constructors).

    Attributes
    ----------
    cost
        Clients x sites matrix, ``inf`` where the pair is not allowed.
    weights
        Weight (people, demand) of each client.
    fixed, forbidden
        Boolean masks over sites: must be open / may not open.
    client_ids, site_ids
        Labels of the rows and columns (their positions when built from arrays).
    """

    cost: np.ndarray
    weights: np.ndarray
    fixed: np.ndarray
    forbidden: np.ndarray
    client_ids: tuple[Hashable, ...]
    site_ids: tuple[Hashable, ...]

    @property
    def n_clients(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.cost.shape[1])

    def weighted_cost(self) -> np.ndarray:
        """``weights_i * cost_ij``, ``inf`` where the pair is not allowed (also for clients
        of zero weight, where the product would be NaN)."""
        allowed = np.isfinite(self.cost)
        return np.where(allowed, self.weights[:, None] * np.where(allowed, self.cost, 0), np.inf)

    @classmethod
    def _common(
        cls,
        cost: Any,
        *,
        weights: Any = None,
        fixed: Sequence[int] = (),
        forbidden: Sequence[int] = (),
        max_cost: float | None = None,
        client_ids: Sequence[Hashable] | None = None,
        site_ids: Sequence[Hashable] | None = None,
    ) -> dict[str, Any]:
        """Validated shared fields as keyword arguments for the dataclass."""
        matrix = np.array(cost, dtype=np.float64)
        if matrix.ndim != 2 or 0 in matrix.shape:
            msg = f"cost must be a non-empty clients x sites matrix, got shape {matrix.shape}."
            raise InputError(msg)
        if np.isnan(matrix).any():
            i, j = np.argwhere(np.isnan(matrix))[0]
            msg = (
                f"cost has NaN (first at client {i}, site {j}); use inf for pairs that are "
                "not allowed, e.g. `np.nan_to_num(cost, nan=np.inf)`."
            )
            raise InputError(msg)
        if (matrix < 0).any():
            msg = "cost must be non-negative; got negative entries."
            raise InputError(msg)
        n, m = matrix.shape
        w = np.ones(n) if weights is None else _vector(weights, "weights", n, "client")
        for name, ids, size in (("client_ids", client_ids, n), ("site_ids", site_ids, m)):
            if ids is not None and len(ids) != size:
                msg = f"{name} must have {size} labels (one per cost {name[:-4]}), got {len(ids)}."
                raise InputError(msg)
        masks = {}
        for name, chosen in (("fixed", fixed), ("forbidden", forbidden)):
            index = np.asarray(chosen, dtype=np.int64).reshape(-1)
            if ((index < 0) | (index >= m)).any():
                msg = f"{name} sites must be column numbers in 0..{m - 1}, got {index.tolist()}."
                raise InputError(msg)
            mask = np.zeros(m, dtype=bool)
            mask[index] = True
            masks[name] = mask
        both = np.flatnonzero(masks["fixed"] & masks["forbidden"])
        if len(both):
            msg = f"sites {both.tolist()} are both fixed and forbidden; drop one of the two."
            raise InputError(msg)
        if max_cost is not None:
            matrix[matrix > max_cost] = np.inf
        matrix[:, masks["forbidden"]] = np.inf
        return {
            "cost": _frozen_array(matrix, np.float64),
            "weights": _frozen_array(w, np.float64),
            "fixed": _frozen_array(masks["fixed"], bool),
            "forbidden": _frozen_array(masks["forbidden"], bool),
            "client_ids": tuple(range(n) if client_ids is None else client_ids),
            "site_ids": tuple(range(m) if site_ids is None else site_ids),
        }

    @classmethod
    def from_cost_matrix(cls, cost: Any, **kwargs: Any) -> Self:
        """Build from a clients x sites matrix; see the subclass for its parameters."""
        own = {f.name for f in fields(cls)} - {f.name for f in fields(LocationProblem)}
        unknown = set(kwargs) - own - set(_COMMON)
        if unknown:
            msg = f"{cls.__name__} takes no {sorted(unknown)}; it takes {sorted(own | _COMMON)}."
            raise InputError(msg)
        params = {k: kwargs.pop(k) for k in list(kwargs) if k in own}
        problem = cls(**cls._common(cost, **kwargs), **params)
        problem._check()
        return problem

    @classmethod
    def from_region(
        cls,
        region: Region,
        times: pd.DataFrame,
        *,
        candidates: Sequence[str],
        tier: str | None = None,
        fixed: Sequence[str] = (),
        forbidden: Sequence[str] = (),
        **kwargs: Any,
    ) -> Self:
        """Build from a region and a long ``from_id, to_id, minutes`` table.

        Clients are the settlements (weighted by population); ``candidates`` are facility or
        settlement ids present as ``to_id`` in ``times``. Existing facilities of ``tier``
        among the candidates stay open, with the ids in ``fixed``; ``forbidden`` ids never
        open. Pairs missing from ``times`` are not allowed. Other keyword arguments go to
        :meth:`from_cost_matrix` (``p``, ``radius``, ``max_cost``, ``capacity`` ...);
        capacitated problems read ``capacity`` from the facilities when not given.
        """
        clients = region.settlements["id"].astype(str).to_numpy()
        sites = pd.Index(pd.unique(np.asarray(candidates, dtype=str)))
        facilities = region.facilities.set_index(region.facilities["id"].astype(str))
        kept = list(fixed)
        if tier is not None:
            existing = facilities.index[facilities["tier"] == tier]
            kept += [s for s in sites if s in existing]
        if "capacity" in {f.name for f in fields(cls)} and kwargs.get("capacity") is None:
            missing = sites.difference(facilities.index)
            if len(missing):
                msg = (
                    f"candidates {list(missing[:5])} are not facilities, so their capacity is "
                    "unknown; pass `capacity=` (one number per candidate)."
                )
                raise InputError(msg)
            kwargs["capacity"] = facilities.loc[sites, "capacity"].to_numpy(dtype=float)
        population = region.settlements["population"].to_numpy(dtype=float)
        if np.isnan(population).any():
            msg = "settlements need a population to weight clients; fill the population column."
            raise InputError(msg)
        return cls.from_cost_matrix(
            _pivot(times, clients, sites),
            weights=population,
            fixed=_positions(sites, kept, "fixed"),
            forbidden=_positions(sites, list(forbidden), "forbidden"),
            client_ids=tuple(clients),
            site_ids=tuple(sites),
            **kwargs,
        )

    def _check(self) -> None:
        """Model-specific checks; the base needs none."""

    def _set(self, name: str, value: Any) -> None:
        """Store a validated (normalised) field of the frozen problem."""
        object.__setattr__(self, name, value)

    def _check_count(self, p: int) -> None:
        if isinstance(p, bool) or not isinstance(p, int | np.integer):
            msg = f"p must be a whole number of sites, got {p!r}."
            raise InputError(msg)
        self._set("p", int(p))
        allowed = int((~self.forbidden).sum())
        n_fixed = int(self.fixed.sum())
        if not n_fixed <= p <= allowed or p < 1:
            msg = (
                f"p must be between the {n_fixed} fixed sites (and 1) and the {allowed} "
                f"sites allowed to open, got p={p}; lower p or add candidates."
            )
            raise InputError(msg)

    def _check_reachable(self) -> None:
        lost = np.flatnonzero(~np.isfinite(self.cost).any(axis=1))
        if len(lost):
            ids = [self.client_ids[i] for i in lost[:5]]
            msg = (
                f"{len(lost)} client(s) (e.g. {ids}) have no allowed site within reach; raise "
                "max_cost, allow more sites, or drop those clients."
            )
            raise InfeasibleError(msg)

    def _check_capacity(
        self,
        capacity: Any,
        p: int,
        demand: np.ndarray,
        served: np.ndarray,
        *,
        split: bool = False,
    ) -> None:
        """Capacities one per site; the ``p`` largest must hold the demand of the clients
        that must be ``served``, each of which needs a reachable site large enough (unless
        its demand may ``split``)."""
        values = _vector(capacity, "capacity", self.n_sites, "site")
        self._set("capacity", values)
        usable = np.where(self.forbidden, 0.0, values)
        movable = np.sort(usable[~self.fixed])[::-1][: p - int(self.fixed.sum())]
        best = float(usable[self.fixed].sum() + movable.sum())
        need = float(demand[served].sum())
        if best < need:
            msg = (
                f"total capacity is below demand: the {p} largest allowed capacities hold "
                f"{best:g} but demand is {need:g}; raise capacities or p, or allow more sites."
            )
            raise InfeasibleError(msg)
        reach = np.where(np.isfinite(self.cost), usable[None, :], 0.0).max(axis=1)
        if split:  # a client's demand may spread over the sites it reaches
            reach = np.where(np.isfinite(self.cost), usable[None, :], 0.0).sum(axis=1)
        stuck = np.flatnonzero(served & (demand > reach))
        if len(stuck):
            i = int(stuck[0])
            msg = (
                f"{len(stuck)} client(s) (e.g. {self.client_ids[i]!r} with demand "
                f"{demand[i]:g}) fit no site they can reach (room within reach {reach[i]:g}); "
                "raise capacities or max_cost, or allow more sites."
            )
            raise InfeasibleError(msg)


_COMMON = {"weights", "fixed", "forbidden", "max_cost", "client_ids", "site_ids"}


def _pivot(times: pd.DataFrame, clients: np.ndarray, sites: pd.Index) -> np.ndarray:
    missing = {"from_id", "to_id", "minutes"} - set(times.columns)
    if missing:
        msg = f"times needs columns from_id, to_id, minutes; missing {sorted(missing)}."
        raise InputError(msg)
    rows = pd.Index(clients).get_indexer(pd.Index(times["from_id"].astype(str)))
    cols = sites.get_indexer(pd.Index(times["to_id"].astype(str)))
    keep = (rows >= 0) & (cols >= 0) & times["minutes"].notna().to_numpy()
    cost = np.full((len(clients), len(sites)), np.inf)
    cost[rows[keep], cols[keep]] = times["minutes"].to_numpy(dtype=float)[keep]
    return cost


def _positions(sites: pd.Index, ids: list[str], what: str) -> list[int]:
    where = sites.get_indexer(pd.Index(ids, dtype=str))
    if (where < 0).any():
        unknown = [i for i, w in zip(ids, where, strict=True) if w < 0][:5]
        msg = f"{what} ids {unknown} are not among the candidates; add them to `candidates`."
        raise InputError(msg)
    return sorted(set(where.tolist()))


@dataclass(frozen=True, eq=False, kw_only=True)
class PMedian(LocationProblem):
    r"""p-median: open ``p`` sites, minimise the total weighted cost to the nearest.

    .. math::
        \min \sum_i \sum_j w_i c_{ij} x_{ij} \quad\text{s.t.}\quad \sum_j x_{ij} = 1,\;
        x_{ij} \le y_j,\; \sum_j y_j = p,\; y_j = 1\ (j \in F),\; y \in \{0,1\}^m.

    Solved on Elloumi's radius formulation by Benders decomposition (see ``_pmedian``).

    Parameters (``from_cost_matrix``)
    ---------------------------------
    cost : (n, m) array
        ``inf`` where not allowed.
    p : int
        Number of open sites, fixed ones included.
    weights, fixed, forbidden, max_cost, client_ids, site_ids
        See :class:`LocationProblem`.
    """

    p: int

    def _check(self) -> None:
        self._check_count(self.p)
        self._check_reachable()


@dataclass(frozen=True, eq=False, kw_only=True)
class PCenter(LocationProblem):
    r"""Vertex p-center: open ``p`` sites, minimise the largest weighted cost to the nearest.

    .. math::
        \min r \quad\text{s.t.}\quad r \ge w_i c_{ij} x_{ij},\; \sum_j x_{ij} = 1,\;
        x_{ij} \le y_j,\; \sum_j y_j = p.

    Solved exactly by a search over the distinct values of ``w_i c_ij``, each step a set
    covering problem (the radius is feasible when ``p`` sites cover every client), posed on
    a growing subset of the clients (see ``_pcenter``).
    """

    p: int

    def _check(self) -> None:
        self._check_count(self.p)
        self._check_reachable()


@dataclass(frozen=True, eq=False, kw_only=True)
class MaxCover(LocationProblem):
    r"""Maximal covering (MCLP, Church & ReVelle 1974): open ``p`` sites, maximise the weight
    of clients within ``radius`` of an open site.

    .. math::
        \max \sum_i w_i z_i \quad\text{s.t.}\quad z_i \le \sum_{j \in N_i} y_j,\;
        \sum_j y_j = p,\; z \in [0,1]^n,\; y \in \{0,1\}^m,
        \quad N_i = \{j : c_{ij} \le S\}.
    """

    p: int
    radius: float

    def _check(self) -> None:
        self._check_count(self.p)
        self._set("radius", _number(self.radius, "radius"))


@dataclass(frozen=True, eq=False, kw_only=True)
class SetCover(LocationProblem):
    r"""Location set covering (LSCP, Toregas et al. 1971): the cheapest set of sites that puts
    every client within ``radius``.

    .. math::
        \min \sum_j f_j y_j \quad\text{s.t.}\quad \sum_{j \in N_i} y_j \ge 1,\;
        y \in \{0,1\}^m, \quad N_i = \{j : c_{ij} \le S\}.

    ``site_cost`` (``f``) defaults to one per site (fewest sites).
    """

    radius: float
    site_cost: np.ndarray | None = None

    def _check(self) -> None:
        self._set("radius", _number(self.radius, "radius"))
        if self.site_cost is not None:
            self._set("site_cost", _vector(self.site_cost, "site_cost", self.n_sites, "site"))
        lost = ~(self.cost <= self.radius).any(axis=1)
        if lost.any():
            ids = [self.client_ids[i] for i in np.flatnonzero(lost)[:5]]
            msg = (
                f"{int(lost.sum())} client(s) (e.g. {ids}) have no allowed site within radius "
                f"{self.radius:g}; raise the radius or allow more sites."
            )
            raise InfeasibleError(msg)


@dataclass(frozen=True, eq=False, kw_only=True)
class CapacitatedPMedian(LocationProblem):
    r"""Capacitated p-median: each client is served whole by one open site (single source),
    or, with ``split=True``, its demand may divide over several (multi-source: beds and
    doctors split, the pupils of one village may not).

    .. math::
        \min \sum_{ij} w_i c_{ij} x_{ij} \quad\text{s.t.}\quad \sum_j x_{ij} = 1,\;
        \sum_i q_i x_{ij} \le Q_j y_j,\; x_{ij} \le y_j,\; \sum_j y_j = p,\;
        y \text{ binary},\ x \text{ binary (or in } [0, 1] \text{ when split)}.

    ``demand`` (``q``) defaults to the weights; the OR-Library instances use unit weights.
    Single source runs the capacitated engine (Lagrangian bound with exact knapsacks, plans
    built from its multipliers, corner MILPs, then HiGHS on the reduced model or
    branch-and-price; see ``_capacitated``); split demand runs HiGHS on the model above from
    the engine's plan (see ``_split``).
    """

    p: int
    capacity: np.ndarray
    demand: np.ndarray | None = None
    split: bool = False

    def _check(self) -> None:
        self._check_count(self.p)
        self._check_reachable()
        _check_flag(self.split, "split")
        if self.demand is not None:
            self._set("demand", _vector(self.demand, "demand", self.n_clients, "client"))
        self._check_capacity(
            self.capacity, self.p, self.q, np.ones(self.n_clients, dtype=bool), split=self.split
        )

    @property
    def q(self) -> np.ndarray:
        """Demand per client (the weights unless given)."""
        return self.weights if self.demand is None else np.asarray(self.demand, dtype=float)


@dataclass(frozen=True, eq=False, kw_only=True)
class CapacitatedMaxCover(LocationProblem):
    r"""Maximal covering with capacities: a covered client is served whole by one open site
    within ``radius`` whose capacity it shares (or, with ``split=True``, by several: then a
    part of a client can be covered).

    .. math::
        \max \sum_{ij} w_i x_{ij} \quad\text{s.t.}\quad \sum_{j \in N_i} x_{ij} \le 1,\;
        \sum_i w_i x_{ij} \le Q_j y_j,\; x_{ij} \le y_j,\; \sum_j y_j = p,\;
        y \text{ binary},\ x \text{ binary (or in } [0, 1] \text{ when split)}.

    Solved by the same engine as :class:`CapacitatedPMedian` (covering a client is worth
    ``-w_i``, leaving it out 0).
    """

    p: int
    radius: float
    capacity: np.ndarray
    split: bool = False

    def _check(self) -> None:
        self._check_count(self.p)
        self._set("radius", _number(self.radius, "radius"))
        _check_flag(self.split, "split")
        self._check_capacity(
            self.capacity, self.p, self.weights, np.zeros(self.n_clients, dtype=bool)
        )


def _check_flag(value: Any, name: str) -> None:
    if not isinstance(value, bool | np.bool_):
        msg = f"{name} must be True or False, got {value!r}."
        raise InputError(msg)
