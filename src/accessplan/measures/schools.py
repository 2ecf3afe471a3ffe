"""School catchments: which school each pupil group attends, each school's pupils and
utilisation, and the pupils beyond their band's one-way limit, by school and by township.

A catchment is the set of pupil groups (the pupils of one grade band in one settlement)
attending a school: by default the nearest school teaching the band (families choose it),
or a plan's assignment.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.region import Region

#: Columns of a pupil assignment table.
ASSIGNMENT_COLUMNS = ("settlement_id", "band", "pupils", "school_id", "minutes")


def nearest_schools(
    region: Region, times: Mapping[str, pd.DataFrame], teaches: Mapping[str, list[str]]
) -> pd.DataFrame:
    """Each settlement's pupils of each band at the nearest school teaching it.

    ``times`` maps a band to its long ``from_id, to_id, minutes`` table (its travel
    profile's); ``teaches`` maps a band to the ids of the schools teaching it. Groups with no
    school in ``times`` get no school and ``inf`` minutes.
    """
    settle = region.settlements
    rows = []
    for band, schools in teaches.items():
        column = f"pupils_{band}"
        if column not in settle:
            msg = f"settlements need a {column} column for the {band} band; add it."
            raise InputError(msg)
        t = times[band]
        t = t[t["to_id"].isin(schools)].sort_values(["from_id", "minutes", "to_id"])
        best = t.drop_duplicates("from_id").set_index("from_id")
        ids = settle["id"].astype(str)
        rows.append(
            pd.DataFrame(
                {
                    "settlement_id": ids.to_numpy(),
                    "band": band,
                    "pupils": settle[column].fillna(0.0).to_numpy(dtype=float),
                    "school_id": best["to_id"].reindex(ids).to_numpy(dtype=object),
                    "minutes": best["minutes"].reindex(ids).fillna(np.inf).to_numpy(float),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return out[out["pupils"] > 0].reset_index(drop=True)


def township_of(region: Region, codes: pd.Series) -> pd.Series:
    """The township code above each administrative code (the code itself when no unit of
    level ``township`` is above it)."""
    units = region.admin_units.set_index("code")
    parent, level = units["parent"].to_dict(), units["level"].to_dict()

    def up(code: str) -> str:
        seen = code
        while code in level and level[code] != "township" and parent.get(code):
            code = parent[code]
        return code if level.get(code) == "township" else seen

    cache = {c: up(c) for c in pd.unique(codes.astype(str))}
    return codes.astype(str).map(cache)


def catchments(
    region: Region,
    assignment: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    max_minutes: Mapping[str, float],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each school's catchment and each township's, from a pupil ``assignment``.

    ``assignment`` has :data:`ASSIGNMENT_COLUMNS` (and optionally ``boarding``: boarders
    are never beyond the limit, they live at school); ``schools`` has ``school_id,
    capacity``. ``max_minutes`` is each band's one-way limit (bands absent: none).

    Returns
    -------
    (DataFrame, DataFrame)
        Per school ``school_id, settlements, pupils, capacity, utilisation,
        pupils_beyond_limit``, and per township (of the settlements) ``township, pupils,
        mean_minutes, max_minutes, pupils_beyond_limit`` (minutes of day pupils).
    """
    a = assignment.copy()
    limit = a["band"].map(lambda b: max_minutes.get(b, np.inf)).to_numpy(dtype=float)
    boarding = a["boarding"].to_numpy(bool) if "boarding" in a else np.zeros(len(a), bool)
    minutes = a["minutes"].to_numpy(dtype=float)
    a["_beyond"] = np.where(~boarding & (minutes > limit), a["pupils"], 0.0)
    a["_day"] = np.where(boarding, 0.0, a["pupils"])
    a["_day_minutes"] = np.where(boarding | ~np.isfinite(minutes), 0.0, minutes) * a["_day"]
    per = a.groupby("school_id").agg(
        settlements=("settlement_id", "nunique"),
        pupils=("pupils", "sum"),
        pupils_beyond_limit=("_beyond", "sum"),
    )
    out = schools[["school_id", "capacity"]].copy()
    out["school_id"] = out["school_id"].astype(str)
    out = out.join(per, on="school_id")
    out[["settlements", "pupils", "pupils_beyond_limit"]] = out[
        ["settlements", "pupils", "pupils_beyond_limit"]
    ].fillna(0.0)
    out["settlements"] = out["settlements"].astype(int)
    cap = out["capacity"].to_numpy(dtype=float)
    out["utilisation"] = np.where(cap > 0, out["pupils"] / np.where(cap > 0, cap, 1), np.nan)
    out = out[["school_id", "settlements", "pupils", "capacity", "utilisation",
               "pupils_beyond_limit"]]  # fmt: skip
    settle = region.settlements.set_index(region.settlements["id"].astype(str))
    a["township"] = township_of(
        region, settle["admin_code"].reindex(a["settlement_id"].astype(str)).reset_index(drop=True)
    ).to_numpy()
    a["_day_max"] = np.where(boarding, 0.0, minutes)
    town = a.groupby("township").agg(
        pupils=("pupils", "sum"),
        day_pupils=("_day", "sum"),
        pupil_minutes=("_day_minutes", "sum"),
        max_minutes=("_day_max", "max"),
        pupils_beyond_limit=("_beyond", "sum"),
    )
    town["mean_minutes"] = town["pupil_minutes"] / town["day_pupils"].where(town["day_pupils"] > 0)
    town = town.reset_index()[
        ["township", "pupils", "mean_minutes", "max_minutes", "pupils_beyond_limit"]
    ]
    return out.reset_index(drop=True), town
