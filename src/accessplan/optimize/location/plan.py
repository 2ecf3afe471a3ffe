"""One call from a region to a site plan: the analysis behind ``accessplan site``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan.optimize.location.problems import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    SetCover,
)
from accessplan.optimize.location.solve import Result, solve
from accessplan.region import Region
from accessplan.travel.matrix import travel_times
from accessplan.travel.profiles import Profile, get_profile

ModelName = Literal["pmedian", "pcenter", "maxcover", "setcover", "cpmedian", "cmaxcover"]

MODELS: dict[str, type[LocationProblem]] = {
    "pmedian": PMedian,
    "pcenter": PCenter,
    "maxcover": MaxCover,
    "setcover": SetCover,
    "cpmedian": CapacitatedPMedian,
    "cmaxcover": CapacitatedMaxCover,
}


def plan_sites(
    region: Region,
    profile: str | Profile,
    *,
    model: ModelName = "pmedian",
    service: str | None = None,
    tier: str | None = None,
    p: int | None = None,
    radius: float | None = None,
    max_minutes: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    candidates: Sequence[str] | None = None,
    times: pd.DataFrame | None = None,
) -> tuple[Result, pd.DataFrame]:
    """Choose sites among the region's facilities (of ``service`` if given) for its settlements.

    Existing facilities of ``tier`` stay open. ``p`` counts them; ``radius`` (minutes) is
    the coverage standard of covering models; ``max_minutes`` caps any assignment.
    ``candidates`` narrows the facilities to choose from; ``times`` (the long table of
    :func:`~accessplan.travel.travel_times`) is computed when not given.

    Returns
    -------
    (Result, DataFrame)
        The result and the plan table ``client_id, site_id, cost`` (minutes).
    """
    cls = MODELS.get(model)
    if cls is None:
        msg = f"model must be one of {sorted(MODELS)}, got {model!r}."
        raise InputError(msg)
    facilities = region.facilities
    if service is not None:
        facilities = facilities[facilities["service"] == service]
    if candidates is not None:
        facilities = facilities[facilities["id"].isin(list(candidates))]
    if facilities.empty:
        msg = f"the region has no candidate facilities (service={service!r}); add facilities."
        raise InputError(msg)
    if times is None:
        cutoff = max_minutes if max_minutes is not None else radius
        times = travel_times(region, profile, cutoff=cutoff)
    params: dict[str, Any] = {"max_cost": max_minutes}
    if p is not None:
        params["p"] = p
    if radius is not None:
        params["radius"] = radius
    problem = cls.from_region(
        region, times, candidates=facilities["id"].astype(str).tolist(), tier=tier, **params
    )
    result = solve(problem, time_limit=time_limit, seed=seed)
    return result, result.plan(problem)


#: Model names planners use, mapped to :data:`MODELS`.
ALIASES = {"mclp": "maxcover", "lscp": "setcover", "cpmp": "cpmedian"}
#: What each model needs from :func:`upgrade_plan`: ``p`` (sites to add) and ``threshold``.
NEEDS: dict[str, tuple[str, ...]] = {
    "pmedian": ("p",),
    "pcenter": ("p",),
    "maxcover": ("p", "threshold"),
    "setcover": ("threshold",),
    "cpmedian": ("p",),
    "cmaxcover": ("p", "threshold"),
}


@dataclass(frozen=True, eq=False)
class SitePlan:
    """Which facilities to raise to a tier (:func:`upgrade_plan`).

    Attributes
    ----------
    region
        The region planned.
    profile
        The travel profile, in full.
    model, tier, add, threshold, max_minutes, time_limit, seed
        The options as used (``model`` by its full name, see :data:`MODELS`).
    result
        The solver's :class:`~accessplan.optimize.location.solve.Result`.
    sites
        ``site_id, name, tier, status``: the plan's sites, ``existing`` or ``new``.
    assignment
        ``client_id, site_id, minutes``: each settlement's site (none beyond ``max_minutes``).
    settlements
        ``id, name, admin_code, population, minutes_before, minutes_after``: minutes to the
        nearest site of the tier before and after the plan (``inf`` beyond the cutoff), in
        the order of ``region.settlements``.
    """

    region: Region
    profile: Profile
    model: str
    tier: str
    add: int | None
    threshold: float | None
    max_minutes: float | None
    time_limit: float | None
    seed: int
    result: Result
    sites: pd.DataFrame
    assignment: pd.DataFrame
    settlements: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """``sites``, ``assignment`` and ``settlements``."""
        return {"sites": self.sites, "assignment": self.assignment, "settlements": self.settlements}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``sites`` (the plan's facilities, with their status) and ``settlements`` (with
        their minutes before and after)."""
        fac = self.region.facilities.set_index(self.region.facilities["id"].astype(str))
        where = fac.loc[self.sites["site_id"].astype(str)].geometry.to_numpy()
        settle = self.region.settlements[["id", "geometry"]].merge(
            self.settlements.drop(columns=["name", "admin_code", "population"]), on="id"
        )
        return {
            "sites": gpd.GeoDataFrame(self.sites, geometry=where, crs=self.region.crs),
            "settlements": gpd.GeoDataFrame(settle, crs=self.region.crs),
        }

    def rasters(self) -> dict[str, Raster]:
        """None: the plan is made on the road network."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Sites kept and added, the solver's objective, bound and gap, and with a threshold
        the covered share before and after."""
        r = self.result
        out: dict[str, Any] = {
            "model": self.model,
            "tier": self.tier,
            "existing": int((self.sites["status"] == "existing").sum()),
            "added": int((self.sites["status"] == "new").sum()),
            "objective": r.objective,
            "bound": r.bound,
            "gap": r.gap,
            "is_optimal": r.is_optimal,
            "runtime_s": r.runtime,
        }
        if self.threshold is not None:
            out["threshold_min"] = self.threshold
            pop = self.settlements["population"].fillna(0.0).to_numpy(dtype="float64")
            total = float(pop.sum())
            for when in ("before", "after"):
                covered = self.settlements[f"minutes_{when}"].to_numpy() <= self.threshold
                share = float(pop[covered].sum() / total) if total > 0 else float("nan")
                out[f"covered_share_{when}"] = share
        return out

    def parameters(self) -> dict[str, Any]:
        """The options as used, with the travel profile in full."""
        return {
            "model": self.model,
            "tier": self.tier,
            "add": self.add,
            "threshold_min": self.threshold,
            "max_minutes": self.max_minutes,
            "time_limit_s": self.time_limit,
            "seed": self.seed,
            "profile": json.loads(self.profile.key()),
        }


def upgrade_plan(
    region: Region,
    profile: str | Profile,
    *,
    model: str,
    tier: str,
    add: int | None = None,
    threshold: float | None = None,
    max_minutes: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
) -> SitePlan:
    """Which facilities to raise to ``tier``: the existing ones of the tier stay, ``add`` more
    are chosen among the service's lower-tier facilities (e.g. clinics that could become
    township health centres).

    ``model`` is one of :data:`MODELS` or a planner's name for it (:data:`ALIASES`: ``mclp``,
    ``lscp``, ``cpmp``); ``add`` is needed by the models that choose a number of sites,
    ``threshold`` (minutes) by the covering models; ``max_minutes`` caps any assignment.
    """
    name = ALIASES.get(model, model)
    if name not in MODELS:
        msg = f"model must be one of {sorted(set(MODELS) | set(ALIASES))}, got {model!r}."
        raise InputError(msg)
    given = {"p": add, "threshold": threshold}
    missing = [_ARGS[key] for key in NEEDS[name] if given[key] is None]
    if missing:
        raise InputError(f"the {model} model needs {' and '.join(missing)}.")
    unused = [_ARGS[k] for k, v in given.items() if v is not None and k not in NEEDS[name]]
    if unused:
        raise InputError(f"the {model} model takes no {' or '.join(unused)}; leave it out.")
    service = tier_service(region, tier)
    if service is None:
        msg = f"unknown tier {tier!r}; choose one of {all_tiers(region)}."
        raise InputError(msg)
    resolved = get_profile(profile)
    pool, existing = _upgrade_pool(region, tier)
    most = len(pool) - len(existing)
    if add is not None and add > most:
        msg = (
            f"cannot add {add} site(s) of tier {tier!r}: the region has {most} lower-tier "
            f"{service} facilities that could be raised, so at most {most}."
        )
        raise InputError(msg)
    cutoff = max_minutes if max_minutes is not None else threshold
    times = travel_times(region, resolved, cutoff=cutoff)
    p = None if add is None else len(existing) + add
    result, plan = plan_sites(
        region,
        resolved,
        model=name,  # type: ignore[arg-type]
        service=service,
        tier=tier,
        p=p,
        radius=threshold,
        max_minutes=max_minutes,
        time_limit=time_limit,
        seed=seed,
        candidates=pool["id"].tolist(),
        times=times,
    )
    chosen = sorted({str(s) for s in plan["site_id"].dropna()} | set(existing))
    fac = region.facilities
    info = fac.set_index(fac["id"].astype(str))
    sites = pd.DataFrame(
        {
            "site_id": chosen,
            "name": [info.at[s, "name"] for s in chosen],
            "tier": [info.at[s, "tier"] for s in chosen],
            "status": ["existing" if s in existing else "new" for s in chosen],
        }
    )
    settle = region.settlements
    ids = settle["id"]
    settlements = pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "name": settle["name"].to_numpy(),
            "admin_code": settle["admin_code"].to_numpy(),
            "population": settle["population"].to_numpy(),
            "minutes_before": _nearest_minutes(ids, times, existing),
            "minutes_after": _nearest_minutes(ids, times, chosen),
        }
    )
    return SitePlan(
        region=region,
        profile=resolved,
        model=name,
        tier=tier,
        add=add,
        threshold=threshold,
        max_minutes=max_minutes,
        time_limit=time_limit,
        seed=seed,
        result=result,
        sites=sites,
        assignment=plan.rename(columns={"cost": "minutes"}),
        settlements=settlements,
    )


#: The keyword of upgrade_plan behind each entry of :data:`NEEDS`.
_ARGS = {"p": "add", "threshold": "threshold"}


def all_tiers(region: Region) -> list[str]:
    """Every tier of the region's services, lowest first within each service."""
    return [t for tiers in region.tiers.values() for t in tiers]


def tier_service(region: Region, tier: str) -> str | None:
    """The service ``tier`` belongs to in ``region`` (None for an unknown tier)."""
    return next((s for s, tiers in region.tiers.items() if tier in tiers), None)


def raisable(region: Region, tier: str) -> int:
    """How many facilities :func:`upgrade_plan` could raise to ``tier``: those of its service
    on a lower tier."""
    pool, existing = _upgrade_pool(region, tier)
    return len(pool) - len(existing)


def _upgrade_pool(region: Region, tier: str) -> tuple[pd.DataFrame, list[str]]:
    """The facilities of ``tier``'s service at ``tier`` or below, and the ids of those at it."""
    service = tier_service(region, tier)
    tiers = region.tiers[service] if service is not None else [tier]
    fac = region.facilities
    lower = set(tiers[: tiers.index(tier)])
    pool = fac[(fac["service"] == service) & (fac["tier"].isin(lower | {tier}))]
    return pool, pool.loc[pool["tier"] == tier, "id"].astype(str).tolist()


def _nearest_minutes(ids: pd.Series, times: pd.DataFrame, sites: Sequence[str]) -> np.ndarray:
    """Minutes from each settlement to the nearest of ``sites`` (``inf`` if none in ``times``)."""
    near = times[times["to_id"].isin(list(sites))].groupby("from_id")["minutes"].min()
    return near.reindex(ids.to_numpy()).fillna(np.inf).to_numpy(dtype="float64")
