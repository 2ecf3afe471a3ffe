"""Raster travel time: speeds by mode and slope, hand-computed grids, flags, the demo project."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from rasterio.transform import from_origin
from scipy import sparse
from scipy.sparse import csgraph

from accessplan._errors import InputError
from accessplan.io.accessmod import Grid
from accessplan.region import Region
from accessplan.travel import surface as engine
from accessplan.travel import tobler_kmh, travel_times
from accessplan.travel.surface import (
    MODE_CODES,
    SpeedSurface,
    locate_facilities,
    mode_speed_kmh,
)
from tests.conftest import CRS as UTM
from tests.conftest import points, road_network

SCENARIO = pd.DataFrame(
    {
        "class": [1, 2, 3, 4],
        "label": ["grass", "road", "bike path", "cliff"],
        "speed": [5.0, 60.0, 12.0, 0.0],
        "mode": ["WALKING", "MOTORIZED", "BICYCLING", "WALKING"],
    }
)


def surface(
    classes: list[list[float]],
    *,
    dx: float = 10.0,
    dy: float = 10.0,
    elevation: np.ndarray | None = None,
    barrier: np.ndarray | None = None,
) -> SpeedSurface:
    grid_classes = np.array(classes, dtype=float)
    grid = Grid(grid_classes.shape, from_origin(0, dy * grid_classes.shape[0], dx, dy), CRS(UTM))
    z = np.zeros(grid.shape) if elevation is None else elevation
    return SpeedSurface.from_classes(grid_classes, SCENARIO, z, grid, barrier=barrier)


def minutes(metres: float, kmh: float) -> float:
    return metres / 1000.0 / kmh * 60.0


def test_walking_is_tobler_scaled_to_the_table_speed() -> None:
    """v(s) = v0 T(s) / T(0), with T = tobler_kmh; fastest on a 5 % descent."""
    slopes = np.append(np.linspace(-1.5, 1.5, 301), -0.05)
    got = mode_speed_kmh("WALKING", 4.0, slopes)
    np.testing.assert_allclose(got, 4.0 * tobler_kmh(slopes) / tobler_kmh(0.0), rtol=1e-7)
    assert got.max() == pytest.approx(4.0 * math.exp(0.175))


def test_bicycling_follows_accessmod_and_motorized_ignores_slope() -> None:
    """Flat: the table speed; climbs: AccessMod's values; descents: capped at twice it."""
    assert mode_speed_kmh("BICYCLING", 12.0, 0.0) == pytest.approx(12.0)
    # values of AccessMod's am_bicycle_speed_legacy (Newton iteration, float32)
    for speed, slope, expected in ((10, 0.05, 2.27), (10, 0.1, 1.26), (15, 0.1, 2.23)):
        assert mode_speed_kmh("BICYCLING", speed, slope) == pytest.approx(expected, abs=0.01)
    np.testing.assert_allclose(mode_speed_kmh("BICYCLING", 10.0, [-0.1, -0.6]), 20.0)
    np.testing.assert_allclose(mode_speed_kmh("MOTORIZED", 60.0, [-0.3, 0.0, 0.3]), 60.0)


def test_isotropic_times_equal_a_hand_computation() -> None:
    """Half of each cell at its speed, diagonals over the true distance (10 x 20 m cells)."""
    grid = surface([[1, 1, 2, 2], [1, 1, 1, 1]], dx=10.0, dy=20.0)
    got = grid.travel_minutes([0], [0], anisotropic=False)
    walk_10 = minutes(10, 5)
    assert got[0, 0] == 0
    assert got[0, 1] == pytest.approx(walk_10)
    assert got[0, 2] == pytest.approx(walk_10 + minutes(5, 5) + minutes(5, 60))
    assert got[0, 3] == pytest.approx(walk_10 + minutes(5, 5) + minutes(15, 60))
    assert got[1, 0] == pytest.approx(minutes(20, 5))
    assert got[1, 1] == pytest.approx(minutes(math.hypot(10, 20), 5))


def test_uphill_and_downhill_equal_toblers_values() -> None:
    """100 m at 10 % grade: from the facility uphill at v(0.1), towards it downhill at v(-0.1)."""
    grid = surface([[1, 1]], dx=100.0, dy=100.0, elevation=np.array([[0.0, 10.0]]))
    speed = {s: 5.0 * float(tobler_kmh(s) / tobler_kmh(0.0)) for s in (0.1, -0.1)}
    away = grid.travel_minutes([0], [0], direction="from")[0, 1]
    back = grid.travel_minutes([0], [0], direction="towards")[0, 1]
    flat = grid.travel_minutes([0], [0], anisotropic=False)[0, 1]
    assert away == pytest.approx(minutes(100, speed[0.1]), rel=1e-7)
    assert back == pytest.approx(minutes(100, speed[-0.1]), rel=1e-7)
    assert flat == pytest.approx(minutes(100, 5.0))
    assert back < flat < away


def test_knight_moves_are_shorter_but_never_jump_a_barrier() -> None:
    """(0,0) -> (2,1): a knight's move of sqrt(5) cells, or a diagonal and a straight step."""
    open_grid = surface([[1, 1], [1, 1], [1, 1]])
    knight = open_grid.travel_minutes([0], [0], knight=True, anisotropic=False)[2, 1]
    eight = open_grid.travel_minutes([0], [0], anisotropic=False)[2, 1]
    assert knight == pytest.approx(minutes(10 * math.sqrt(5), 5))
    assert eight == pytest.approx(minutes(10 * math.sqrt(2) + 10, 5))
    blocked = surface([[1, 1], [1, 4], [1, 1]])  # class 4 runs at 0 km/h
    detour = blocked.travel_minutes([0], [0], knight=True, anisotropic=False)[2, 1]
    assert detour == pytest.approx(eight)


def rugged_grid(seed: int) -> tuple[SpeedSurface, np.ndarray, np.ndarray]:
    """30 x 40 cells of 10 m: every mode and cliffs at random, hills up to 8 m, 7 sources."""
    rng = np.random.default_rng(seed)
    classes = rng.choice([1, 1, 1, 2, 3, 4], size=(30, 40)).astype(float)
    elevation = 8.0 * rng.random((30, 40))
    grid = surface(classes.tolist(), elevation=elevation)
    rows, cols = np.nonzero(grid.passable)
    pick = rng.choice(len(rows), 7, replace=False)
    return grid, rows[pick], cols[pick]


def graph_minutes(
    grid: SpeedSurface, rows: np.ndarray, cols: np.ndarray, *, knight: bool, sign: float
) -> np.ndarray:
    """The same cell graph built edge by edge, solved by scipy's Dijkstra (an independent check)."""
    nrow, ncol = grid.grid.shape
    z = grid.elevation.astype(float)
    passable = grid.passable
    moves = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
    if knight:
        moves += [(dr, dc) for dr in (-2, -1, 1, 2) for dc in (-2, -1, 1, 2) if abs(dr * dc) == 2]
    tails, heads, costs = [], [], []
    for dr, dc in moves:
        r, c = np.nonzero(passable)
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < nrow) & (cc >= 0) & (cc < ncol)
        r, c, rr, cc = r[inside], c[inside], rr[inside], cc[inside]
        crossed = [(r, c), (rr, cc)]
        if abs(dr * dc) == 2:  # a knight's move also crosses the two cells it passes between
            sr, sc = int(np.sign(dr)), int(np.sign(dc))
            first = (r + sr, c) if abs(dr) == 2 else (r, c + sc)
            crossed += [first, (r + sr, c + sc)]
        ok = np.all([passable[a, b] for a, b in crossed], axis=0)
        r, c, rr, cc = r[ok], c[ok], rr[ok], cc[ok]
        metres = math.hypot(10.0 * dr, 10.0 * dc)
        slope = sign * (z[rr, cc] - z[r, c]) / metres
        hours_per_km = sum(
            1.0 / mode_speed_kmh(grid.mode[a[ok], b[ok]], grid.speed_kmh[a[ok], b[ok]], slope)
            for a, b in crossed
        )
        tails.append(r * ncol + c)
        heads.append(rr * ncol + cc)
        costs.append(metres / 1000.0 / len(crossed) * hours_per_km * 60.0)
    graph = sparse.csr_matrix(
        (np.concatenate(costs), (np.concatenate(tails), np.concatenate(heads))),
        shape=(nrow * ncol, nrow * ncol),
    )
    got = csgraph.dijkstra(graph, indices=rows * ncol + cols, min_only=True)
    return np.asarray(got).reshape(nrow, ncol)


@pytest.mark.parametrize("knight", [False, True])
@pytest.mark.parametrize("direction", ["from", "towards", "isotropic"])
def test_the_engine_finds_the_shortest_paths_of_the_cell_graph(
    knight: bool, direction: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walking, bicycling, motorized and impassable cells on hills: scipy's Dijkstra on the
    explicit graph gives the same minutes, with one thread or two, and with 4 x 4-cell tiles
    and a 3-bucket window (many tiles taken up again) as with the default tiles."""
    grid, rows, cols = rugged_grid(seed=3)
    assert set(np.unique(grid.mode)) == {0, *MODE_CODES.values()}
    sign = {"from": 1.0, "towards": -1.0, "isotropic": 0.0}[direction]
    expected = graph_minutes(grid, rows, cols, knight=knight, sign=sign)
    assert np.isfinite(expected).sum() > 800 and np.isinf(expected).any()
    options = {
        "direction": "from" if direction == "isotropic" else direction,
        "anisotropic": direction != "isotropic",
        "knight": knight,
    }
    runs = []
    for tile_shift, window in ((7, 1024), (2, 3)):
        monkeypatch.setattr(engine, "_TILE_SHIFT", tile_shift)
        monkeypatch.setattr(engine, "_WINDOW_BUCKETS", window)
        for parallel in (False, True):
            runs.append(grid.travel_minutes(rows, cols, parallel=parallel, **options))
    for got in runs:
        np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_barriers_cut_the_grid_and_the_search_stops_at_the_maximum_time() -> None:
    """Nothing crosses a barrier column; cells beyond max_minutes stay inf."""
    wall = np.zeros((3, 3), bool)
    wall[:, 1] = True
    grid = surface([[1, 1, 1]] * 3, barrier=wall)
    got = grid.travel_minutes([1], [0], anisotropic=False)
    assert np.isinf(got[:, 1:]).all() and np.isfinite(got[:, 0]).all()
    short = surface([[1, 1, 1]]).travel_minutes([0], [0], max_minutes=minutes(15, 5))
    assert np.isfinite(short[0, :2]).all() and np.isinf(short[0, 2])


def test_a_class_missing_from_the_scenario_is_an_error() -> None:
    """Land cover class 9 has no speed: say which class and how many cells, never guess."""
    with pytest.raises(InputError, match=r"class\(es\) \[9\].*\{9: 2\}"):
        surface([[1, 9, 9]])


def test_facilities_off_the_grid_on_barriers_or_at_zero_speed_are_flagged() -> None:
    """Each facility gets a status; none is dropped."""
    wall = np.zeros((1, 4), bool)
    wall[0, 1] = True
    grid = surface([[1, 1, 4, 1]], barrier=wall)
    facilities = points(
        [
            {"id": "ok", "x": 35, "y": 5},
            {"id": "bar", "x": 15, "y": 5},
            {"id": "cliff", "x": 25, "y": 5},
            {"id": "away", "x": 500, "y": 5},
        ]
    )
    status = locate_facilities(facilities, grid)["status"].tolist()
    assert status == ["ok", "on_barrier", "impassable", "outside_dem"]


def test_a_flat_road_agrees_with_the_network_engine() -> None:
    """A 1 km straight road at 60 km/h: raster and road graph within one cell's crossing time."""
    classes = np.ones((3, 100))
    classes[1, :] = 2  # the road, 60 km/h, along the middle row (y = 15)
    grid = Grid(classes.shape, from_origin(0, 30, 10, 10), CRS(UTM))
    raster = SpeedSurface.from_classes(classes, SCENARIO, np.zeros(classes.shape), grid)
    facility = points([{"id": "h", "x": 3, "y": 15, "service": "health", "tier": "village_clinic"}])
    village = points([{"id": "v", "x": 996, "y": 15, "population": 10}])
    region = Region(
        settlements=village,
        facilities=facility,
        roads=road_network([(0, 15), (1000, 15)], [(0, 1, "primary", False)]),
    )
    network = travel_times(region, "car")["minutes"].iloc[0]
    cell = locate_facilities(facility, raster)
    got = raster.travel_minutes(cell["row"], cell["col"], direction="towards")
    assert network == pytest.approx(minutes(993, 60))
    assert abs(got[1, 99] - network) <= minutes(10, 60)  # the village's cell: x 990..1000
