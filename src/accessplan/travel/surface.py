r"""Raster travel time like WHO's AccessMod 5: the speed surface and the cost-distance engine.

The speed surface
-----------------
Land cover, roads and barriers are merged on the DEM grid by
:func:`accessplan.io.accessmod.merge_landcover` (AccessMod's "merge land cover"):
road cells take their road class over the land-cover class, barrier cells (lines and polygons)
become impassable. The scenario table gives each class a speed :math:`v_0` (km/h, on flat
ground) and a mode. Cells whose class is 0 km/h, lack land cover or elevation, or lie under a
barrier cannot be entered.

The cost of a move
------------------
Cells are graph nodes linked to their 8 neighbours, or 16 with the knight's move. A move
from cell :math:`a` to its neighbour :math:`b`, :math:`d` metres apart (centre to centre),
crosses half of each cell; a knight's move crosses a quarter of :math:`a`, of :math:`b` and
of the two cells it passes between (:math:`m_1, m_2`) — the rule of GRASS ``r.walk`` and of
AccessMod's ``r.walk.accessmod`` (``am_cost_seconds``)::

    t(a -> b) = d/2 * (1/v_a(s) + 1/v_b(s))                   (8 neighbours)
    t(a -> b) = d/4 * (1/v_a(s) + 1/v_m1(s) + 1/v_m2(s) + 1/v_b(s))   (knight)

with one slope :math:`s = (z_b - z_a) / d` for the move. A knight's move is not allowed
when :math:`m_1` or :math:`m_2` is impassable (no jumping over a one-cell barrier).

Speed as a function of slope (anisotropic analysis)
---------------------------------------------------
* WALKING: Tobler's hiking function scaled so that the table speed holds on flat ground,
  :math:`v(s) = v_0\, T(s) / T(0)` with :math:`T(s) = 6 e^{-3.5 |s + 0.05|}`
  (:func:`accessplan.travel.profiles.tobler_kmh`, tabulated every 0.0001 of slope for the
  compiled engine); so walking is fastest on a gentle 5 % descent, :math:`v_0 e^{0.175}`.
  This is AccessMod's ``am_walking_speed``.
* BICYCLING: the rider keeps the power needed for :math:`v_0` on the flat (Kreuzotter's
  model, AccessMod's constants: rider and bike 95 kg, :math:`g = 9.8`, rolling resistance
  :math:`c_r = 0.012`, frontal area :math:`A = 0.445\, m^2`, air density at 500 m and 20 °C,
  no wind). With :math:`W = 95 g` and :math:`k = \tfrac12 \rho A`, the speed :math:`u` (m/s)
  on slope :math:`s` solves

  .. math:: k u^3 + W (s + c_r) u = k u_0^3 + W c_r u_0

  (the cubic's positive root, found in closed form), capped at :math:`2 v_0` as in
  AccessMod. AccessMod solves it with nine Newton steps from 20 m/s and returns 0 (cell
  impassable) when they do not converge, which happens on descents steeper than about 32 %;
  here such a descent gets the cap, :math:`2 v_0`.
* MOTORIZED: :math:`v(s) = v_0`, slope ignored.

In an isotropic analysis every cell moves at :math:`v_0` (AccessMod's friction map and
``r.cost``). Direction: "from" the facilities uses the slope of the move as travelled away
from them; "towards" (people walking to the facility) reverses it, :math:`s \to -s`
(``r.walk.accessmod -t``).

The engine
----------
Cumulative times are exact shortest paths on the implicit grid graph (no edge list:
neighbours are computed on the fly), compiled with numba, stopping at the maximum time
(:func:`_search`). Three things make it fast on national grids; none changes an answer
beyond floating-point rounding:

* Dinitz's bucket queue: buckets no wider than the cheapest possible move hold entries
  that are all final, so a bucket is settled in any order and each push and pop is O(1).
* Tiles of 128 x 128 cells: Dijkstra runs inside the tile holding the lowest pending time
  over a window of times, then moves on; a cell whose time falls again later is taken up
  again (label correcting, converging to the same shortest times). Memory is then read
  tile by tile, in the core's cache, instead of along a wavefront spread over the grid:
  on 100 million cells (200 sources, anisotropic) 36 CPU-seconds instead of 123 with the
  same bucket queue untiled (benchmarks/README.md has the runs against GRASS).
* Two threads: the sources are cut in two spatial halves, each searched against the other
  half's current times (a cell is only entered while this half is nearer); the result is
  the element-wise minimum.

Memory: about 22 bytes per cell (float32 speed, elevation and signed speed, uint8 mode,
bool barrier, float64 time), 30 with two threads (a second float64 time).

Results are minutes; cells beyond the maximum time or unreachable are ``inf``. The analysis
around it (facilities, population, capacity coverage, zonal tables) is
:func:`accessplan.measures.surface.measure_surface`.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numba
import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan.io.accessmod import MODES, Grid, MergedLandCover
from accessplan.travel.profiles import tobler_kmh

logger = logging.getLogger(__name__)

Direction = Literal["towards", "from"]
#: Mode codes in the speed surface: 0 = impassable, then :data:`MODES` in order.
MODE_CODES: dict[str, int] = {mode: code for code, mode in enumerate(MODES, start=1)}

# Walking: Tobler's function relative to flat ground, tabulated from ``tobler_kmh`` every
# 1e-4 of slope on [-4, 4] and interpolated linearly (relative error below 1e-7; the kink at
# s = -0.05 is a node). Steeper slopes take the end values.
_WALK_SLOPE = 4.0
_WALK_NODES = 80_001
_WALK_PER_SLOPE = (_WALK_NODES - 1) / (2.0 * _WALK_SLOPE)  # table nodes per unit of slope
# Kreuzotter bicycle model with AccessMod's constants (r.walk.accessmod, mobility.h)
_BIKE_WEIGHT_N = 9.8 * (80.0 + 15.0)
_BIKE_ROLLING = 0.012
_BIKE_AERO = 0.5 * 0.445 * (1.293 - 0.00426 * 20.0) * math.exp(-500.0 / 7000.0)
_BIKE_CAP = 2.0
# Engine tiles of 2**7 = 128 cells a side (about 400 kB of arrays, within a core's L2
# cache); Dijkstra runs inside a tile over a window of this many bucket widths at a time.
# Measured on 4,000 x 4,000 cells: 64 or 256 cells a side and windows of 256 or 4,096
# buckets were 20-60 % slower.
_TILE_SHIFT = 7
_WINDOW_BUCKETS = 1024


def walking_table() -> np.ndarray:
    """Walking speed relative to flat ground, :math:`T(s) / T(0)`, at the table's slopes."""
    slopes = np.linspace(-_WALK_SLOPE, _WALK_SLOPE, _WALK_NODES)
    return np.asarray(tobler_kmh(slopes) / tobler_kmh(0.0))


@numba.njit(cache=True, error_model="numpy", inline="always")
def _walking_factor(table: np.ndarray, slope: float) -> float:
    x = (min(max(slope, -_WALK_SLOPE), _WALK_SLOPE) + _WALK_SLOPE) * _WALK_PER_SLOPE
    i = min(int(x), len(table) - 2)
    f = x - i
    return table[i] * (1.0 - f) + table[i + 1] * f


@numba.njit(cache=True, error_model="numpy", inline="always")
def _bicycling_kmh(speed: float, slope: float) -> float:
    u0 = speed / 3.6
    # k u^3 + W (s + c_r) u - (k u0^3 + W c_r u0) = 0, divided by k: u^3 + p u + q = 0
    p = _BIKE_WEIGHT_N * (slope + _BIKE_ROLLING) / _BIKE_AERO
    q = -(u0**3 + _BIKE_WEIGHT_N * _BIKE_ROLLING * u0 / _BIKE_AERO)
    disc = (q / 2.0) ** 2 + (p / 3.0) ** 3
    if disc >= 0.0:
        root = math.sqrt(disc)
        u = np.cbrt(-q / 2.0 + root) + np.cbrt(-q / 2.0 - root)
    else:  # three real roots (steep descent): the largest is the rider's speed
        m = 2.0 * math.sqrt(-p / 3.0)
        arg = max(-1.0, min(1.0, 3.0 * q / (p * m)))
        u = m * math.cos(math.acos(arg) / 3.0)
    return max(0.0, min(u * 3.6, _BIKE_CAP * speed))


@numba.njit(cache=True, error_model="numpy", inline="always")
def _mode_kmh(table: np.ndarray, mode: int, speed: float, slope: float) -> float:
    if mode == 1:
        return speed * _walking_factor(table, slope)
    if mode == 2:
        return _bicycling_kmh(speed, slope)
    if mode == 3:
        return speed
    return 0.0


@numba.njit(cache=True, error_model="numpy")
def _mode_kmh_flat(table, modes, speeds, slopes, out):
    for i in range(len(out)):
        out[i] = _mode_kmh(table, modes[i], speeds[i], slopes[i])


def mode_speed_kmh(
    mode: str | np.ndarray, speed_kmh: float | np.ndarray, slope: float | np.ndarray
) -> np.ndarray:
    """Speed (km/h) of a mode with flat-ground speed ``speed_kmh`` on signed slope ``dz/dx``.

    ``mode`` is a name of :data:`~accessplan.io.accessmod.MODES` or an array of mode codes
    (:data:`MODE_CODES`); arguments broadcast. The engine uses exactly this function.
    """
    codes = MODE_CODES[mode] if isinstance(mode, str) else mode
    modes, speeds, slopes = np.broadcast_arrays(
        np.asarray(codes, np.int64), np.asarray(speed_kmh, float), np.asarray(slope, float)
    )
    out = np.empty(modes.shape)
    _mode_kmh_flat(walking_table(), modes.ravel(), speeds.ravel(), slopes.ravel(), out.reshape(-1))
    return out


# ---------------------------------------------------------------------------- the engine
def _moves(knight: bool) -> np.ndarray:
    """Neighbour moves as rows ``dr, dc, r1, c1, r2, c2`` (knight: cells passed between)."""
    rows = [(dr, dc, 0, 0, 0, 0) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
    if knight:
        for dr, dc in ((-2, -1), (-2, 1), (2, -1), (2, 1), (-1, -2), (1, -2), (-1, 2), (1, 2)):
            sr, sc = int(np.sign(dr)), int(np.sign(dc))
            first = (sr, 0) if abs(dr) == 2 else (0, sc)
            rows.append((dr, dc, *first, sr, sc))
    return np.array(rows, dtype=np.int64)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _inverse_kmh(signed, speed, cell, factor, slope):
    """1 / speed (h/km) in ``cell`` on a move of ``slope`` (walking factor ``factor``).

    ``signed`` (see :meth:`SpeedSurface._signed_speed`) is +v0 walking, -v0 motorized, NaN
    bicycling (speed from ``speed``), 0 impassable.
    """
    v = signed[cell]
    if v > 0.0:
        return 1.0 / (v * factor)
    if v < 0.0:
        return -1.0 / v
    if v == 0.0:
        return math.inf
    return 1.0 / _bicycling_kmh(speed[cell], slope)


@numba.njit(cache=True, error_model="numpy")
def _grown(values):
    """Twice the room."""
    out = np.empty(2 * len(values), values.dtype)
    out[: len(values)] = values
    return out


@numba.njit(cache=True, error_model="numpy", inline="always")
def _push(pool, free, used, head, slot, cell, key):
    """Link a pool entry (cell, key) at the front of list ``head[slot]``; free list head and
    used count come back. The caller keeps room in the pool (:func:`_roomy`)."""
    cells, keys, links = pool
    if free != -1:
        entry = free
        free = links[entry]
    else:
        entry = used
        used += 1
    cells[entry] = cell
    keys[entry] = key
    links[entry] = head[slot]
    head[slot] = entry
    return free, used


@numba.njit(cache=True, error_model="numpy")
def _roomy(pool, needed):
    """The pool with room for ``needed`` entries (doubled when short)."""
    cells, keys, links = pool
    if needed <= len(links):
        return pool
    size = max(needed, 2 * len(links))
    grown = (np.empty(size, cells.dtype), np.empty(size, keys.dtype), np.empty(size, links.dtype))
    grown[0][: len(cells)] = cells
    grown[1][: len(keys)] = keys
    grown[2][: len(links)] = links
    return grown


@numba.njit(cache=True, error_model="numpy")
def _bucket_width(signed, speed, share, knight, aniso):
    """Bucket width (s): no wider than the cheapest move, less a margin for rounding.

    The cheapest move crosses its cells at the fastest speed; on slopes walking gets up to
    e^0.175 times faster and bicycling 2 times (so 2 bounds both).
    """
    fastest = 0.0
    for i in range(len(signed)):
        v = abs(signed[i])
        if v != v:
            v = speed[i]
        fastest = max(fastest, v)
    cheapest = math.inf
    for k in range(len(share)):
        cheapest = min(cheapest, share[k] * (4.0 if knight[k] else 2.0))
    return cheapest / (fastest * (2.0 if aniso else 1.0)) * (1.0 - 1e-4)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _heap_push(keys, items, size, key, item):
    """Push on a binary min-heap of (key, item); the arrays (maybe grown) and size return."""
    if size == len(keys):
        keys, items = _grown(keys), _grown(items)
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        items[i] = items[parent]
        i = parent
    keys[i] = key
    items[i] = item
    return keys, items, size + 1


@numba.njit(cache=True, error_model="numpy", inline="always")
def _heap_pop(keys, items, size):
    """Remove the heap's smallest entry (read it first); the new size."""
    size -= 1
    last_k, last_i = keys[size], items[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= last_k:
            break
        keys[i] = keys[child]
        items[i] = items[child]
        i = child
    keys[i] = last_k
    items[i] = last_i
    return size


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _search(
    table,
    signed,
    speed,
    elevation,
    ncol,
    sources,
    moves,
    dx,
    dy,
    slope_sign,
    max_seconds,
    own,
    other,
    tile_shift,
    window_buckets,
):
    """Cumulative seconds from the source cells over the implicit grid graph, into ``own``.

    All arrays are flat (row-major cells). The grid is cut into square tiles of
    ``2**tile_shift`` cells a side, small enough for the core's cache. The tile holding the
    lowest pending time is taken up, and Dijkstra's algorithm runs inside it over a window
    of ``window_buckets`` bucket widths; times reaching other tiles are queued there. A
    cell whose time falls again later is simply taken up again (label correcting), so the
    result is the exact fixed point of ``t(b) = min_a t(a) + cost(a -> b)``, the shortest
    times, while memory is read tile by tile rather than along the whole wavefront.

    Inside a tile, Dinitz's bucket queue: buckets no wider than the cheapest move, so every
    entry of the lowest bucket is final and is settled in any order, each push and pop in
    O(1); buckets are linked lists of entries (cell, time) in one pool, on a ring, and the
    tiles' pending lists live in the same pool. Stale entries are skipped.

    ``other`` holds the times of a search from other sources running at the same time, or
    is ``own``: a cell is entered, and expanded, only while this search beats the other's
    current time there. Those times only fall, so each search is exact wherever it is the
    nearer one and the element-wise minimum is the answer.
    """
    nrow = len(signed) // ncol
    aniso = slope_sign != 0.0
    nmoves = moves.shape[0]
    inv_dist = np.empty(nmoves)
    share = np.empty(nmoves)
    knight = np.empty(nmoves, np.bool_)
    for k in range(nmoves):
        dist = math.hypot(moves[k, 0] * dy, moves[k, 1] * dx)
        inv_dist[k] = 1.0 / dist
        knight[k] = moves[k, 2] != 0 or moves[k, 3] != 0
        share[k] = dist / (4000.0 if knight[k] else 2000.0) * 3600.0
    width = _bucket_width(signed, speed, share, knight, aniso)
    if not width > 0.0:
        return  # nothing passable
    per_width = 1.0 / width
    nring = 64
    while nring < window_buckets + 2:
        nring *= 2
    ring_mask = nring - 1
    head = np.full(nring, -1, np.int32)
    tile_cols = ((ncol - 1) >> tile_shift) + 1
    ntiles = (((nrow - 1) >> tile_shift) + 1) * tile_cols
    tile_head = np.full(ntiles, -1, np.int32)
    tile_key = np.full(ntiles, math.inf)
    heap_keys = np.empty(1024)
    heap_tiles = np.empty(1024, np.int64)
    heap_size = 0
    size = 1024 + len(sources)
    pool = (np.empty(size, np.int32), np.empty(size), np.empty(size, np.int32))
    cells, keys, links = pool
    free, used = -1, 0
    for s in sources:
        if own[s] > 0.0 and other[s] > 0.0:
            own[s] = 0.0
            t = ((s // ncol) >> tile_shift) * tile_cols + ((s % ncol) >> tile_shift)
            free, used = _push(pool, free, used, tile_head, t, s, 0.0)
            if tile_key[t] > 0.0:
                tile_key[t] = 0.0
                heap_keys, heap_tiles, heap_size = _heap_push(
                    heap_keys, heap_tiles, heap_size, 0.0, t
                )
    while heap_size > 0:
        start = heap_keys[0]
        tile = heap_tiles[0]
        heap_size = _heap_pop(heap_keys, heap_tiles, heap_size)
        if start != tile_key[tile] or start > max_seconds:
            continue  # stale heap entry
        current = int(start * per_width)
        last = current + window_buckets
        # the tile's pending entries: those within the window go onto the ring
        entry = tile_head[tile]
        tile_head[tile] = -1
        tile_key[tile] = math.inf
        queued = 0
        while entry != -1:
            following = links[entry]
            cell = cells[entry]
            key = keys[entry]
            if key > own[cell] or key > other[cell]:
                links[entry] = free  # stale
                free = entry
            elif int(key * per_width) > last:
                tile_key[tile] = min(tile_key[tile], key)
                links[entry] = tile_head[tile]
                tile_head[tile] = entry
            else:
                slot = int(key * per_width) & ring_mask
                links[entry] = head[slot]
                head[slot] = entry
                queued += 1
            entry = following
        while queued > 0:
            slot = current & ring_mask
            entry = head[slot]
            if entry == -1:
                current += 1
                continue
            head[slot] = links[entry]
            links[entry] = free
            free = entry
            queued -= 1
            idx = cells[entry]
            d = keys[entry]
            if d > own[idx] or d > other[idx]:
                continue  # stale, or the other search reached the cell sooner
            if used + nmoves > len(links):
                pool = _roomy(pool, used + nmoves)
                cells, keys, links = pool
            r = idx // ncol
            c = idx - r * ncol
            za = elevation[idx] if aniso else 0.0
            va = signed[idx]
            # the source cell's share when slope does not matter (isotropic, motorized)
            flat_a = _inverse_kmh(signed, speed, idx, 1.0, 0.0)
            for k in range(nmoves):
                rr = r + moves[k, 0]
                cc = c + moves[k, 1]
                if rr < 0 or rr >= nrow or cc < 0 or cc >= ncol:
                    continue
                target = rr * ncol + cc
                vb = signed[target]
                if own[target] <= d or vb == 0.0:
                    continue  # no better (every move costs time) or impassable
                slope = 0.0
                factor = 1.0
                inverse = flat_a
                if aniso:
                    slope = slope_sign * (elevation[target] - za) * inv_dist[k]
                    if va > 0.0 or vb > 0.0 or knight[k]:  # someone walks
                        factor = _walking_factor(table, slope)
                    if not va < 0.0:
                        inverse = _inverse_kmh(signed, speed, idx, factor, slope)
                inverse += _inverse_kmh(signed, speed, target, factor, slope)
                if knight[k]:
                    m1 = (r + moves[k, 2]) * ncol + c + moves[k, 3]
                    m2 = (r + moves[k, 4]) * ncol + c + moves[k, 5]
                    if signed[m1] == 0.0 or signed[m2] == 0.0:
                        continue  # no jumping over an impassable cell
                    inverse += _inverse_kmh(signed, speed, m1, factor, slope)
                    inverse += _inverse_kmh(signed, speed, m2, factor, slope)
                nd = d + share[k] * inverse
                if not (nd < own[target] and nd < other[target] and nd <= max_seconds):
                    continue
                own[target] = nd
                bucket = max(int(nd * per_width), current)
                there = (rr >> tile_shift) * tile_cols + (cc >> tile_shift)
                if there == tile and bucket <= last:
                    free, used = _push(pool, free, used, head, bucket & ring_mask, target, nd)
                    queued += 1
                else:  # another tile, or beyond the window: queue it on its tile
                    free, used = _push(pool, free, used, tile_head, there, target, nd)
                    if nd < tile_key[there]:
                        tile_key[there] = nd
                        heap_keys, heap_tiles, heap_size = _heap_push(
                            heap_keys, heap_tiles, heap_size, nd, there
                        )
        if tile_key[tile] < math.inf:
            heap_keys, heap_tiles, heap_size = _heap_push(
                heap_keys, heap_tiles, heap_size, tile_key[tile], tile
            )


# ---------------------------------------------------------------------------- the surface
@numba.njit(cache=True, error_model="numpy")
def _classify(classes, elevation, barrier, codes, kmh, modes, speed, mode):
    """Speed and mode per cell from its class (the table's last row for a class wins); 0
    under a barrier, without elevation or at 0 km/h. Returns the number of cells whose class
    is not in the table."""
    unlisted = 0
    for i in range(len(classes)):
        value = classes[i]
        if value != value:
            continue  # no land cover: impassable
        row = len(codes) - 1
        while row >= 0 and codes[row] != value:
            row -= 1
        if row < 0:
            unlisted += 1
        elif not barrier[i] and math.isfinite(elevation[i]) and kmh[row] > 0.0:
            speed[i] = kmh[row]
            mode[i] = modes[row]
    return unlisted


@dataclass(frozen=True, eq=False)
class SpeedSurface:
    """Speed and mode per cell on the DEM grid.

    Attributes
    ----------
    speed_kmh
        Flat-ground speed (float32, km/h); 0 where impassable.
    mode
        Mode code per cell (uint8, :data:`MODE_CODES`); 0 where impassable.
    elevation
        Elevation in metres (float32); NaN where unknown (such cells are impassable).
    barrier
        Cells under a barrier (bool).
    grid
        The DEM grid.
    """

    speed_kmh: np.ndarray
    mode: np.ndarray
    elevation: np.ndarray
    barrier: np.ndarray
    grid: Grid

    @property
    def passable(self) -> np.ndarray:
        """Cells that can be entered."""
        return np.asarray(self.mode > 0)

    @classmethod
    def from_classes(
        cls,
        classes: np.ndarray,
        scenario: pd.DataFrame,
        elevation: np.ndarray,
        grid: Grid,
        *,
        barrier: np.ndarray | None = None,
    ) -> SpeedSurface:
        """Look up each cell's class in the scenario table (see :func:`read_scenario`).

        ``classes`` holds the merged class per cell (NaN where none). A class present on the
        grid but absent from the table raises :class:`InputError`. One compiled pass, no
        temporary grids.
        """
        barrier = np.zeros(grid.shape, bool) if barrier is None else barrier
        speed = np.zeros(grid.shape, np.float32)
        mode = np.zeros(grid.shape, np.uint8)
        unlisted = _classify(
            np.ascontiguousarray(classes).reshape(-1),
            np.ascontiguousarray(elevation).reshape(-1),
            np.ascontiguousarray(barrier).reshape(-1),
            scenario["class"].to_numpy(float),
            scenario["speed"].to_numpy(float),
            np.array([MODE_CODES[str(name)] for name in scenario["mode"]], np.uint8),
            speed.reshape(-1),
            mode.reshape(-1),
        )
        if unlisted:
            values, counts = np.unique(
                classes[~np.isin(classes, scenario["class"]) & np.isfinite(classes)],
                return_counts=True,
            )
            missing = values.astype(int).tolist()
            cells_of = dict(zip(missing, counts.tolist(), strict=True))
            msg = (
                f"the scenario table has no row for class(es) {missing} found on the grid "
                f"(cells: {cells_of}); add them with a speed and mode (speed 0 to make them "
                "impassable)."
            )
            raise InputError(msg)
        return cls(speed, mode, np.asarray(elevation, dtype=np.float32), barrier, grid)

    @classmethod
    def from_merged(cls, merged: MergedLandCover) -> SpeedSurface:
        """The speed surface of merged land cover, roads and barriers
        (:func:`accessplan.io.accessmod.merge_landcover`)."""
        return cls.from_classes(
            merged.classes, merged.scenario, merged.elevation, merged.grid, barrier=merged.barrier
        )

    def travel_minutes(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        *,
        direction: Direction = "towards",
        anisotropic: bool = True,
        knight: bool = False,
        max_minutes: float | None = None,
        parallel: bool = True,
    ) -> np.ndarray:
        """Cumulative minutes from (or towards) the nearest of the given source cells.

        Sources must be passable cells (see :func:`locate_facilities`). Cells beyond
        ``max_minutes`` or unreachable are ``inf``. With ``parallel`` and two or more
        sources on a machine with two or more cores, the sources are cut in two spatial
        halves searched in two threads (8 more bytes per cell); the result is the same.
        """
        if direction not in ("towards", "from"):
            msg = f"direction must be 'towards' or 'from', got {direction!r}."
            raise InputError(msg)
        if max_minutes is not None and not max_minutes > 0:
            msg = f"max_minutes must be a positive number of minutes, got {max_minutes!r}."
            raise InputError(msg)
        if self.mode.size >= 2**31:
            msg = f"the grid has {self.mode.size:,} cells; the engine takes fewer than 2**31."
            raise InputError(msg)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if len(rows) and not self.passable[rows, cols].all():
            msg = "travel sources must lie on passable cells; locate them with locate_facilities."
            raise InputError(msg)
        seconds = np.full(self.grid.shape, np.inf)
        if len(rows) == 0:
            return seconds
        nrow, ncol = self.grid.shape
        dx, dy = self.grid.cell_size
        # isotropic: every slope counts as flat ground
        sign = (-1.0 if direction == "towards" else 1.0) if anisotropic else 0.0
        search = functools.partial(
            _search,
            walking_table(),
            self._signed_speed(anisotropic),
            self.speed_kmh.reshape(-1),
            self.elevation.reshape(-1),
            ncol,
        )
        options = (
            _moves(knight),
            dx,
            dy,
            sign,
            math.inf if max_minutes is None else max_minutes * 60.0,
        )
        tiling = (_TILE_SHIFT, _WINDOW_BUCKETS)
        own = seconds.reshape(-1)
        sources = rows * ncol + cols
        if not parallel or len(sources) < 2 or (os.cpu_count() or 1) < 2:
            search(sources, *options, own, own, *tiling)
        else:
            # two spatial halves along the grid's longer side, each against the other
            order = np.argsort(cols if ncol >= nrow else rows, kind="stable")
            halves = np.array_split(sources[order], 2)
            theirs = np.full(own.shape, np.inf)
            with ThreadPoolExecutor(2) as pool:
                jobs = [
                    pool.submit(search, halves[0], *options, own, theirs, *tiling),
                    pool.submit(search, halves[1], *options, theirs, own, *tiling),
                ]
                for job in jobs:
                    job.result()
            np.minimum(own, theirs, out=own)
            del theirs
        return np.divide(seconds, 60.0, out=seconds)

    def _signed_speed(self, anisotropic: bool) -> np.ndarray:
        """One float32 per cell saying how the engine crosses it, so reads stay local.

        ``+v0`` walking (and every mode in an isotropic analysis), ``-v0`` motorized, NaN
        bicycling (the engine then reads ``speed_kmh``), 0 impassable. Flat (row-major).
        """
        signed = self.speed_kmh.astype(np.float32).reshape(-1)
        if anisotropic:
            mode = self.mode.reshape(-1)
            np.negative(signed, out=signed, where=mode == MODE_CODES["MOTORIZED"])
            signed[mode == MODE_CODES["BICYCLING"]] = np.nan
        return signed


def locate_facilities(facilities: gpd.GeoDataFrame, surface: SpeedSurface) -> pd.DataFrame:
    """Grid cell of each facility and whether it can start a search.

    Returns ``row, col`` and ``status``: ``ok``, ``outside_dem`` (off the grid or on a cell
    without elevation), ``on_barrier`` or ``impassable`` (class at 0 km/h or no land cover).
    """
    points = facilities.to_crs(surface.grid.crs).geometry
    inverse = ~surface.grid.transform
    col_f, row_f = inverse * (points.x.to_numpy(), points.y.to_numpy())
    rows = np.floor(np.asarray(row_f)).astype(np.int64)
    cols = np.floor(np.asarray(col_f)).astype(np.int64)
    nrow, ncol = surface.grid.shape
    inside = (rows >= 0) & (rows < nrow) & (cols >= 0) & (cols < ncol)
    r, c = np.where(inside, rows, 0), np.where(inside, cols, 0)
    status = np.select(
        [
            ~inside | ~np.isfinite(surface.elevation[r, c]),
            surface.barrier[r, c],
            ~surface.passable[r, c],
        ],
        ["outside_dem", "on_barrier", "impassable"],
        default="ok",
    )
    return pd.DataFrame({"row": rows, "col": cols, "status": status}, index=facilities.index)
