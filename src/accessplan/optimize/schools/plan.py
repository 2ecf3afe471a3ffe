"""One call from a region to a school network plan: the analysis behind ``accessplan schools``.

Schools are the region's facilities of service ``school``: a school of tier ``primary`` or
``middle`` teaches that band, a ``teaching_point`` the youngest band (exempt from the minimum
size). Each band travels with its own profile (walking for primary, a motorcycle for middle
school by default) over the one travel engine. Protected schools: those given, and with
``protect_township`` the only school of a band in its township.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan._errors import InputError
from accessplan._result import Raster
from accessplan.measures.schools import catchments, nearest_schools, township_of
from accessplan.optimize.schools.curve import tradeoff
from accessplan.optimize.schools.problem import SchoolProblem
from accessplan.optimize.schools.solve import Method, SchoolSolution, solve_schools
from accessplan.region import Region
from accessplan.travel.matrix import travel_times
from accessplan.travel.profiles import Profile, get_profile

#: The bands, youngest first, with their default travel profiles.
DEFAULT_PROFILES = {"primary": "walk", "middle": "motorcycle"}
#: Bands old enough to board by default (the minimum boarding age: middle school).
DEFAULT_BOARDING = ("middle",)
#: Cost of one boarder in pupil-minutes (a day pupil's one-way minutes count once).
DEFAULT_BOARDER_COST = 60.0
#: Cost of moving one pupil to another school, in pupil-minutes: fewer moves, then travel.
DEFAULT_MOVE_COST = 10.0
#: Farthest a boarder may live from school (one way, minutes): the travel search's cutoff.
BOARD_MAX_MINUTES = 240.0
#: Cost of opening a new teaching point, in pupil-minutes (a teacher's post in a village).
DEFAULT_TEACHING_POINT_COST = 600.0
TEACHING_POINT = "teaching_point"


@dataclass(frozen=True, eq=False)
class SchoolPlan:
    """A school network plan (:func:`plan_schools`).

    Attributes
    ----------
    region, profiles
        The region planned; each band's travel profile, in full.
    options
        The options as used.
    problem, solution
        The model and its solution.
    schools
        One row per school: ``school_id, name, tier, band, township, town (at a township
        seat), capacity, hostel, protected, teaching_point, downgraded (a small school kept
        as a teaching point), status (kept|closed|new: a new teaching point),
        pupils_before, pupils_after, utilisation_before, utilisation_after, boarders,
        pupils_beyond_limit_before, why (below_min_size|not_needed for a closed school),
        went_to (schools its pupils went to, ``;``-separated)``.
    assignment
        One row per pupil group: ``settlement_id, name, township, band, pupils,
        school_before, minutes_before, school_after, minutes_after, boarding, moved``.
    townships
        Per township: pupils, mean and maximum minutes and pupils beyond the limit, before
        and after, schools before and after.
    curve
        The trade-off between the number of schools and travel (see
        :func:`~accessplan.optimize.schools.tradeoff`).
    where
        Each school's point by id (new teaching points at their settlement).
    """

    region: Region
    profiles: dict[str, Profile]
    options: dict[str, Any]
    problem: SchoolProblem
    solution: SchoolSolution
    schools: pd.DataFrame
    assignment: pd.DataFrame
    townships: pd.DataFrame
    curve: pd.DataFrame
    where: gpd.GeoSeries

    def tables(self) -> dict[str, pd.DataFrame]:
        """``schools``, ``pupil_assignment``, ``townships`` and ``tradeoff``."""
        return {
            "schools": self.schools,
            "pupil_assignment": self.assignment,
            "townships": self.townships,
            "tradeoff": self.curve,
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``schools`` (points with their status) and ``pupil_flows`` (a line from each moved
        pupil group's settlement to its new school)."""
        crs = self.region.crs
        where = self.where.reindex(self.schools["school_id"]).to_numpy()
        settle = self.region.settlements.set_index(self.region.settlements["id"].astype(str))
        moved = self.assignment[self.assignment["moved"]]
        lines = [
            shapely.LineString([settle.geometry[s], self.where[j]])
            for s, j in zip(moved["settlement_id"], moved["school_after"], strict=True)
        ]
        flows = gpd.GeoDataFrame(
            moved[
                ["settlement_id", "band", "pupils", "school_before", "school_after", "boarding"]
            ].reset_index(drop=True),
            geometry=lines,
            crs=crs,
        )
        return {
            "schools": gpd.GeoDataFrame(self.schools, geometry=where, crs=crs),
            "pupil_flows": flows,
        }

    def rasters(self) -> dict[str, Raster]:
        """None: the plan is made on the road network."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Schools before and after, small schools, pupils moved, boarders, minutes by band,
        the share of pupils in town schools, and the solver's proof."""
        s, a, sol = self.schools, self.assignment, self.solution
        size = self.options["min_size"]
        open_after = s["status"] != "closed"
        regular = ~s["teaching_point"]
        pupils = float(a["pupils"].sum())
        town = s.set_index("school_id")["town"]
        day = ~a["boarding"]
        point = s["teaching_point"] | s["downgraded"]
        out: dict[str, Any] = {
            "schools_before": int((~s["teaching_point"] & (s["status"] != "new")).sum()),
            "schools_after": int((~point & open_after).sum()),
            "closed": int((s["status"] == "closed").sum()),
            "small_before": int((regular & (s["pupils_before"] < size)).sum()),
            "small_after": int((~point & open_after & (s["pupils_after"] < size)).sum()),
            "teaching_points_before": int((s["teaching_point"] & (s["status"] != "new")).sum()),
            "teaching_points_after": int((point & open_after).sum()),
            "teaching_points_new": int((s["status"] == "new").sum()),
            "downgraded": int(s["downgraded"].sum()),
            "pupils": pupils,
            "pupils_moved": float(a.loc[a["moved"], "pupils"].sum()),
            "boarders": float(a.loc[a["boarding"], "pupils"].sum()),
            "town_share_before": _share(a, town, "school_before", pupils),
            "town_share_after": _share(a, town, "school_after", pupils),
            "utilisation_after": float(
                s.loc[open_after, "pupils_after"].sum() / s.loc[open_after, "capacity"].sum()
            ),
        }
        for band in self.problem.bands:
            mine = a[(a["band"] == band) & day]
            w = mine["pupils"].to_numpy(dtype=float)
            for when in ("before", "after"):
                t = mine[f"minutes_{when}"].to_numpy(dtype=float)
                ok = np.isfinite(t)
                mean = float(w[ok] @ t[ok] / w[ok].sum()) if w[ok].sum() > 0 else float("nan")
                out[f"mean_minutes_{band}_{when}"] = _finite(mean)
                out[f"max_minutes_{band}_{when}"] = _finite(float(t.max(initial=0.0)))
                out[f"pupils_beyond_limit_{band}_{when}"] = float(
                    w[t > self.problem.max_minutes[self.problem.bands.index(band)]].sum()
                )
        out.update(
            objective=sol.objective,
            bound=sol.bound,
            gap=sol.gap,
            is_optimal=sol.is_optimal,
            schools_bound=sol.count_bound,
            method=sol.method,
            runtime_s=sol.runtime,
        )
        return out

    def parameters(self) -> dict[str, Any]:
        """The options as used, with each band's travel profile in full."""
        return {
            **self.options,
            "profiles": {b: json.loads(p.key()) for b, p in self.profiles.items()},
        }


def _finite(value: float) -> float | None:
    """``value``, or None (JSON null) when not finite (no school within the search)."""
    return value if np.isfinite(value) else None


def _share(a: pd.DataFrame, town: pd.Series, column: str, pupils: float) -> float:
    at_town = a[column].map(town).fillna(False).astype(bool)
    return float(a.loc[at_town, "pupils"].sum() / pupils) if pupils > 0 else float("nan")


def plan_schools(
    region: Region,
    *,
    bands: Sequence[str] = tuple(DEFAULT_PROFILES),
    profiles: Mapping[str, str | Profile] | None = None,
    max_minutes: Mapping[str, float] | None = None,
    min_size: float = 0.0,
    boarding: Sequence[str] = DEFAULT_BOARDING,
    boarder_cost: float = DEFAULT_BOARDER_COST,
    move_cost: float = DEFAULT_MOVE_COST,
    protect_township: bool = True,
    protected: Sequence[str] = (),
    closest: bool = False,
    max_closures: int | None = None,
    teaching_points: bool = True,
    teaching_point_cost: float = DEFAULT_TEACHING_POINT_COST,
    curve_points: int = 5,
    p: int | None = None,
    method: Method = "auto",
    time_limit: float | None = 60.0,
    seed: int = 0,
    times: Mapping[str, pd.DataFrame] | None = None,
) -> SchoolPlan:
    """Consolidate the region's school network (see :mod:`accessplan.optimize.schools`).

    Parameters
    ----------
    bands
        Grade bands, youngest first; settlements need ``pupils_<band>`` columns.
    profiles
        Travel profile per band (default :data:`DEFAULT_PROFILES`, else ``walk``).
    max_minutes
        One-way day limit per band (absent: none).
    min_size
        Schools below this many pupils now may close and, if they stay, must reach it.
    boarding
        Bands old enough to board (at schools with a ``hostel`` column above 0).
    boarder_cost, move_cost
        Costs of a boarder and of a pupil moved, in pupil-minutes.
    protect_township, protected
        Keep the only school of a band in its township; keep these school ids.
    closest
        Pupils go to the nearest open school teaching their band.
    max_closures
        Most schools that may close.
    teaching_points, teaching_point_cost
        Whether teaching points may open for the youngest band when it may not board: new
        ones (with a day limit) at a settlement whose pupils fit no school within the limit
        now, taking only pupils no open school takes by day; and primary schools below
        ``min_size`` that cannot close may stay as teaching points. The cost of each, in
        pupil-minutes.
    curve_points
        Points of the schools-versus-travel trade-off (0: none).
    p, method
        Schools (teaching points included) to keep open instead of the fewest possible;
        the solver (see :func:`~accessplan.optimize.schools.solve_schools`).
    time_limit
        Seconds for the plan (and as much again for the curve).
    times
        Per band, the long ``from_id, to_id, minutes`` table (computed when not given).
    """
    bands = tuple(bands)
    limits = dict(max_minutes or {})
    _check_bands(region, bands, limits, boarding, profiles or {})
    existing = _schools(region, bands)
    teaches = {b: existing.loc[existing["band"] == b, "id"].astype(str).tolist() for b in bands}
    chosen = {b: (profiles or {}).get(b, DEFAULT_PROFILES.get(b, "walk")) for b in bands}
    resolved = {b: get_profile(p) for b, p in chosen.items()}
    if times is None:
        times = {
            b: travel_times(
                region,
                resolved[b],
                cutoff=BOARD_MAX_MINUTES if b in boarding else limits.get(b),
            )
            for b in bands
        }
    before = nearest_schools(region, times, teaches)
    schools = existing
    if teaching_points and bands[0] not in boarding and bands[0] in limits:
        schools = _new_points(region, existing, before, times[bands[0]], bands[0], limits[bands[0]])
    problem = _problem(
        region,
        schools,
        times,
        before,
        bands=bands,
        limits=limits,
        boarding=boarding,
        protect_township=protect_township,
        protected=protected,
        boarder_cost=boarder_cost,
        move_cost=move_cost,
        teaching_point_cost=teaching_point_cost,
        downgrade=teaching_points and bands[0] not in boarding,
        min_size=min_size,
        closest=closest,
        max_closures=max_closures,
    )
    solution = solve_schools(problem, p=p, time_limit=time_limit, seed=seed, method=method)
    curve = pd.DataFrame()
    if curve_points > 0:
        counts = _counts(solution, problem, curve_points)
        each = None if time_limit is None else time_limit / max(len(counts), 1)
        curve = tradeoff(problem, counts, time_limit=each, seed=seed)
    after = solution.plan(problem)
    table, per_town = _tables(region, schools, problem, before, after, limits, solution)
    where = schools.set_index("id").geometry
    options = {
        "bands": list(bands),
        "max_minutes": {b: limits[b] for b in bands if b in limits},
        "min_size": float(min_size),
        "boarding": [b for b in bands if b in boarding],
        "boarder_cost": float(boarder_cost),
        "move_cost": float(move_cost),
        "protect_township": bool(protect_township),
        "protected": sorted(protected),
        "closest": bool(closest),
        "max_closures": max_closures,
        "teaching_points": bool(teaching_points),
        "teaching_point_cost": float(teaching_point_cost),
        "curve_points": int(curve_points),
        "p": p,
        "method": method,
        "time_limit_s": time_limit,
        "seed": seed,
    }
    return SchoolPlan(
        region=region,
        profiles=resolved,
        options=options,
        problem=problem,
        solution=solution,
        schools=table,
        assignment=_assignment(region, before, after),
        townships=per_town,
        curve=curve,
        where=gpd.GeoSeries(where, crs=schools.crs),
    )


def _check_bands(
    region: Region,
    bands: tuple[str, ...],
    limits: Mapping[str, float],
    boarding: Sequence[str],
    profiles: Mapping[str, Any],
) -> None:
    unknown = sorted((set(limits) | set(boarding) | set(profiles)) - set(bands))
    if unknown:
        msg = f"bands {unknown} are not among the planned bands {list(bands)}; use those."
        raise InputError(msg)
    missing = [f"pupils_{b}" for b in bands if f"pupils_{b}" not in region.settlements]
    if missing:
        msg = f"settlements need the columns {missing} (pupils per grade band); add them."
        raise InputError(msg)


def _schools(region: Region, bands: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The region's schools of the bands (and teaching points, which teach the youngest),
    with their ``band``, ``hostel`` (0 when unknown), ``times_of`` (their own id: whose
    travel times they have), ``home`` (-1: see :func:`_new_points`) and ``new`` (False)."""
    fac = region.facilities
    schools = fac[(fac["service"] == "school") & fac["tier"].isin([*bands, TEACHING_POINT])]
    if schools.empty:
        msg = f"the region has no schools of the bands {list(bands)}; add school facilities."
        raise InputError(msg)
    out = schools.reset_index(drop=True).copy()
    out["id"] = out["id"].astype(str)
    out["band"] = np.where(out["tier"] == TEACHING_POINT, bands[0], out["tier"])
    hostel = out["hostel"] if "hostel" in out else pd.Series(0.0, out.index)
    out["hostel"] = pd.to_numeric(hostel, errors="coerce").fillna(0.0)
    out["capacity"] = out["capacity"].fillna(0.0)
    out["times_of"] = out["id"]
    out["home"] = -1
    out["new"] = False
    return out


def _new_points(
    region: Region,
    schools: gpd.GeoDataFrame,
    before: pd.DataFrame,
    times: pd.DataFrame,
    band: str,
    limit: float,
) -> gpd.GeoDataFrame:
    """``schools`` and a candidate teaching point (id ``TP-<settlement>``, room for its
    pupils, only for that settlement: its ``home``) at each settlement whose ``band`` pupils
    fit no school within ``limit`` now (none in reach, or none large enough)."""
    near = times[times["minutes"] <= limit].merge(
        schools.loc[schools["band"] == band, ["id", "capacity"]], left_on="to_id", right_on="id"
    )
    room = near.groupby("from_id")["capacity"].max()
    mine = before[before["band"] == band]
    mine = mine[
        mine["pupils"].to_numpy() > room.reindex(mine["settlement_id"]).fillna(0).to_numpy()
    ]
    if mine.empty:
        return schools
    settle = region.settlements.reset_index(drop=True)
    at = pd.Index(settle["id"].astype(str)).get_indexer(mine["settlement_id"].astype(str))
    new = gpd.GeoDataFrame(
        {
            "id": ["TP-" + s for s in mine["settlement_id"].astype(str)],
            "name": settle["name"].to_numpy()[at],
            "service": "school",
            "tier": TEACHING_POINT,
            "capacity": mine["pupils"].to_numpy(dtype=float),
            "admin_code": settle["admin_code"].to_numpy()[at],
            "band": band,
            "hostel": 0.0,
            "times_of": "",
            "home": at,
            "new": True,
        },
        geometry=settle.geometry.to_numpy()[at],
        crs=schools.crs,
    )
    return gpd.GeoDataFrame(pd.concat([schools, new], ignore_index=True), crs=schools.crs)


def _problem(
    region: Region,
    schools: gpd.GeoDataFrame,
    times: Mapping[str, pd.DataFrame],
    before: pd.DataFrame,
    *,
    bands: tuple[str, ...],
    limits: Mapping[str, float],
    boarding: Sequence[str],
    protect_township: bool,
    protected: Sequence[str],
    boarder_cost: float,
    move_cost: float,
    teaching_point_cost: float,
    downgrade: bool,
    min_size: float,
    closest: bool,
    max_closures: int | None,
) -> SchoolProblem:
    """The model of ``schools`` (existing, then new teaching points) for the settlements."""
    settle = region.settlements
    sid = pd.Index(settle["id"].astype(str))
    ids = pd.Index(schools["id"])
    unknown = sorted(set(protected) - set(ids))
    if unknown:
        msg = f"protected schools {unknown[:5]} are not schools of the region; check the ids."
        raise InputError(msg)
    minutes = np.full((len(bands), len(sid), len(ids)), np.inf)
    columns = pd.DataFrame({"times_of": schools["times_of"], "col": np.arange(len(ids))})
    for k, b in enumerate(bands):
        mine = columns[(schools["band"] == b).to_numpy() & (columns["times_of"] != "")]
        t = times[b].merge(mine, left_on="to_id", right_on="times_of")  # a row per copy
        row = sid.get_indexer(t["from_id"].astype(str))
        ok = row >= 0
        minutes[k, row[ok], t["col"].to_numpy()[ok]] = t["minutes"].to_numpy(dtype=float)[ok]
    home = schools["home"].to_numpy(dtype=np.int64)
    new = schools["new"].to_numpy(dtype=bool)
    minutes[0, home[home >= 0], np.flatnonzero(home >= 0)] = 0.0  # in the village
    current = np.full((len(bands), len(sid)), -1)
    has = before["school_id"].notna().to_numpy()
    current[
        pd.Index(bands).get_indexer(pd.Index(before["band"][has])),
        sid.get_indexer(pd.Index(before["settlement_id"][has])),
    ] = ids.get_indexer(pd.Index(before["school_id"][has].astype(str)))
    keep = schools["id"].isin(list(protected)).to_numpy().copy()
    tiers = schools["tier"].to_numpy()
    if protect_township:
        town = township_of(region, schools["admin_code"]).to_numpy()
        only = schools["band"].groupby([town, schools["band"], new]).transform("size") == 1
        keep |= only.to_numpy() & (tiers != TEACHING_POINT)
    return SchoolProblem.from_arrays(
        minutes,
        settle[[f"pupils_{b}" for b in bands]].fillna(0.0).to_numpy(dtype=float),
        schools["capacity"].to_numpy(dtype=float),
        bands=bands,
        max_minutes=[limits.get(b, np.inf) for b in bands],
        boarding=[b in boarding for b in bands],
        hostel=schools["hostel"].to_numpy(dtype=float),
        boarder_cost=boarder_cost,
        move_cost=move_cost,
        current=current,
        protected=keep,
        teaching_point=tiers == TEACHING_POINT,
        new=new,
        open_cost=np.where(new, teaching_point_cost, 0.0),
        min_size=min_size,
        downgrade_cost=teaching_point_cost if downgrade else None,
        closest=closest,
        max_closures=max_closures,
        settlement_ids=tuple(sid),
        school_ids=tuple(ids),
    )


def _counts(solution: SchoolSolution, problem: SchoolProblem, points: int) -> list[int]:
    """Up to ``points`` counts from the plan's to the plan's plus every school it closed."""
    closed = int((~solution.open & ~problem.new).sum())
    spread = np.linspace(solution.n_open, solution.n_open + closed, points)
    return sorted({round(float(v)) for v in spread})


def _tables(
    region: Region,
    schools: gpd.GeoDataFrame,
    problem: SchoolProblem,
    before: pd.DataFrame,
    after: pd.DataFrame,
    limits: dict[str, float],
    solution: SchoolSolution,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The schools table (existing schools and the new teaching points opened; for each
    closed school why it could close and where its pupils went) and the townships table
    (before and after)."""
    ids = schools["id"]
    base = pd.DataFrame({"school_id": ids, "capacity": schools["capacity"]})
    was, towns_before = catchments(region, before, base, max_minutes=limits)
    now, towns_after = catchments(region, after, base, max_minutes=limits)
    went = (
        before.merge(after, on=["settlement_id", "band"], suffixes=("", "_after"))
        .query("school_id != school_id_after")
        .groupby("school_id")["school_id_after"]
        .agg(lambda s: ";".join(sorted(set(map(str, s)))))
    )
    new = schools["new"].to_numpy(dtype=bool)
    is_open = solution.open
    # a closed school was below the minimum size, or (without one) not needed by the rules
    reason = np.where(problem.closable & (problem.min_size > 0), "below_min_size", "not_needed")
    downgraded = solution.downgraded
    status = np.where(is_open, np.where(new, "new", "kept"), "closed")
    boarders = after[after["boarding"]].groupby("school_id")["pupils"].sum()
    table = pd.DataFrame(
        {
            "school_id": ids.to_numpy(),
            "name": schools["name"].to_numpy(),
            "tier": schools["tier"].to_numpy(),
            "band": schools["band"].to_numpy(),
            "township": township_of(region, schools["admin_code"]).to_numpy(),
            "town": schools["admin_code"].astype(str).isin(_seat_codes(region)).to_numpy(),
            "capacity": schools["capacity"].to_numpy(dtype=float),
            "hostel": problem.hostel,
            "protected": problem.protected,
            "teaching_point": problem.teaching_point,
            "downgraded": downgraded,
            "status": status,
            "pupils_before": was["pupils"].to_numpy(),
            "pupils_after": now["pupils"].to_numpy(),
            "utilisation_before": was["utilisation"].to_numpy(),
            "utilisation_after": now["utilisation"].to_numpy(),
            "boarders": boarders.reindex(ids).fillna(0.0).to_numpy(),
            "pupils_beyond_limit_before": was["pupils_beyond_limit"].to_numpy(),
            "why": np.where(is_open, "", reason),
            "went_to": went.reindex(ids).fillna("").to_numpy(),
        }
    )
    table = table[~new | is_open].reset_index(drop=True)  # candidates never opened vanish
    per_town = towns_before.merge(
        towns_after, on="township", how="outer", suffixes=("_before", "_after")
    )
    for when, mask in (
        ("before", table["status"] != "new"),
        ("after", table["status"] != "closed"),
    ):
        count = table[mask].groupby("township").size()
        per_town[f"schools_{when}"] = per_town["township"].map(count).fillna(0).astype(int)
    return table, per_town


def _seat_codes(region: Region) -> set[str]:
    """Administrative codes of each township's largest settlement (its seat, a town)."""
    settle = region.settlements
    town = township_of(region, settle["admin_code"])
    largest = settle.assign(_t=town.to_numpy()).sort_values(
        ["_t", "population", "id"], ascending=[True, False, True]
    )
    return set(largest.drop_duplicates("_t")["admin_code"].astype(str))


def _assignment(region: Region, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    settle = region.settlements.set_index(region.settlements["id"].astype(str))
    out = after.merge(
        before[["settlement_id", "band", "school_id", "minutes"]],
        on=["settlement_id", "band"],
        how="left",
        suffixes=("_after", "_before"),
    )
    township = township_of(
        region, settle["admin_code"].reindex(out["settlement_id"]).reset_index(drop=True)
    )
    return pd.DataFrame(
        {
            "settlement_id": out["settlement_id"].to_numpy(),
            "name": settle["name"].reindex(out["settlement_id"]).to_numpy(),
            "township": township.to_numpy(),
            "band": out["band"].to_numpy(),
            "pupils": out["pupils"].to_numpy(),
            "school_before": out["school_id_before"].to_numpy(),
            "minutes_before": out["minutes_before"].to_numpy(),
            "school_after": out["school_id_after"].astype(str).to_numpy(),
            "minutes_after": out["minutes_after"].to_numpy(),
            "boarding": out["boarding"].to_numpy(bool),
            "moved": (
                out["school_id_before"].astype(str) != out["school_id_after"].astype(str)
            ).to_numpy(),
        }
    )
