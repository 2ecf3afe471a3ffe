"""Key figures of a mobile plan, and coverage of fixed and fixed + mobile by township.

Definitions (all from the schedule and the village table, never from the solver):

* a village is **served** when it gets all its visits (at the required frequency);
* a **trip** is a route, one vehicle on one day; **person-visits** are the chronic patients
  seen, each patient once per follow-up round (a village's patients shared among the visits
  of a round), so ``km per person-visit = km / person-visits``;
* **regularity**: the longest gap (days) between two consecutive visits of a village;
* **continuity**: the share of villages with several visits whose visits are all made by one
  vehicle (one team);
* **workload balance**: the coefficient of variation (standard deviation / mean) of the
  minutes each vehicle works over the horizon;
* **cost**: km x cost per km + trips x cost per vehicle-day + overtime minutes x cost per
  minute; per visit and per person-visit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from accessplan.optimize.mobile.problem import PeriodicProblem


def plan_kpis(
    problem: PeriodicProblem,
    villages: pd.DataFrame,
    schedule: pd.DataFrame,
    dropped: pd.DataFrame,
    *,
    per_km: float,
    per_vehicle_day: float,
    per_overtime_min: float,
) -> dict[str, Any]:
    """Key figures of a plan (see the module docstring). ``villages`` has ``id, population,
    patients, visits`` and, optionally, ``rounds`` (follow-up rounds in the horizon)."""
    visits = schedule[schedule["kind"] == "visit"]
    info = villages.set_index("id")
    served_ids = sorted(set(visits["place"]) - set(dropped["client_id"]))
    per_visit = info["patients"] * _rounds(info) / info["visits"].clip(lower=1)
    person_visits = float(visits["place"].map(per_visit).fillna(0.0).sum())
    km = float(schedule["distance"].sum())
    trips = schedule.groupby(["day", "vehicle"]).ngroups if len(schedule) else 0
    worked = _route_minutes(schedule)
    overtime = (
        float(np.maximum(worked - problem.workday, 0).sum())
        if math.isfinite(problem.workday)
        else 0.0
    )
    gaps = _gaps(visits)
    multi = [v for v, n in info["visits"].items() if n > 1 and v in set(served_ids)]
    teams = visits.groupby("place")["vehicle"].nunique()
    same = sum(1 for v in multi if teams.get(v, 0) == 1)
    per_vehicle = vehicle_workload(problem, schedule)["minutes"].to_numpy(dtype="float64")
    cost = km * per_km + trips * per_vehicle_day + overtime * per_overtime_min
    n_visits = len(visits)
    return {
        "villages": len(info),
        "villages_served": len(served_ids),
        "villages_dropped": len(dropped),
        "people": float(info["population"].fillna(0).sum()),
        "people_served": float(info.loc[served_ids, "population"].fillna(0).sum()),
        "patients": float(info["patients"].sum()),
        "patients_served": float(info.loc[served_ids, "patients"].sum()),
        "visits": n_visits,
        "person_visits": person_visits,
        "trips": trips,
        "km": km,
        "km_per_trip": km / trips if trips else float("nan"),
        "km_per_person_visit": km / person_visits if person_visits else float("nan"),
        "visits_per_vehicle_day": n_visits / trips if trips else float("nan"),
        "person_visits_per_trip": person_visits / trips if trips else float("nan"),
        "overtime_min": overtime,
        "routes_with_overtime": int((worked > problem.workday + 1e-9).sum()),
        "longest_gap_days": float(max(gaps)) if gaps else float("nan"),
        "continuity": same / len(multi) if multi else float("nan"),
        "workload_cv": _cv(per_vehicle),
        "cost": cost,
        "cost_per_visit": cost / n_visits if n_visits else float("nan"),
        "cost_per_person_visit": cost / person_visits if person_visits else float("nan"),
    }


def _rounds(info: pd.DataFrame) -> pd.Series:
    return info["rounds"] if "rounds" in info else pd.Series(1.0, index=info.index)


def _route_minutes(schedule: pd.DataFrame) -> np.ndarray:
    if schedule.empty:
        return np.zeros(0)
    g = schedule.groupby(["day", "vehicle"], sort=True)
    return (g["arrival_min"].max() - g["departure_min"].min()).to_numpy(dtype="float64")


def vehicle_workload(problem: PeriodicProblem, schedule: pd.DataFrame) -> pd.DataFrame:
    """The work of every vehicle of the fleet over the horizon (idle ones too): ``vehicle,
    depot, days`` (days worked), ``visits, km, minutes`` (from leaving the depot to coming
    back, summed over its days) and ``overtime_min`` (minutes beyond the workday)."""
    teams = list(problem.teams())
    names = [f"{problem.depot_ids[k]}#{j + 1}" for k, j in teams]
    out = pd.DataFrame({"vehicle": names, "depot": [problem.depot_ids[k] for k, _ in teams]})
    if schedule.empty:
        return out.assign(days=0, visits=0, km=0.0, minutes=0.0, overtime_min=0.0)
    g = schedule.groupby(["day", "vehicle"], sort=True)
    route = pd.DataFrame(
        {
            "minutes": g["arrival_min"].max() - g["departure_min"].min(),
            "km": g["distance"].sum(),
            "visits": g["kind"].apply(lambda k: int((k == "visit").sum())),
        }
    )
    finite = math.isfinite(problem.workday)
    route["overtime_min"] = np.maximum(route["minutes"] - problem.workday, 0) if finite else 0.0
    per = route.groupby(level="vehicle").agg(
        days=("minutes", "size"),
        visits=("visits", "sum"),
        km=("km", "sum"),
        minutes=("minutes", "sum"),
        overtime_min=("overtime_min", "sum"),
    )
    per = per.reindex(names)
    return out.assign(
        days=per["days"].fillna(0).astype("int64").to_numpy(),
        visits=per["visits"].fillna(0).astype("int64").to_numpy(),
        km=per["km"].fillna(0.0).to_numpy(dtype="float64"),
        minutes=per["minutes"].fillna(0.0).to_numpy(dtype="float64"),
        overtime_min=per["overtime_min"].fillna(0.0).to_numpy(dtype="float64"),
    )


def _gaps(visits: pd.DataFrame) -> list[int]:
    out: list[int] = []
    for _, days in visits.groupby("place")["day"]:
        d = np.sort(days.to_numpy())
        out.extend(np.diff(d).tolist())
    return out


def _cv(values: np.ndarray) -> float:
    mean = float(values.mean()) if len(values) else 0.0
    return float(values.std() / mean) if mean > 0 else float("nan")


def township_coverage(
    admin_units: pd.DataFrame,
    settlements: pd.DataFrame,
    fixed_minutes: pd.Series,
    threshold: float,
    served: set[str],
) -> pd.DataFrame:
    """People within ``threshold`` of the fixed network, and of it or a served mobile
    village, per township (and the whole region, code ``""``).

    Returns ``code, name, population, fixed_population, fixed_share, mobile_population,
    fixed_mobile_population, fixed_mobile_share``.
    """
    parent = dict(
        zip(admin_units["code"].astype(str), admin_units["parent"].astype(str), strict=True)
    )
    level = dict(
        zip(admin_units["code"].astype(str), admin_units["level"].astype(str), strict=True)
    )
    name = dict(zip(admin_units["code"].astype(str), admin_units["name"].astype(str), strict=True))

    def township(code: str) -> str:
        seen = set()
        while code and code not in seen:
            if level.get(code) == "township":
                return code
            seen.add(code)
            code = parent.get(code, "")
        return ""

    pop = settlements["population"].fillna(0.0).to_numpy(dtype="float64")
    ids = settlements["id"].astype(str).to_numpy()
    fixed = fixed_minutes.reindex(ids).to_numpy(dtype="float64") <= threshold
    mobile = np.isin(ids, list(served)) & ~fixed
    town = np.array([township(str(c)) for c in settlements["admin_code"]])
    frame = pd.DataFrame({"code": town, "pop": pop, "fixed": pop * fixed, "mobile": pop * mobile})
    rows = frame.groupby("code", sort=True).sum()
    rows.loc[""] = frame[["pop", "fixed", "mobile"]].sum()
    rows = rows.sort_index()
    out = pd.DataFrame(
        {
            "code": rows.index.to_numpy(),
            "name": [name.get(c, "") if c else "" for c in rows.index],
            "population": rows["pop"].to_numpy(),
            "fixed_population": rows["fixed"].to_numpy(),
            "mobile_population": rows["mobile"].to_numpy(),
        }
    )
    out["fixed_mobile_population"] = out["fixed_population"] + out["mobile_population"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fixed_share"] = out["fixed_population"] / out["population"]
        out["fixed_mobile_share"] = out["fixed_mobile_population"] / out["population"]
    return out[
        [
            "code",
            "name",
            "population",
            "fixed_population",
            "fixed_share",
            "mobile_population",
            "fixed_mobile_population",
            "fixed_mobile_share",
        ]
    ]
