r"""Equity of access and of resources: Gini and Lorenz, Theil and its decomposition, the
concentration index, agglomeration degrees, densities against reference values, and the
townships in most need, all from modelled travel times.

The statistics (:func:`gini`, :func:`lorenz`, :func:`theil`, :func:`concentration_index`)
take values and population weights; a weight :math:`w_i` counts :math:`w_i` people with the
value :math:`x_i`, so the results equal PySAL ``inequality``'s on the data with every person
written out (tests/measures/test_equity.py):

* Gini: :math:`G = 1 - \sum_k (X_k - X_{k-1})(L_k + L_{k-1})` over the Lorenz curve
  (people share :math:`X`, value share :math:`L`, values ascending), that is
  :math:`\sum_{ij} w_i w_j |x_i - x_j| / 2 W^2 \mu`.
* Theil's T: :math:`T = \sum_i \frac{w_i x_i}{Y} \ln\frac{x_i}{\mu}`, and over groups
  :math:`g` exactly :math:`T = \sum_g s_g \ln\frac{\mu_g}{\mu} + \sum_g s_g T_g` (between +
  within), :math:`s_g = Y_g / Y` the group's share of the total.
* Concentration index against an ordering variable (Wagstaff, van Doorslaer & Paci 1991):
  :math:`C = 2 \sum_i w_i x_i R_i / \sum_i w_i x_i - 1`, :math:`R_i` the weighted fractional
  rank by the ordering (ties share their mean rank); > 0 when the value favours the top.

:func:`measure_equity` computes spatial access to a facility resource (beds, doctors,
capacity...) with the floating-catchment family of :mod:`accessplan.measures.fca` on one
profile's travel times, and reports by administrative unit (townships when the region has
them): resource per 1,000 people and per km² against a reference, the health-resource and
population agglomeration degrees (HRAD, PAD), inequality of access between people and of
resources between units, and need (people x shortfall of access).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan.measures import fca
from accessplan.region import ADMIN_LEVELS, Region
from accessplan.travel.matrix import bounded_times
from accessplan.travel.network import MAX_SNAP_M, TravelNetwork, network_for
from accessplan.travel.profiles import Profile, get_profile

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


# ---------------------------------------------------------------------------- statistics
def _weighted(
    values: np.ndarray | Sequence[float], weights: np.ndarray | Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights as float arrays, rows of weight 0 dropped; bad input refused."""
    x = np.asarray(values, dtype="float64").ravel()
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64").ravel()
    if len(w) != len(x):
        msg = f"need one weight per value, got {len(w)} weights for {len(x)} values."
        raise InputError(msg)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w)) and (w >= 0).all()):
        msg = "values and weights must be finite and weights >= 0; drop unknown rows first."
        raise InputError(msg)
    keep = w > 0
    return x[keep], w[keep]


def lorenz(
    values: np.ndarray | Sequence[float], weights: np.ndarray | Sequence[float] | None = None
) -> pd.DataFrame:
    """The Lorenz curve: ``population_share`` (cumulative weight) against ``value_share``
    (cumulative weighted value), values ascending, from (0, 0) to (1, 1)."""
    x, w = _weighted(values, weights)
    if (x < 0).any():
        raise InputError("a Lorenz curve needs values >= 0.")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    people = np.concatenate([[0.0], np.cumsum(w)])
    amount = np.concatenate([[0.0], np.cumsum(w * x)])
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "population_share": people / people[-1] if len(x) else people,
                "value_share": amount / amount[-1] if len(x) else amount,
            }
        )


def gini(
    values: np.ndarray | Sequence[float], weights: np.ndarray | Sequence[float] | None = None
) -> float:
    """Gini coefficient of ``values`` among ``weights`` people (each row one unit without
    weights); NaN when the values sum to 0 or there are none."""
    curve = lorenz(values, weights)
    people = curve["population_share"].to_numpy()
    share = curve["value_share"].to_numpy()
    if len(share) < 2 or not np.isfinite(share[-1]):
        return float("nan")
    return float(1.0 - np.sum(np.diff(people) * (share[1:] + share[:-1])))


@dataclass(frozen=True, eq=False)
class TheilDecomposition:
    """Theil's T and its exact split over groups.

    Attributes
    ----------
    total, between, within
        :math:`T`, :math:`\\sum_g s_g \\ln(\\mu_g/\\mu)` and :math:`\\sum_g s_g T_g`.
    groups
        One row per group: ``group, population, population_share, value_share, mean, theil,
        contribution`` (``value_share`` x ``theil``: the group's part of ``within``).
    """

    total: float
    between: float
    within: float
    groups: pd.DataFrame

    @property
    def between_share(self) -> float:
        """Share of the total that lies between the groups (NaN when the total is 0)."""
        return self.between / self.total if self.total > 0 else float("nan")


def _xlogx_ratio(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """:math:`x \\ln(x / \\mu)` with :math:`0 \\ln 0 = 0`."""
    out = np.zeros_like(x)
    positive = x > 0
    out[positive] = x[positive] * np.log(x[positive] / mean[positive])
    return out


def theil(
    values: np.ndarray | Sequence[float],
    weights: np.ndarray | Sequence[float] | None = None,
    groups: np.ndarray | Sequence[Any] | None = None,
) -> TheilDecomposition:
    """Theil's T of ``values`` among ``weights`` people, split between and within ``groups``
    (one label per value; without groups everything is one group)."""
    x = np.asarray(values, dtype="float64").ravel()
    labels = np.zeros(len(x), dtype=np.int64) if groups is None else np.asarray(groups)
    w_all = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64").ravel()
    if len(labels) != len(x) or len(w_all) != len(x):
        msg = f"need one group and one weight per value ({len(x)})."
        raise InputError(msg)
    keep = np.asarray(w_all > 0)
    x, w = _weighted(x, w_all)
    if (x < 0).any():
        raise InputError("Theil's index needs values >= 0.")
    codes, names = pd.factorize(pd.Series(labels[keep]), sort=True)
    n = len(names)
    people = np.bincount(codes, weights=w, minlength=n)
    amount = np.bincount(codes, weights=w * x, minlength=n)
    total_amount = float(amount.sum())
    nan = float("nan")
    if not total_amount > 0:
        empty = pd.DataFrame({"group": names, "population": people})
        return TheilDecomposition(nan, nan, nan, empty)
    mean = total_amount / people.sum()
    total = float(np.sum(w * _xlogx_ratio(x, np.full(len(x), mean))) / total_amount)
    group_mean = amount / people
    within_group = np.bincount(codes, weights=w * _xlogx_ratio(x, group_mean[codes]), minlength=n)
    share = amount / total_amount
    theil_g = np.divide(within_group, amount, out=np.zeros(n), where=amount > 0)
    between = float(np.sum(_xlogx_ratio(share, people / people.sum())))
    table = pd.DataFrame(
        {
            "group": np.asarray(names),
            "population": people,
            "population_share": people / people.sum(),
            "value_share": share,
            "mean": group_mean,
            "theil": theil_g,
            "contribution": share * theil_g,
        }
    )
    return TheilDecomposition(total, between, float(np.sum(share * theil_g)), table)


def concentration_index(
    values: np.ndarray | Sequence[float],
    order: np.ndarray | Sequence[float],
    weights: np.ndarray | Sequence[float] | None = None,
) -> float:
    """Concentration index of ``values`` ranked by ``order`` (e.g. income), people-weighted.

    Each row's fractional rank is the people ranked below it plus half its own (ties share
    the mean rank of their group), over all people. NaN when the values sum to 0.
    """
    h = np.asarray(values, dtype="float64").ravel()
    o = np.asarray(order, dtype="float64").ravel()
    w_all = np.ones(len(h)) if weights is None else np.asarray(weights, dtype="float64").ravel()
    if len(o) != len(h) or not np.all(np.isfinite(o)):
        msg = "the ordering variable needs one finite value per row; drop unknown rows first."
        raise InputError(msg)
    keep = w_all > 0
    h, w = _weighted(h, w_all)
    o = o[keep]
    ranks, tie = np.unique(o, return_inverse=True)
    tied = np.bincount(tie, weights=w, minlength=len(ranks))
    below = np.concatenate([[0.0], np.cumsum(tied)[:-1]])
    rank = (below + tied / 2.0)[tie] / w.sum() if len(w) else w
    amount = float(np.sum(w * h))
    if not amount > 0:
        return float("nan")
    return float(2.0 * np.sum(w * h * rank) / amount - 1.0)


# ----------------------------------------------------------------------- reference values
@dataclass(frozen=True)
class Reference:
    """A reference density of a resource: ``per_1000`` people, and where it comes from."""

    per_1000: float
    source: str


#: Reference densities by facility column, per 1,000 people. Override them with
#: ``measure_equity(reference=...)``; a resource not listed has no reference line.
REFERENCES: dict[str, Reference] = {
    # WHO's SDG 3.c threshold counts doctors, nurses and midwives together: a region's
    # doctors alone must stay below it, so read the line as the whole workforce's target.
    "doctors": Reference(
        4.45,
        "WHO (2016) Health workforce requirements for universal health coverage and the "
        "SDGs: 4.45 doctors, nurses and midwives per 1,000 people",
    ),
    "beds": Reference(
        6.0,
        "China, National Medical and Health Service System Plan 2015-2020: 6 hospital and "
        "health-centre beds per 1,000 residents by 2020",
    ),
}

# ---------------------------------------------------------------------------- the analysis
#: Methods of :func:`measure_equity`, in report order: ratios (resource per person within
#: reach), the gravity potential (resource in reach, decayed) and RAAM (a cost).
METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "g2sfca", "3sfca", "fca", "gravity", "raam")
#: Methods computed by default; ``fca`` needs settlement-to-settlement times (one more
#: search per settlement), so it runs only when asked for.
DEFAULT_METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "g2sfca", "3sfca", "gravity", "raam")
#: Methods whose score is resource per person (shown per 1,000 people).
RATIO_METHODS = frozenset({"2sfca", "e2sfca", "g2sfca", "3sfca", "fca"})
#: Methods where a higher score means worse access.
COST_METHODS = frozenset({"raam"})
DEFAULT_CATCHMENT = 60.0
DEFAULT_RESOURCE = "beds"
DEFAULT_PROFILE = "car"
DEFAULT_SERVICE = "health"
#: Settlement column telling urban from rural: ``urban`` / ``rural``, or a Chinese statistical
#: urban-rural code (城乡分类代码: 1xx urban, 2xx rural).
URBAN_RURAL_COLUMN = "urban_rural"
#: Without that column, OpenStreetMap's ``place`` kind (regions built from OSM keep it), when
#: every settlement has one: cities and towns (China's statistics count towns, 镇区, as
#: urban) and their parts are urban, villages and smaller places rural.
URBAN_PLACES = frozenset({"city", "town", "suburb", "quarter", "neighbourhood"})
RURAL_PLACES = frozenset({"village", "hamlet", "isolated_dwelling", "farm"})
#: Levels reported by unit, finest first (the finest the region has is used).
UNIT_LEVELS = ("township", "county", "city", "province")
#: Level name of the one unit that is the whole region (no administrative units).
REGION_LEVEL = "region"
#: Variable names of the unit statistics.
RESOURCE_PER_CAPITA = "resource_per_capita"
RESOURCE_PER_KM2 = "resource_per_km2"


#: RAAM's iteration schedule (PySAL's defaults, :func:`~accessplan.measures.fca.raam`).
RAAM_SCHEDULE: dict[str, float] = {
    name: float(parameter.default)
    for name, parameter in inspect.signature(fca.raam).parameters.items()
    if name in ("max_cycles", "initial_step", "min_step", "half_life", "limit_initial")
}


def access_column(method: str) -> str:
    """Column of the settlements table holding ``method``'s score."""
    return f"access_{method}"


@dataclass(frozen=True, eq=False)
class EquityResults:
    """Access to a resource and its equity in one region (:func:`measure_equity`).

    Attributes
    ----------
    tiers, left_out
        The tiers whose facilities hold the resource, and how many facilities of the service
        and tiers asked for hold none of it (empty or 0) and are left out.
    urban_rural
        The settlement column urban and rural come from (:data:`URBAN_RURAL_COLUMN`, or OSM's
        ``place``), empty when the settlements say nothing of it.
    settlements
        One row per settlement: ``id, name, admin_code, unit_code, [urban_rural],
        population, facilities_in_reach, nearest_min`` (``inf`` when none in the catchment),
        ``access_<method>`` per method (ratio methods per 1,000 people; ``gravity`` in
        resource units; ``raam`` a cost, 1 = ``tau`` minutes of travel), ``relative_access``
        (main method over its people-weighted mean, inverted for RAAM so that > 1 is better)
        and ``need`` (people x shortfall of relative access below 1).
    facilities
        One row per facility holding the resource: ``id, name, tier, admin_code,
        unit_code, supply, settlements_in_reach, population_in_reach, supply_per_1000`` (the
        2SFCA first step: supply per 1,000 people in its catchment, NaN without people).
    units
        One row per unit (townships when the region has them): people, resource, density per
        1,000 people and per km², reference, shares, HRAD, PAD, HRAD/PAD, mean access,
        need and its rank (1 = most need).
    inequality
        ``variable, weight, measure, value, n``: Gini and Theil of each method's access
        among people, of resource per capita among units (weighted by people) and, with
        areas, of resource per km² among units (weighted by area); the concentration index
        of each method's access when an ordering variable is given.
    theil, theil_groups
        Theil's decomposition of each variable over each partition (administrative levels,
        urban/rural), and its groups.
    lorenz
        ``variable, population_share, value_share``: the Lorenz curves of the main method's
        access and of resource per capita among units.
    """

    region: Region
    profile: Profile
    resource: str
    service: str
    tiers: tuple[str, ...]
    left_out: int
    catchment: float
    methods: tuple[str, ...]
    weights: Mapping[str, fca.Weight]
    raam_options: Mapping[str, float]
    reference: Reference | None
    order: str | None
    unit_level: str
    area_source: str
    urban_rural: str
    settlements: pd.DataFrame
    facilities: pd.DataFrame
    units: pd.DataFrame
    inequality: pd.DataFrame
    theil: pd.DataFrame
    theil_groups: pd.DataFrame
    lorenz: pd.DataFrame
    raam_gap: float
    max_snap_m: float

    @property
    def main(self) -> str:
        """The method the units, the need ranking and the maps read: the first one."""
        return self.methods[0]

    def tables(self) -> dict[str, pd.DataFrame]:
        """``settlements, facilities, units, inequality, theil, theil_groups, lorenz``."""
        return {
            "settlements": self.settlements,
            "facilities": self.facilities,
            "units": self.units,
            "inequality": self.inequality,
            "theil": self.theil,
            "theil_groups": self.theil_groups,
            "lorenz": self.lorenz,
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``settlements`` and ``facilities`` with their tables' columns."""
        region = self.region
        settle = region.settlements[["id", "geometry"]].merge(self.settlements, on="id")
        fac = region.facilities[["id", "geometry"]].merge(self.facilities, on="id")
        return {
            "settlements": gpd.GeoDataFrame(settle, crs=region.crs),
            "facilities": gpd.GeoDataFrame(fac, crs=region.crs),
        }

    def rasters(self) -> dict[str, Raster]:
        """None: access is measured on the road network."""
        return {}

    def summary(self) -> dict[str, Any]:
        """The resource, its density, inequality of access and resources, the top need."""
        pop = self.settlements["population"].to_numpy(dtype="float64")
        total = float(self.facilities["supply"].sum())
        people = float(pop.sum())
        i = self.inequality
        keys = zip(i["variable"], i["weight"], i["measure"], strict=True)
        ineq = dict(zip(keys, i["value"].to_numpy(dtype="float64").tolist(), strict=True))
        main = access_column(self.main)
        units = self.units
        below = units["meets_reference"] == False  # noqa: E712 (NaN: no reference)
        top = units.sort_values("need_rank").head(1)
        out: dict[str, Any] = {
            "resource": self.resource,
            "service": self.service,
            "profile": self.profile.name,
            "catchment_min": self.catchment,
            "method": self.main,
            "settlements": len(self.settlements),
            "population": people,
            "facilities": len(self.facilities),
            "facilities_without_resource": self.left_out,
            "resource_total": total,
            "per_1000": 1000.0 * total / people if people > 0 else float("nan"),
            "reference_per_1000": self.reference.per_1000 if self.reference else None,
            "unit_level": self.unit_level,
            "units": len(units),
            "units_below_reference": int(below.sum()),
            "population_out_of_reach": float(
                pop[self.settlements["facilities_in_reach"].to_numpy() == 0].sum()
            ),
            "gini_access": ineq.get((main, "population", "gini"), float("nan")),
            "theil_access": ineq.get((main, "population", "theil"), float("nan")),
            "gini_resource_units": ineq.get(
                (RESOURCE_PER_CAPITA, "population", "gini"), float("nan")
            ),
            "top_need_unit": str(top["name"].iat[0]) if len(top) else "",
        }
        split = self.theil[(self.theil["variable"] == main)]
        shares = split["between_share"].to_numpy(dtype="float64").tolist()
        for partition, share in zip(split["partition"], shares, strict=True):
            out[f"theil_between_share_{partition}"] = share
        if self.order is not None:
            out["concentration_index"] = ineq.get(
                (main, "population", "concentration"), float("nan")
            )
        if "raam" in self.methods:
            out["raam_gap_max"] = self.raam_gap
        return out

    def parameters(self) -> dict[str, Any]:
        """Resource, service, tiers, the profile in full, catchment, methods and weights,
        RAAM's settings, the reference, the ordering variable and where areas came from."""
        return {
            "resource": self.resource,
            "service": self.service,
            "tiers": list(self.tiers),
            "profile": {self.profile.name: json.loads(self.profile.key())},
            "catchment_min": self.catchment,
            "methods": list(self.methods),
            "weights": {m: w.parameters() for m, w in self.weights.items()},
            "raam": dict(self.raam_options),
            "reference": dataclasses.asdict(self.reference) if self.reference else None,
            "order": self.order,
            "unit_level": self.unit_level,
            "area_source": self.area_source,
            "urban_rural_column": self.urban_rural or None,
            "max_snap_m": self.max_snap_m,
        }


def measure_equity(
    region: Region,
    *,
    resource: str = DEFAULT_RESOURCE,
    profile: str | Profile = DEFAULT_PROFILE,
    catchment: float = DEFAULT_CATCHMENT,
    methods: Sequence[str] = DEFAULT_METHODS,
    service: str = DEFAULT_SERVICE,
    tiers: Sequence[str] | None = None,
    weights: Mapping[str, fca.Weight] | None = None,
    order: str | None = None,
    reference: float | Reference | None = None,
    tau: float = 60.0,
    max_snap_m: float = MAX_SNAP_M,
    progress: Progress | None = None,
) -> EquityResults:
    """Access to ``resource`` (a facility column) within ``catchment`` minutes by ``profile``,
    and its equity between people, units and urban and rural areas.

    Parameters
    ----------
    region
        The region; facilities of ``service`` (and ``tiers``, default all) supply the
        resource, settlements' people demand it (unknown populations count as 0).
    resource
        Facility column of the supply: ``beds``, ``doctors``, ``capacity``... Facilities
        where it is empty or 0 are left out: they supply none of it.
    methods
        Some of :data:`METHODS`; the first is the main one (units, need, maps).
    weights
        A distance decay per method, replacing :func:`~accessplan.measures.fca.default_weights`.
    order
        Settlement column (e.g. ``income``) to rank people by for the concentration index.
    reference
        Per 1,000 people; default :data:`REFERENCES` of the resource, if any.
    tau
        RAAM's travel minutes that weigh as much as a facility at its mean load.

    Administrative units: the finest of townships, counties, cities, provinces the region
    has (else the whole region). Areas come from an ``area_km2`` column or polygon
    ``geometry`` of the admin units, else per-km² densities and HRAD/PAD are left empty.
    """
    say = progress or (lambda _stage: None)
    chosen = _check_methods(methods)
    catchment = fca._positive(catchment, "the catchment (minutes)")
    prof = get_profile(profile)
    facilities, supply, left_out = _supply(region, resource, service, tiers)
    settle = region.settlements
    people = settle["population"].fillna(0.0).to_numpy(dtype="float64")
    ordering = _ordering(region, order)
    decay = {**fca.default_weights(catchment), **(weights or {})}
    decay = {m: decay[m] for m in chosen if m in decay}
    say("travel times")
    network = network_for(region, prof, max_snap_m=max_snap_m)
    rows = region.facilities.index.get_indexer(facilities.index)
    pairs = _pairs(network, rows, catchment)
    say("spatial access")
    scores, catch, gap = _scores(chosen, people, supply, pairs, decay, tau, network, catchment)
    level, unit_codes = _unit_level(region, settle["admin_code"])
    urban, urban_source = _urban_rural(region)
    table = _settlement_table(region, people, pairs, scores, unit_codes, urban, chosen)
    fac_table = _facility_table(region, facilities, supply, pairs, people, catch, level)
    say("equity")
    areas, area_source = _areas(region, level)
    target = _reference(resource, reference)
    units = _unit_table(region, level, table, fac_table, areas, target, chosen[0])
    ineq, theil_rows, group_rows = _inequality(region, table, units, chosen, ordering, urban)
    curves = _curves(table, units, chosen[0])
    return EquityResults(
        region=region,
        profile=prof,
        resource=resource,
        service=service,
        tiers=tuple(t for t in region.tiers[service] if t in set(facilities["tier"])),
        left_out=left_out,
        catchment=catchment,
        methods=chosen,
        weights=decay,
        raam_options={"tau_min": float(tau), **RAAM_SCHEDULE},
        reference=target,
        order=order,
        unit_level=level,
        area_source=area_source,
        urban_rural=urban_source,
        settlements=table,
        facilities=fac_table,
        units=units,
        inequality=ineq,
        theil=theil_rows,
        theil_groups=group_rows,
        lorenz=curves,
        raam_gap=gap,
        max_snap_m=max_snap_m,
    )


# --------------------------------------------------------------------------- checks, inputs
def _check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(str(m).strip().lower() for m in methods))
    unknown = [m for m in chosen if m not in METHODS]
    if not chosen or unknown:
        msg = f"unknown access method(s) {unknown or '(none given)'}; choose from {list(METHODS)}."
        raise InputError(msg)
    return chosen


def _supply(
    region: Region, resource: str, service: str, tiers: Sequence[str] | None
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The facilities of ``service`` and ``tiers`` that hold some ``resource``, and how much:
    a facility without it provides none of it (and would draw 3SFCA's and RAAM's people)."""
    fac = region.facilities
    if service not in region.tiers:
        msg = f"unknown service {service!r}; the region has {list(region.tiers)}."
        raise InputError(msg)
    known = region.tiers[service]
    wanted = tuple(known) if tiers is None else tuple(tiers)
    bad = [t for t in wanted if t not in known]
    if bad or not wanted:
        msg = f"unknown {service} tier(s) {bad or '(none given)'}; choose from {list(known)}."
        raise InputError(msg)
    if resource not in fac.columns:
        numeric = [
            c
            for c in fac.columns
            if c != fac.geometry.name and pd.api.types.is_numeric_dtype(fac[c])
        ]
        msg = (
            f"facilities have no column {resource!r} to use as the resource; their numeric "
            f"columns are {numeric}. Choose one with --resource, or add a {resource!r} column "
            "to the facilities file and rebuild the region."
        )
        raise InputError(msg)
    values = pd.to_numeric(fac[resource], errors="coerce")
    if (values.isna() & fac[resource].notna()).any():
        msg = f"facility column {resource!r} holds text; it must hold numbers of {resource}."
        raise InputError(msg)
    candidates = fac[(fac["service"] == service) & fac["tier"].isin(wanted)]
    amount = values.loc[candidates.index].fillna(0.0)
    chosen = candidates[amount > 0]
    if chosen.empty:
        msg = (
            f"no {service} facility of tier(s) {list(wanted)} has any {resource!r} "
            f"({len(candidates)} facilities, all empty or 0); choose another --resource or "
            "tiers."
        )
        raise InputError(msg)
    if len(chosen) < len(candidates):
        logger.info(
            "%d of %d facilities have no %s (empty or 0) and are left out",
            len(candidates) - len(chosen),
            len(candidates),
            resource,
        )
    return chosen, amount[amount > 0].to_numpy(dtype="float64"), len(candidates) - len(chosen)


def _ordering(region: Region, order: str | None) -> np.ndarray | None:
    if order is None:
        return None
    settle = region.settlements
    if order not in settle.columns:
        columns = [c for c in settle.columns if c != settle.geometry.name]
        msg = (
            f"settlements have no column {order!r} to rank people by; they have {columns}. "
            f"Add it to the settlements file (e.g. income per person) or drop --order."
        )
        raise InputError(msg)
    values = pd.to_numeric(settle[order], errors="coerce")
    if (values.isna() & settle[order].notna()).any():
        msg = f"settlement column {order!r} holds text; the ordering variable must be numbers."
        raise InputError(msg)
    return np.asarray(values.to_numpy(dtype="float64"))


def _reference(resource: str, reference: float | Reference | None) -> Reference | None:
    if reference is None:
        return REFERENCES.get(resource)
    if isinstance(reference, Reference):
        return reference
    value = fca._positive(reference, "the reference (per 1,000 people)")
    return Reference(value, "given")


def _pairs(network: TravelNetwork, facility_rows: np.ndarray, catchment: float) -> fca.Pairs:
    """Settlement-facility pairs within ``catchment`` minutes, facility rows renumbered to
    the chosen facilities."""
    rows, settlement, minutes = bounded_times(
        network, cutoff=catchment, facility_rows=np.asarray(facility_rows, dtype=np.int64)
    )
    local = np.searchsorted(facility_rows, rows)
    return fca.Pairs(settlement, local, minutes, len(network.settlement_nodes), len(facility_rows))


def _neighbours(network: TravelNetwork, catchment: float) -> fca.Pairs:
    """Settlement-to-settlement pairs: row ``i`` with the settlements that reach ``i``
    within ``catchment`` minutes (the same bounded search, with settlements as targets)."""
    among = dataclasses.replace(network, facility_nodes=network.settlement_nodes)
    centre, other, minutes = bounded_times(among, cutoff=catchment)
    n = len(network.settlement_nodes)
    return fca.Pairs(centre, other, minutes, n, n)


def _scores(
    methods: tuple[str, ...],
    people: np.ndarray,
    supply: np.ndarray,
    pairs: fca.Pairs,
    decay: Mapping[str, fca.Weight],
    tau: float,
    network: TravelNetwork,
    catchment: float,
) -> tuple[dict[str, np.ndarray], fca.Catchment, float]:
    """Each method's score per settlement (ratios per 1,000 people), the plain 2SFCA
    catchments (for the facilities table) and RAAM's largest remaining gap."""
    scores: dict[str, np.ndarray] = {}
    gap = float("nan")
    for method in methods:
        if method in ("2sfca", "e2sfca", "g2sfca"):
            scores[method] = fca.two_step(people, supply, pairs, weight=decay[method]).access
        elif method == "3sfca":
            scores[method] = fca.three_step(people, supply, pairs, weight=decay[method]).access
        elif method == "gravity":
            scores[method] = fca.gravity(supply, pairs, weight=decay[method])
        elif method == "fca":
            near = _neighbours(network, catchment)
            scores[method] = fca.catchment_ratio(people, supply, pairs, near)
        else:
            result = fca.raam(people, supply, pairs, tau=tau)
            scores[method] = result.cost
            gap = float(np.nanmax(result.gap)) if np.isfinite(result.gap).any() else gap
        if method in RATIO_METHODS:
            scores[method] = scores[method] * 1000.0
    return scores, fca.two_step(people, supply, pairs), gap


# ------------------------------------------------------------------------------ admin units
def _parents(region: Region) -> tuple[dict[str, str], dict[str, str]]:
    units = region.admin_units
    return (
        dict(zip(units["code"], units["parent"], strict=True)),
        dict(zip(units["code"], units["level"], strict=True)),
    )


def ancestors(region: Region, codes: Sequence[str] | pd.Series, level: str) -> np.ndarray:
    """The code of each admin code's unit at ``level`` (itself or an ancestor); empty where
    it has none."""
    parent, level_of = _parents(region)
    found: dict[str, str] = {}
    out = []
    for start in codes:
        code = str(start)
        if code not in found:
            seen: set[str] = set()
            at = code
            while at and at not in seen and level_of.get(at) != level:
                seen.add(at)
                at = parent.get(at, "")
            found[code] = at if level_of.get(at) == level else ""
        out.append(found[code])
    return np.asarray(out, dtype=object)


def _unit_level(region: Region, codes: pd.Series) -> tuple[str, np.ndarray]:
    """The finest level of :data:`UNIT_LEVELS` the region has, and each code's unit there."""
    present = set(region.admin_units["level"])
    for level in UNIT_LEVELS:
        if level in present:
            return level, ancestors(region, codes, level)
    return REGION_LEVEL, np.full(len(codes), "", dtype=object)


def _urban_rural(region: Region) -> tuple[np.ndarray | None, str]:
    """``urban`` / ``rural`` per settlement and the column it comes from:
    :data:`URBAN_RURAL_COLUMN`, else OSM's ``place`` when it names every settlement's kind;
    ``(None, "")`` without either."""
    settle = region.settlements
    if URBAN_RURAL_COLUMN not in settle.columns:
        place = settle["place"].fillna("") if "place" in settle.columns else pd.Series([""])
        if place.isin(URBAN_PLACES | RURAL_PLACES).all():
            urban = place.isin(URBAN_PLACES).to_numpy()
            return np.where(urban, "urban", "rural").astype(object), "place"
        return None, ""
    raw = settle[URBAN_RURAL_COLUMN].fillna("").astype(str).str.strip().str.lower()
    code = raw.str.extract(r"^(\d)\d\d$", expand=False)
    label = np.where(
        raw.isin(["urban", "rural"]),
        raw,
        np.where(code == "1", "urban", np.where(code == "2", "rural", "")),
    )
    bad = sorted(set(settle.loc[label == "", URBAN_RURAL_COLUMN].astype(str)))
    if bad:
        msg = (
            f"settlements: {URBAN_RURAL_COLUMN!r} must be 'urban', 'rural' or an urban-rural "
            f"code (1xx urban, 2xx rural); found {bad[:5]}. Correct the values or drop the "
            "column."
        )
        raise InputError(msg)
    return np.asarray(label, dtype=object), URBAN_RURAL_COLUMN


def _areas(region: Region, level: str) -> tuple[dict[str, float], str]:
    """Area (km²) of each unit of ``level``: an ``area_km2`` column, else polygons in the
    region's metric CRS; empty when the admin units carry neither."""
    units = region.admin_units[region.admin_units["level"] == level]
    if "area_km2" in units.columns:
        area = pd.to_numeric(units["area_km2"], errors="coerce")
        return dict(zip(units["code"], area.to_numpy(dtype="float64"), strict=True)), "area_km2"
    if "geometry" in units.columns:
        shapes = np.asarray(units["geometry"].to_numpy(), dtype=object)
        valid = np.array([isinstance(s, shapely.Geometry) for s in shapes], dtype=bool)
        if valid.any():
            km2 = np.full(len(shapes), np.nan)
            km2[valid] = shapely.area(shapes[valid]) / 1e6
            return dict(zip(units["code"], km2, strict=True)), "polygons"
    return {}, ""


# ----------------------------------------------------------------------------------- tables
def _settlement_table(
    region: Region,
    people: np.ndarray,
    pairs: fca.Pairs,
    scores: Mapping[str, np.ndarray],
    unit_codes: np.ndarray,
    urban: np.ndarray | None,
    methods: tuple[str, ...],
) -> pd.DataFrame:
    settle = region.settlements
    in_reach, _ = pairs.counts()
    nearest = np.full(pairs.n_settlements, np.inf)
    np.minimum.at(nearest, pairs.settlement, pairs.minutes)
    table = pd.DataFrame(
        {
            "id": settle["id"].to_numpy(),
            "name": settle["name"].to_numpy(),
            "admin_code": settle["admin_code"].to_numpy(),
            "unit_code": unit_codes,
            **({URBAN_RURAL_COLUMN: urban} if urban is not None else {}),
            "population": people,
            "facilities_in_reach": in_reach,
            "nearest_min": nearest,
            **{access_column(m): scores[m] for m in methods},
        }
    )
    relative = _relative(scores[methods[0]], people, methods[0])
    return table.assign(relative_access=relative, need=people * np.maximum(0.0, 1.0 - relative))


def _relative(score: np.ndarray, people: np.ndarray, method: str) -> np.ndarray:
    """Score over its people-weighted mean (> 1 better than average); a cost is inverted;
    no access (RAAM's NaN) is 0."""
    known = np.isfinite(score)
    mean = (
        float(np.sum(score[known] * people[known]) / people[known].sum())
        if people[known].sum() > 0
        else np.nan
    )
    if method in COST_METHODS:
        rel = np.divide(mean, score, out=np.zeros_like(score), where=known & (score > 0))
    else:
        rel = score / mean if mean > 0 else np.zeros_like(score)
    return np.where(known, rel, 0.0)


def _facility_table(
    region: Region,
    facilities: pd.DataFrame,
    supply: np.ndarray,
    pairs: fca.Pairs,
    people: np.ndarray,
    catch: fca.Catchment,
    level: str,
) -> pd.DataFrame:
    _, reach = pairs.counts()
    in_reach = np.bincount(pairs.facility, weights=people[pairs.settlement], minlength=len(supply))
    unit = (
        ancestors(region, facilities["admin_code"], level)
        if level != REGION_LEVEL
        else np.full(len(facilities), "", dtype=object)
    )
    return pd.DataFrame(
        {
            "id": facilities["id"].to_numpy(),
            "name": facilities["name"].to_numpy(),
            "tier": facilities["tier"].to_numpy(),
            "admin_code": facilities["admin_code"].to_numpy(),
            "unit_code": unit,
            "supply": supply,
            "settlements_in_reach": reach,
            "population_in_reach": in_reach,
            "supply_per_1000": np.where(catch.demand > 0, 1000.0 * catch.ratio, np.nan),
        }
    )


def _unit_table(
    region: Region,
    level: str,
    settlements: pd.DataFrame,
    facilities: pd.DataFrame,
    areas: Mapping[str, float],
    reference: Reference | None,
    main: str,
) -> pd.DataFrame:
    """Per unit: people, resource, densities, shares, agglomeration degrees, access, need."""
    if level == REGION_LEVEL:
        units = pd.DataFrame({"code": [""], "name": [region.name], "parent": [""]})
    else:
        admin = region.admin_units
        units = admin.loc[admin["level"] == level, ["code", "name", "parent"]]
        units = units.sort_values("code", kind="stable").reset_index(drop=True)
    codes = units["code"].to_numpy()
    where = pd.Index(codes)
    s_unit = where.get_indexer(settlements["unit_code"])
    f_unit = where.get_indexer(facilities["unit_code"])
    n = len(units)
    pop = settlements["population"].to_numpy(dtype="float64")
    score = settlements[access_column(main)].to_numpy(dtype="float64")
    known = np.isfinite(score) & (s_unit >= 0)
    people = np.bincount(s_unit[s_unit >= 0], weights=pop[s_unit >= 0], minlength=n)
    known_people = np.bincount(s_unit[known], weights=pop[known], minlength=n)
    access_sum = np.bincount(s_unit[known], weights=(score * pop)[known], minlength=n)
    need = np.bincount(
        s_unit[s_unit >= 0], weights=settlements["need"].to_numpy()[s_unit >= 0], minlength=n
    )
    supply = facilities["supply"].to_numpy(dtype="float64")
    resource = np.bincount(f_unit[f_unit >= 0], weights=supply[f_unit >= 0], minlength=n)
    area = np.array([areas.get(c, np.nan) for c in codes], dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_1000 = np.where(people > 0, 1000.0 * resource / people, np.nan)
        per_km2 = resource / area
        resource_share = resource / resource.sum()
        people_share = people / people.sum()
        area_share = area / area.sum() if np.isfinite(area).all() else np.full(n, np.nan)
        hrad = resource_share / area_share
        pad = people_share / area_share
        mean_access = np.where(known_people > 0, access_sum / known_people, np.nan)
    target = reference.per_1000 if reference else np.nan
    # True / False against the reference, empty without one (or without people)
    judged = np.isfinite(per_1000) & (reference is not None)
    meets = [bool(v >= target) if ok else None for v, ok in zip(per_1000, judged, strict=True)]
    rank = pd.Series(-need).rank(method="first").to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "level": level,
            "code": codes,
            "name": units["name"].to_numpy(),
            "parent": units["parent"].to_numpy(),
            "population": people,
            "settlements": np.bincount(s_unit[s_unit >= 0], minlength=n),
            "facilities": np.bincount(f_unit[(f_unit >= 0) & (supply > 0)], minlength=n),
            "resource": resource,
            "per_1000": per_1000,
            "reference_per_1000": target,
            "meets_reference": meets,
            "area_km2": area,
            "per_km2": per_km2,
            "resource_share": resource_share,
            "population_share": people_share,
            "area_share": area_share,
            "hrad": hrad,
            "pad": pad,
            "hrad_pad": resource_share / np.where(people_share > 0, people_share, np.nan),
            "mean_access": mean_access,
            "need": need,
            "need_rank": rank,
        }
    )


def _partitions(
    region: Region, settlements: pd.DataFrame, urban: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Groups of settlements to split Theil's index over: each admin level with two units
    or more, and urban/rural."""
    out: dict[str, np.ndarray] = {}
    levels = region.admin_units["level"].value_counts()
    for level in ADMIN_LEVELS:
        if levels.get(level, 0) >= 2:
            labels = ancestors(region, settlements["admin_code"], level)
            if len(set(labels)) >= 2:
                out[level] = labels
    if urban is not None:
        out["urban_rural"] = urban
    return out


def _inequality(
    region: Region,
    settlements: pd.DataFrame,
    units: pd.DataFrame,
    methods: tuple[str, ...],
    ordering: np.ndarray | None,
    urban: np.ndarray | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Gini, Theil (with decompositions) and concentration indices of every variable."""
    pop = settlements["population"].to_numpy(dtype="float64")
    partitions = _partitions(region, settlements, urban)
    rows: list[dict[str, Any]] = []
    splits: list[dict[str, Any]] = []
    groups: list[pd.DataFrame] = []

    def add(
        variable: str, weight: str, x: np.ndarray, w: np.ndarray, parts: Mapping[str, np.ndarray]
    ) -> None:
        keep = np.isfinite(x)
        rows.append(_stat(variable, weight, "gini", gini(x[keep], w[keep]), w[keep]))
        whole = theil(x[keep], w[keep])
        rows.append(_stat(variable, weight, "theil", whole.total, w[keep]))
        for name, labels in parts.items():
            split = theil(x[keep], w[keep], labels[keep])
            splits.append(
                {
                    "variable": variable,
                    "partition": name,
                    "total": split.total,
                    "between": split.between,
                    "within": split.within,
                    "between_share": split.between_share,
                }
            )
            groups.append(split.groups.assign(variable=variable, partition=name))

    for method in methods:
        x = settlements[access_column(method)].to_numpy(dtype="float64")
        add(access_column(method), "population", x, pop, partitions)
        if ordering is not None:
            keep = np.isfinite(x) & np.isfinite(ordering)
            value = concentration_index(x[keep], ordering[keep], pop[keep])
            rows.append(
                _stat(access_column(method), "population", "concentration", value, pop[keep])
            )
    unit_pop = units["population"].to_numpy(dtype="float64")
    per_capita = units["per_1000"].to_numpy(dtype="float64") / 1000.0
    parent = {}
    if units["parent"].nunique() >= 2:  # split units by the level above them (counties...)
        level_of = dict(zip(region.admin_units["code"], region.admin_units["level"], strict=True))
        above = level_of.get(str(units["parent"].iat[0]), "parent")
        parent = {above: units["parent"].to_numpy()}
    add(
        RESOURCE_PER_CAPITA,
        "population",
        per_capita,
        np.where(np.isfinite(per_capita), unit_pop, 0.0),
        parent,
    )
    area = units["area_km2"].to_numpy(dtype="float64")
    if np.isfinite(area).all() and (area > 0).all():
        add(RESOURCE_PER_KM2, "area", units["per_km2"].to_numpy(dtype="float64"), area, parent)
    columns = ["group", "population", "population_share", "value_share", "mean", "theil"]
    columns += ["contribution", "variable", "partition"]
    group_table = pd.concat(groups, ignore_index=True) if groups else pd.DataFrame(columns=columns)
    names = _unit_names(region)
    group_table = group_table.assign(
        group=group_table["group"].astype(str),
        group_name=[names.get(str(g), str(g)) for g in group_table["group"]],
    )
    first = ["variable", "partition", "group", "group_name"]
    group_table = group_table[first + [c for c in group_table.columns if c not in first]]
    split_table = pd.DataFrame(
        splits, columns=["variable", "partition", "total", "between", "within", "between_share"]
    )
    return pd.DataFrame(rows), split_table, group_table


def _unit_names(region: Region) -> dict[str, str]:
    units = region.admin_units
    return dict(zip(units["code"], units["name"], strict=True))


def _stat(variable: str, weight: str, measure: str, value: float, w: np.ndarray) -> dict[str, Any]:
    return {
        "variable": variable,
        "weight": weight,
        "measure": measure,
        "value": value,
        "n": int((w > 0).sum()),
        "total_weight": float(w.sum()),
    }


def _curves(settlements: pd.DataFrame, units: pd.DataFrame, main: str) -> pd.DataFrame:
    """Lorenz curves of the main method's access (people) and of resource per capita
    (units, weighted by people)."""
    column = access_column(main)
    x = settlements[column].to_numpy(dtype="float64")
    pop = settlements["population"].to_numpy(dtype="float64")
    keep = np.isfinite(x)
    per_capita = units["per_1000"].to_numpy(dtype="float64")
    unit_keep = np.isfinite(per_capita)
    parts = [
        lorenz(x[keep], pop[keep]).assign(variable=column),
        lorenz(per_capita[unit_keep], units["population"].to_numpy()[unit_keep]).assign(
            variable=RESOURCE_PER_CAPITA
        ),
    ]
    table = pd.concat(parts, ignore_index=True)
    return table[["variable", "population_share", "value_share"]]
