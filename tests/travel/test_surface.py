"""Raster travel time: speeds by mode and slope, hand-computed grids, flags, the demo project."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from rasterio.transform import from_origin
from scipy import sparse
from scipy.sparse import csgraph

from accessplan._errors import InputError
from accessplan.io.accessmod import Grid, MergedLandCover, merge_landcover, read_grid_raster
from accessplan.io.tables import read_points
from accessplan.region import Region
from accessplan.travel import surface as engine
from accessplan.travel import tobler_kmh, travel_times
from accessplan.travel.surface import (
    MODE_CODES,
    Rules,
    SpeedSurface,
    locate_facilities,
    mode_speed_kmh,
)
from tests.conftest import CRS as UTM
from tests.conftest import points, road_network, shared_file

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
    rules: Rules = "current",
) -> SpeedSurface:
    grid_classes = np.array(classes, dtype=float)
    grid = Grid(grid_classes.shape, from_origin(0, dy * grid_classes.shape[0], dx, dy), CRS(UTM))
    z = np.zeros(grid.shape) if elevation is None else elevation
    return SpeedSurface.from_classes(grid_classes, SCENARIO, z, grid, barrier=barrier, rules=rules)


def minutes(metres: float, kmh: float) -> float:
    return metres / 1000.0 / kmh * 60.0


def test_walking_is_tobler_scaled_to_the_table_speed() -> None:
    """v(s) = v0 T(s) / T(0), with T = tobler_kmh; fastest on a 5 % descent."""
    slopes = np.append(np.linspace(-1.5, 1.5, 301), -0.05)
    got = mode_speed_kmh("WALKING", 4.0, slopes)
    np.testing.assert_allclose(got, 4.0 * tobler_kmh(slopes) / tobler_kmh(0.0), rtol=1e-7)
    assert got.max() == pytest.approx(4.0 * math.exp(0.175))


def test_current_bicycling_is_accessmod_58s_newton_on_a_hundredth_of_the_slope() -> None:
    """AccessMod 5.8 passes slope * 0.01 to its float32 Newton solver: 12 km/h gives its own
    characterisation values (mobility.h's tests: 12.000213 flat, 1.604894 at 10 % and the
    2 v0 cap at -9 %) for slopes of 0, 10 and -9 (i.e. 1000 % and -900 %), so a 10 % climb
    costs what a 0.1 % one would (11.44 km/h, not 1.60); motorized ignores slope."""
    got = mode_speed_kmh("BICYCLING", 12.0, [0.0, 10.0, -9.0, -50.0])
    np.testing.assert_allclose(got, [12.000213, 1.604894, 24.0, 0.0], atol=2e-6)
    assert 11.4 < mode_speed_kmh("BICYCLING", 12.0, 0.1) < mode_speed_kmh("BICYCLING", 12.0, 0)
    np.testing.assert_allclose(mode_speed_kmh("MOTORIZED", 60.0, [-0.3, 0.0, 0.3]), 60.0)


def bicycling_2015(speed: float, slope: float) -> float:
    """The 2015 module's bicycling speed re-typed: |smallest real root| of its cubic, x 3.6."""
    rho = 1.225 * 373 / 293.15
    u0 = speed / 3.6
    power = 1.09 * u0 * (0.2 * rho * u0**2 + 9.81 * 92 * 0.008 + u0 + 0.2)
    beta = math.atan(slope)
    gravity = 9.81 * 92 * (0.008 * math.cos(beta) + math.sin(beta))
    cubic = [1.0, 0.2 * math.cos(beta) / (0.4 * rho), 2 * gravity / (0.4 * rho)]
    roots = np.roots([*cubic, -2 * power / (1.09 * 0.4 * rho)])
    real = roots[np.abs(roots.imag) < 1e-9].real
    return abs(real.min()) * 3.6


def test_2015_bicycling_keeps_the_modules_quirks() -> None:
    """15, 12, 10 km/h give 17.21, 13.91, 11.66 km/h on the flat (ACCESSMOD.md); on a steep
    descent the smallest root is a negative one, whose magnitude is taken (57.6 km/h at
    -10 %). Equal to the cubic re-typed here within float32 rounding."""
    flat = mode_speed_kmh("BICYCLING", np.array([15.0, 12.0, 10.0]), 0.0, rules="accessmod-2015")
    np.testing.assert_allclose(flat, [17.21, 13.91, 11.66], atol=0.005)
    for slope in (-0.3, -0.1, -0.02, 0.0, 0.05, 0.1, 0.4):
        got = float(mode_speed_kmh("BICYCLING", 15.0, slope, rules="accessmod-2015"))
        assert got == pytest.approx(bicycling_2015(15.0, slope), rel=1e-6), slope
    assert bicycling_2015(15.0, -0.1) == pytest.approx(57.6, abs=0.05)


def test_a_road_to_grass_and_a_bicycling_move_by_hand() -> None:
    """One 10 m move, flat, towards the source. Road (60 km/h) to grass (5 km/h): today half
    the move at each speed; 2015 the whole move at the mean speed, 32.5 km/h. Bike path to
    bike path (12 km/h): today 12.000213 km/h (Newton), 2015 13.91 km/h (the cubic)."""

    def move(classes: list[float], rules: Rules) -> float:
        return float(surface([classes], rules=rules).travel_minutes([0], [1])[0, 0])

    assert move([2, 1], "current") == pytest.approx(minutes(5, 60) + minutes(5, 5), rel=1e-12)
    assert move([2, 1], "accessmod-2015") == pytest.approx(minutes(10, 32.5), rel=1e-12)
    assert move([3, 3], "current") == pytest.approx(minutes(10, 12.000213), rel=1e-6)
    old_bike = minutes(10, bicycling_2015(12.0, 0.0))
    assert move([3, 3], "accessmod-2015") == pytest.approx(old_bike, rel=1e-6)


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


def rugged_grid(seed: int, rules: Rules = "current") -> tuple[SpeedSurface, np.ndarray, np.ndarray]:
    """30 x 40 cells of 10 m: every mode and cliffs at random, hills up to 8 m, 7 sources."""
    rng = np.random.default_rng(seed)
    classes = rng.choice([1, 1, 1, 2, 3, 4], size=(30, 40)).astype(float)
    elevation = 8.0 * rng.random((30, 40))
    grid = surface(classes.tolist(), elevation=elevation, rules=rules)
    rows, cols = np.nonzero(grid.passable)
    pick = rng.choice(len(rows), 7, replace=False)
    return grid, rows[pick], cols[pick]


def graph_minutes(
    grid: SpeedSurface, rows: np.ndarray, cols: np.ndarray, *, knight: bool, sign: float
) -> np.ndarray:
    """The same cell graph built edge by edge, solved by scipy's Dijkstra (an independent check).

    A move's cost follows the rule set's formula as written in the module docstring: today
    the distance shared equally among the cells crossed, each at its own speed; 2015 the
    distance at the mean of the two speeds. Isotropic (``sign`` 0): every cell at its table
    speed, cost as today (GRASS r.cost under both rule sets).
    """
    nrow, ncol = grid.grid.shape
    dx, dy = grid.grid.cell_size
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
        metres = math.hypot(dy * dr, dx * dc)
        slope = sign * (z[rr, cc] - z[r, c]) / metres
        kmh = [
            grid.speed_kmh[a[ok], b[ok]].astype(float)
            if sign == 0
            else mode_speed_kmh(
                grid.mode[a[ok], b[ok]], grid.speed_kmh[a[ok], b[ok]], slope, rules=grid.rules
            )
            for a, b in crossed
        ]
        if grid.rules == "accessmod-2015" and sign != 0:
            hours = metres / 1000.0 / ((kmh[0] + kmh[1]) / 2.0)
        else:
            hours = metres / 1000.0 / len(crossed) * sum(1.0 / v for v in kmh)
        tails.append(r * ncol + c)
        heads.append(rr * ncol + cc)
        costs.append(hours * 60.0)
    graph = sparse.csr_matrix(
        (np.concatenate(costs), (np.concatenate(tails), np.concatenate(heads))),
        shape=(nrow * ncol, nrow * ncol),
    )
    got = csgraph.dijkstra(graph, indices=rows * ncol + cols, min_only=True)
    return np.asarray(got).reshape(nrow, ncol)


@pytest.mark.parametrize(
    ("rules", "knight"),
    [("current", False), ("current", True), ("accessmod-2015", False)],
)
@pytest.mark.parametrize("direction", ["from", "towards", "isotropic"])
def test_the_engine_finds_the_shortest_paths_of_the_cell_graph(
    rules: Rules, knight: bool, direction: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walking, bicycling, motorized and impassable cells on hills, under each rule set:
    scipy's Dijkstra on the explicit graph gives the same minutes, with one thread or two,
    with 4 x 4-cell tiles and a 3-bucket window (many tiles taken up again) as with the
    default tiles, and one source at a time (``reaches``) as one search from each."""
    grid, rows, cols = rugged_grid(seed=3, rules=rules)
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
        one_by_one = np.full(grid.mode.size, np.inf)
        for reach in grid.reaches(rows, cols, threads=2, **options):
            np.minimum.at(one_by_one, reach.cells, reach.seconds / 60.0)
        runs.append(one_by_one.reshape(grid.grid.shape))
    for got in runs:
        np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_reaches_list_each_sources_cells_within_the_time_and_reuse_their_buffers() -> None:
    """Each source's cells (ascending) and seconds equal a search from that source alone,
    cut at the maximum time; twice in a row, with one thread or two, the same."""
    grid, rows, cols = rugged_grid(seed=5)
    runs = [list(grid.reaches(rows, cols, max_minutes=0.4, threads=t)) for t in (1, 2, 2)]
    for i in range(len(rows)):
        alone = grid.travel_minutes(rows[i : i + 1], cols[i : i + 1], max_minutes=0.4).ravel()
        cells = np.flatnonzero(np.isfinite(alone))
        assert 0 < len(cells) < alone.size
        for run in runs:
            np.testing.assert_array_equal(run[i].cells, cells)
            np.testing.assert_allclose(run[i].seconds, alone[cells] * 60.0, rtol=1e-12)


def test_accessmod_2015_has_no_knights_move() -> None:
    """The 2015 module searched 8 neighbours: asking for 16 is refused, with the fix."""
    with pytest.raises(InputError, match="no knight's move"):
        surface([[1, 1]], rules="accessmod-2015").travel_minutes([0], [0], knight=True)


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


DEMO_STACK = (
    "barrier:barrier__demo,roads:1001,roads:1002,roads:1003,roads:1004,roads:1005,"
    "barrier:barrier__demo_river,landcover"
)


@pytest.fixture(scope="module")
def demo() -> tuple[MergedLandCover, gpd.GeoDataFrame, np.ndarray]:
    """AccessMod's demo merged with its stack, its facilities, and the travel time AccessMod
    (2015) exported for it: seconds towards the 4 usable facilities, NaN beyond 7,200 s."""
    folder = Path(shared_file("accessmod-demo"))
    merged = merge_landcover(
        folder / "DEM" / "dem__dem.GeoTIFF",
        folder / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        folder / "table_model__demo" / "table_model__demo.xlsx",
        roads=folder / "road__demo" / "road__demo" / "road__demo.shp",
        barriers=[
            folder / "barrier__demo_river" / "barrier__demo_river" / "barrier__demo_river.shp",
            folder / "barrier_restricted_area" / "barrier__demo" / "barrier__demo.shp",
        ],
        stack=DEMO_STACK,
    )
    facilities = read_points(
        folder
        / "health_facilities__demo"
        / "health_facilities__demo"
        / "health_facilities__demo.shp",
        what="facilities",
    )
    name = "cumulative_cost__demo"
    seconds, _ = read_grid_raster(
        folder / "analysis" / name / f"{name}.GeoTIFF", what="travel time", grid=merged.grid
    )
    return merged, facilities, seconds


def test_accessmod_2015_rules_reproduce_the_demos_travel_time(
    demo: tuple[MergedLandCover, gpd.GeoDataFrame, np.ndarray],
) -> None:
    """Anisotropic, towards the facilities, 120 min: every cell AccessMod reached is reached
    within 0.001 s (7.8e-5 s here), but 4 road cells without elevation, which AccessMod's
    r.walk enters by a motorized move and never leaves; nothing is reached by us alone."""
    merged, facilities, theirs = demo
    grid = SpeedSurface.from_merged(merged, rules="accessmod-2015")
    cells = locate_facilities(facilities, grid)
    cells = cells[cells["status"] == "ok"]
    assert len(cells) == 4
    ours = 60.0 * grid.travel_minutes(cells["row"], cells["col"], max_minutes=120)
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert both.sum() == 253_620 and np.isfinite(theirs).sum() == 253_624
    assert not (np.isfinite(ours) & np.isnan(theirs)).any()
    theirs_only = np.isinf(ours) & np.isfinite(theirs)
    assert np.isnan(merged.elevation[theirs_only]).all()
    assert np.isin(merged.classes[theirs_only], [1001, 1002, 1003]).all()  # motorized
    assert np.abs(ours[both] - theirs[both]).max() < 1e-3


@pytest.mark.parametrize("rules", ["current", "accessmod-2015"])
def test_on_the_demo_each_rule_set_is_its_formula_move_by_move(
    demo: tuple[MergedLandCover, gpd.GeoDataFrame, np.ndarray], rules: Rules
) -> None:
    """The current and 2015 outputs differ only by the cost of a move: on the whole demo
    the engine equals scipy's Dijkstra on the cell graph whose moves follow each rule set's
    formula (``graph_minutes``); and the two rule sets do give different times."""
    merged, facilities, _ = demo
    grid = SpeedSurface.from_merged(merged, rules=rules)
    cells = locate_facilities(facilities, grid)
    cells = cells[cells["status"] == "ok"]
    rows, cols = cells["row"].to_numpy(), cells["col"].to_numpy()
    expected = graph_minutes(grid, rows, cols, knight=False, sign=-1.0)
    got = grid.travel_minutes(rows, cols)
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    other = "accessmod-2015" if rules == "current" else "current"
    elsewhere = SpeedSurface.from_merged(merged, rules=other).travel_minutes(rows, cols)
    both = np.isfinite(got) & np.isfinite(elsewhere)
    assert (np.abs(elsewhere[both] - got[both]) > 1.0).mean() > 0.5  # over a minute apart
