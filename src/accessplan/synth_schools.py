"""A synthetic county with a rural school network to consolidate.

:func:`school_county` is :func:`accessplan.synth.mountain_county` (same seed, same county)
with village primary schools added: the small schools of a dispersed mountain county
(typically 10-90 pupils each), which a consolidation plan closes or merges. Every primary
school gets room for the pupils around it, township primary schools and middle schools a
hostel (``hostel`` column: boarders). Its random draws come from a stream of their own, so
the county itself is :func:`~accessplan.synth.mountain_county`'s.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.synth import mountain_county, province

logger = logging.getLogger(__name__)

#: Share of a township primary school's capacity and of a middle school's in its hostel.
HOSTEL_SHARE = {"primary": 0.25, "middle": 0.5}
#: A township primary school holds this many times its township's primary pupils.
TOWN_ROOM = 1.6
#: Every primary school holds this many times the pupils of its straight-line catchment.
ROOM = 1.5
#: ... or the pupils of every settlement within this distance (m), if more.
AROUND_M = 2_500.0


def school_county(seed: int = 0, *, n_villages: int = 300, n_small: int = 60) -> Region:
    """A mountain county of ``n_villages`` settlements with ``n_small`` village primary schools.

    Each small school sits at the largest settlement of an administrative village without a
    township seat (chosen at random, ``n_small`` of them, or all when fewer), with room for
    1.2-1.5 times the primary pupils of its administrative village (at least 20). Every
    primary school and teaching point then gets room for 1.5 times the pupils of the
    settlements nearest to it in a straight line, or of all within 2.5 km if more (roads
    wind), and township schools for 1.6 times their township's. Township primary schools
    get a hostel for a quarter of their room, middle schools for half. Schools keep the
    county's ids; the new ones follow them (``S`` + number). The village schools' draws
    come from a stream of their own (``[seed, 13]``).
    """
    region = mountain_county(seed, n_villages=n_villages)
    return with_village_schools(region, np.random.default_rng([seed, 13]), n_small)


def school_province(
    n_counties: int, seed: int = 0, *, n_villages: int = 300, n_small: int = 40
) -> Region:
    """A province of ``n_counties`` mountain counties (:func:`accessplan.synth.province`, with
    tracks over the ridges between neighbouring counties) of ``n_villages`` settlements each,
    with ``n_small`` village primary schools per county placed as in :func:`school_county`.
    10 counties: 3,000 settlements and about 650 schools."""
    region = province(n_counties, seed, n_villages=n_villages, border_roads=True)
    return with_village_schools(region, np.random.default_rng([seed, 13]), n_small * n_counties)


def with_village_schools(region: Region, rng: np.random.Generator, n_small: int) -> Region:
    """``region`` with ``n_small`` village primary schools, room and hostels (see
    :func:`school_county`)."""
    if isinstance(n_small, bool) or not isinstance(n_small, int) or n_small < 0:
        msg = f"n_small must be a whole number >= 0, got {n_small!r}."
        raise InputError(msg)
    settle = region.settlements
    fac = region.facilities.copy()
    town_schools = fac[(fac["service"] == "school") & (fac["tier"] == "primary")]
    seat_codes = set(town_schools["admin_code"])
    village = settle["admin_code"].to_numpy()
    pupils = settle["pupils_primary"].to_numpy(dtype=float)
    by_village = pd.Series(pupils).groupby(village)
    free = [code for code in sorted(set(village)) if code not in seat_codes]
    chosen = np.sort(rng.permutation(len(free))[: min(n_small, len(free))])
    rows = []
    for k in chosen:
        code = free[k]
        members = np.flatnonzero(village == code)
        at = members[np.argmax(settle["population"].to_numpy()[members])]
        room = max(20.0, np.ceil(by_village.sum()[code] * rng.uniform(1.2, 1.5) / 10) * 10)
        rows.append((at, code, room))
    n_schools = int((fac["service"] == "school").sum())
    width = max(3, max((len(i) - 1 for i in fac["id"].astype(str) if i.startswith("S")), default=3))
    xy = np.column_stack([settle.geometry.x, settle.geometry.y])
    at = np.array([r[0] for r in rows], dtype=np.int64)
    spot = xy[at] + rng.uniform(-20, 20, (len(at), 2))
    new = gpd.GeoDataFrame(
        {
            "id": [f"S{n_schools + i + 1:0{width}d}" for i in range(len(rows))],
            "name": settle["name"].to_numpy()[at] + " Village Primary School",
            "service": "school",
            "tier": "primary",
            "capacity": [r[2] for r in rows],
            "admin_code": [r[1] for r in rows],
            "beds": np.nan,
            "doctors": np.nan,
        },
        geometry=gpd.points_from_xy(*spot.T),
        crs=fac.crs,
    )
    facilities = gpd.GeoDataFrame(pd.concat([fac, new], ignore_index=True), crs=fac.crs)
    town = facilities["id"].isin(town_schools["id"]).to_numpy()
    _make_room(facilities, settle, town)
    facilities["hostel"] = 0.0
    for tier, share in HOSTEL_SHARE.items():
        mask = (facilities["tier"] == tier) & (town if tier == "primary" else True)
        mask &= facilities["service"] == "school"
        facilities.loc[mask, "hostel"] = np.round(facilities.loc[mask, "capacity"] * share)
    logger.debug("%s: %d small schools added", region.name, len(rows))
    return Region(
        settlements=settle,
        facilities=facilities,
        roads=region.roads,
        admin_units=region.admin_units,
        terrain=region.terrain,
        name=region.name,
        catalogue=region.catalogue,
    )


def _make_room(facilities: gpd.GeoDataFrame, settle: gpd.GeoDataFrame, town: np.ndarray) -> None:
    """Primary schools and teaching points get room for ``ROOM`` times the primary pupils
    of the settlements nearest to them in a straight line (their catchment, roughly), and
    township schools (kept) room for their township's pupils on top."""
    is_primary = (facilities["service"] == "school") & facilities["tier"].isin(
        ["primary", "teaching_point"]
    )
    rows = np.flatnonzero(is_primary.to_numpy())
    xy = np.column_stack([settle.geometry.x, settle.geometry.y])
    at = np.column_stack([facilities.geometry.x, facilities.geometry.y])[rows]
    far = np.sqrt(((xy[:, None, :] - at[None, :, :]) ** 2).sum(axis=2))
    pupils = settle["pupils_primary"].to_numpy(dtype=float)
    catchment = np.bincount(np.argmin(far, axis=1), pupils, minlength=len(rows))
    around = pupils @ (far <= AROUND_M)  # straight lines miss winding paths: a wider net
    room = np.maximum(20.0, np.ceil(np.maximum(catchment * ROOM, around) / 10) * 10)
    town = town[rows]
    township = pd.Series(pupils).groupby([c[:9] for c in settle["admin_code"]]).sum()
    codes = facilities["admin_code"].to_numpy()[rows]
    extra = np.array([township.get(c[:9], 0.0) for c in codes])
    room = np.where(town, np.maximum(room, np.ceil(extra * TOWN_ROOM / 10) * 10), room)
    facilities.loc[rows, "capacity"] = np.maximum(
        facilities.loc[rows, "capacity"].to_numpy(dtype=float), room
    )
