"""Fixed or mobile: add ``k`` fixed sites, serve the rest by mobile tours, compare the cost.

For ``k = 0, 1, 2, ...`` the location engine (:func:`accessplan.optimize.location.plan.
upgrade_plan`, maximal covering: the ``k`` lower-tier facilities whose raising to the tier
brings most people within the threshold) chooses the new sites; the villages still beyond the
threshold are planned as mobile tours with the same fleet, calendar and costs. The yearly
cost of each mix is

    k x cost per site and year + (mobile cost of the horizon) x (working days a year / working
    days of the horizon),

the mobile cost being km x cost per km + trips x cost per vehicle-day + overtime. Coverage is
the share of all people within the threshold of the fixed network or living in a village the
mobile plan serves at its required frequency. The *cheapest mix* is the cheapest ``k`` whose
coverage reaches the target.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.optimize.location.plan import upgrade_plan
from accessplan.optimize.mobile.kpis import plan_kpis
from accessplan.optimize.mobile.region import Costs, Setup, build_setup
from accessplan.optimize.mobile.solve import solve_periodic
from accessplan.region import Region

logger = logging.getLogger(__name__)

COLUMNS = [
    "new_sites",
    "site_names",
    "villages_beyond",
    "villages_served",
    "villages_dropped",
    "trips",
    "km",
    "site_cost_year",
    "mobile_cost_year",
    "total_cost_year",
    "people",
    "people_fixed",
    "people_mobile",
    "coverage",
    "reaches_target",
]


@dataclass(frozen=True, eq=False)
class Tradeoff:
    """The cost curve (one row per number of new sites, :data:`COLUMNS`) and the cheapest
    mix reaching ``target`` (a row as a dict, or None when no mix reaches it)."""

    table: pd.DataFrame
    target: float
    cheapest: dict[str, Any] | None


def fixed_or_mobile(
    region: Region,
    setup: Setup,
    *,
    max_sites: int = 3,
    coverage_target: float = 1.0,
    seed: int = 0,
    iterations: int | None = None,
) -> Tradeoff:
    """The fixed-or-mobile curve for 0..``max_sites`` new sites (see the module docstring).

    ``setup`` is the mobile problem with no new site; its options (tier, threshold, fleet,
    calendar, costs) are kept for every mix.
    """
    if max_sites < 0:
        raise InputError(f"max_sites must be >= 0, got {max_sites!r}.")
    kw = setup.kwargs
    costs: Costs = kw["costs"]
    threshold, tier = kw["threshold"], kw["tier"]
    people = region.settlements["population"].fillna(0.0).to_numpy(dtype="float64")
    ids = region.settlements["id"].astype(str).to_numpy()
    year = costs.working_days_per_year / setup.calendar.n_working
    rows = []
    for k in range(max_sites + 1):
        if k == 0:
            minutes, names = setup.fixed_minutes, []
        else:
            plan = upgrade_plan(
                region,
                setup.access_profile,
                model="mclp",
                tier=tier,
                add=k,
                threshold=threshold,
                seed=seed,
            )
            minutes = pd.Series(plan.settlements["minutes_after"].to_numpy(), index=ids)
            names = plan.sites.loc[plan.sites["status"] == "new", "name"].astype(str).tolist()
        fixed = minutes.reindex(ids).to_numpy(dtype="float64") <= threshold
        beyond = int((~fixed).sum())
        row: dict[str, Any] = {
            "new_sites": k,
            "site_names": "; ".join(names),
            "villages_beyond": beyond,
            "site_cost_year": k * costs.per_site_year,
            "people": float(people.sum()),
            "people_fixed": float(people[fixed].sum()),
        }
        served: set[str] = set()
        figures = {"villages_served": 0, "villages_dropped": 0, "trips": 0, "km": 0.0, "cost": 0.0}
        if beyond:
            sub = build_setup(region, **{**kw, "villages": None, "fixed": minutes})
            budget = (
                iterations if iterations is not None else max(100, int(sub.problem.visits.sum()))
            )
            result = solve_periodic(sub.problem, time_limit=3600.0, seed=seed, iterations=budget)
            figures = plan_kpis(
                sub.problem,
                sub.villages,
                result.schedule,
                result.dropped,
                per_km=costs.per_km,
                per_vehicle_day=costs.per_vehicle_day,
                per_overtime_min=costs.per_overtime_min,
            )
            visited = set(result.schedule.loc[result.schedule["kind"] == "visit", "place"])
            served = visited - set(result.dropped["client_id"])
        mobile_people = float(people[np.isin(ids, list(served)) & ~fixed].sum())
        row.update(
            villages_served=figures["villages_served"],
            villages_dropped=figures["villages_dropped"],
            trips=figures["trips"],
            km=figures["km"],
            mobile_cost_year=figures["cost"] * year,
            people_mobile=mobile_people,
        )
        row["total_cost_year"] = row["site_cost_year"] + row["mobile_cost_year"]
        total = row["people"]
        row["coverage"] = (
            (row["people_fixed"] + mobile_people) / total if total > 0 else float("nan")
        )
        row["reaches_target"] = bool(row["coverage"] >= coverage_target - 1e-12)
        rows.append(row)
        logger.info(
            "fixed or mobile: %d new sites, yearly cost %.0f, coverage %.3f",
            k,
            row["total_cost_year"],
            row["coverage"],
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    ok = table[table["reaches_target"]]
    cheapest = None
    if len(ok):
        best = ok.sort_values(["total_cost_year", "new_sites"], kind="stable").iloc[0]
        cheapest = {c: best[c].item() if hasattr(best[c], "item") else best[c] for c in COLUMNS}
    return Tradeoff(table, coverage_target, cheapest)
