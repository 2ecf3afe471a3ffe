"""One call from a region to a site plan: the work behind ``accessplan site``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from accessplan._errors import InputError
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
from accessplan.travel.profiles import Profile

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
) -> dict[str, Any]:
    """Which facilities to raise to ``tier``: the existing ones of the tier stay, ``add`` more
    are chosen among the service's lower-tier facilities (e.g. clinics that could become
    township health centres).

    Returns a dict with ``result``, ``sites`` (``site_id, name, tier, status`` existing or
    new), ``assignment`` (``client_id, site_id, minutes``), ``settlements`` (``id,
    minutes_before, minutes_after``: to the nearest site of the tier before and after, ``inf``
    beyond the cutoff) and ``summary`` (objective, bound, gap, and the covered share within
    ``threshold`` before and after, when given).
    """
    name = ALIASES.get(model, model)
    service = next((s for s, tiers in region.tiers.items() if tier in tiers), None)
    if service is None:
        msg = (
            f"unknown tier {tier!r}; choose one of {[t for v in region.tiers.values() for t in v]}."
        )
        raise InputError(msg)
    rank = region.tiers[service].index(tier)
    fac = region.facilities
    lower = set(region.tiers[service][:rank])
    pool = fac[(fac["service"] == service) & (fac["tier"].isin(lower | {tier}))]
    existing = pool.loc[pool["tier"] == tier, "id"].astype(str).tolist()
    cutoff = max_minutes if max_minutes is not None else threshold
    times = travel_times(region, profile, cutoff=cutoff)
    p = None if add is None else len(existing) + add
    result, plan = plan_sites(
        region,
        profile,
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
    info = fac.set_index(fac["id"].astype(str))
    sites = pd.DataFrame(
        {
            "site_id": chosen,
            "name": [info.at[s, "name"] for s in chosen],
            "tier": [info.at[s, "tier"] for s in chosen],
            "status": ["existing" if s in existing else "new" for s in chosen],
        }
    )
    summary: dict[str, Any] = {
        "model": name,
        "tier": tier,
        "existing": len(existing),
        "added": int((sites["status"] == "new").sum()),
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "is_optimal": result.is_optimal,
        "runtime_s": result.runtime,
    }
    ids = region.settlements["id"]
    settlements = pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "minutes_before": _nearest_minutes(ids, times, existing),
            "minutes_after": _nearest_minutes(ids, times, chosen),
        }
    )
    if threshold is not None:
        summary["threshold_min"] = threshold
        pop = region.settlements["population"].fillna(0.0).to_numpy(dtype="float64")
        for when in ("before", "after"):
            covered = settlements[f"minutes_{when}"].to_numpy() <= threshold
            total = float(pop.sum())
            share = float(pop[covered].sum() / total) if total > 0 else float("nan")
            summary[f"covered_share_{when}"] = share
    return {
        "result": result,
        "sites": sites,
        "assignment": plan.rename(columns={"cost": "minutes"}),
        "settlements": settlements,
        "summary": summary,
    }


def _nearest_minutes(ids: pd.Series, times: pd.DataFrame, sites: Sequence[str]) -> np.ndarray:
    """Minutes from each settlement to the nearest of ``sites`` (``inf`` if none in ``times``)."""
    near = times[times["to_id"].isin(list(sites))].groupby("from_id")["minutes"].min()
    return near.reindex(ids.to_numpy()).fillna(np.inf).to_numpy(dtype="float64")
