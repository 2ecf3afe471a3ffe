r"""Raster travel time like WHO's AccessMod 5: the speed surface and the cost-distance engine.

The speed surface
-----------------
Land cover, roads and barriers are merged on the DEM grid by
:func:`accessplan.io.accessmod.merge_landcover` (AccessMod's ordered stack). The scenario
table gives each class a speed :math:`v_0` (km/h, on flat ground) and a mode. Cells whose
class is 0 km/h, that are null in the merged map (barriers) or lack elevation cannot be
entered.

Rule sets
---------
AccessMod's cost of a move changed between the version that produced its demo outputs
(2015) and the one users run today (5.8+); both are here, chosen by name
(:data:`RULES`, ``../shared/ACCESSMOD.md`` gives the evidence). A move from cell :math:`a` to
its neighbour :math:`b`, :math:`d` metres apart (centre to centre), on one slope
:math:`s = (z_b - z_a) / d` for the move:

* ``current`` (AccessMod 5.8+, the default): half the distance at each cell's own speed, and
  a knight's move (16 neighbours) splits its distance over the four cells it crosses::

      t(a -> b) = d/2 * (1/v_a(s) + 1/v_b(s))                          (8 neighbours)
      t(a -> b) = d/4 * (1/v_a(s) + 1/v_m1(s) + 1/v_m2(s) + 1/v_b(s))  (knight)

  A knight's move is not allowed when :math:`m_1` or :math:`m_2` is impassable.
* ``accessmod-2015``: the arithmetic mean of the two speeds at the same slope, 8 neighbours
  (no knight's move), table speeds truncated to whole km/h::

      t(a -> b) = d / ((v_a(s) + v_b(s)) / 2)

  Leaving a road is cheap under this rule: half the move runs at the mean of the road's
  and the grass's speed.

Speed as a function of slope (anisotropic analysis)
---------------------------------------------------
* WALKING (both rule sets): Tobler's hiking function scaled so that the table speed holds
  on flat ground, :math:`v(s) = v_0\, e^{0.175} e^{-3.5 |s + 0.05|}`
  (:func:`accessplan.travel.profiles.tobler_kmh` relative to flat ground, tabulated every
  0.0001 of slope for the compiled engine); fastest on a gentle 5 % descent.
* BICYCLING, ``current``: AccessMod 5.8's power balance (rider and bike 95 kg, rolling
  resistance 0.012, frontal area 0.445 m², air at 500 m and 20 °C, 90 % transmission), solved
  as AccessMod does, with at most nine float32 Newton steps from 20 m/s (0 when they do not
  converge) and clamped to :math:`[0, 2 v_0]`. AccessMod 5.8 multiplies the slope by 0.01
  before it (``bicycleSpeed.h``: ``slopeOut = slope * 0.01``, the slope being a fraction
  already), so a 10 % climb costs what a 0.1 % one would: 12 km/h gives 12.000213 km/h on
  the flat and 11.44 km/h on a 10 % climb (1.60 km/h if the slope counted in full, as in
  AccessMod's later ``mobility.h``).
* BICYCLING, ``accessmod-2015``: the 2015 module's cubic power balance with its quirks
  (``timeCostManager.h``): air density :math:`1.225 \cdot 373 / 293.15` (an integer division
  makes the altitude term 1), flat power :math:`P = 1.09 V (0.2 \rho V^2 + 7.2202 + V + 0.2)`,
  :math:`\beta = \arctan s`, and the speed :math:`3.6 |x_0|` for the smallest real root of
  :math:`x^3 + a x^2 + b x + c` (GSL's ``gsl_poly_solve_cubic``) with
  :math:`a = 0.2\cos\beta / (0.4 \rho)`, :math:`b = 2 \cdot 902.52 (0.008 \cos\beta + \sin\beta)
  / (0.4\rho)`, :math:`c = -2P / (1.09 \cdot 0.4 \rho)`: 17.21 km/h for 15 km/h on the flat,
  and on steep descents the magnitude of a negative root (57.6 km/h at -10 %).
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

One facility at a time (:meth:`SpeedSurface.reaches`, the capacity analysis) the search
runs on a time buffer reused from facility to facility and lists the tiles it takes up, in
which the cells it reached are then found: each facility costs the cells it reaches, not
the grid (no full-grid array is allocated, filled or scanned per facility), and the cell
loops carry no bookkeeping. Two facilities are searched at once on grids up to 16 M cells;
beyond, the second thread's buffer would cost more memory than the time it saves is worth
(benchmarks/README.md).

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
import queue
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from accessplan._errors import InputError
from accessplan.io.accessmod import MODES, Grid, MergedLandCover
from accessplan.travel.profiles import tobler_kmh

logger = logging.getLogger(__name__)

Direction = Literal["towards", "from"]
Rules = Literal["current", "accessmod-2015"]
#: Rule sets of the cost of a move, by name: AccessMod 5.8+ and the 2015 version.
RULES: tuple[str, ...] = ("current", "accessmod-2015")
_RULE_CODE = {"current": 0, "accessmod-2015": 1}
#: Mode codes in the speed surface: 0 = impassable, then :data:`MODES` in order.
MODE_CODES: dict[str, int] = {mode: code for code, mode in enumerate(MODES, start=1)}

# Walking: Tobler's function relative to flat ground, tabulated from ``tobler_kmh`` every
# 1e-4 of slope on [-4, 4] and interpolated linearly (relative error below 1e-7; the kink at
# s = -0.05 is a node). Steeper slopes take the end values.
_WALK_SLOPE = 4.0
_WALK_NODES = 80_001
_WALK_PER_SLOPE = (_WALK_NODES - 1) / (2.0 * _WALK_SLOPE)  # table nodes per unit of slope
# Engine tiles of 2**7 = 128 cells a side (about 400 kB of arrays, within a core's L2
# cache); Dijkstra runs inside a tile over a window of this many bucket widths at a time.
# Measured on 4,000 x 4,000 cells: 64 or 256 cells a side and windows of 256 or 4,096
# buckets were 20-60 % slower.
_TILE_SHIFT = 7
_WINDOW_BUCKETS = 1024
# One search per facility: a second thread needs a second time buffer of 8 bytes per cell,
# allowed up to this many cells (128 MB)
_TWO_BUFFERS_CELLS = 16_000_000
_F32 = np.float32


@functools.cache
def walking_table() -> np.ndarray:
    """Walking speed relative to flat ground, :math:`T(s) / T(0)`, at the table's slopes."""
    slopes = np.linspace(-_WALK_SLOPE, _WALK_SLOPE, _WALK_NODES)
    table = np.asarray(tobler_kmh(slopes) / tobler_kmh(0.0))
    table.flags.writeable = False
    return table


@numba.njit(cache=True, error_model="numpy", inline="always")
def _walking_factor(table: np.ndarray, slope: float) -> float:
    x = (min(max(slope, -_WALK_SLOPE), _WALK_SLOPE) + _WALK_SLOPE) * _WALK_PER_SLOPE
    i = min(int(x), len(table) - 2)
    f = x - i
    return table[i] * (1.0 - f) + table[i + 1] * f


# ---------------------------------------------------------------------------- bicycling
@numba.njit(cache=True, error_model="numpy")
def _bicycle_newton(aero, tyres, power):
    """AccessMod 5.8's ``newton`` in float32: at most nine steps from 20 m/s, 0 on failure
    (no head wind, 90 % transmission)."""
    velocity = _F32(20.0)
    transmission = _F32(0.9)
    for _ in range(1, 10):
        value = _F32(velocity * _F32(_F32(_F32(aero * velocity) * velocity) + tyres)) - _F32(
            transmission * power
        )
        slope = _F32(aero * (3.0 * velocity) * velocity + tyres)
        following = _F32(velocity - _F32(value / slope))
        if abs(float(_F32(following - velocity))) < float(_F32(0.05)):
            return float(following)
        velocity = following
    return 0.0


@numba.njit(cache=True, error_model="numpy")
def _bicycling_current(speed, slope):
    """AccessMod 5.8's ``speedBicycle``: its power balance on 1 % of the slope, in float32,
    clamped to [0, 2 v0]."""
    density = _F32((1.293 - 0.00426 * 20.0) * math.exp(-500.0 / 7000.0))
    weight = _F32(9.8 * 95.0)
    aero = _F32(0.5 * float(_F32(0.445)) * float(density))
    rolling = _F32(0.012)
    u0 = _F32(float(_F32(speed)) / 3.6)
    grade = _F32(float(_F32(slope)) * 0.01)
    flat = _F32(weight * rolling)
    power = _F32(_F32(_F32(u0 * flat) + _F32(_F32(_F32(u0 * u0) * u0) * aero)) / _F32(0.9))
    kmh = float(_F32(_bicycle_newton(aero, _F32(weight * _F32(grade + rolling)), power) * 3.6))
    return max(0.0, min(kmh, 2.0 * speed))


@numba.njit(cache=True, error_model="numpy")
def _smallest_cubic_root(a, b, c):
    """Smallest real root of x^3 + a x^2 + b x + c, as GSL's ``gsl_poly_solve_cubic``."""
    q = a * a - 3.0 * b
    r = 2.0 * a * a * a - 9.0 * a * b + 27.0 * c
    big_q = q / 9.0
    big_r = r / 54.0
    q3 = big_q * big_q * big_q
    r2 = big_r * big_r
    if big_r == 0.0 and big_q == 0.0:
        return -a / 3.0
    if 729.0 * r * r == 2916.0 * q * q * q:
        root = math.sqrt(big_q)
        return -2.0 * root - a / 3.0 if big_r > 0.0 else -root - a / 3.0
    if r2 < q3:
        sign = 1.0 if big_r >= 0.0 else -1.0
        theta = math.acos(sign * math.sqrt(r2 / q3))
        norm = -2.0 * math.sqrt(big_q)
        roots = (
            norm * math.cos(theta / 3.0) - a / 3.0,
            norm * math.cos((theta + 2.0 * math.pi) / 3.0) - a / 3.0,
            norm * math.cos((theta - 2.0 * math.pi) / 3.0) - a / 3.0,
        )
        return min(roots[0], min(roots[1], roots[2]))
    sign = 1.0 if big_r >= 0.0 else -1.0
    big_a = -sign * (abs(big_r) + math.sqrt(r2 - q3)) ** (1.0 / 3.0)
    return big_a + big_q / big_a - a / 3.0


@numba.njit(cache=True, error_model="numpy")
def _bicycling_2015(speed, slope):
    """The 2015 ``speedBicycle``: GSL's smallest root of the power cubic, its magnitude."""
    rho = _F32(1.225 * float(_F32(_F32(373.0) / _F32(293.15))))
    u0 = _F32(float(_F32(speed)) / 3.6)
    flat_rolling = _F32(9.81 * 92.0 * 0.008)
    power = _F32(
        1.09
        * float(u0)
        * (0.4 * float(_F32(rho / _F32(2.0))) * float(u0) ** 2 + flat_rolling + u0 + _F32(0.2))
    )
    beta = _F32(math.atan(float(_F32(slope))))
    rolling = _F32(0.2 * math.cos(beta))
    gravity = _F32(9.81 * 92.0 * (0.008 * math.cos(beta) + math.sin(beta)))
    drag = 0.4 * float(rho)
    root = _smallest_cubic_root(
        rolling / drag, 2.0 * gravity / drag, -(2.0 * power) / (1.09 * drag)
    )
    return abs(root * 3.6)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _bicycling_kmh(speed, slope, rule):
    if rule == 1:
        return _bicycling_2015(speed, slope)
    return _bicycling_current(speed, slope)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _mode_kmh(table: np.ndarray, mode: int, speed: float, slope: float, rule: int) -> float:
    if mode == 1:
        return speed * _walking_factor(table, slope)
    if mode == 2:
        return _bicycling_kmh(speed, slope, rule)
    if mode == 3:
        return speed
    return 0.0


@numba.njit(cache=True, error_model="numpy")
def _mode_kmh_flat(table, modes, speeds, slopes, rule, out):
    for i in range(len(out)):
        out[i] = _mode_kmh(table, modes[i], speeds[i], slopes[i], rule)


def mode_speed_kmh(
    mode: str | npt.ArrayLike,
    speed_kmh: npt.ArrayLike,
    slope: npt.ArrayLike,
    *,
    rules: Rules = "current",
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
    _mode_kmh_flat(
        walking_table(),
        modes.ravel(),
        speeds.ravel(),
        slopes.ravel(),
        _rule_code(rules),
        out.reshape(-1),
    )
    return out


def _rule_code(rules: str) -> int:
    if rules not in _RULE_CODE:
        msg = f"rules must be one of {list(RULES)}, got {rules!r}."
        raise InputError(msg)
    return _RULE_CODE[rules]


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
def _cell_kmh(signed, speed, cell, factor, slope, rule):
    """Speed (km/h) in ``cell`` on a move of ``slope`` (walking factor ``factor``).

    ``signed`` (see :meth:`SpeedSurface._signed`) is +v0 walking, -v0 motorized, NaN
    bicycling (speed from ``speed``), 0 impassable.
    """
    v = signed[cell]
    if v > 0.0:
        return v * factor
    if v < 0.0:
        return -v
    if v == 0.0:
        return 0.0
    return _bicycling_kmh(speed[cell], slope, rule)


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
    moves,
    dx,
    dy,
    slope_sign,
    max_seconds,
    width,
    rule,
    tile_shift,
    window_buckets,
    sources,
    own,
    other,
    record,
):
    """Cumulative seconds from the source cells over the implicit grid graph, into ``own``.

    All arrays are flat (row-major cells). The grid is cut into square tiles of
    ``2**tile_shift`` cells a side, small enough for the core's cache. The tile holding the
    lowest pending time is taken up, and Dijkstra's algorithm runs inside it over a window
    of ``window_buckets`` bucket widths; times reaching other tiles are queued there. A
    cell whose time falls again later is simply taken up again (label correcting), so the
    result is the exact fixed point of ``t(b) = min_a t(a) + cost(a -> b)``, the shortest
    times, while memory is read tile by tile rather than along the whole wavefront.

    Inside a tile, Dinitz's bucket queue: buckets ``width`` seconds wide, no wider than the
    cheapest move, so every entry of the lowest bucket is final and is settled in any
    order, each push and pop in O(1); buckets are linked lists of entries (cell, time) in
    one pool, on a ring, and the tiles' pending lists live in the same pool. Stale entries
    are skipped.

    ``rule`` 0 adds the inverse speeds of the cells a move crosses (``current``), 1 takes
    the arithmetic mean of the two speeds (``accessmod-2015``).

    ``other`` holds the times of a search from other sources running at the same time, or
    is ``own``: a cell is entered, and expanded, only while this search beats the other's
    current time there. Those times only fall, so each search is exact wherever it is the
    nearer one and the element-wise minimum is the answer.

    With ``record``, the tiles taken up are listed (a tile as often as it is taken up): the
    list and its length come back (else an empty list). :func:`_reached` then finds the
    cells given a time in them, so the cell loops carry no bookkeeping.
    """
    nrow = len(signed) // ncol
    aniso = slope_sign != 0.0
    nmoves = moves.shape[0]
    inv_dist = np.empty(nmoves)
    share = np.empty(nmoves)
    mean_share = np.empty(nmoves)
    knight = np.empty(nmoves, np.bool_)
    for k in range(nmoves):
        dist = math.hypot(moves[k, 0] * dy, moves[k, 1] * dx)
        inv_dist[k] = 1.0 / dist
        knight[k] = moves[k, 2] != 0 or moves[k, 3] != 0
        share[k] = dist / (4000.0 if knight[k] else 2000.0) * 3600.0
        mean_share[k] = dist * 7.2  # seconds x km/h: 3.6 d / ((va + vb) / 2)
    touched = np.empty(64 if record else 0, np.int64)
    count = 0
    if not width > 0.0:
        return touched, count  # nothing passable
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
        if record:  # every tile holding a cell given a time is taken up at least once
            if count == len(touched):
                touched = _grown(touched)
            touched[count] = tile
            count += 1
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
            sa = signed[idx]
            # the source cell's speed when slope does not matter (isotropic, motorized)
            flat_va = (
                _cell_kmh(signed, speed, idx, 1.0, 0.0, rule) if not aniso or sa < 0.0 else 1.0
            )
            flat_inverse = 1.0 / flat_va
            for k in range(nmoves):
                rr = r + moves[k, 0]
                cc = c + moves[k, 1]
                if rr < 0 or rr >= nrow or cc < 0 or cc >= ncol:
                    continue
                target = rr * ncol + cc
                sb = signed[target]
                if own[target] <= d or sb == 0.0:
                    continue  # no better (every move costs time) or impassable
                slope = 0.0
                factor = 1.0
                va = flat_va
                inverse = flat_inverse
                if aniso:
                    slope = slope_sign * (elevation[target] - za) * inv_dist[k]
                    if sa > 0.0 or sb > 0.0 or knight[k]:  # someone walks
                        factor = _walking_factor(table, slope)
                    if not sa < 0.0:
                        va = _cell_kmh(signed, speed, idx, factor, slope, rule)
                        inverse = 1.0 / va
                vb = _cell_kmh(signed, speed, target, factor, slope, rule)
                if rule == 1:
                    nd = d + mean_share[k] / (va + vb)
                else:
                    inverse += 1.0 / vb
                    if knight[k]:
                        m1 = (r + moves[k, 2]) * ncol + c + moves[k, 3]
                        m2 = (r + moves[k, 4]) * ncol + c + moves[k, 5]
                        if signed[m1] == 0.0 or signed[m2] == 0.0:
                            continue  # no jumping over an impassable cell
                        inverse += 1.0 / _cell_kmh(signed, speed, m1, factor, slope, rule)
                        inverse += 1.0 / _cell_kmh(signed, speed, m2, factor, slope, rule)
                    nd = d + share[k] * inverse
                if not (nd < own[target] and nd < other[target] and nd <= max_seconds):
                    continue  # also when a speed is 0 (nd inf) or undefined (nd NaN)
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
    return touched, count


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _reached(own, ncol, tiles, tile_shift):
    """The cells of ``tiles`` holding a time, ascending, and their times; those cells of
    ``own`` are reset to inf (ready for the next search). Two passes: count, then list."""
    nrow = len(own) // ncol
    tile_cols = ((ncol - 1) >> tile_shift) + 1
    side = 1 << tile_shift
    cells = np.empty(0, np.int64)
    for listing in (False, True):
        count = 0
        for tile in tiles:
            r0 = (tile // tile_cols) << tile_shift
            c0 = (tile % tile_cols) << tile_shift
            for r in range(r0, min(r0 + side, nrow)):
                for i in range(r * ncol + c0, r * ncol + min(c0 + side, ncol)):
                    if own[i] < math.inf:
                        if listing:
                            cells[count] = i
                        count += 1
        if not listing:
            cells = np.empty(count, np.int64)
    cells.sort()
    seconds = own[cells]
    own[cells] = math.inf
    return cells, seconds


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


@numba.njit(cache=True, error_model="numpy")
def _mode_maxima(speed, mode, out):
    """Largest flat-ground speed of each mode code (``out[code]``)."""
    for i in range(len(speed)):
        out[mode[i]] = max(out[mode[i]], speed[i])


@dataclass(frozen=True, eq=False)
class Reach:
    """The cells one facility reaches within the maximum time (:meth:`SpeedSurface.reaches`).

    Attributes
    ----------
    cells
        Flat (row-major) indices of the cells reached, ascending (int64).
    seconds
        Travel time to each, seconds (float64): AccessMod defines its capacity zones on
        seconds (whole seconds in 2015, whole minutes rounded up today).
    """

    cells: np.ndarray
    seconds: np.ndarray


@dataclass(frozen=True, eq=False)
class SpeedSurface:
    """Speed and mode per cell on the DEM grid, searched under one rule set.

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
    rules
        The rule set of the cost of a move (:data:`RULES`, module docstring).
    """

    speed_kmh: np.ndarray
    mode: np.ndarray
    elevation: np.ndarray
    barrier: np.ndarray
    grid: Grid
    rules: Rules = "current"

    def __post_init__(self) -> None:
        _rule_code(self.rules)

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
        rules: Rules = "current",
    ) -> SpeedSurface:
        """Look up each cell's class in the scenario table (see :func:`read_scenario`).

        ``classes`` holds the merged class per cell (NaN where none). A class present on the
        grid but absent from the table raises :class:`InputError`. Under
        ``accessmod-2015`` speeds are truncated to whole km/h, as that version stored them
        (so a class below 1 km/h becomes impassable). One compiled pass, no temporary grids.
        """
        code = _rule_code(rules)
        kmh = scenario["speed"].to_numpy(float)
        if code == 1:
            slow = scenario.loc[(kmh > 0) & (kmh < 1), "class"].tolist()
            if slow:
                logger.warning("accessmod-2015 speeds are whole km/h: classes %s stop", slow)
            kmh = np.trunc(kmh)
        barrier = np.zeros(grid.shape, bool) if barrier is None else barrier
        speed = np.zeros(grid.shape, np.float32)
        mode = np.zeros(grid.shape, np.uint8)
        unlisted = _classify(
            np.ascontiguousarray(classes).reshape(-1),
            np.ascontiguousarray(elevation).reshape(-1),
            np.ascontiguousarray(barrier).reshape(-1),
            scenario["class"].to_numpy(float),
            kmh,
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
        return cls(speed, mode, np.asarray(elevation, dtype=np.float32), barrier, grid, rules)

    @classmethod
    def from_merged(cls, merged: MergedLandCover, *, rules: Rules = "current") -> SpeedSurface:
        """The speed surface of merged land cover, roads and barriers
        (:func:`accessplan.io.accessmod.merge_landcover`)."""
        return cls.from_classes(
            merged.classes,
            merged.scenario,
            merged.elevation,
            merged.grid,
            barrier=merged.barrier,
            rules=rules,
        )

    def travel_minutes(
        self,
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
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
        search, sources = self._prepared(rows, cols, direction, anisotropic, knight, max_minutes)
        seconds = np.full(self.grid.shape, np.inf)
        own = seconds.reshape(-1)
        nrow, ncol = self.grid.shape
        if len(sources) == 0:
            pass
        elif not parallel or len(sources) < 2 or (os.cpu_count() or 1) < 2:
            search(sources, own, own, False)
        else:
            # two spatial halves along the grid's longer side, each against the other
            order = np.argsort(sources % ncol if ncol >= nrow else sources // ncol, kind="stable")
            halves = np.array_split(sources[order], 2)
            theirs = np.full(own.shape, np.inf)
            with ThreadPoolExecutor(2) as pool:
                jobs = [
                    pool.submit(search, halves[0], own, theirs, False),
                    pool.submit(search, halves[1], theirs, own, False),
                ]
                for job in jobs:
                    job.result()
            np.minimum(own, theirs, out=own)
            del theirs
        return np.divide(seconds, 60.0, out=seconds)

    def reaches(
        self,
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
        *,
        direction: Direction = "towards",
        anisotropic: bool = True,
        knight: bool = False,
        max_minutes: float | None = None,
        threads: int | None = None,
    ) -> Iterator[Reach]:
        """One search per source cell, in order: the cells each reaches within
        ``max_minutes`` and their times (:class:`Reach`).

        Each search writes into a time buffer kept from one source to the next and lists
        the cells it reaches, so a source costs the cells it reaches rather than the grid.
        ``threads`` searches run at once, each with its own buffer of 8 bytes per cell;
        ``None`` runs two while that second buffer costs at most 128 MB (16 M cells) and
        one beyond, where memory is the limit (benchmarks/README.md: 200 facilities on
        100 M cells take 3.8 GB with one, 4.6 GB with two). Results come in the order of
        the sources either way.
        """
        search, sources = self._prepared(rows, cols, direction, anisotropic, knight, max_minutes)
        ncol, shift = self.grid.shape[1], _TILE_SHIFT  # the tiles ``search`` was given
        if threads is None:
            threads = 2 if self.mode.size <= _TWO_BUFFERS_CELLS else 1
        workers = max(1, min(threads, len(sources), os.cpu_count() or 1))
        buffers: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        for _ in range(workers):
            buffers.put(np.full(self.mode.size, np.inf))

        def one(source: int) -> Reach:
            buffer = buffers.get()
            try:
                tiles, count = search(np.array([source], np.int64), buffer, buffer, True)
                cells, seconds = _reached(buffer, ncol, np.unique(tiles[:count]), shift)
            finally:
                buffers.put(buffer)
            return Reach(cells, seconds)

        with ThreadPoolExecutor(workers) as pool:
            pending: deque[Future[Reach]] = deque()
            for source in sources.tolist():
                pending.append(pool.submit(one, source))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def _prepared(
        self,
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
        direction: str,
        anisotropic: bool,
        knight: bool,
        max_minutes: float | None,
    ) -> tuple[functools.partial[tuple[np.ndarray, int]], np.ndarray]:
        """The engine with every argument but the sources, the time arrays and ``record``
        bound; and the sources as flat cell indices, checked."""
        problems = []
        if direction not in ("towards", "from"):
            problems.append(f"direction must be 'towards' or 'from', got {direction!r}")
        if max_minutes is not None and not max_minutes > 0:
            problems.append(
                f"max_minutes must be a positive number of minutes, got {max_minutes!r}"
            )
        if knight and self.rules == "accessmod-2015":
            problems.append(
                "rules 'accessmod-2015' have no knight's move; drop knight or use rules 'current'"
            )
        if self.mode.size >= 2**31:
            problems.append(
                f"the grid has {self.mode.size:,} cells; the engine takes fewer than 2**31"
            )
        if problems:
            raise InputError("; ".join(problems) + ".")
        r = np.asarray(rows, dtype=np.int64).reshape(-1)
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        if len(r) and not self.passable[r, c].all():
            msg = "travel sources must lie on passable cells; locate them with locate_facilities."
            raise InputError(msg)
        dx, dy = self.grid.cell_size
        moves = _moves(knight)
        search = functools.partial(
            _search,
            walking_table(),
            self._signed(anisotropic),
            self.speed_kmh.reshape(-1),
            self.elevation.reshape(-1),
            self.grid.shape[1],
            moves,
            dx,
            dy,
            # isotropic: every slope counts as flat ground
            (-1.0 if direction == "towards" else 1.0) if anisotropic else 0.0,
            math.inf if max_minutes is None else max_minutes * 60.0,
            self._bucket_width(anisotropic, moves),
            # isotropic: AccessMod's r.cost averages the cells' frictions, the current rule
            _rule_code(self.rules) if anisotropic else 0,
            _TILE_SHIFT,
            _WINDOW_BUCKETS,
        )
        return search, r * self.grid.shape[1] + c

    def _signed(self, anisotropic: bool) -> np.ndarray:
        """One float32 per cell saying how the engine crosses it, so reads stay local
        (computed once per surface and kind of analysis).

        ``+v0`` walking (and every mode in an isotropic analysis), ``-v0`` motorized, NaN
        bicycling (the engine then reads ``speed_kmh``), 0 impassable. Flat (row-major).
        """
        return self._signed_aniso if anisotropic else self._signed_iso

    @functools.cached_property
    def _signed_iso(self) -> np.ndarray:
        return np.ascontiguousarray(self.speed_kmh, dtype=np.float32).reshape(-1)

    @functools.cached_property
    def _signed_aniso(self) -> np.ndarray:
        signed = self.speed_kmh.astype(np.float32).reshape(-1)
        mode = self.mode.reshape(-1)
        np.negative(signed, out=signed, where=mode == MODE_CODES["MOTORIZED"])
        signed[mode == MODE_CODES["BICYCLING"]] = np.nan
        return signed

    @functools.cached_property
    def _fastest_by_mode(self) -> np.ndarray:
        out = np.zeros(len(MODE_CODES) + 1)
        _mode_maxima(self.speed_kmh.reshape(-1), self.mode.reshape(-1), out)
        return out

    def _bucket_width(self, anisotropic: bool, moves: np.ndarray) -> float:
        """Bucket width (s): no wider than the cheapest move, less a margin for rounding.

        The cheapest move crosses its distance at the fastest speed any cell reaches:
        the table speed, on slopes up to e^0.175 times it walking, twice it bicycling
        today, and for the 2015 bicycling model its largest value over the grid's slopes.
        """
        dx, dy = self.grid.cell_size
        shortest = min(math.hypot(dr * dy, dc * dx) for dr, dc in moves[:, :2].tolist())
        top = self._fastest_by_mode
        fastest = [top[MODE_CODES["MOTORIZED"]], top[MODE_CODES["WALKING"]]]
        bike = top[MODE_CODES["BICYCLING"]]
        if not anisotropic:
            fastest += [bike]
        else:
            fastest[1] *= math.exp(0.175)
            fastest += [2.0 * bike if self.rules == "current" else self._bicycling_2015_bound]
        return 3.6 * shortest / max(fastest) * (1.0 - 1e-4) if max(fastest) > 0 else 0.0

    @functools.cached_property
    def _bicycling_2015_bound(self) -> float:
        """The fastest 2015 bicycling speed on any slope between two neighbouring cells
        (its root's magnitude grows on steep descents), with a 5 % margin."""
        bike = self.mode == MODE_CODES["BICYCLING"]
        if not bike.any():
            return 0.0
        z = self.elevation
        dx, dy = self.grid.cell_size
        steepest = 0.0
        for a, b, d in (
            (z[:, 1:], z[:, :-1], dx),
            (z[1:, :], z[:-1, :], dy),
            (z[1:, 1:], z[:-1, :-1], math.hypot(dx, dy)),
            (z[1:, :-1], z[:-1, 1:], math.hypot(dx, dy)),
        ):
            if a.size and not np.isnan(a - b).all():
                steepest = max(steepest, float(np.nanmax(np.abs(a - b))) / d)
        slopes = np.linspace(-steepest, steepest, 4001)
        speeds = np.unique(self.speed_kmh[bike])
        kmh = mode_speed_kmh("BICYCLING", speeds[:, None], slopes[None, :], rules="accessmod-2015")
        return 1.05 * float(kmh.max())


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
