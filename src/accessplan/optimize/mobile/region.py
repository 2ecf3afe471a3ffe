"""A periodic problem from a region: the villages beyond the fixed network, their visits, the
depots and their vehicles, and the travel matrices of one travel engine.

* **Villages to serve**: settlements whose minutes to the nearest facility of ``tier`` (or a
  higher tier of the same service) by ``access_profile`` exceed ``threshold`` — the service
  circle's own measure (:func:`accessplan.measures.coverage.access_times`) — or a given list.
* **Visits**: one follow-up of every chronic patient each ``follow_up_days`` (calendar days):
  ``round(horizon / follow_up_days)`` visits, at least one; a visit sees at most
  ``max_visit_min`` minutes of patients, so a large village gets more visits, evenly spaced
  (consecutive gaps within ``gap_slack`` of the even spacing).
* **Service minutes** per visit: ``setup_min + minutes_per_patient * patients`` (patients
  shared among the visits of one follow-up round).
* **Load** (supply vans): ``demand`` per follow-up round (a number or a settlement column),
  shared among the visits of the round; a village needing more than a van carries gets as
  many visits a round as it needs vans.
* **Depots**: facilities of the tiers named in ``vehicles`` (or facilities named by id), each
  with that many vehicles on every working day.
* **Times** between depots and villages come from :func:`accessplan.travel.place_times` with
  the vehicle's profile (``mobile_clinic``: the search graph of the one travel engine);
  **kilometres** are the lengths of the drive arcs along those same fastest paths (walks to
  and from the road are not driven).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from accessplan._errors import InputError
from accessplan.measures.coverage import access_times, group_minutes
from accessplan.optimize.mobile.calendar import Calendar, working_calendar
from accessplan.optimize.mobile.problem import PeriodicProblem, gap_patterns
from accessplan.region import Region
from accessplan.travel.matrix import place_times
from accessplan.travel.network import DRIVE, network_for
from accessplan.travel.profiles import Profile, get_profile

#: Prize (cost units) of one visit: far above any detour, so a village is only left out when
#: no vehicle has the time; scaled up by its chronic patients so the largest are kept first.
VISIT_PRIZE = 100_000.0
#: Minutes added per km driven to find the km of the fastest paths (see :func:`road_km`):
#: small enough never to change a path, large enough to keep the km exact to a metre.
KM_WEIGHT = 1e-6
#: Origins per batch of the kilometre searches (rows x nodes of two dense arrays).
_KM_BATCH_CELLS = 16_000_000


@dataclass(frozen=True)
class Costs:
    """Cost parameters (one currency).

    Attributes
    ----------
    per_km
        Driving: fuel, wear (both in the routing objective and in every cost figure).
    per_trip
        What sending a team out for one more day adds (allowances): in the routing objective,
        so that it weighs days against kilometres while the fleet is given.
    per_vehicle_day
        The full cost of a vehicle-day (team wages, the van): in costs per visit and in the
        fixed-or-mobile comparison, where the fleet itself is the choice.
    per_overtime_min
        Each minute beyond the workday.
    per_site_year
        A new fixed site, annualised (building, staff, equipment).
    working_days_per_year
        To turn a horizon's cost into a year's.
    """

    per_km: float = 2.0
    per_trip: float = 100.0
    per_vehicle_day: float = 900.0
    per_overtime_min: float = 3.0
    per_site_year: float = 600_000.0
    working_days_per_year: float = 250.0

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InputError(f"cost {name} must be a finite number >= 0, got {value!r}.")
        if not self.per_km > 0 or not self.working_days_per_year > 0:
            raise InputError("per_km and working_days_per_year must be > 0.")


#: The default cost parameters.
DEFAULT_COSTS = Costs()


@dataclass(frozen=True, eq=False)
class Setup:
    """A problem built from a region and what it was built from.

    Attributes
    ----------
    problem
        The periodic problem (client ``i`` is ``villages.iloc[i]``).
    villages
        ``id, name, admin_code, population, patients, minutes_to_fixed, visits, rounds
        (follow-up rounds: each patient is seen once per round), service_min, min_gap,
        max_gap, demand``.
    depots
        ``id, name, tier, vehicles``.
    calendar
        The horizon's calendar.
    km
        Kilometres driven between locations (depots then villages), along the fastest paths.
    profile, access_profile
        The vehicles' and the service circle's travel profiles.
    fixed_minutes
        Minutes from every settlement of the region to the fixed network (the measure used).
    options
        The options as used, JSON-ready.
    kwargs
        The keyword arguments of :func:`build_setup` that made it (to build variants).
    """

    problem: PeriodicProblem
    villages: pd.DataFrame
    depots: pd.DataFrame
    calendar: Calendar
    km: np.ndarray
    profile: Profile
    access_profile: Profile
    fixed_minutes: pd.Series
    options: dict[str, Any]
    kwargs: dict[str, Any]


def fixed_minutes(region: Region, tier: str, profile: str | Profile) -> pd.Series:
    """Minutes from every settlement to the nearest facility of ``tier`` or a higher tier of
    its service (by settlement id), as the service circle measures them."""
    service = next((s for s, tiers in region.tiers.items() if tier in tiers), None)
    if service is None:
        known = [t for v in region.tiers.values() for t in v]
        raise InputError(f"unknown tier {tier!r}; choose one of {known}.")
    times = access_times(region, [profile])
    rank = region.tiers[service].index(tier)
    minutes = np.min(
        [group_minutes(region, times, service, t) for t in region.tiers[service][rank:]], axis=0
    )
    return pd.Series(minutes, index=region.settlements["id"].to_numpy(), name="minutes_to_fixed")


def build_setup(
    region: Region,
    *,
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
    setup_min: float = 20.0,
    minutes_per_patient: float = 5.0,
    max_visit_min: float | None = None,
    gap_slack: float = 0.25,
    demand: float | str = 0.0,
    capacity: float | None = None,
    continuity: bool = False,
    costs: Costs = DEFAULT_COSTS,
    fixed: pd.Series | None = None,
) -> Setup:
    """Build the periodic problem of ``region`` (see the module docstring).

    Raises :class:`InputError` for no villages beyond reach, a depot that is not a facility,
    no working days, or a workday shorter than the fastest round trip to any village.
    """
    calendar = working_calendar(days, start=start, holidays=holidays)
    if calendar.n_working == 0:
        raise InputError("the calendar has no working day; check days, weekdays and holidays.")
    if not workday > 0 or not overtime >= 0:
        raise InputError(
            f"workday must be > 0 and overtime >= 0 minutes, got {workday}, {overtime}."
        )
    vehicle_profile = get_profile(profile)
    circle_profile = get_profile(access_profile)
    counts = dict(vehicles or {"township_health_center": 1})
    depots = _depots(region, counts)
    settle = region.settlements
    minutes = fixed if fixed is not None else fixed_minutes(region, tier, circle_profile)
    if villages is not None:
        unknown = sorted(set(villages) - set(settle["id"]))
        if unknown:
            raise InputError(
                f"--villages: unknown village id(s) {unknown[:5]}; use settlement ids of the "
                "region."
            )
        chosen = settle[settle["id"].isin(list(villages))]
    else:
        chosen = settle[(minutes.reindex(settle["id"]).to_numpy() > threshold)]
    if chosen.empty:
        msg = (
            f"no village is beyond {threshold:g} minutes of a {tier} by {circle_profile.name}: "
            "there is nothing for mobile services to do. Lower --threshold or name the villages "
            "(--villages)."
        )
        raise InputError(msg)
    table = _village_table(
        chosen,
        minutes,
        calendar,
        workday,
        follow_up_days,
        visits_column,
        setup_min,
        minutes_per_patient,
        max_visit_min,
        gap_slack,
        demand,
        capacity,
    )
    place_ids = [*depots["id"], *table["id"]]
    times = place_times(region, vehicle_profile, place_ids, place_ids)
    n = len(place_ids)
    duration = times["minutes"].to_numpy(dtype="float64").reshape(n, n).copy()
    np.fill_diagonal(duration, 0.0)
    km = road_km(region, vehicle_profile, place_ids)
    k = len(depots)
    trips = duration[:k, k:] + duration[k:, :k].T
    fastest = float(np.min(trips + table["service_min"].to_numpy()[None, :]))
    if not math.isfinite(fastest) or fastest > workday + overtime:
        msg = (
            f"a workday of {workday + overtime:g} minutes (with overtime) is shorter than the "
            f"fastest round trip to any village with its service ({fastest:.0f} minutes); "
            "lengthen --workday or add depots nearer the villages."
        )
        raise InputError(msg)
    working = np.asarray(calendar.working)
    patterns = [
        gap_patterns(working, int(v), min_gap=int(lo), max_gap=int(hi))
        for v, lo, hi in zip(table["visits"], table["min_gap"], table["max_gap"], strict=True)
    ]
    fleet = np.outer(depots["vehicles"].to_numpy(dtype="int64"), working.astype("int64"))
    q = table["demand"].to_numpy(dtype="float64")
    cap = math.inf if capacity is None else float(capacity)
    if capacity is not None and not cap > 0:
        raise InputError(f"capacity must be a positive number, got {capacity!r}.")
    prize = (
        VISIT_PRIZE * table["visits"].to_numpy() * (1.0 + np.log1p(table["patients"].to_numpy()))
    )
    problem = PeriodicProblem.from_cost_matrix(
        km,
        n_depots=k,
        duration=duration,
        demand=q,
        service=table["service_min"].to_numpy(dtype="float64"),
        patterns=patterns,
        vehicles=fleet,
        capacity=cap,
        workday=workday,
        overtime=overtime,
        overtime_cost=costs.per_overtime_min,
        distance_cost=costs.per_km,
        route_cost=costs.per_trip,
        prize=prize,
        depot_ids=list(depots["id"]),
        client_ids=list(table["id"]),
        days=list(calendar.labels),
        continuity=continuity,
        min_gap=table["min_gap"].to_numpy(dtype="float64"),
        max_gap=table["max_gap"].to_numpy(dtype="float64"),
    )
    options = {
        "threshold_min": threshold,
        "tier": tier,
        "days": days,
        "start": None if start is None else str(start),
        "holidays": [str(h) for h in holidays],
        "workday_min": workday,
        "overtime_min": overtime,
        "vehicles": counts,
        "follow_up_days": follow_up_days,
        "visits_column": visits_column,
        "setup_min": setup_min,
        "minutes_per_patient": minutes_per_patient,
        "max_visit_min": max_visit_min if max_visit_min is not None else workday / 2,
        "gap_slack": gap_slack,
        "demand": demand,
        "capacity": capacity,
        "continuity": continuity,
        "costs": costs.__dict__,
    }
    kwargs = {
        "threshold": threshold,
        "tier": tier,
        "access_profile": circle_profile,
        "villages": villages,
        "days": days,
        "start": start,
        "holidays": holidays,
        "workday": workday,
        "overtime": overtime,
        "vehicles": counts,
        "profile": vehicle_profile,
        "follow_up_days": follow_up_days,
        "visits_column": visits_column,
        "setup_min": setup_min,
        "minutes_per_patient": minutes_per_patient,
        "max_visit_min": max_visit_min,
        "gap_slack": gap_slack,
        "demand": demand,
        "capacity": capacity,
        "continuity": continuity,
        "costs": costs,
    }
    return Setup(
        problem,
        table,
        depots,
        calendar,
        km,
        vehicle_profile,
        circle_profile,
        minutes,
        options,
        kwargs,
    )


def _depots(region: Region, counts: Mapping[str, int]) -> pd.DataFrame:
    """Facilities named by tier or id in ``counts``, with their vehicles."""
    fac = region.facilities
    tiers = {t for v in region.tiers.values() for t in v}
    rows: dict[str, int] = {}
    for key, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InputError(f"vehicles of {key!r} must be a whole number >= 0, got {n!r}.")
        if key in tiers:
            ids = fac.loc[fac["tier"] == key, "id"].astype(str)
        elif key in set(fac["id"].astype(str)):
            ids = pd.Series([key])
        else:
            msg = (
                f"vehicles: {key!r} is neither a facility tier ({sorted(tiers)}) nor a facility id "
                "of the region; name the depots by tier (township_health_center:1) or by id."
            )
            raise InputError(msg)
        for i in ids:
            rows[str(i)] = int(n)
    rows = {i: n for i, n in rows.items() if n > 0}
    if not rows:
        raise InputError(
            "no depot has a vehicle; give at least one vehicle (township_health_center:1)."
        )
    info = fac.set_index(fac["id"].astype(str))
    ids = sorted(rows)
    return pd.DataFrame(
        {
            "id": ids,
            "name": [str(info.at[i, "name"]) for i in ids],
            "tier": [str(info.at[i, "tier"]) for i in ids],
            "admin_code": [
                str(info.at[i, "admin_code"]) if "admin_code" in info else "" for i in ids
            ],
            "vehicles": [rows[i] for i in ids],
        }
    )


def _village_table(
    chosen: pd.DataFrame,
    minutes: pd.Series,
    calendar: Calendar,
    workday: float,
    follow_up_days: float,
    visits_column: str | None,
    setup_min: float,
    per_patient: float,
    max_visit_min: float | None,
    gap_slack: float,
    demand: float | str,
    capacity: float | None,
) -> pd.DataFrame:
    if not follow_up_days > 0:
        raise InputError(f"follow_up_days must be > 0, got {follow_up_days!r}.")
    if setup_min < 0 or per_patient < 0 or not 0 <= gap_slack < 1:
        raise InputError("setup and minutes per patient must be >= 0 and gap_slack in [0, 1).")
    cap = workday / 2 if max_visit_min is None else float(max_visit_min)
    patients = (
        chosen["chronic_patients"].fillna(0.0).to_numpy(dtype="float64")
        if "chronic_patients" in chosen
        else np.zeros(len(chosen))
    )
    span = calendar.n_days if calendar.n_days > calendar.n_working else calendar.n_working * 7 / 5
    rounds = max(1, round(span / follow_up_days))
    if visits_column is not None:
        if visits_column not in chosen:
            raise InputError(f"no settlement column {visits_column!r} for the visits; add it.")
        base = chosen[visits_column].fillna(0).to_numpy(dtype="float64")
        if (base < 1).any() or (base != np.round(base)).any():
            raise InputError(f"column {visits_column!r} must hold whole numbers of visits >= 1.")
        base = base.astype("int64")
    else:
        base = np.full(len(chosen), rounds, dtype="int64")
    split = np.ceil(patients * per_patient / max(cap - setup_min, 1e-9))
    if isinstance(demand, str):
        if demand not in chosen:
            raise InputError(f"no settlement column {demand!r} for the demand; add it.")
        per_round = chosen[demand].fillna(0.0).to_numpy(dtype="float64")
    else:
        per_round = np.full(len(chosen), float(demand))
    total = per_round * base
    if capacity is not None and capacity > 0:
        split = np.maximum(split, np.ceil(per_round / capacity))  # a van carries one share
    visits = base * np.maximum(1, split).astype("int64")
    most = calendar.n_working
    visits = np.minimum(visits, most)
    service = setup_min + per_patient * patients * base / visits
    ideal = (calendar.n_days - 1) / np.maximum(visits, 1)
    min_gap = np.maximum(1, np.floor(ideal * (1 - gap_slack))).astype("int64")
    max_gap = np.maximum(min_gap, np.ceil(ideal * (1 + gap_slack))).astype("int64")
    q = total / visits
    return pd.DataFrame(
        {
            "id": chosen["id"].astype(str).to_numpy(),
            "name": chosen["name"].to_numpy(),
            "admin_code": chosen["admin_code"].astype(str).to_numpy(),
            "population": chosen["population"].to_numpy(dtype="float64"),
            "patients": patients,
            "minutes_to_fixed": minutes.reindex(chosen["id"]).to_numpy(dtype="float64"),
            "visits": visits,
            "rounds": base,
            "service_min": service,
            "min_gap": min_gap,
            "max_gap": max_gap,
            "demand": q,
        }
    )


def road_km(region: Region, profile: str | Profile, place_ids: Sequence[str]) -> np.ndarray:
    """Kilometres driven between every pair of places along the fastest paths of ``profile``.

    Two of scipy's Dijkstra passes on the full graph: one in minutes, one in minutes plus
    :data:`KM_WEIGHT` per km driven (drive arcs at their planar length between the arc's
    nodes; walks to and from the road are not driven). The second finds the same fastest
    paths (breaking exact ties towards fewer km), so the km of each is the difference of the
    two divided by the weight.
    """
    network = network_for(region, profile)
    nodes = pd.Series(
        np.concatenate([network.settlement_nodes, network.facility_nodes]),
        index=np.concatenate(
            [region.settlements["id"].astype(str), region.facilities["id"].astype(str)]
        ),
    )
    nodes = nodes[~nodes.index.duplicated()]
    at = nodes.reindex(list(place_ids)).to_numpy(dtype="int64")
    g = network.graph
    tail = np.repeat(np.arange(g.shape[0]), np.diff(g.indptr))
    xy = network.node_xy
    km = np.where(network.arc_mode == DRIVE, np.hypot(*(xy[tail] - xy[g.indices]).T) / 1000.0, 0.0)
    weighted = csr_matrix((g.data + KM_WEIGHT * km, g.indices, g.indptr), shape=g.shape)
    batch = max(1, _KM_BATCH_CELLS // max(g.shape[0], 1))
    out = np.full((len(at), len(at)), np.inf)
    for start in range(0, len(at), batch):
        origins = at[start : start + batch]
        minutes = dijkstra(g, indices=origins)[:, at]
        both = dijkstra(weighted, indices=origins)[:, at]
        with np.errstate(invalid="ignore"):
            part = np.maximum((both - minutes) / KM_WEIGHT, 0.0)
        out[start : start + batch] = np.where(np.isfinite(minutes), part, np.inf)
    np.fill_diagonal(out, 0.0)
    return out
