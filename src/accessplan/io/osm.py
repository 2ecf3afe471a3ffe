"""A Region from an OpenStreetMap extract (pyosmium), with terrain and population.

Roads: ways with a routable ``highway`` class that some mode of :data:`ACCESS_MODES` may use,
every OSM node kept, long segments split so the terrain describes each edge's grade. Each
edge records, per mode and direction, whether OSM's access rules let that mode travel it
(see :func:`way_access`). Settlements:
``place`` nodes and areas of inhabited kinds. Facilities: the objects a rule of the services
catalogue matches (:mod:`accessplan.services`; by default health — ``amenity=hospital|clinic|
doctors`` and primary-care ``healthcare=*`` — and schools, ``amenity=school``), each with the
tier its rules give (see :func:`guess_tier`), which a table can override.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from accessplan import _validate
from accessplan._errors import InputError, InputFileNotFoundError
from accessplan._types import PathArg
from accessplan.io import raster, tables
from accessplan.io.population import MAX_SETTLEMENT_POPULATION, check_plausible, population_from
from accessplan.region import ACCESS_COLUMNS, ACCESS_MODES, ADMIN_LEVELS, Region, RoadNetwork
from accessplan.services import Catalogue, default_region_catalogue
from accessplan.services import read as read_catalogue

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

ROUTABLE = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road", "track", "path", "footway",
        "pedestrian", "steps", "bridleway", "cycleway",
    }
)  # fmt: skip
#: ``place`` values taken as settlements; ``locality`` (a named, unpopulated spot) is not one.
SETTLEMENT_PLACES = frozenset(
    {"city", "town", "village", "hamlet", "isolated_dwelling", "farm", "suburb", "quarter",
     "neighbourhood"}
)  # fmt: skip
#: Points farther than this outside the road network's hull are taken as bad coordinates.
OUTSIDE_MARGIN_M = 20_000.0

# OSM access (wiki Key:access, "OSM tags for routing/Access restrictions"; read as OSRM's car
# and foot profiles do). The most specific key present decides, with its ``:forward`` /
# ``:backward`` form first: motorcar (or motorcycle) -> motor_vehicle -> vehicle -> access for
# vehicles, foot -> access for walkers. A generic ``access`` only ever restricts: access=yes on
# a footway does not open it to cars (its class still rules them out).
#: Keys of each mode's own permission, most specific first (``access`` follows them all).
ACCESS_KEYS: dict[str, tuple[str, ...]] = {
    "foot": ("foot",),
    "motorcar": ("motorcar", "motor_vehicle", "vehicle"),
    "motorcycle": ("motorcycle", "motor_vehicle", "vehicle"),
}
#: Access values that forbid our modes: closed, private, or for other users only (farm and
#: forest traffic, deliveries, emergency services, public transport). Every other value
#: (yes, designated, permissive, destination, customers, official, ...) allows.
FORBIDDING = frozenset(
    {"no", "private", "agricultural", "forestry", "delivery", "emergency", "military", "psv",
     "bus"}
)  # fmt: skip
#: Classes a mode may not use unless a key of its own says so (OSM's worldwide defaults:
#: no walking on motorways, no motor vehicles on footways, paths, steps and the like).
CLOSED_CLASSES: dict[str, frozenset[str]] = {
    "foot": frozenset({"motorway", "motorway_link"}),
    "motorcar": frozenset({"footway", "path", "pedestrian", "steps", "bridleway", "cycleway"}),
    "motorcycle": frozenset({"footway", "path", "pedestrian", "steps", "bridleway", "cycleway"}),
}
#: One-way keys that bind each mode, most specific first: walkers heed only ``oneway:foot``.
ONEWAY_KEYS: dict[str, tuple[str, ...]] = {
    "foot": ("oneway:foot",),
    "motorcar": ("oneway:motorcar", "oneway:motor_vehicle", "oneway:vehicle", "oneway"),
    "motorcycle": ("oneway:motorcycle", "oneway:motor_vehicle", "oneway:vehicle", "oneway"),
}


def guess_tier(
    tags: Mapping[str, str], catalogue: Catalogue | None = None
) -> tuple[str, str] | None:
    """``(service, tier)`` for an OSM object, or None when it is no facility we plan for.

    The first service of ``catalogue`` (default: health and school) with a rule ``tags``
    match, at its highest matching tier: hospital -> county_hospital; clinic / health centre
    -> township_health_center; doctors, nurse, midwife -> village_clinic; school by
    ``isced:level`` (2 or more -> middle, else primary).
    """
    found = (catalogue or default_region_catalogue()).match(tags)
    return None if found is None else (found[0], found[1])


@dataclass
class _Matcher:
    """Finds the catalogue's facilities among OSM objects and counts what each rule found."""

    catalogue: Catalogue
    keys: frozenset[str] = field(init=False)
    found: dict[tuple[str, str, int], int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.keys = frozenset(self.catalogue.rule_keys())

    def __call__(self, tags: Any) -> tuple[str, str, str] | None:
        """``(service, tier, osm_tags)`` of a facility, None for any other object;
        ``osm_tags`` lists the object's tags of the keys the catalogue's rules name."""
        if not len(tags):
            return None
        plain = dict(tags)
        if self.keys.isdisjoint(plain):
            return None
        match = self.catalogue.match(plain)
        if match is None:
            return None
        self.found[match] = self.found.get(match, 0) + 1
        shown = ", ".join(f"{k}={plain[k]}" for k in sorted(self.keys & set(plain)))
        return match[0], match[1], shown

    def report(self, pbf: Path) -> None:
        """Warn of the rules that matched no object (not an error: the extract may lack them)."""
        idle = [
            f"{s.name}/{t.name} ({rule.text()})"
            for s in self.catalogue.services
            for t in s.tiers
            for i, rule in enumerate(t.osm)
            if not self.found.get((s.name, t.name, i))
        ]
        if idle:
            logger.warning(
                "%s: no OSM object matches %d tag rule(s) of the services catalogue: %s",
                pbf.name,
                len(idle),
                "; ".join(idle),
            )


def parse_population(text: str | None) -> float:
    """A population tag as a number; NaN when absent or not a plain count."""
    if not text:
        return float("nan")
    cleaned = re.sub(r"[\s,'.](?=\d{3}\b)", "", text.strip())
    return float(cleaned) if re.fullmatch(r"\d+", cleaned) else float("nan")


def _allows(value: str) -> bool:
    """Whether an access value lets our modes through (``a;b``: if any part does)."""
    return any(part.strip() not in FORBIDDING for part in value.split(";"))


def _permitted(tags: Mapping[str, str], mode: str, suffix: str) -> bool:
    """Whether the access tags let ``mode`` use a way in one direction (``suffix``
    ``:forward`` or ``:backward``)."""
    for key in ACCESS_KEYS[mode]:
        value = tags.get(key + suffix) or tags.get(key)
        if value:
            return _allows(value)
    if mode == "foot" and tags.get("motorroad") == "yes":  # motorroad=yes implies foot=no
        return False
    general = tags.get("access" + suffix) or tags.get("access")
    if general and not _allows(general):
        return False
    return tags.get("highway", "") not in CLOSED_CLASSES[mode]


def oneway_direction(tags: Mapping[str, str], mode: str) -> int:
    """1 when ``mode`` may travel a way only along its nodes, -1 only against them, else 0.

    Vehicles: ``oneway:<mode>``, ``oneway:motor_vehicle``, ``oneway:vehicle``, ``oneway``;
    motorways and roundabouts are one-way unless tagged otherwise. Walkers: ``oneway:foot``.
    """
    value = next((tags[k] for k in ONEWAY_KEYS[mode] if tags.get(k)), "")
    if value in ("yes", "true", "1"):
        return 1
    if value == "-1":
        return -1
    implied = tags.get("highway") == "motorway" or tags.get("junction") in (
        "roundabout",
        "circular",
    )
    return int(mode != "foot" and not value and implied)


def way_access(tags: Mapping[str, str], mode: str) -> tuple[bool, bool]:
    """Whether ``mode`` (one of :data:`ACCESS_MODES`) may travel a way along its nodes and
    against them, by OSM's access hierarchy and one-way tags."""
    forward = _permitted(tags, mode, ":forward")
    backward = _permitted(tags, mode, ":backward")
    direction = oneway_direction(tags, mode)
    return forward and direction >= 0, backward and direction <= 0


@dataclass
class _Collector:
    way_refs: list[np.ndarray] = field(default_factory=list)
    way_attrs: list[tuple[Any, ...]] = field(default_factory=list)
    node_ids: list[int] = field(default_factory=list)
    node_lonlat: list[tuple[float, float]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    facilities: list[dict[str, Any]] = field(default_factory=list)


def _scan(pbf: Path, progress: Progress | None, match: _Matcher) -> _Collector:
    """One pass over the extract with node locations."""
    out = _Collector()
    seen_nodes: set[int] = set()
    if progress:
        progress("reading OSM")
    try:
        processor = osmium.FileProcessor(str(pbf)).with_locations()
        obj: Any
        for obj in processor:
            tags = obj.tags
            if obj.is_node():
                kind = tags.get("place")
                point = (obj.location.lon, obj.location.lat) if obj.location.valid() else None
                if point is None:
                    continue
                if kind in SETTLEMENT_PLACES:
                    out.places.append(_place(f"n{obj.id}", tags, point))
                facility = match(tags)
                if facility:
                    out.facilities.append(_facility(f"n{obj.id}", tags, point, facility))
            elif obj.is_way():
                _way(obj, out, seen_nodes, match)
    except RuntimeError as exc:
        msg = (
            f"{str(pbf)!r} is not a readable OpenStreetMap PBF file ({exc}); "
            f"give an .osm.pbf extract (e.g. from a Geofabrik-style download)."
        )
        raise InputError(msg) from exc
    return out


def _place(ident: str, tags: Any, point: tuple[float, float]) -> dict[str, Any]:
    return {
        "id": ident,
        "name": tags.get("name", ""),
        "place": tags.get("place", ""),
        "osm_population": parse_population(tags.get("population")),
        "lon": point[0],
        "lat": point[1],
    }


def _facility(
    ident: str, tags: Any, point: tuple[float, float], facility: tuple[str, str, str]
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": tags.get("name", ""),
        "service": facility[0],
        "tier": facility[1],
        "capacity": parse_population(tags.get("capacity") or tags.get("beds")),
        "beds": parse_population(tags.get("beds")),
        "osm_tags": facility[2],
        "lon": point[0],
        "lat": point[1],
    }


def _way(way: Any, out: _Collector, seen_nodes: set[int], match: _Matcher) -> None:
    tags = way.tags
    coords = [(n.ref, n.lon, n.lat) for n in way.nodes if n.location.valid()]
    if len(coords) < 2:
        return
    facility = match(tags)
    kind = tags.get("place")
    if facility or kind in SETTLEMENT_PLACES:
        lon = float(np.mean([c[1] for c in coords]))
        lat = float(np.mean([c[2] for c in coords]))
        if facility:
            out.facilities.append(_facility(f"w{way.id}", tags, (lon, lat), facility))
        if kind in SETTLEMENT_PLACES:
            out.places.append(_place(f"w{way.id}", tags, (lon, lat)))
    highway = tags.get("highway")
    if highway not in ROUTABLE or tags.get("area") == "yes":
        return
    plain = dict(tags)
    access = [way_access(plain, mode) for mode in ACCESS_MODES]
    if not any(any(pair) for pair in access):
        return  # closed to every mode we route (access=private, ...)
    # a way one-way against its nodes (oneway=-1) is turned round, so that ``oneway``
    # always means u -> v
    vehicle_direction = oneway_direction(plain, "motorcar")
    refs = np.array([c[0] for c in coords], dtype=np.int64)
    if vehicle_direction < 0:
        refs = refs[::-1]
        coords = coords[::-1]
        access = [(backward, forward) for forward, backward in access]
    for ref, lon, lat in coords:
        if ref not in seen_nodes:
            seen_nodes.add(ref)
            out.node_ids.append(ref)
            out.node_lonlat.append((lon, lat))
    out.way_refs.append(refs)
    structure = next((k for k in ("bridge", "tunnel") if tags.get(k, "no") != "no"), "")
    flags = [flag for pair in access for flag in pair]
    oneway = vehicle_direction != 0
    out.way_attrs.append((highway, oneway, tags.get("surface", ""), structure, way.id, *flags))


def _roads(scan: _Collector, crs: CRS, max_segment_m: float) -> RoadNetwork:
    node_ids = np.asarray(scan.node_ids, dtype=np.int64)
    lonlat = np.asarray(scan.node_lonlat, dtype="float64")
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1]
    )
    order = np.argsort(node_ids)
    refs = np.concatenate(scan.way_refs)
    way_of = np.repeat(np.arange(len(scan.way_refs)), [len(r) for r in scan.way_refs])
    index = order[np.searchsorted(node_ids[order], refs)]
    same_way = way_of[1:] == way_of[:-1]
    u = index[:-1][same_way]
    v = index[1:][same_way]
    seg_way = way_of[:-1][same_way]
    columns = ["highway", "oneway", "surface", "structure", "way_id", *ACCESS_COLUMNS]
    attrs = pd.DataFrame(scan.way_attrs, columns=columns)
    attrs = attrs.iloc[seg_way].reset_index(drop=True)
    keep = u != v
    return RoadNetwork.from_segments(
        np.column_stack([x, y]), u[keep], v[keep], attrs[keep], max_segment_m=max_segment_m
    )


def _points(frame: pd.DataFrame, crs: CRS, columns: list[str]) -> gpd.GeoDataFrame:
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4326")
    out = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=geometry)
    return out.to_crs(crs)[[*columns, "geometry"]] if columns else out.to_crs(crs)


def region_from_osm(
    pbf: PathArg,
    *,
    dem: PathArg | None = None,
    population: PathArg | None = None,
    settlements: PathArg | None = None,
    facilities: PathArg | None = None,
    boundary: PathArg | None = None,
    tiers: PathArg | None = None,
    services: PathArg | Catalogue | None = None,
    name: str | None = None,
    max_segment_m: float = 100.0,
    smooth_m: float | None = None,
    progress: Progress | None = None,
) -> Region:
    """Build a :class:`Region` from an OSM PBF extract.

    Parameters
    ----------
    pbf
        OpenStreetMap extract (``.osm.pbf``).
    dem
        Elevation: SRTM ``.hgt`` / ``.hgt.zip`` or GeoTIFF; roads then know their grades.
    population
        A village table (CSV/XLSX with ``population`` and ``id``, ``name`` or ``lon``/``lat``)
        or a population raster (people per cell, each cell given to its nearest settlement).
        Otherwise OSM ``population`` tags are used. Settlements with no source keep an
        unknown (NaN) population and are reported.
    settlements, facilities
        Point files (CSV lon/lat or WKT, GeoPackage, Shapefile) that replace the places /
        facilities read from OSM. Settlements need ``id``; facilities need ``id``,
        ``service`` and ``tier``.
    boundary
        Administrative polygons with ``code, name, level`` (and ``parent``): places get the
        code of the finest unit that holds them; places outside every unit are left out.
    tiers
        Table ``id, tier`` (optionally ``service``) overriding the tier guessed from tags.
    services
        Services catalogue (TOML file or :class:`~accessplan.services.Catalogue`): the
        services read from OSM and carried by the region with their tiers, names and
        standards; default health and school. Rules that match nothing are reported.
    max_segment_m
        Road segments longer than this are split so the terrain is sampled along them.
    smooth_m
        Length (m) over which road profiles are smoothed between junctions (default: one
        terrain cell; 0: raw samples); see :meth:`RoadNetwork.with_elevation`.
    progress
        Called with the name of each stage as it starts.
    """
    _check_lengths(max_segment_m=max_segment_m, smooth_m=smooth_m)
    pbf = Path(pbf)
    if not pbf.exists():
        msg = f"OSM file {str(pbf)!r} does not exist; check the path."
        raise InputFileNotFoundError(msg)
    catalogue = (
        services
        if isinstance(services, Catalogue)
        else default_region_catalogue()
        if services is None
        else read_catalogue(services)
    )
    match = _Matcher(catalogue)
    scan = _scan(pbf, progress, match)
    if not scan.way_refs:
        msg = (
            f"{str(pbf)!r} holds no routable roads (ways with highway=primary, residential, "
            f"track, path, ...); use an extract that covers the region's roads."
        )
        raise InputError(msg)
    lonlat = np.asarray(scan.node_lonlat)
    crs = gpd.GeoSeries(
        gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs="EPSG:4326"
    ).estimate_utm_crs()
    if progress:
        progress("building the road network")
    roads = _roads(scan, crs, max_segment_m)
    hull = shapely.MultiPoint(roads.nodes[["x", "y"]].to_numpy()).convex_hull

    if progress:
        progress("settlements and facilities")
    settle = _settlements(scan, settlements, crs, hull)
    fac = _facilities(scan, facilities, crs, hull)
    if facilities is None:
        match.report(pbf)
    _check_places(settle, fac, pbf, settlements, facilities)
    if tiers is not None:
        fac = _override_tiers(fac, tiers)
    admin = pd.DataFrame(columns=["code", "name", "level", "parent"])
    if boundary is not None:
        settle, fac, admin = _assign_admin(settle, fac, boundary, crs)
    if progress:
        progress("population")
    settle = population_from(settle, population, crs)
    unknown = settle["population"].isna()
    if unknown.any():
        logger.warning(
            "%d of %d settlements have no population source (e.g. %s); left unknown",
            int(unknown.sum()),
            len(settle),
            list(settle.loc[unknown, "name"][:5]),
        )
    terrain = None
    if dem is not None:
        if progress:
            progress("sampling elevation")
        terrain = raster.read_dem(dem)
        xy = roads.nodes[["x", "y"]].to_numpy()
        raster.check_covers(terrain, xy[:, 0], xy[:, 1], crs, path=dem, what=pbf)
        roads = roads.with_elevation(terrain, crs, smooth_m=smooth_m)
    region = Region(
        settlements=settle,
        facilities=fac,
        roads=roads,
        admin_units=admin,
        terrain=terrain,
        name=name or pbf.name.split(".")[0],
        catalogue=catalogue,
    )
    missing = region.missing_groups()
    if missing:
        logger.warning(
            "settlements have no column for the population group(s) %s that standards of the "
            "services catalogue count; measuring those standards will fail until a "
            "settlements file (--settlements) gives them",
            missing,
        )
    return region


def _check_lengths(*, max_segment_m: float, smooth_m: float | None) -> None:
    """Refuse lengths that are not finite metres (NaN would pass every comparison)."""
    if not (np.isfinite(max_segment_m) and max_segment_m > 0):
        msg = (
            f"max_segment_m must be a finite number of metres above 0, got {max_segment_m!r}; "
            "give e.g. 100."
        )
        raise InputError(msg)
    if smooth_m is not None and not (np.isfinite(smooth_m) and smooth_m >= 0):
        msg = (
            f"smooth_m (--smooth-m) must be a finite number of metres >= 0, got {smooth_m!r}; "
            'give about one terrain cell (30 for 1" SRTM), 0 to keep the raw samples, or '
            "leave it out for one cell of the DEM."
        )
        raise InputError(msg)


def _check_places(
    settle: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    pbf: Path,
    settlements: PathArg | None,
    facilities: PathArg | None,
) -> None:
    """Refuse a region without settlements; warn when it has no facilities.

    Every measure counts people in settlements, so a region without any answers nothing (and
    later steps would fail on empty tables). A region with settlements but no facilities is
    still worth building: sites can be chosen for it, or facilities added later.
    """
    if len(settle) == 0:
        source = (
            f"settlements file {str(settlements)!r} has no rows"
            if settlements is not None
            else f"{str(pbf)!r} holds no settlements (place=city, town, village, hamlet, ... "
            f"nodes or areas) and {len(fac)} facilities"
        )
        msg = (
            f"{source}; a region needs the places people live in. Use an extract that covers "
            "them, or pass a settlements file (--settlements villages.csv with id, lon, lat)."
        )
        raise InputError(msg)
    if len(fac) == 0:
        source = f"facilities file {str(facilities)!r}" if facilities is not None else str(pbf)
        logger.warning(
            "%s holds no facilities (hospitals, clinics, doctors, schools); the region is "
            "built, but access measures need some: pass a facilities file",
            source,
        )


def _settlements(
    scan: _Collector, path: PathArg | None, crs: CRS, hull: BaseGeometry
) -> gpd.GeoDataFrame:
    if path is None:
        frame = pd.DataFrame(
            scan.places, columns=["id", "name", "place", "osm_population", "lon", "lat"]
        )
        out = _points(frame, crs, [])
        population = out.pop("osm_population")
        implausible = population > MAX_SETTLEMENT_POPULATION
        if implausible.any():
            logger.warning(
                "%d OSM population tag(s) above %s are taken as unknown (e.g. %s)",
                int(implausible.sum()),
                f"{MAX_SETTLEMENT_POPULATION:,.0f}",
                list(out.loc[implausible, "id"][:5]),
            )
        out["population"] = population.where(~implausible)
        out["population_source"] = np.where(out["population"].notna(), "osm", "")
        return out
    out = tables.read_points(path, what="settlements").to_crs(crs)
    if "id" not in out:
        msg = f"settlements file {str(path)!r} needs an 'id' column; found {list(out.columns)}."
        raise InputError(msg)
    _check_file_layer(out, path, "settlements", hull, ("population",))
    if "population" in out:
        out["population"] = pd.to_numeric(out["population"], errors="coerce")
        rows = [f"row {i} (id {ident!r})" for i, ident in enumerate(out["id"])]
        check_plausible(out["population"], rows, what=f"settlements file {str(path)!r}")
        out["population_source"] = np.where(out["population"].notna(), "settlements file", "")
    else:  # unknown until a population source gives it
        out["population"] = np.nan
        out["population_source"] = ""
    return out


def _facilities(
    scan: _Collector, path: PathArg | None, crs: CRS, hull: BaseGeometry
) -> gpd.GeoDataFrame:
    if path is None:
        columns = ["id", "name", "service", "tier", "capacity", "beds", "osm_tags", "lon", "lat"]
        frame = pd.DataFrame(scan.facilities, columns=columns)
        return _points(frame, crs, [])
    out = tables.read_points(path, what="facilities").to_crs(crs)
    if len(out) == 0:
        msg = (
            f"facilities file {str(path)!r} has no rows; expected one row per facility (id, "
            "service, tier and its position). Fill it in, or leave the facilities file out to "
            "take them from OSM."
        )
        raise InputError(msg)
    missing = [c for c in ("id", "service", "tier") if c not in out]
    if missing:
        msg = (
            f"facilities file {str(path)!r} lacks column(s) {missing}; it needs id, service "
            f"(a service of the catalogue, e.g. health) and tier (e.g. village_clinic)."
        )
        raise InputError(msg)
    _check_file_layer(out, path, "facilities", hull, ("capacity", "beds", "doctors"))
    return out


def _check_file_layer(
    frame: gpd.GeoDataFrame,
    path: PathArg,
    what: str,
    hull: BaseGeometry,
    counts: tuple[str, ...],
) -> None:
    """Checks that name the file: ids, counts, and points far outside the road network."""
    label = f"{what} file {str(path)!r}"
    _validate.unique_ids(frame, what=label)
    for column in counts:
        _validate.non_negative(frame, column, what=label)
    tables.check_inside(frame, hull, what=what, path=path, margin_m=OUTSIDE_MARGIN_M)


def _override_tiers(fac: gpd.GeoDataFrame, path: PathArg) -> gpd.GeoDataFrame:
    table = tables.read_table(path, what="tier table")
    missing = [c for c in ("id", "tier") if c not in table]
    if missing:
        msg = f"tier table {str(path)!r} lacks column(s) {missing}; it needs 'id' and 'tier'."
        raise InputError(msg)
    unknown = sorted(set(table["id"]) - set(fac["id"]))
    if unknown:
        msg = f"tier table {str(path)!r}: id(s) {unknown[:5]} are not facilities of this extract."
        raise InputError(msg)
    out = fac.copy()
    for column in ("tier", "service"):
        if column in table:
            values = out["id"].map(table.set_index("id")[column])
            out[column] = values.fillna(out[column])
    return out


def _assign_admin(
    settle: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    path: PathArg,
    crs: CRS,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    units = tables.read_polygons(path, what="boundary").to_crs(crs)
    missing = [c for c in ("code", "name", "level") if c not in units]
    if missing:
        msg = f"boundary file {str(path)!r} lacks column(s) {missing}; it needs code, name, level."
        raise InputError(msg)
    units["code"] = units["code"].astype(str)
    units["rank"] = units["level"].map({k: i for i, k in enumerate(ADMIN_LEVELS)}).fillna(-1)
    finest = units.sort_values("rank", ascending=False)
    out = []
    for frame, what in ((settle, "settlements"), (fac, "facilities")):
        joined = gpd.sjoin(
            frame, finest[["code", "rank", "geometry"]], predicate="within", how="left"
        )
        joined = joined.sort_values("rank", ascending=False)
        joined = joined[~joined.index.duplicated(keep="first")].sort_index()
        outside = joined["code"].isna()
        if what == "settlements" and outside.all():
            msg = (
                f"boundary file {str(path)!r}: its units (within {_bounds(units)}) hold none of "
                f"the {len(frame)} settlements (within {_bounds(frame)}); expected polygons "
                "around the region's places. Check the file's CRS, or give the boundary of "
                "this region."
            )
            raise InputError(msg)
        if outside.any():
            logger.warning(
                "%d %s lie outside the boundary and are left out (e.g. %s)",
                int(outside.sum()),
                what,
                list(joined.loc[outside, "id"][:5]),
            )
        kept = frame.loc[~outside.to_numpy()].copy()
        kept["admin_code"] = joined.loc[~outside, "code"].to_numpy()
        out.append(kept)
    admin = pd.DataFrame(units.drop(columns=["geometry", "rank"]))
    if "parent" not in admin:
        admin["parent"] = ""
    return out[0], out[1], admin[["code", "name", "level", "parent"]]


def _bounds(frame: gpd.GeoDataFrame) -> str:
    """A layer's extent in degrees, for messages."""
    west, south, east, north = frame.to_crs("EPSG:4326").total_bounds
    return f"lon {west:.3f}..{east:.3f}, lat {south:.3f}..{north:.3f}"
