"""The referral chain: settlement -> nearest township health centre -> county hospital."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.region import Region
from accessplan.travel.matrix import nearest_times
from accessplan.travel.network import MAX_SNAP_M, network_for
from accessplan.travel.profiles import Profile

logger = logging.getLogger(__name__)

#: Default limit (minutes) on the whole chain.
DEFAULT_LIMIT_MIN = 120.0


def referral_chain(
    region: Region,
    profile: str | Profile,
    *,
    limit_min: float = DEFAULT_LIMIT_MIN,
    first: str = "township_health_center",
    second: str = "county_hospital",
    max_snap_m: float = MAX_SNAP_M,
) -> pd.DataFrame:
    """Time of the chain settlement -> nearest ``first`` facility -> nearest ``second`` one.

    Returns per settlement ``id, name, admin_code, population, profile, first_id,
    to_first_min, second_id, first_to_second_min, chain_min, exceeds`` (``exceeds`` when the
    chain takes longer than ``limit_min`` or cannot be completed).
    """
    if not limit_min > 0:
        msg = f"referral limit must be a positive number of minutes, got {limit_min!r}."
        raise InputError(msg)
    network = network_for(region, profile, max_snap_m=max_snap_m)
    fac = region.facilities
    first_rows = np.flatnonzero((fac["tier"] == first).to_numpy())
    second_rows = np.flatnonzero((fac["tier"] == second).to_numpy())
    for tier, rows in ((first, first_rows), (second, second_rows)):
        if len(rows) == 0:
            logger.warning(
                "%s has no %s facility: no referral chain can be completed, every "
                "settlement is flagged",
                region.name,
                tier,
            )
    to_first, first_row = nearest_times(network, first_rows)
    # from every facility of the first tier on to the nearest of the second
    onward, second_row = nearest_times(
        network, second_rows, targets=network.facility_nodes[first_rows]
    )
    onward_by_row = np.full(len(fac), np.inf)
    second_by_row = np.full(len(fac), -1, dtype=np.int64)
    onward_by_row[first_rows] = onward
    second_by_row[first_rows] = second_row
    reached = first_row >= 0
    hop = np.where(reached, onward_by_row[np.maximum(first_row, 0)], np.inf)
    second_of = np.where(reached, second_by_row[np.maximum(first_row, 0)], -1)
    ids = fac["id"].to_numpy()
    chain = to_first + hop
    base = region.settlements[["id", "name", "admin_code", "population"]].reset_index(drop=True)
    return base.assign(
        profile=network.profile.name,
        first_id=np.where(reached, ids[np.maximum(first_row, 0)], ""),
        to_first_min=to_first,
        second_id=np.where(second_of >= 0, ids[np.maximum(second_of, 0)], ""),
        first_to_second_min=hop,
        chain_min=chain,
        exceeds=~(chain <= limit_min),
    )
