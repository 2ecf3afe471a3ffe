"""Synthetic mountain counties and provinces for tests, demos and benchmarks.

:func:`mountain_county` draws one county of about 40 x 40 km in UTM zone 48N: a main valley
draining south with side valleys branching off it, a road up every valley, villages along the
roads grouped into townships and administrative villages, and health centres and schools in
them. :func:`province` lays counties out on a grid and joins them by primary roads.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed gives the same
region, bit for bit.

Terrain model
-------------
Each valley is a polyline with a floor elevation :math:`f` at its vertices. Its surface at
horizontal distance :math:`d` from the axis (floor interpolated at the nearest axis point) is

.. math:: V(d) = f + s\\,(\\sqrt{d^2 + w^2} - w),

a floor of half-width :math:`w` rising into slopes of gradient :math:`s`. The landscape is the
minimum over all valleys, capped smoothly by a massif :math:`H` (a base level, gaussian peaks
and rolling noise) with the smooth minimum :math:`-T \\log(e^{-a/T} + e^{-b/T})`; ridges
appear where two valleys' slopes meet. Smooth seeded noise, damped on the valley floors, and
a light gaussian blur follow. Towards the county edge the massif sinks (over about 5 km) to a
border river at about 700 m whose level depends on world coordinates only, so neighbouring
counties join without a step.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from accessplan._errors import InputError
from accessplan.region import ADMIN_LEVELS, Region, RoadNetwork, Terrain
from accessplan.services import REGION_DEFAULT, Catalogue, default_catalogue

logger = logging.getLogger(__name__)

#: Working CRS of synthetic regions (UTM zone 48N, metres).
CRS_CODE = "EPSG:32648"
#: DEM cell size (m) and cells per side; a county covers ``EXTENT_M`` x ``EXTENT_M``.
CELL_M = 90.0
CELLS = 444
EXTENT_M = CELL_M * CELLS
#: World coordinates of the centre of a county laid at ``origin=(0, 0)``.
CENTRE = (500_000.0, 2_800_000.0)

_MARGIN_M = 3_000.0  # valley heads and road ends keep this far from the county edge
_VERTEX_STEP_M = 250.0  # spacing of road polyline vertices; villages sit near these
_SMOOTH_M = 80.0  # temperature of the smooth minimum between valleys and massif
#: Per road class: relative density of villages along it, and their relative size.
_ROAD_CLASSES: dict[str, tuple[float, float]] = {
    "secondary": (4.0, 1.6),
    "tertiary": (2.5, 1.2),
    "track": (1.2, 0.8),
    "path": (0.6, 0.5),
}
_SYLLABLES = (
    "Da Xiao Shang Xia Zhong Bai Hei Hong Qing Huang Xin Lao Gao Nan Bei Dong Xi Jin Yun Ma",
    "shui shi long song zhu li tao yang niu ma he shan lin hua cao mu tian quan feng ji",
    "ping tang gou po wan ba zhai cun ling chong jie ying di tun kou ao",
)
#: Services beyond health and schools that :func:`mountain_county` can add (``services=``),
#: with the id prefix of their facilities and the population group their standards count.
EXTRA_SERVICES: dict[str, tuple[str, str]] = {
    "elderly_care": ("E", "people_over_60"),
    "preschool": ("K", "children_3_5"),
}
_ID_PREFIX = {"health": "H", "school": "S", **{k: v[0] for k, v in EXTRA_SERVICES.items()}}


@dataclass(frozen=True)
class _Valley:
    """A valley axis (local metres) with its floor elevation at each vertex."""

    axis: np.ndarray
    floors: np.ndarray
    slope: float
    half_width: float


@dataclass(frozen=True)
class _Way:
    """A road polyline (local metres) with the floor elevation under it, if it follows one.

    The first point is vertex ``branch[1]`` of way ``branch[0]``; ``branch`` is None for the
    main road, whose first point is the valley mouth.
    """

    points: np.ndarray
    floors: np.ndarray | None
    highway: str
    surface: str
    branch: tuple[int, int] | None


def mountain_county(
    seed: int = 0,
    *,
    n_townships: int | None = None,
    n_villages: int | None = None,
    origin: tuple[float, float] = (0.0, 0.0),
    county_code: str = "530102",
    name: str | None = None,
    road_node_spacing_m: float = 100.0,
    services: Sequence[str] = (),
) -> Region:
    """Draw a synthetic mountain county.

    The county is a square of ``EXTENT_M`` (about 40 km) centred on easting
    ``500,000 + origin[0]`` and northing ``2,800,000 + origin[1]`` in EPSG:32648, with a 90 m
    DEM. A main valley (floor 800-1,300 m) drains to the south edge; 10-16 side valleys and
    their branches climb to ridges and peaks of 2,500-3,300 m; the county edge is a border
    river at about 700 m. Roads: a ``secondary`` (asphalt) road up the main valley, ``tertiary``
    roads up the larger side valleys, ``track`` and ``path`` up the smaller ones and to high
    villages; one connected network with rise and fall sampled from the DEM. Road node 0 is
    the valley mouth on the county's southern edge (:func:`province` joins counties there).

    Villages (natural villages, ids ``V0001``...) sit 20-400 m off the road, more densely
    along bigger and lower roads, with log-normal populations clipped to 20-3,000; the first
    one is the county seat near the valley mouth. Townships are grown around spread-out
    villages on the main and tertiary roads; administrative villages group about three
    natural villages each. Facilities (ids ``H001``..., ``S001``...): the county hospital
    at the seat, a township health centre and a primary school at each township's largest
    village, a village clinic in about 80% of administrative villages, a middle school per
    3-5 townships and teaching points in half the villages over 3 km from their
    township's primary school.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same county.
    n_townships
        Number of townships (1-899); drawn from 15-25 when None.
    n_villages
        Number of settlements (at least ``n_townships``); drawn from 150-400 when None.
    origin
        Offset (m) of the county centre from (500,000, 2,800,000).
    county_code
        Six-digit statistical code of the county; township and village codes extend it.
    name
        Region name; by default named after the county seat.
    road_node_spacing_m
        Roads are split into edges of at most this length. A county has 135-255 km of road
        (190 km on average) drawn as about 750 pieces of up to 250 m, each split evenly, so
        about ``750 * ceil(250 / road_node_spacing_m)`` nodes: 2,300 at 100 m, 10,500 at
        18 m. Villages, facilities and terrain do not depend on it.
    services
        Services of :data:`EXTRA_SERVICES` to add (``"elderly_care"``, ``"preschool"``): their
        facilities and the settlements column of the group they serve, drawn by
        :func:`_extra_services` from a stream of their own (spawned from ``seed``), so the
        rest of the county is the same with or without them. The region's catalogue is the
        bundled one's health, school and these services.

    Returns
    -------
    Region
        Settlements, facilities, roads, admin units (county, townships, villages; the
        county's parent is empty) and terrain, in EPSG:32648.
    """
    _check_code(county_code, "county")
    catalogue = _catalogue(services)
    rng = np.random.default_rng(seed)
    # draw the counts even when given, so that they do not shift the rest of the county
    drawn_townships, drawn_villages = int(rng.integers(15, 26)), int(rng.integers(150, 401))
    n_townships = drawn_townships if n_townships is None else n_townships
    n_villages = drawn_villages if n_villages is None else n_villages
    if not 1 <= n_townships <= 899 or n_villages < n_townships:
        msg = (
            f"need 1 <= n_townships <= 899 and n_villages >= n_townships; got n_townships="
            f"{n_townships}, n_villages={n_villages}. Pass other counts (or None to draw them)."
        )
        raise InputError(msg)
    corner = np.array(_county_corner(origin))
    crs = CRS.from_user_input(CRS_CODE)
    ways, valleys = _lay_ways(rng)
    terrain = _terrain(valleys, corner, crs, rng)
    vertex_ids = _way_vertex_ids(ways)
    vertices, u, v, attributes, vertex_highway = _assemble(ways, vertex_ids)
    xy = vertices + corner
    roads = RoadNetwork.from_segments(
        xy, u, v, attributes, max_segment_m=road_node_spacing_m
    ).with_elevation(terrain, crs)
    vertex_z = terrain.sample(xy[:, 0], xy[:, 1], crs)
    path_ends = np.array(
        [ids[-1] for way, ids in zip(ways, vertex_ids, strict=True) if way.highway == "path"],
        dtype=np.int64,
    )
    settled = _place_settlements(rng, vertices, vertex_highway, vertex_z, path_ends, n_villages)
    names = _names(rng, n_villages)
    county_name = name if name is not None else f"{names[0]} County"
    township, seats, village, admin_units = _administer(
        rng, settled, names, n_townships, county_code, county_name
    )
    people = _population(rng, settled["highway"], seats)
    settlements = gpd.GeoDataFrame(
        {
            "id": _ids("V", n_villages, 4),
            "name": names,
            "admin_code": admin_units["code"].to_numpy()[village],
            "population_source": "synthetic",
            **people,
        },
        geometry=gpd.points_from_xy(*(settled["xy"] + corner).T),
        crs=crs,
    )
    facilities = _facilities(rng, settlements, township, village, county_name)
    if services:
        settlements, facilities = _extra_services(
            seed, services, settlements, facilities, township, village, county_name
        )
    region = Region(
        settlements=settlements,
        facilities=facilities,
        roads=roads,
        admin_units=admin_units,
        terrain=terrain,
        name=county_name,
        catalogue=catalogue,
    )
    logger.debug(
        "synthetic county %s: %d townships, %d villages, %d facilities, %d road nodes",
        county_code,
        n_townships,
        n_villages,
        len(facilities),
        len(roads.nodes),
    )
    return region


def province(
    n_counties: int,
    seed: int = 0,
    *,
    province_code: str = "53",
    road_node_spacing_m: float = 100.0,
    services: Sequence[str] = (),
    n_townships: int | None = None,
    n_villages: int | None = None,
    border_roads: bool = False,
    counties_per_city: int = 99,
) -> Region:
    """Draw a synthetic province of mountain counties joined by primary roads.

    County ``i`` is ``mountain_county`` with the ``i``-th seed spawned from ``seed``, code
    ``province_code + city + county`` (city ``01`` with counties ``01``..``99``; beyond
    ``counties_per_city`` counties the next city, ``02``, and so on) and its own cell of a
    grid of ``ceil(sqrt(n_counties))`` columns, row by row from the south-west; the counties
    tile the grid edge to edge (the border rivers depend on world coordinates, so a county's
    details change with its place in the grid). ``primary`` roads run along the border
    rivers: along each row's southern edge through the valley mouths, and north along the
    counties' western edges between rows. Ids are renumbered across the province
    (``V00001``, ``H0001``...).

    The terrain is one mosaic of the county DEMs, NaN where the grid has no county. It is
    kept for any number of counties: a county's DEM is 0.8 MB (float32), so 70 counties take
    about 55 MB. County roads keep the rise and fall sampled from their own DEM; primary roads
    are sampled from the mosaic.

    Parameters
    ----------
    n_counties
        Number of counties, 1-9,801 (99 cities of 99).
    seed
        Seed from which the counties' seeds are spawned.
    province_code
        Two-digit province code.
    road_node_spacing_m
        Passed to :func:`mountain_county`, and used to split the primary roads (about 70 km
        per county). 70 counties at 18 m have about 1,060,000 road nodes, 19,000 settlements
        and 9,000 facilities (130 per county, 70 of them village clinics); they build in about
        10 s and 0.6 GB.
    services, n_townships, n_villages
        Passed to :func:`mountain_county` for every county (counts None: drawn per county).
    border_roads
        Also join every two neighbouring counties by a ``track`` over the ridge between
        them, from the road node of each nearest their shared border: villages near a
        county's edge then find clinics and schools across it. Off by default (the province
        is then the same as before the option).
    counties_per_city
        Counties per city (prefecture), 1-99.

    Returns
    -------
    Region
        All counties' layers, admin units with the province and cities as parents, roads as
        one connected network and the terrain mosaic, in EPSG:32648.
    """
    _check_code(province_code, "province")
    if not 1 <= counties_per_city <= 99 or not 1 <= n_counties <= 99 * counties_per_city:
        msg = (
            f"need 1 <= counties_per_city <= 99 and 1 <= n_counties <= 99 cities of them; got "
            f"n_counties={n_counties}, counties_per_city={counties_per_city}."
        )
        raise InputError(msg)
    codes = [
        (province_code, f"{i // counties_per_city + 1:02d}", f"{i % counties_per_city + 1:02d}")
        for i in range(n_counties)
    ]
    return _grid_region(
        codes,
        seed,
        road_node_spacing_m=road_node_spacing_m,
        services=services,
        n_townships=n_townships,
        n_villages=n_villages,
        border_roads=border_roads,
        name=f"Province {province_code} ({n_counties} synthetic counties)",
    )


def country(
    n_provinces: int,
    counties_per_province: int,
    seed: int = 0,
    *,
    road_node_spacing_m: float = 100.0,
    counties_per_city: int = 10,
    n_townships: int | None = None,
    n_villages: int | None = None,
    border_roads: bool = True,
) -> Region:
    """Draw a synthetic country: ``n_provinces`` provinces (codes 11, 12, ...) of
    ``counties_per_province`` counties in cities of ``counties_per_city``, on one grid.

    Counties are laid as :func:`province` lays them, on a grid of all the country's
    counties, province after province; county ``i`` takes the ``i``-th seed spawned from
    ``seed``. With ``border_roads`` (the default here) neighbouring counties, also across
    province borders, are joined over the ridge between them.

    The whole country is drawn in memory (about 1 MB of terrain per county); China's 2,800
    counties with about 210 villages each (``n_villages=210``) take tens of GB this way, so
    a national run draws it province by province (``accessplan synth country`` writes each
    province's counties to the store in turn).
    """
    if not 1 <= n_provinces <= 89:
        msg = f"n_provinces must be 1-89 (two-digit codes 11..99); got {n_provinces}."
        raise InputError(msg)
    if not 1 <= counties_per_city <= 99 or not (
        1 <= counties_per_province <= 99 * counties_per_city
    ):
        msg = (
            "need 1 <= counties_per_city <= 99 and 1 <= counties_per_province <= 99 cities "
            f"of them; got {counties_per_province} and {counties_per_city}."
        )
        raise InputError(msg)
    codes = [
        (f"{11 + p}", f"{i // counties_per_city + 1:02d}", f"{i % counties_per_city + 1:02d}")
        for p in range(n_provinces)
        for i in range(counties_per_province)
    ]
    return _grid_region(
        codes,
        seed,
        road_node_spacing_m=road_node_spacing_m,
        services=(),
        n_townships=n_townships,
        n_villages=n_villages,
        border_roads=border_roads,
        name=f"Country ({n_provinces} provinces, {len(codes)} synthetic counties)",
    )


def _grid_region(
    codes: list[tuple[str, str, str]],
    seed: int,
    *,
    road_node_spacing_m: float,
    services: Sequence[str],
    n_townships: int | None,
    n_villages: int | None,
    border_roads: bool,
    name: str,
) -> Region:
    """Counties of the given (province, city, county) codes on one grid: see
    :func:`province`."""
    n_counties = len(codes)
    n_cols = math.ceil(math.sqrt(n_counties))
    n_rows = math.ceil(n_counties / n_cols)
    cells = [divmod(i, n_cols) for i in range(n_counties)]
    origins = [
        ((c - (n_cols - 1) / 2) * EXTENT_M, (r - (n_rows - 1) / 2) * EXTENT_M) for r, c in cells
    ]
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n_counties)]
    counties = [
        mountain_county(
            s,
            origin=o,
            county_code="".join(code),
            road_node_spacing_m=road_node_spacing_m,
            services=services,
            n_townships=n_townships,
            n_villages=n_villages,
        )
        for s, o, code in zip(seeds, origins, codes, strict=True)
    ]
    terrain = _mosaic([c.terrain for c in counties], cells, n_rows, n_cols)
    roads = _join_counties(
        [c.roads for c in counties], cells, origins, terrain, road_node_spacing_m, border_roads
    )
    provinces = list(dict.fromkeys(p for p, _, _ in codes))
    cities = list(dict.fromkeys((p, c) for p, c, _ in codes))
    admin_units = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": provinces + [p + c for p, c in cities],
                    "name": [f"Province {p}" for p in provinces]
                    + [f"City {p + c}" for p, c in cities],
                    "level": ["province"] * len(provinces) + ["city"] * len(cities),
                    "parent": [""] * len(provinces) + [p for p, _ in cities],
                }
            ),
            *(c.admin_units for c in counties),
        ],
        ignore_index=True,
    )
    county_rows = (admin_units["level"] == "county").to_numpy()
    admin_units.loc[county_rows, "parent"] = admin_units.loc[county_rows, "code"].str[:4]
    settlements = pd.concat([c.settlements for c in counties], ignore_index=True)
    settlements["id"] = _ids("V", len(settlements), 4)
    facilities = pd.concat([c.facilities for c in counties], ignore_index=True)
    facilities["id"] = _facility_ids(facilities["service"])
    logger.info(
        "%s: %d settlements, %d facilities, %d road nodes",
        name,
        len(settlements),
        len(facilities),
        len(roads.nodes),
    )
    return Region(
        settlements=settlements,
        facilities=facilities,
        roads=roads,
        admin_units=admin_units,
        terrain=terrain,
        name=name,
        catalogue=counties[0].catalogue,
    )


# ---------------------------------------------------------------------------- geometry helpers
def _catalogue(services: Sequence[str]) -> Catalogue:
    """The bundled catalogue's health, school and the extra ``services``."""
    unknown = sorted(set(services) - set(EXTRA_SERVICES))
    if unknown or len(set(services)) != len(services):
        msg = (
            f"services must be distinct names among {list(EXTRA_SERVICES)}, got "
            f"{list(services)}; the synthetic county draws health and schools always."
        )
        raise InputError(msg)
    return default_catalogue().subset((*REGION_DEFAULT, *services))


def _check_code(code: str, level: str) -> None:
    """Raise unless ``code`` is a statistical code of ``level`` (digits of the right length)."""
    if not (code.isdigit() and len(code) == ADMIN_LEVELS[level]):
        n = ADMIN_LEVELS[level]
        msg = f"a {level} code has {n} digits (e.g. {'530102101201'[:n]!r}); got {code!r}."
        raise InputError(msg)


def _county_corner(origin: tuple[float, float]) -> tuple[float, float]:
    """World coordinates of the south-west corner of the county at ``origin``."""
    return (
        CENTRE[0] + origin[0] - EXTENT_M / 2,
        CENTRE[1] + origin[1] - EXTENT_M / 2,
    )


def _densify(points: np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline (extra columns interpolated too), at most ``step`` apart."""
    seg = np.diff(points, axis=0)
    pieces = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step)).astype(np.int64)
    owner = np.repeat(np.arange(len(seg)), pieces)
    frac = (np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / pieces[owner]
    return np.vstack([points[owner] + seg[owner] * frac[:, None], points[-1:]])


def _arc_length(points: np.ndarray) -> np.ndarray:
    """Cumulative length along a polyline, 0 at its first point."""
    steps = np.hypot(*np.diff(points[:, :2], axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _reach(start: np.ndarray, direction: np.ndarray) -> float:
    """How far one can go from ``start`` along unit ``direction`` inside the county margin."""
    limits = [
        ((EXTENT_M - _MARGIN_M if d > 0 else _MARGIN_M) - s) / d
        for s, d in zip(start, direction, strict=True)
        if abs(d) > 1e-9
    ]
    return max(0.0, min(limits))


def _turn(direction: np.ndarray, angle: float) -> np.ndarray:
    """``direction`` rotated anticlockwise by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * direction[0] - s * direction[1], s * direction[0] + c * direction[1]])


def _tangent(points: np.ndarray, i: int) -> np.ndarray:
    """Unit direction of a polyline at vertex ``i``."""
    d = points[min(i + 1, len(points) - 1), :2] - points[max(i - 1, 0), :2]
    return d / np.hypot(*d)


def _farthest_points(xy: np.ndarray, k: int, first: int) -> np.ndarray:
    """Indices of ``k`` points spread out by farthest-point sampling from point ``first``."""
    chosen = [first]
    gap = np.hypot(*(xy - xy[first]).T)
    for _ in range(min(k, len(xy)) - 1):
        chosen.append(int(np.argmax(gap)))
        gap = np.minimum(gap, np.hypot(*(xy - xy[chosen[-1]]).T))
    return np.array(chosen, dtype=np.int64)


def _nearest(xy: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest of ``centres`` for each point."""
    d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(d2, axis=1)


# ---------------------------------------------------------------------------- valleys and roads
def _valley(
    rng: np.random.Generator,
    axis: np.ndarray,
    rise: float,
    slope_range: tuple[float, float],
    half_width: float,
) -> tuple[_Valley, np.ndarray]:
    """A valley whose floor climbs by ``rise`` from ``axis[0, 2]`` to its head.

    Returns the valley and its axis densified for a road, as rows ``x, y, floor``.
    """
    arc = _arc_length(axis)
    floors = axis[0, 2] + rise * (arc / arc[-1]) ** 1.3
    valley = _Valley(axis[:, :2], floors, float(rng.uniform(*slope_range)), half_width)
    return valley, _densify(np.column_stack([axis[:, :2], floors]), _VERTEX_STEP_M)


def _branch_axis(
    rng: np.random.Generator,
    parent: _Way,
    vertex: int,
    angle: float,
    length: float,
    bend: float,
) -> np.ndarray | None:
    """Axis (x, y, floor) of a valley leaving ``parent`` at ``vertex``; None when too short."""
    start = parent.points[vertex]
    direction = _turn(_tangent(parent.points, vertex), angle)
    length = min(length, _reach(start, direction))
    if length < 1_500:
        return None
    normal = _turn(direction, np.pi / 2)
    middle = start + direction * length / 2 + normal * rng.uniform(-bend, bend) * length
    middle = np.clip(middle, _MARGIN_M, EXTENT_M - _MARGIN_M)
    xy = np.vstack([start, middle, start + direction * length])
    assert parent.floors is not None, "valleys branch off valley roads only"
    return np.column_stack([xy, np.full(3, parent.floors[vertex])])


def _lay_ways(rng: np.random.Generator) -> tuple[list[_Way], list[_Valley]]:
    """Roads in branching order, and the valleys they and some roadless ravines follow.

    The main valley meanders north from a mouth on the south edge; 10-16 side valleys leave
    it on alternating sides, about half of them long (tertiary road) and the rest short
    (track). Each side valley longer than 3 km has 1-4 branches, half of them with a track
    or path; slope paths climb from side roads to high villages.
    """
    head = EXTENT_M * rng.uniform(0.8, 0.9)
    y = np.linspace(0.0, head, 14)
    amplitude, wavelength = rng.uniform(1_500, 3_500), rng.uniform(18e3, 30e3)
    phase = rng.uniform(0, 2 * np.pi)
    mouth = EXTENT_M * rng.uniform(0.35, 0.65)
    x = mouth + amplitude * (np.sin(2 * np.pi * y / wavelength + phase) - np.sin(phase))
    x = np.clip(x, 6_000.0, EXTENT_M - 6_000.0)
    x[0] = mouth
    axis = np.column_stack([x, y, np.full(len(y), rng.uniform(780, 900))])
    valley, dense = _valley(rng, axis, rng.uniform(300, 400), (0.4, 0.55), 300)
    ways = [_Way(dense[:, :2], dense[:, 2], "secondary", "asphalt", None)]
    valleys = [valley]
    arc = _arc_length(dense)
    n_side = int(rng.integers(10, 17))
    gap = (arc[-1] - 5_000) / n_side
    spots = np.linspace(3_500, arc[-1] - 1_500, n_side) + rng.uniform(-0.3, 0.3, n_side) * gap
    vertices = np.unique(np.clip(np.searchsorted(arc, spots), 1, len(arc) - 2))
    alternate = np.where(np.arange(len(vertices)) % 2 == 0, 1.0, -1.0) * rng.choice([-1.0, 1.0])
    sides = np.where(rng.random(len(vertices)) < 0.75, alternate, -alternate)
    for vertex, side in zip(vertices, sides, strict=True):
        large = rng.random() < 0.55
        length = rng.uniform(8_000, 15_000) if large else rng.uniform(2_500, 5_000)
        angle = side * np.radians(rng.uniform(50, 85))
        spur = _branch_axis(rng, ways[0], int(vertex), angle, length, 0.12)
        if spur is None:
            continue
        highway = "tertiary" if large else "track"
        surface = str(rng.choice(["asphalt", "concrete"] if large else ["gravel", "dirt"]))
        rise = _arc_length(spur)[-1] * rng.uniform(0.05, 0.08)
        valley, dense = _valley(rng, spur, rise, (0.45, 0.65), 150)
        ways.append(_Way(dense[:, :2], dense[:, 2], highway, surface, (0, int(vertex))))
        valleys.append(valley)
    for parent_index in range(1, len(ways)):
        parent = ways[parent_index]
        if _arc_length(parent.points)[-1] < 3_000:
            continue
        for _ in range(int(rng.integers(1, 5))):
            vertex = int(rng.uniform(0.2, 0.85) * (len(parent.points) - 1))
            angle = rng.choice([-1.0, 1.0]) * np.radians(rng.uniform(45, 80))
            spur = _branch_axis(rng, parent, vertex, angle, rng.uniform(1_500, 4_000), 0.1)
            if spur is None:
                continue
            rise = _arc_length(spur)[-1] * rng.uniform(0.10, 0.18)
            valley, dense = _valley(rng, spur, rise, (0.5, 0.7), 80)
            valleys.append(valley)
            if rng.random() < 0.5:
                highway = "path" if rng.random() < 0.3 else "track"
                surface = "dirt" if highway == "path" else str(rng.choice(["gravel", "dirt"]))
                branch = (parent_index, vertex)
                ways.append(_Way(dense[:, :2], dense[:, 2], highway, surface, branch))
    ways.extend(_slope_paths(rng, ways))
    return ways, valleys


def _slope_paths(rng: np.random.Generator, ways: list[_Way]) -> list[_Way]:
    """Straight paths from side roads up the valley slopes to high villages."""
    paths = []
    for _ in range(int(rng.integers(6, 15))):
        parent_index = int(rng.integers(1, len(ways))) if len(ways) > 1 else 0
        parent = ways[parent_index]
        vertex = int(rng.integers(1, len(parent.points)))
        start = parent.points[vertex]
        direction = _turn(_tangent(parent.points, vertex), rng.choice([-1.0, 1.0]) * np.pi / 2)
        length = min(rng.uniform(800, 2_200), _reach(start, direction))
        if length < 500:
            continue
        points = _densify(np.vstack([start, start + direction * length]), _VERTEX_STEP_M)
        paths.append(_Way(points, None, "path", "dirt", (parent_index, vertex)))
    return paths


def _way_vertex_ids(ways: list[_Way]) -> list[np.ndarray]:
    """Global vertex index of each way's points; a branch's first point is its parent's."""
    ids: list[np.ndarray] = []
    n = 0
    for way in ways:
        fresh = n + np.arange(len(way.points) - (way.branch is not None))
        n += len(fresh)
        if way.branch is not None:
            fresh = np.concatenate([[ids[way.branch[0]][way.branch[1]]], fresh])
        ids.append(fresh)
    return ids


def _assemble(
    ways: list[_Way], ids: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    """Vertices (local), segments ``u -> v``, their attributes and each vertex's road class.

    ``ids`` are the ways' global vertex indices from :func:`_way_vertex_ids`.
    """
    points = np.vstack([w.points[w.branch is not None :] for w in ways])
    highway = np.concatenate(
        [
            np.full(len(i) - (w.branch is not None), w.highway)
            for w, i in zip(ways, ids, strict=True)
        ]
    )
    u = np.concatenate([i[:-1] for i in ids])
    v = np.concatenate([i[1:] for i in ids])
    n_segments = [len(i) - 1 for i in ids]
    attributes = pd.DataFrame(
        {
            "highway": np.repeat([w.highway for w in ways], n_segments),
            "oneway": False,
            "surface": np.repeat([w.surface for w in ways], n_segments),
        }
    )
    return points, u, v, attributes, highway


# ---------------------------------------------------------------------------- terrain
def _terrain(
    valleys: list[_Valley], corner: np.ndarray, crs: CRS, rng: np.random.Generator
) -> Terrain:
    """The county DEM: valleys carved into a massif, noise, blur and the border river."""
    xc = (np.arange(CELLS) + 0.5) * CELL_M
    yc = EXTENT_M - (np.arange(CELLS) + 0.5) * CELL_M  # row 0 is the north edge
    river = _border_river(xc + corner[0], yc + corner[1])
    massif = river + (_massif(rng, xc, yc) - river) * _inland(xc, yc, 5_000.0)
    top = float(massif.max()) + 3 * _SMOOTH_M
    carved = np.full((CELLS, CELLS), 1e5)
    floor = np.zeros((CELLS, CELLS))
    for valley in valleys:
        for k in range(len(valley.axis) - 1):
            _carve(carved, floor, xc, yc, valley, k, top)
    gap = np.abs(carved - massif)
    z = np.minimum(carved, massif) - _SMOOTH_M * np.log1p(np.exp(-gap / _SMOOTH_M))
    noise = _smooth_noise(rng, 9, 150.0) + _smooth_noise(rng, 37, 40.0)
    relief = np.maximum(z - floor, 0.0)  # height above the floor of the valley below
    z += noise * (0.25 + 0.75 * (1 - np.exp(-relief / 300.0)))
    z = ndimage.gaussian_filter(z, 1.0)
    inland = _inland(xc, yc, 700.0)
    z = (1 - inland) * river + inland * z
    transform = Affine(CELL_M, 0.0, corner[0], 0.0, -CELL_M, corner[1] + EXTENT_M)
    return Terrain(z.astype("float32"), transform, crs)


def _inland(xc: np.ndarray, yc: np.ndarray, scale: float) -> np.ndarray:
    """Weight rising smoothly from 0 at the county edge to 1 some ``scale`` inland."""
    x = 1 - np.exp(-((np.minimum(xc, EXTENT_M - xc) / scale) ** 2))
    y = 1 - np.exp(-((np.minimum(yc, EXTENT_M - yc) / scale) ** 2))
    return np.outer(y, x)


def _massif(rng: np.random.Generator, xc: np.ndarray, yc: np.ndarray) -> np.ndarray:
    """Height the valleys are cut into: a base level, broad gaussian peaks and rolling noise."""
    n = int(rng.integers(4, 8))
    centres = rng.uniform(0, EXTENT_M, (n, 2))
    heights = rng.uniform(200, 500, n)
    widths = rng.uniform(3_000, 7_000, n)
    across = np.exp(-(((xc[None, :] - centres[:, :1]) / widths[:, None]) ** 2) / 2)
    down = np.exp(-(((yc[None, :] - centres[:, 1:]) / widths[:, None]) ** 2) / 2)
    peaks = np.einsum("k,ki,kj->ij", heights, down, across)
    return rng.uniform(2_150, 2_350) + peaks + _smooth_noise(rng, 6, 250.0)


def _carve(
    carved: np.ndarray,
    floor: np.ndarray,
    xc: np.ndarray,
    yc: np.ndarray,
    valley: _Valley,
    k: int,
    top: float,
) -> None:
    """Lower ``carved`` to segment ``k`` of ``valley`` where that lies below, in place.

    Only the window where the valley stays below ``top`` is computed; ``floor`` records the
    floor elevation of the valley that carved each cell.
    """
    a, b = valley.axis[k], valley.axis[k + 1]
    fa, fb = valley.floors[k], valley.floors[k + 1]
    w, slope = valley.half_width, valley.slope
    reach = (top - min(fa, fb)) / slope + w
    c0, c1 = np.searchsorted(xc, [min(a[0], b[0]) - reach, max(a[0], b[0]) + reach])
    r0, r1 = np.searchsorted(-yc, [-(max(a[1], b[1]) + reach), -(min(a[1], b[1]) - reach)])
    gx = xc[c0:c1][None, :] - a[0]
    gy = yc[r0:r1][:, None] - a[1]
    d = b - a
    t = np.clip((gx * d[0] + gy * d[1]) / (d @ d), 0.0, 1.0)
    dist = np.hypot(gx - t * d[0], gy - t * d[1])
    bottom = fa + (fb - fa) * t
    surface = bottom + slope * (np.sqrt(dist**2 + w**2) - w)
    window = carved[r0:r1, c0:c1]
    lower = surface < window
    window[lower] = surface[lower]
    floor[r0:r1, c0:c1][lower] = bottom[lower]


def _smooth_noise(rng: np.random.Generator, knots: int, amplitude: float) -> np.ndarray:
    """Smooth random field: gaussian values at ``knots`` x ``knots`` points, kernel-smoothed.

    Each DEM row and column is a gaussian-weighted mean of the knots (width 0.7 knot
    spacings), done as two small matrix products; ``amplitude`` is the knots' deviation.
    The products use ``einsum`` rather than BLAS, whose threads stall on a busy machine
    for matrices this small.
    """
    position = (np.arange(CELLS) + 0.5) / CELLS * (knots - 1)
    weights = np.exp(-(((position[:, None] - np.arange(knots)[None, :]) / 0.7) ** 2) / 2)
    weights /= weights.sum(axis=1, keepdims=True)
    rows = np.einsum("ik,kl->il", weights, rng.standard_normal((knots, knots)) * amplitude)
    return np.einsum("il,jl->ij", rows, weights)


def _border_river(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Level of the river along county borders; depends on world coordinates only."""
    return 700.0 + 50.0 * np.add.outer(np.cos(y / 8_000.0), np.sin(x / 6_000.0))


# ---------------------------------------------------------------------------- people
def _place_settlements(
    rng: np.random.Generator,
    vertices: np.ndarray,
    vertex_highway: np.ndarray,
    vertex_z: np.ndarray,
    path_ends: np.ndarray,
    n: int,
) -> dict[str, np.ndarray]:
    """Pick road vertices for ``n`` villages and set them 20-400 m off the road.

    Village 0 is the county seat, 1.5-3 km up the main road; then one at the top of each slope
    path (at most a quarter of the villages); the rest are drawn without replacement, more
    densely along bigger, lower roads and around a few hot spots. Returns the villages'
    ``xy`` (local), host ``vertex`` and its ``highway``.
    """
    main = np.flatnonzero(vertex_highway == "secondary")
    seat = main[np.argmin(np.abs(_arc_length(vertices[main]) - rng.uniform(1_500, 3_000)))]
    ends = path_ends[: (n - 1) // 4]
    valley = np.flatnonzero(np.isin(vertex_highway, ["secondary", "tertiary"]))
    hot = vertices[rng.choice(valley, size=min(len(valley), 20), replace=False)]
    hot_gap = np.sqrt(((vertices[:, None, :] - hot[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    density = np.array([_ROAD_CLASSES[h][0] for h in vertex_highway])
    weight = (
        density
        * np.exp(-(vertex_z - vertex_z.min()) / 900.0)
        * (1 + 3 * np.exp(-((hot_gap / 1_500) ** 2)))
    )
    weight[seat] = 0.0
    weight[ends] = 0.0
    rest = n - 1 - len(ends)
    if np.count_nonzero(weight) < rest:
        most = np.count_nonzero(weight) + 1 + len(ends)
        msg = f"n_villages={n} is more than the county's roads can host ({most}); pass fewer."
        raise InputError(msg)
    drawn = rng.choice(len(weight), size=rest, replace=False, p=weight / weight.sum())
    vertex = np.concatenate([[seat], ends, drawn]).astype(np.int64)
    distance = np.exp(rng.uniform(np.log(20.0), np.log(400.0), n))
    bearing = rng.uniform(0, 2 * np.pi, n)
    offset = np.column_stack([np.cos(bearing), np.sin(bearing)]) * distance[:, None]
    xy = np.clip(vertices[vertex] + offset, 50.0, EXTENT_M - 50.0)
    return {"xy": xy, "vertex": vertex, "highway": vertex_highway[vertex]}


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """Pinyin-like place names such as 'Dashuiping'."""
    syllables = [np.array(s.split()) for s in _SYLLABLES]
    parts = [s[rng.integers(len(s), size=n)] for s in syllables]
    return ["".join(p) for p in zip(*parts, strict=True)]


def _administer(
    rng: np.random.Generator,
    settled: dict[str, np.ndarray],
    names: list[str],
    n_townships: int,
    county_code: str,
    county_name: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Group villages into townships and administrative villages.

    Township seats are spread out by farthest-point sampling over villages on the main and
    tertiary roads, starting at the county seat; every village joins the nearest seat.
    Within a township, about one in three villages (again spread out, from the seat) heads an
    administrative village that the nearest villages join. Returns each settlement's township
    index, the townships' seats, each settlement's row in the admin table, and the table.
    """
    xy = settled["xy"]
    on_valley = np.flatnonzero(np.isin(settled["highway"], ["secondary", "tertiary"]))
    candidates = on_valley if len(on_valley) >= n_townships else np.arange(len(xy))
    seats = candidates[_farthest_points(xy[candidates], n_townships, int(np.argmin(candidates)))]
    township = _nearest(xy, xy[seats])
    rows = [(county_code, county_name, "county", "")]
    village = np.empty(len(xy), dtype=np.int64)
    for t, seat in enumerate(seats):
        town_code = f"{county_code}{101 + t:03d}"
        rows.append((town_code, f"{names[seat]} Township", "township", county_code))
        members = np.flatnonzero(township == t)
        k = max(1, round(len(members) / rng.uniform(2.5, 4.0)))
        heads = members[_farthest_points(xy[members], k, int(np.flatnonzero(members == seat)[0]))]
        village[members] = len(rows) + _nearest(xy[members], xy[heads])
        rows.extend(
            (f"{town_code}{201 + j:03d}", f"{names[h]} Village", "village", town_code)
            for j, h in enumerate(heads)
        )
    admin = pd.DataFrame(rows, columns=["code", "name", "level", "parent"])
    return township, seats, village, admin


def _population(
    rng: np.random.Generator, highway: np.ndarray, seats: np.ndarray
) -> dict[str, np.ndarray]:
    """Population (20-3,000, the county seat largest), households, patients and pupils.

    Log-normal, smaller along smaller roads; township ``seats`` are towns of 800-2,500 or
    more and the county seat (village 0) has 3,000.
    """
    size = np.array([_ROAD_CLASSES[h][1] for h in highway])
    population = rng.lognormal(np.log(160.0), 0.85, len(highway)) * size
    population[seats] = np.maximum(population[seats], rng.uniform(800, 2_500, len(seats)))
    population = np.clip(np.round(population), 20, 2_999)
    population[0] = 3_000
    return {
        "population": population,
        "households": np.round(population / 3.5),
        "chronic_patients": np.round(population * rng.uniform(0.10, 0.15, len(population))),
        "pupils_primary": np.round(population * 0.07),
        "pupils_middle": np.round(population * 0.04),
    }


# ---------------------------------------------------------------------------- facilities
def _facilities(
    rng: np.random.Generator,
    settlements: gpd.GeoDataFrame,
    township: np.ndarray,
    village: np.ndarray,
    county_name: str,
) -> gpd.GeoDataFrame:
    """Health centres and schools at villages, a few metres from the village point.

    Capacity is beds for the hospital and health centres, pupils for schools, and unknown
    (NaN) for village clinics, which have 1-2 doctors and no beds.
    """
    people = settlements["population"].to_numpy()
    pupils = settlements["pupils_primary"].to_numpy()
    label = settlements["name"].to_numpy(dtype=object)
    xy = np.column_stack([settlements.geometry.x, settlements.geometry.y])
    n_towns = int(township.max()) + 1
    largest = _largest(people, township)
    clinics = _largest(people, village)
    clinics = clinics[rng.random(len(clinics)) < 0.8]
    n_middle = max(1, round(n_towns / rng.uniform(3, 5)))
    middle = largest[_farthest_points(xy[largest], n_middle, 0)]
    far = np.hypot(*(xy - xy[largest[township]]).T) > 3_000
    teaching = np.flatnonzero(far & (pupils >= 3) & (rng.random(len(people)) < 0.5))
    hospital_beds = max(50.0, round(people.sum() * rng.uniform(1.2, 2.0) / 1_000, -1))
    centre_beds = np.round(
        np.bincount(township, people, n_towns) / 1_000 * rng.uniform(2, 4, n_towns)
    )
    centre_beds = np.clip(centre_beds, 5, 60)
    town_pupils = np.bincount(township, pupils, n_towns) * rng.uniform(0.8, 1.1, n_towns)
    middle_pupils = settlements["pupils_middle"].sum() * 1.2 / n_middle
    rows = [
        _facility_rows(
            np.array([0]),
            [f"{county_name} People's Hospital"],
            ("health", "county_hospital"),
            hospital_beds,
            hospital_beds,
            np.round(hospital_beds * rng.uniform(0.3, 0.5)),
        ),
        _facility_rows(
            largest,
            label[largest] + " Township Health Center",
            ("health", "township_health_center"),
            centre_beds,
            centre_beds,
            np.maximum(2, np.round(centre_beds * rng.uniform(0.4, 0.7, n_towns))),
        ),
        _facility_rows(
            clinics,
            label[clinics] + " Village Clinic",
            ("health", "village_clinic"),
            np.nan,
            0.0,
            rng.integers(1, 3, len(clinics)).astype(float),
        ),
        _facility_rows(
            middle,
            label[middle] + " Middle School",
            ("school", "middle"),
            np.ceil(middle_pupils / 50) * 50,
        ),
        _facility_rows(
            largest,
            label[largest] + " Primary School",
            ("school", "primary"),
            np.maximum(30, np.round(town_pupils, -1)),
        ),
        _facility_rows(
            teaching,
            label[teaching] + " Teaching Point",
            ("school", "teaching_point"),
            rng.integers(20, 61, len(teaching)).astype(float),
        ),
    ]
    table = pd.concat(rows, ignore_index=True)
    at = table.pop("settlement").to_numpy()
    table.insert(0, "id", _facility_ids(table["service"]))
    table["admin_code"] = settlements["admin_code"].to_numpy()[at]
    distance = rng.uniform(5, 30, len(at))
    bearing = rng.uniform(0, 2 * np.pi, len(at))
    spot = xy[at] + np.column_stack([np.cos(bearing), np.sin(bearing)]) * distance[:, None]
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(*spot.T), crs=settlements.crs)


def _extra_services(
    seed: int,
    services: Sequence[str],
    settlements: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    township: np.ndarray,
    village: np.ndarray,
    county_name: str,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Settlements with the group column and facilities with the facilities of each extra
    service, appended after the others (their ids keep their numbers).

    Each service draws from its own generator: child ``i`` (its place in
    :data:`EXTRA_SERVICES`) of the first child spawned from ``seed``, so a service's draws
    do not depend on which other services are added.

    Elderly care: 14-30 % of each village's people are over 60; a care home at the county
    seat, a township elderly care centre at the largest village of 70 % of townships and a day
    care point for the elderly at the largest village of 55 % of administrative villages.
    Preschool: 2.5-4.5 % are children aged 3-5; a central kindergarten at the largest village
    of 85 % of townships and a kindergarten at the largest village of 40 % of administrative
    villages.
    """
    streams = np.random.SeedSequence(seed).spawn(1)[0].spawn(len(EXTRA_SERVICES))
    people = settlements["population"].to_numpy()
    label = settlements["name"].to_numpy(dtype=object)
    towns, villages = _largest(people, township), _largest(people, village)
    settle, rows = settlements.copy(), []
    drawn: list[tuple[np.ndarray, Sequence[str] | np.ndarray, str, float | np.ndarray]]
    for index, service in enumerate(EXTRA_SERVICES):
        if service not in services:
            continue
        rng = np.random.default_rng(streams[index])
        group = EXTRA_SERVICES[service][1]
        if service == "elderly_care":
            settle[group] = np.round(people * rng.uniform(0.14, 0.30, len(people)))
            centres = towns[rng.random(len(towns)) < 0.7]
            points = villages[rng.random(len(villages)) < 0.55]
            elders = float(settle[group].sum())
            drawn = [
                (np.array([0]), [f"{county_name} Care Home"], "care_home",
                 max(30.0, round(elders * 0.01, -1))),
                (centres, label[centres] + " Township Elderly Care Centre",
                 "township_elderly_centre", rng.integers(20, 61, len(centres)).astype(float)),
                (points, label[points] + " Day Care for the Elderly", "elderly_day_care",
                 rng.integers(10, 31, len(points)).astype(float)),
            ]  # fmt: skip
        else:
            settle[group] = np.round(people * rng.uniform(0.025, 0.045, len(people)))
            centres = towns[rng.random(len(towns)) < 0.85]
            points = villages[rng.random(len(villages)) < 0.4]
            children = settle[group].to_numpy()
            drawn = [
                (centres, label[centres] + " Central Kindergarten", "central_kindergarten",
                 np.maximum(60.0, np.round(children[centres] * 3, -1))),
                (points, label[points] + " Kindergarten", "kindergarten",
                 np.maximum(15.0, np.round(children[points] * 1.5))),
            ]  # fmt: skip
        for at, names, tier, capacity in drawn:
            table = _facility_rows(at, list(names), (service, tier), capacity)
            table["admin_code"] = settlements["admin_code"].to_numpy()[at]
            distance = rng.uniform(5, 30, len(at))
            bearing = rng.uniform(0, 2 * np.pi, len(at))
            xy = np.column_stack([settlements.geometry.x, settlements.geometry.y])[at]
            spot = xy + np.column_stack([np.cos(bearing), np.sin(bearing)]) * distance[:, None]
            rows.append(
                gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(*spot.T), crs=settle.crs)
            )
    added = pd.concat(rows, ignore_index=True)
    added.insert(0, "id", _facility_ids(added["service"]))
    added = added.drop(columns="settlement")
    out = gpd.GeoDataFrame(pd.concat([facilities, added], ignore_index=True), crs=facilities.crs)
    return settle, out


def _largest(people: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Index of the most populous settlement of each group (the first one on ties)."""
    order = np.lexsort((np.arange(len(people)), -people, group))
    _, first = np.unique(group[order], return_index=True)
    return order[first]


def _facility_rows(
    at: np.ndarray,
    names: np.ndarray | list[str],
    kind: tuple[str, str],
    capacity: float | np.ndarray,
    beds: float | np.ndarray = np.nan,
    doctors: float | np.ndarray = np.nan,
) -> pd.DataFrame:
    """One facility of ``kind`` (service, tier) at each settlement index in ``at``."""
    return pd.DataFrame(
        {
            "settlement": at,
            "name": names,
            "service": kind[0],
            "tier": kind[1],
            "capacity": capacity,
            "beds": beds,
            "doctors": doctors,
        }
    )


def _ids(prefix: str, n: int, width: int) -> list[str]:
    """``prefix`` plus 1..n zero-padded to ``width`` digits (more when n needs them)."""
    width = max(width, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _facility_ids(service: pd.Series) -> np.ndarray:
    """Ids ``H001``... for health and ``S001``... for schools, numbered in row order."""
    ids = np.empty(len(service), dtype=object)
    for name, prefix in _ID_PREFIX.items():
        rows = np.flatnonzero(service.to_numpy() == name)
        ids[rows] = _ids(prefix, len(rows), 3)
    return ids


# ---------------------------------------------------------------------------- province
def _mosaic(
    terrains: list[Terrain | None],
    cells: list[tuple[int, int]],
    n_rows: int,
    n_cols: int,
) -> Terrain:
    """One DEM holding every county's DEM in its grid cell; NaN where there is no county.

    ``cells`` are the counties' (row, column), row 0 in the south; county 0 is at (0, 0).
    """
    elevation = np.full((n_rows * CELLS, n_cols * CELLS), np.nan, dtype="float32")
    for terrain, (r, c) in zip(terrains, cells, strict=True):
        assert terrain is not None
        top = (n_rows - 1 - r) * CELLS
        elevation[top : top + CELLS, c * CELLS : (c + 1) * CELLS] = terrain.elevation
    first = terrains[0]
    assert first is not None
    west, north = first.transform.c, first.transform.f + (n_rows - 1) * EXTENT_M
    return Terrain(elevation, Affine(CELL_M, 0.0, west, 0.0, -CELL_M, north), first.crs)


def _join_counties(
    networks: list[RoadNetwork],
    cells: list[tuple[int, int]],
    origins: list[tuple[float, float]],
    terrain: Terrain,
    spacing: float,
    border_roads: bool = False,
) -> RoadNetwork:
    """All county networks plus primary roads along the border rivers, as one network.

    Each row's southern edge carries a road through its counties' valley mouths (road node
    0 of each county); the western edge of a county with a county to its north carries a road
    to that row. Primary roads take rise and fall from the terrain mosaic. With
    ``border_roads``, a track joins each two neighbouring counties (:func:`_border_tracks`).
    """
    where = {rc: i for i, rc in enumerate(cells)}
    corners = {rc: _county_corner(o) for rc, o in zip(cells, origins, strict=True)}
    mouths = [tuple(net.nodes.loc[0, ["x", "y"]]) for net in networks]
    points: dict[tuple[float, float], int] = {}

    def point(xy: tuple[float, float]) -> int:
        return points.setdefault(xy, len(points))

    u: list[int] = []
    v: list[int] = []
    highway: list[str] = []
    for row in sorted({r for r, _ in cells}):
        stops = [mouths[i] for (r, _), i in where.items() if r == row]
        # corners where a road comes up from the row below or goes on to the row above
        stops += [corners[(r, c)] for r, c in where if r == row and (r > 0 or (r + 1, c) in where)]
        line = [point(xy) for xy in sorted(set(stops))]
        u += line[:-1]
        v += line[1:]
    for r, c in where:
        if (r + 1, c) in where:
            u.append(point(corners[(r, c)]))
            v.append(point(corners[(r + 1, c)]))
    highway += ["primary"] * len(u)
    starts = np.cumsum([0] + [len(n.nodes) for n in networks])
    ends: dict[int, int] = {}  # trunk point -> node of a county network
    if border_roads:
        for (a, a_node), (b, b_node) in _border_tracks(networks, where):
            xy_a = tuple(networks[a].nodes.loc[a_node, ["x", "y"]])
            xy_b = tuple(networks[b].nodes.loc[b_node, ["x", "y"]])
            u.append(point(xy_a))
            v.append(point(xy_b))
            ends[points[xy_a]] = int(starts[a] + a_node)
            ends[points[xy_b]] = int(starts[b] + b_node)
            highway.append("track")
    xy = np.array(list(points), dtype="float64")
    attributes = pd.DataFrame(
        {
            "highway": highway,
            "oneway": False,
            "surface": ["asphalt" if h == "primary" else "gravel" for h in highway],
        },
        index=range(len(u)),
    )
    trunk = RoadNetwork.from_segments(
        xy, np.array(u), np.array(v), attributes, max_segment_m=spacing
    )
    trunk = trunk.with_elevation(terrain, terrain.crs)
    target = np.full(len(trunk.nodes), -1, dtype=np.int64)
    target[[points[m] for m in mouths]] = starts[:-1]
    target[list(ends)] = list(ends.values())
    fresh = target < 0
    target[fresh] = starts[-1] + np.arange(fresh.sum())
    edges = [
        n.edges.assign(u=n.edges["u"] + s, v=n.edges["v"] + s)
        for n, s in zip(networks, starts[:-1], strict=True)
    ]
    edges.append(trunk.edges.assign(u=target[trunk.edges["u"]], v=target[trunk.edges["v"]]))
    nodes = [*(n.nodes for n in networks), trunk.nodes[fresh]]
    return RoadNetwork(pd.concat(nodes, ignore_index=True), pd.concat(edges, ignore_index=True))


def _border_tracks(
    networks: list[RoadNetwork], where: dict[tuple[int, int], int]
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """For each two counties side by side or one above the other: the node of each county's
    own roads nearest their shared border (the first county's), and the other county's node
    nearest to it, as ``((county, node), (county, node))``."""
    tracks = []
    for (r, c), a in sorted(where.items()):
        for (dr, dc), axis in (((0, 1), 0), ((1, 0), 1)):
            b = where.get((r + dr, c + dc))
            if b is None:
                continue
            xy_a = networks[a].nodes[["x", "y"]].to_numpy()
            xy_b = networks[b].nodes[["x", "y"]].to_numpy()
            a_node = int(np.argmax(xy_a[:, axis]))  # towards the neighbour (east or north)
            b_node = int(np.argmin(np.hypot(*(xy_b - xy_a[a_node]).T)))
            tracks.append(((a, a_node), (b, b_node)))
    return tracks
