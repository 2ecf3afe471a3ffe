"""One call from a region to a mobile plan: the analysis behind ``accessplan mobile``.

:func:`plan_tours` builds the periodic problem of the villages the fixed network leaves
beyond the threshold (:mod:`.region`), solves it (:func:`.solve_periodic`), and reports it
the way a county planner reads it: the schedule, the villages with their visit days, the
routes, key figures (:mod:`.kpis`), coverage of fixed and fixed + mobile by township, the
fleet needed for full coverage (a sweep over vehicles per depot), the hand-drawn plan for
comparison (:mod:`.naive`) and, optionally, the fixed-or-mobile trade-off (:mod:`.tradeoff`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan.optimize.mobile.kpis import plan_kpis, township_coverage, vehicle_workload
from accessplan.optimize.mobile.naive import naive_full_coverage
from accessplan.optimize.mobile.region import DEFAULT_COSTS, Costs, Setup, build_setup
from accessplan.optimize.mobile.solve import PeriodicResult, solve_periodic
from accessplan.optimize.mobile.validate import validate
from accessplan.region import Region
from accessplan.travel.profiles import Profile

logger = logging.getLogger(__name__)

Kind = Literal["clinic", "supply"]
Progress = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class MobilePlan:
    """Mobile tours over a horizon for the villages beyond the fixed network.

    Attributes
    ----------
    region, setup
        The region and the problem built from it (villages, depots, calendar, matrices).
    kind
        ``clinic`` (mobile clinic visits) or ``supply`` (supply van deliveries).
    result
        The solved plan (:class:`~accessplan.optimize.mobile.PeriodicResult`), validated.
    kpis
        Key figures of the plan (:func:`~accessplan.optimize.mobile.kpis.plan_kpis`), with
        ``vehicles_needed`` from the fleet sweep and the naive plan's figures.
    coverage
        People within the threshold of the fixed network, and of fixed + mobile, by township.
    fleet
        The fleet sweep (:func:`fleet_sweep`): the fewest vehicles serving every village and
        one fewer (empty when not swept).
    naive
        Key figures of the hand-drawn plan (:mod:`.naive`) on the same problem, with the
        vehicles it needs to leave no village out (``vehicles``).
    tradeoff
        The fixed-or-mobile curve (:func:`.tradeoff.fixed_or_mobile`), or None.
    """

    region: Region
    setup: Setup
    kind: str
    result: PeriodicResult
    kpis: dict[str, Any]
    coverage: pd.DataFrame
    fleet: pd.DataFrame
    naive: dict[str, Any]
    tradeoff: Any = None
    time_limit: float | None = None
    seed: int = 0

    # ------------------------------------------------------------------ tables
    def villages(self) -> pd.DataFrame:
        """The villages served (or not) with their visit days and vehicles."""
        s = self.result.schedule
        visits = s[s["kind"] == "visit"]
        days = visits.groupby("place")["day"].apply(lambda d: " ".join(str(x) for x in sorted(d)))
        teams = visits.groupby("place")["vehicle"].apply(lambda v: " ".join(sorted(set(v))))
        gaps = visits.groupby("place")["day"].apply(
            lambda d: float(np.diff(np.sort(d.to_numpy())).max()) if len(d) > 1 else np.nan
        )
        reasons = dict(
            zip(self.result.dropped["client_id"], self.result.dropped["reason"], strict=True)
        )
        v = self.setup.villages
        return pd.DataFrame(
            {
                "id": v["id"],
                "name": v["name"],
                "admin_code": v["admin_code"],
                "population": v["population"],
                "patients": v["patients"],
                "minutes_to_fixed": v["minutes_to_fixed"],
                "visits_needed": v["visits"],
                "visits_planned": v["id"]
                .map(visits["place"].value_counts())
                .fillna(0)
                .astype("int64"),
                "service_min": v["service_min"],
                "days": [days.get(i, "") for i in v["id"]],
                "vehicles": [teams.get(i, "") for i in v["id"]],
                "longest_gap_days": v["id"].map(gaps),
                "status": np.where(v["id"].isin(list(reasons)), "dropped", "served"),
                "reason": [reasons.get(i, "") for i in v["id"]],
            }
        )

    def schedule(self) -> pd.DataFrame:
        """The stops, with the village name and a clock time from ``DAY_START``."""
        s = self.result.schedule.copy()
        names = dict(zip(self.setup.villages["id"], self.setup.villages["name"], strict=True))
        names.update(zip(self.setup.depots["id"], self.setup.depots["name"], strict=True))
        s.insert(list(s.columns).index("place") + 1, "name", s["place"].map(names))
        s["arrival"] = [_clock(m) for m in s["arrival_min"]]
        s = s.rename(columns={"distance": "km"})
        return s

    def tables(self) -> dict[str, pd.DataFrame]:
        """``schedule``, ``villages``, ``routes``, ``coverage``, ``dropped`` and, when computed,
        ``fleet`` and ``tradeoff``."""
        routes = self.result.routes().rename(columns={"distance": "km"})
        out = {
            "schedule": self.schedule(),
            "villages": self.villages(),
            "routes": routes,
            "coverage": self.coverage,
            "dropped": self.result.dropped,
        }
        if len(self.fleet):
            out["fleet"] = self.fleet
        if self.tradeoff is not None:
            out["tradeoff"] = self.tradeoff.table
        return out

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``villages`` (points, with status and visit days), ``depots`` (points, with
        vehicles) and ``tours`` (one line per route through its stops)."""
        crs = self.region.crs
        where = _points(self.region)
        villages = self.villages()
        depots = self.setup.depots
        s = self.result.schedule
        lines, rows = [], []
        for (_, vehicle), stops in s.groupby(["day", "vehicle"], sort=True):
            xy = [where[str(pl)] for pl in stops.sort_values("stop")["place"]]
            lines.append(shapely.LineString(xy))
            rows.append(
                {
                    "day": int(stops["day"].iloc[0]),
                    "date": str(stops["date"].iloc[0]),
                    "vehicle": vehicle,
                    "visits": int((stops["kind"] == "visit").sum()),
                    "km": float(stops["distance"].sum()),
                }
            )
        return {
            "villages": gpd.GeoDataFrame(
                villages, geometry=[shapely.Point(where[i]) for i in villages["id"]], crs=crs
            ),
            "depots": gpd.GeoDataFrame(
                depots, geometry=[shapely.Point(where[i]) for i in depots["id"]], crs=crs
            ),
            "tours": gpd.GeoDataFrame(
                pd.DataFrame(rows, columns=["day", "date", "vehicle", "visits", "km"]),
                geometry=gpd.GeoSeries(lines, crs=crs),
                crs=crs,
            ),
        }

    def rasters(self) -> dict[str, Raster]:
        """None: tours run on the road network."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Key figures (flat; :meth:`documents` has them in full): villages and patients
        served, km per trip and per person-visit, overtime, regularity, continuity, workload
        balance, cost, the vehicles needed, the naive plan's km per person-visit, the
        validator's verdict."""
        out = {"kind": self.kind, **_json(self.kpis)}
        out["valid"] = self.result.check.ok
        out["runtime_s"] = self.result.runtime
        if self.tradeoff is not None:
            out["cheapest_mix"] = _json(self.tradeoff.cheapest)
        return out

    def documents(self) -> dict[str, Any]:
        """``kpis`` (``kpis.json``): the key figures of the plan and of the hand-drawn plan,
        the validator's verdict (with any broken rule), each vehicle's workload, coverage of
        fixed and fixed + mobile by township, the fleet sweep and, when computed, the
        fixed-or-mobile curve with its cheapest mix."""
        check = self.result.check
        doc: dict[str, Any] = {
            "kind": self.kind,
            "plan": _json(self.kpis),
            "naive_plan": _json(self.naive),
            "validator": {
                "valid": check.ok,
                "violations": [{"rule": v.rule, "detail": v.detail} for v in check.violations],
            },
            "by_vehicle": vehicle_workload(self.setup.problem, self.result.schedule).to_dict(
                "records"
            ),
            "by_township": self.coverage.to_dict("records"),
            "fleet_sweep": self.fleet.to_dict("records"),
        }
        if self.tradeoff is not None:
            doc["fixed_or_mobile"] = {
                "coverage_target": self.tradeoff.target,
                "cheapest": self.tradeoff.cheapest,
                "curve": self.tradeoff.table.to_dict("records"),
            }
        return {"kpis": doc}

    def parameters(self) -> dict[str, Any]:
        """The options as used, with both travel profiles in full."""
        return {
            **self.setup.options,
            "kind": self.kind,
            "time_limit_s": self.time_limit,
            "seed": self.seed,
            "profile": json.loads(self.setup.profile.key()),
            "access_profile": json.loads(self.setup.access_profile.key()),
        }


#: Clock time of the start of a workday, for the schedule's ``arrival`` column (minutes).
DAY_START = 8 * 60


def _clock(minutes: float) -> str:
    total = round(DAY_START + minutes)
    return f"{total // 60:02d}:{total % 60:02d}"


def _points(region: Region) -> dict[str, tuple[float, float]]:
    out = {
        str(i): (g.x, g.y)
        for i, g in zip(region.facilities["id"], region.facilities.geometry, strict=True)
    }
    out.update(
        (str(i), (g.x, g.y))
        for i, g in zip(region.settlements["id"], region.settlements.geometry, strict=True)
    )
    return out


def _json(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, np.integer):
            v = int(v)
        elif isinstance(v, np.floating | float):
            v = float(v) if np.isfinite(v) else None
        out[k] = v
    return out


def plan_tours(
    region: Region,
    *,
    kind: Kind = "clinic",
    threshold: float = 15.0,
    tier: str = "township_health_center",
    access_profile: str | Profile = "walk",
    villages: Sequence[str] | None = None,
    days: int = 22,
    start: Any = None,
    holidays: Sequence[Any] = (),
    workday: float = 480.0,
    overtime: float = 0.0,
    vehicles: Mapping[str, int] | None = None,
    profile: str | Profile = "mobile_clinic",
    follow_up_days: float = 30.0,
    visits_column: str | None = None,
    setup_min: float | None = None,
    minutes_per_patient: float = 5.0,
    demand: float | str = 0.0,
    capacity: float | None = None,
    continuity: bool = False,
    costs: Costs = DEFAULT_COSTS,
    sweep: bool = True,
    compare_fixed: int = 0,
    coverage_target: float = 1.0,
    time_limit: float | None = None,
    iterations: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> MobilePlan:
    """Plan mobile tours for the villages beyond ``threshold`` minutes of a ``tier`` facility.

    ``kind="clinic"``: each visit serves the village's chronic patients (``setup_min``, by
    default 20, plus ``minutes_per_patient`` each); ``kind="supply"``: a supply van delivers
    ``demand`` (a number or a settlement column, per follow-up round) with ``capacity`` per van and
    ``setup_min`` (by default 15) to unload. ``vehicles`` maps a tier or a facility id to
    vehicles per depot and working day. ``sweep`` solves again with fewer vehicles to find the
    fleet needed for full coverage (:func:`fleet_sweep`); ``compare_fixed`` > 0 adds the
    fixed-or-mobile curve for 0..``compare_fixed`` new fixed sites. ``time_limit`` (seconds)
    bounds the main solve; ``iterations`` sets its search work (by default from the number
    of visits, :func:`work_budget`): with it (or without a time limit) the same seed gives
    the same plan. The sweep and the comparison search a quarter as long.
    """
    say = progress or (lambda _stage: None)
    if kind not in ("clinic", "supply"):
        raise InputError(f"kind must be 'clinic' or 'supply', got {kind!r}.")
    if not 0 < coverage_target <= 1:
        raise InputError(f"coverage_target must be a share in (0, 1], got {coverage_target!r}.")
    supply = kind == "supply"
    say("mobile: villages and travel matrices")
    setup = build_setup(
        region,
        threshold=threshold,
        tier=tier,
        access_profile=access_profile,
        villages=villages,
        days=days,
        start=start,
        holidays=holidays,
        workday=workday,
        overtime=overtime,
        vehicles=vehicles,
        profile=profile,
        follow_up_days=follow_up_days,
        visits_column=visits_column,
        setup_min=(15.0 if supply else 20.0) if setup_min is None else setup_min,
        minutes_per_patient=0.0 if supply else minutes_per_patient,
        demand=demand,
        capacity=capacity,
        continuity=continuity,
        costs=costs,
    )
    say("mobile: tours")
    budget = iterations if iterations is not None else work_budget(setup)
    result = solve_periodic(
        setup.problem,
        time_limit=time_limit or 3600.0,
        seed=seed,
        iterations=budget if iterations is not None or time_limit is None else None,
    )
    kpis = _kpis(setup, result.schedule, result.dropped, costs)
    naive_schedule, naive_dropped, naive_fleet = naive_full_coverage(setup.problem)
    more = setup.problem.replace(
        vehicles=np.where(setup.problem.vehicles > 0, naive_fleet[:, None], 0)
    )
    naive = _kpis(setup, naive_schedule, naive_dropped, costs)
    naive["valid"] = validate(more, naive_schedule, naive_dropped).ok
    naive["vehicles"] = int(naive_fleet.sum())
    fleet = pd.DataFrame()
    if sweep:
        say("mobile: fleet sweep")
        fleet = fleet_sweep(setup, seed=seed, iterations=max(20, budget // 4))
        full = fleet.loc[fleet["villages_dropped"] == 0, "vehicles"]
        kpis["vehicles_needed"] = int(full.min()) if len(full) else None
        short = fleet[fleet["vehicles"] == kpis["vehicles_needed"] - 1] if len(full) else fleet[:0]
        kpis["dropped_with_one_vehicle_fewer"] = (
            int(short["villages_dropped"].iloc[0]) if len(short) else None
        )
    kpis["vehicles"] = int(setup.depots["vehicles"].sum())
    kpis["naive_km_per_person_visit"] = naive["km_per_person_visit"]
    kpis["naive_villages_served"] = naive["villages_served"]
    kpis["naive_vehicles"] = naive["vehicles"]
    served = set(result.schedule.loc[result.schedule["kind"] == "visit", "place"]) - set(
        result.dropped["client_id"]
    )
    coverage = township_coverage(
        region.admin_units, region.settlements, setup.fixed_minutes, threshold, served
    )
    tradeoff = None
    if compare_fixed > 0:
        from accessplan.optimize.mobile.tradeoff import fixed_or_mobile

        say("mobile: fixed or mobile")
        tradeoff = fixed_or_mobile(
            region,
            setup,
            max_sites=compare_fixed,
            coverage_target=coverage_target,
            seed=seed,
            iterations=max(20, budget // 4),
        )
    return MobilePlan(
        region=region,
        setup=setup,
        kind=kind,
        result=result,
        kpis=kpis,
        coverage=coverage,
        fleet=fleet,
        naive=naive,
        tradeoff=tradeoff,
        time_limit=time_limit,
        seed=seed,
    )


def work_budget(setup: Setup) -> int:
    """Pattern-search iterations of a default solve: more for more visits, bounded."""
    visits = int(setup.problem.visits.sum())
    return int(min(3000, max(300, 4 * visits)))


def _kpis(
    setup: Setup, schedule: pd.DataFrame, dropped: pd.DataFrame, costs: Costs
) -> dict[str, Any]:
    return plan_kpis(
        setup.problem,
        setup.villages,
        schedule,
        dropped,
        per_km=costs.per_km,
        per_vehicle_day=costs.per_vehicle_day,
        per_overtime_min=costs.per_overtime_min,
    )


def fleet_sweep(setup: Setup, *, seed: int = 0, iterations: int | None = None) -> pd.DataFrame:
    """The fewest vehicles that leave no village out, and what one fewer leaves out.

    Vehicles are taken away one at a time in a fixed order -- always from the depot with the
    most left, among those the depot nearest to the fewest villages -- and the plan is
    solved again (a bisection over that order, which assumes that a smaller fleet never
    serves more). Each row is one fleet: ``vehicles, depots_fleet`` (vehicles per depot as
    ``id:n``), ``villages_served, villages_dropped, dropped`` (``village:reason`` of each
    left out), ``trips, km, cost``; the fleet of the plan itself is among them.
    """
    p = setup.problem
    fleets = _removal_order(setup)
    budget = iterations if iterations is not None else max(100, work_budget(setup) // 4)
    costs = Costs(**setup.options["costs"])
    solved: dict[int, dict[str, Any]] = {}

    def solve(n: int) -> dict[str, Any]:
        if n not in solved:
            per_depot = fleets[n]
            problem = p.replace(vehicles=np.minimum(p.vehicles, per_depot[:, None]))
            result = solve_periodic(problem, time_limit=3600.0, seed=seed, iterations=budget)
            k = _kpis(replace(setup, problem=problem), result.schedule, result.dropped, costs)
            solved[n] = {
                "vehicles": n,
                "depots_fleet": " ".join(
                    f"{d}:{int(v)}" for d, v in zip(setup.depots["id"], per_depot, strict=True)
                ),
                "villages_served": k["villages_served"],
                "villages_dropped": k["villages_dropped"],
                "dropped": " ".join(
                    f"{v}:{r}"
                    for v, r in zip(
                        result.dropped["client_id"], result.dropped["reason"], strict=True
                    )
                ),
                "trips": k["trips"],
                "km": k["km"],
                "cost": k["cost"],
            }
        return solved[n]

    full = max(fleets)
    if solve(full)["villages_dropped"] == 0:
        low, high = 0, full  # high serves everyone; find the fewest that does
        while high - low > 1:
            mid = (low + high) // 2
            if mid > 0 and solve(mid)["villages_dropped"] == 0:
                high = mid
            else:
                low = mid
        if high > 1:
            solve(high - 1)
    return pd.DataFrame([solved[n] for n in sorted(solved)])


def _removal_order(setup: Setup) -> dict[int, np.ndarray]:
    """Vehicles per depot for every fleet size from the plan's down to one."""
    p = setup.problem
    k = p.n_depots
    trip = p.duration[:k, k:] + p.duration[k:, :k].T
    near = np.bincount(np.argmin(trip, axis=0), minlength=k)
    fleet = setup.depots["vehicles"].to_numpy(dtype="int64").copy()
    out = {int(fleet.sum()): fleet.copy()}
    while fleet.sum() > 1:
        most = fleet.max()
        candidates = np.flatnonzero(fleet == most)
        fleet[candidates[np.argmin(near[candidates])]] -= 1
        out[int(fleet.sum())] = fleet.copy()
    return out
