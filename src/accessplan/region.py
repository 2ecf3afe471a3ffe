"""The planning region: settlements, facilities, administrative units, roads and terrain.

A :class:`Region` lives in one projected metric CRS (UTM, chosen from the data) and is
stored in one GeoPackage file: ``Region.read(path)`` / ``region.write(path)`` round-trip it
without loss. Every layer is validated when a Region is made, so later steps can trust it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from accessplan import _validate
from accessplan._errors import CrsError, InputError, InputFileNotFoundError
from accessplan._files import new_file
from accessplan.services import ALL, Catalogue, default_region_catalogue

logger = logging.getLogger(__name__)

#: Facility tiers per service, lowest first. A region may carry its own table.
TIERS: dict[str, tuple[str, ...]] = {
    "health": ("village_clinic", "township_health_center", "county_hospital"),
    "school": ("teaching_point", "primary", "middle"),
}

#: Administrative levels, coarsest first, with the length of their Chinese statistical code.
ADMIN_LEVELS: dict[str, int] = {
    "province": 2,
    "city": 4,
    "county": 6,
    "township": 9,
    "village": 12,
}

SETTLEMENT_COLUMNS: dict[str, str] = {
    "id": "str",
    "name": "str",
    "admin_code": "str",
    "population": "float64",
    "population_source": "str",
}
OPTIONAL_SETTLEMENT_NUMBERS = ("households", "chronic_patients")
FACILITY_COLUMNS: dict[str, str] = {
    "id": "str",
    "name": "str",
    "service": "str",
    "tier": "str",
    "capacity": "float64",
    "admin_code": "str",
}
OPTIONAL_FACILITY_NUMBERS = ("beds", "doctors")
ADMIN_COLUMNS: dict[str, str] = {"code": "str", "name": "str", "level": "str", "parent": "str"}
#: Modes whose OSM access rules each road edge records (the OSM keys of the same names); every
#: travel profile is one of them.
ACCESS_MODES = ("foot", "motorcar", "motorcycle")


def access_columns(mode: str) -> tuple[str, str]:
    """Edge columns telling whether ``mode`` may travel an edge ``u -> v`` and ``v -> u``."""
    return f"{mode}_forward", f"{mode}_backward"


ACCESS_COLUMNS = tuple(c for mode in ACCESS_MODES for c in access_columns(mode))
EDGE_COLUMNS: dict[str, str] = {
    "u": "int64",
    "v": "int64",
    "length_m": "float64",
    "highway": "str",
    "oneway": "bool",
    "surface": "str",
    "rise_m": "float64",
    "fall_m": "float64",
    **{column: "bool" for column in ACCESS_COLUMNS},
}


def with_default_access(edges: pd.DataFrame) -> pd.DataFrame:
    """``edges`` with the access columns it lacks, as a network without them implies.

    Such a network (built in code, or a region written before OSM access was read) says
    nothing of access: every mode may use every edge, and vehicles keep to ``oneway``.
    """
    missing = [c for c in ACCESS_COLUMNS if c not in edges]
    if not missing:
        return edges
    two_way = np.ones(len(edges), dtype=bool)
    if "oneway" in edges:
        two_way = ~edges["oneway"].fillna(False).to_numpy(dtype=bool)
    defaults = {}
    for mode in ACCESS_MODES:
        forward, backward = access_columns(mode)
        defaults[forward] = np.ones(len(edges), dtype=bool)
        defaults[backward] = np.ones(len(edges), dtype=bool) if mode == "foot" else two_way
    return edges.assign(**{c: defaults[c] for c in missing})


def mode_access(edges: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``mode`` may travel each edge ``u -> v`` and ``v -> u``."""
    forward, backward = access_columns(mode)
    edges = with_default_access(edges)
    return edges[forward].to_numpy(dtype=bool), edges[backward].to_numpy(dtype=bool)


def _canonical(frame: pd.DataFrame, schema: Mapping[str, str], numbers: Sequence[str] = ()) -> Any:
    """Return ``frame`` with the schema's columns first, in fixed dtypes; extras kept after."""
    out = frame.copy()
    for column, dtype in schema.items():
        if dtype == "str":
            if column not in out:
                out[column] = ""
            out[column] = out[column].fillna("").astype(str)
        elif dtype == "float64":
            if column not in out:
                out[column] = np.nan
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
        elif dtype == "bool":
            out[column] = out[column].astype(bool)
        else:
            out[column] = out[column].astype(dtype)  # type: ignore[call-overload]
    for column in numbers:
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    geometry = [out.geometry.name] if isinstance(out, gpd.GeoDataFrame) else []
    first = [*schema, *geometry]
    order = first + [c for c in out.columns if c not in first]
    return out[order].reset_index(drop=True)


def pupil_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding pupils by grade band (``pupils_primary``, ``pupils_middle``, ...)."""
    return [c for c in frame.columns if str(c).startswith("pupils_")]


@dataclass(frozen=True, eq=False)
class Terrain:
    """An elevation grid (metres) with its affine transform and CRS; NaN where unknown."""

    elevation: np.ndarray
    transform: Affine
    crs: CRS

    @property
    def resolution(self) -> float:
        """Cell size along x in the terrain's own units."""
        return float(abs(self.transform.a))

    @property
    def cell_m(self) -> float:
        """Cell size along y in metres (a degree of latitude taken as 111,320 m)."""
        size = float(abs(self.transform.e))
        if self.crs.is_geographic:
            return size * 111_320.0
        return size * float(self.crs.axis_info[0].unit_conversion_factor)

    def sample(self, x: np.ndarray, y: np.ndarray, crs: CRS) -> np.ndarray:
        """Bilinear elevation at points given in ``crs``; NaN outside the grid."""
        x = np.asarray(x, dtype="float64")
        y = np.asarray(y, dtype="float64")
        if not CRS.from_user_input(crs).equals(self.crs):
            x, y = Transformer.from_crs(crs, self.crs, always_xy=True).transform(x, y)
        inv = ~self.transform
        # pixel centres sit at half-integers
        col = inv.a * x + inv.b * y + inv.c - 0.5
        row = inv.d * x + inv.e * y + inv.f - 0.5
        nrow, ncol = self.elevation.shape
        inside = (col >= -0.5) & (col <= ncol - 0.5) & (row >= -0.5) & (row <= nrow - 0.5)
        c0 = np.clip(np.floor(col), 0, ncol - 1).astype(np.int64)
        r0 = np.clip(np.floor(row), 0, nrow - 1).astype(np.int64)
        c1 = np.clip(c0 + 1, 0, ncol - 1)
        r1 = np.clip(r0 + 1, 0, nrow - 1)
        fc = np.clip(col - c0, 0.0, 1.0)
        fr = np.clip(row - r0, 0.0, 1.0)
        z = self.elevation
        top = z[r0, c0] * (1 - fc) + z[r0, c1] * fc
        bottom = z[r1, c0] * (1 - fc) + z[r1, c1] * fc
        values = top * (1 - fr) + bottom * fr
        return np.where(inside, values, np.nan).astype("float64")


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Road graph as straight segments between nodes.

    ``nodes`` has ``x, y, z`` (metres, working CRS; ``z`` NaN without terrain), row ``i`` being
    node ``i``. ``edges`` has ``u, v, length_m, highway, oneway, surface, rise_m, fall_m``
    (plus optional extras such as ``way_id``); ``oneway`` means only ``u -> v`` for vehicles.
    Per mode of :data:`ACCESS_MODES`, ``<mode>_forward`` and ``<mode>_backward`` tell whether
    the mode may travel the edge ``u -> v`` and ``v -> u`` (OSM access and one-way rules);
    routing reads these. Edges given without them get :func:`with_default_access`.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame

    def __post_init__(self) -> None:
        nodes = self.nodes[["x", "y", "z"]].astype("float64").reset_index(drop=True)
        object.__setattr__(self, "nodes", nodes)
        edges = _canonical(with_default_access(self.edges), EDGE_COLUMNS)
        object.__setattr__(self, "edges", edges)
        n = len(nodes)
        u = edges["u"].to_numpy()
        v = edges["v"].to_numpy()
        if len(edges) and (u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n):
            msg = f"road edges refer to nodes outside 0..{n - 1}; rebuild the network."
            raise InputError(msg)
        if (edges["length_m"] < 0).any() or edges["length_m"].isna().any():
            msg = "road edges need a non-negative length_m; rebuild the network."
            raise InputError(msg)

    @classmethod
    def from_segments(
        cls,
        xy: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        attributes: pd.DataFrame,
        *,
        max_segment_m: float | None = None,
    ) -> RoadNetwork:
        """Build a network from node coordinates and segments ``u[i] -> v[i]``.

        Segments longer than ``max_segment_m`` are split evenly by new nodes so that terrain
        sampled at the nodes describes every edge's grade; ``attributes`` (one row per
        segment: ``highway``, ``oneway``, ``surface`` and extras) is repeated on the pieces.
        """
        xy = np.asarray(xy, dtype="float64")
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        seg_len = np.hypot(*(xy[v] - xy[u]).T)
        pieces = np.ones(len(u), dtype=np.int64)
        if max_segment_m:
            pieces = np.maximum(1, np.ceil(seg_len / max_segment_m).astype(np.int64))
        extra = pieces - 1
        n_new = int(extra.sum())
        # new nodes: for segment i, points at k / pieces[i], k = 1..pieces[i]-1
        seg_of_new = np.repeat(np.arange(len(u)), extra)
        k = np.arange(n_new) - np.repeat(np.cumsum(extra) - extra, extra) + 1
        frac = k / pieces[seg_of_new]
        new_xy = xy[u[seg_of_new]] + (xy[v[seg_of_new]] - xy[u[seg_of_new]]) * frac[:, None]
        new_ids = len(xy) + np.arange(n_new)
        # chain of node ids per segment: u, new..., v
        chain_start = np.cumsum(pieces + 1) - (pieces + 1)
        chain = np.empty(int((pieces + 1).sum()), dtype=np.int64)
        chain[chain_start] = u
        chain[chain_start + pieces] = v
        inner = np.repeat(chain_start, extra) + k
        chain[inner] = new_ids
        # edges are consecutive chain pairs, skipping the pair that straddles two segments
        starts = np.delete(np.arange(len(chain) - 1), chain_start[1:] - 1)
        piece_seg = np.repeat(np.arange(len(u)), pieces)
        all_xy = np.vstack([xy, new_xy])
        eu, ev = chain[starts], chain[starts + 1]
        edges = attributes.iloc[piece_seg].reset_index(drop=True).copy()
        edges.insert(0, "u", eu)
        edges.insert(1, "v", ev)
        edges["length_m"] = np.hypot(*(all_xy[ev] - all_xy[eu]).T)
        for column, default in (("oneway", False), ("surface", ""), ("rise_m", 0.0)):
            if column not in edges:
                edges[column] = default
        edges["fall_m"] = 0.0
        nodes = pd.DataFrame({"x": all_xy[:, 0], "y": all_xy[:, 1], "z": np.nan})
        return cls(nodes, edges)

    def with_elevation(
        self, terrain: Terrain, crs: CRS, *, smooth_m: float | None = None
    ) -> RoadNetwork:
        """Sample ``terrain`` at every node and set each edge's rise and fall.

        A terrain model knows nothing finer than its cells, but road nodes lie metres apart:
        sampled as they are, a road along a hillside picks up the slope across it and climbs
        and drops where it runs level. So the profile between road junctions is smoothed
        over ``smooth_m`` metres (default: one terrain cell; 0 keeps the raw samples): the
        elevations minimise ``sum m_i (s_i - z_i)^2 + smooth_m^2 sum (s_a - s_b)^2 / l_ab``
        over the nodes that join exactly two edges (``m_i`` half the length of those edges),
        a smoothing spline along the road. Junctions, dead ends and the ends of bridges and
        tunnels keep the terrain's value, and a road of constant grade keeps it exactly.

        Nodes inside bridges and tunnels (edges whose ``structure`` column says so) do not
        follow the ground: their elevation is interpolated between the structure's ends, in
        proportion to the distance along it.
        """
        z = terrain.sample(self.nodes["x"].to_numpy(), self.nodes["y"].to_numpy(), crs)
        missing = int(np.isnan(z).sum())
        if missing:
            logger.warning(
                "%d of %d road nodes fall outside the terrain; taken as flat", missing, len(z)
            )
        scale = terrain.cell_m if smooth_m is None else float(smooth_m)
        if not (np.isfinite(scale) and scale >= 0):
            msg = (
                f"smooth_m must be a finite number of metres >= 0, got {smooth_m!r}; give about "
                'one terrain cell (30 for 1" SRTM), or 0 to keep the raw samples.'
            )
            raise InputError(msg)
        if scale > 0:
            z = self._smooth_profile(z, scale)
        if "structure" in self.edges:
            z = self._level_structures(z)
        nodes = self.nodes.assign(z=z)
        dz = z[self.edges["v"].to_numpy()] - z[self.edges["u"].to_numpy()]
        dz = np.nan_to_num(dz, nan=0.0)
        edges = self.edges.assign(rise_m=np.maximum(dz, 0.0), fall_m=np.maximum(-dz, 0.0))
        return RoadNetwork(nodes, edges)

    def _level_structures(self, z: np.ndarray) -> np.ndarray:
        """Elevations inside bridges and tunnels, harmonic between their ends.

        With weights 1 / length, the harmonic solution on a chain of edges is the linear
        interpolation by distance from one abutment to the other.
        """
        from scipy.sparse import coo_matrix, diags
        from scipy.sparse.csgraph import connected_components

        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        on_structure = (self.edges["structure"].fillna("") != "").to_numpy()
        n = len(z)
        plain = np.zeros(n, dtype=bool)
        plain[u[~on_structure]] = True
        plain[v[~on_structure]] = True
        inner = np.zeros(n, dtype=bool)
        inner[u[on_structure]] = True
        inner[v[on_structure]] = True
        inner &= ~plain  # touches only bridge or tunnel edges
        if not inner.any():
            return z
        w = 1.0 / np.maximum(self.edges["length_m"].to_numpy()[on_structure], 1e-3)
        a, b = u[on_structure], v[on_structure]
        weights = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
        # an end off the terrain (NaN) fixes nothing: drop the edges that lead to it
        fixed = plain & np.isfinite(z)
        keep = diags((inner | fixed).astype(float))
        weights = keep @ weights @ keep
        # solve only where a structure reaches plain road: an isolated bridge keeps the ground
        _, part = connected_components(weights, directed=False)
        touches_plain = np.asarray(weights[:, fixed].sum(axis=1)).ravel() > 0
        anchored_parts = np.unique(part[inner & touches_plain])
        index = np.flatnonzero(inner & np.isin(part, anchored_parts))
        return _solve_free(z, weights, index, np.zeros(len(index)))

    def _smooth_profile(self, z: np.ndarray, scale_m: float) -> np.ndarray:
        """Elevations of the nodes joining exactly two edges, smoothed over ``scale_m``."""
        from scipy.sparse import coo_matrix

        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        ok = np.isfinite(z[u]) & np.isfinite(z[v]) & (u != v)
        if "structure" in self.edges:  # bridges and tunnels do not follow the ground
            ok &= (self.edges["structure"].fillna("") == "").to_numpy()
        a, b = u[ok], v[ok]
        length = np.maximum(self.edges["length_m"].to_numpy()[ok], 1e-3)
        n = len(z)
        degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
        index = np.flatnonzero(degree == 2)
        if len(index) == 0:
            return z
        w = scale_m**2 / length
        weights = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
        share = 0.5 * (np.bincount(a, length, minlength=n) + np.bincount(b, length, minlength=n))
        return _solve_free(z, weights, index, share[index])

    def largest_component_share(self) -> float:
        """Share of road nodes in the largest weakly connected part of the network."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = len(self.nodes)
        if n == 0:
            return 0.0
        ones = np.ones(len(self.edges))
        graph = coo_matrix((ones, (self.edges["u"], self.edges["v"])), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        return float(np.bincount(labels).max() / n)

    def edge_lines(self) -> np.ndarray:
        """Straight LineString per edge."""
        xy = self.nodes[["x", "y"]].to_numpy()
        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        coords = np.stack([xy[u], xy[v]], axis=1)
        return np.asarray(shapely.linestrings(coords))


@dataclass(eq=False)
class Region:
    """Settlements, facilities, administrative units, roads and terrain in one metric CRS.

    Parameters
    ----------
    settlements
        Points with ``id, name, admin_code, population`` (NaN = unknown) and optionally
        ``households, chronic_patients`` and ``pupils_<band>`` columns.
    facilities
        Points with ``id, name, service, tier, capacity`` and optionally ``beds, doctors``.
    admin_units
        Table ``code, name, level, parent`` (``parent`` empty at the top).
    roads
        The road graph; its coordinates are in ``settlements.crs``.
    terrain
        Optional elevation grid.
    tiers
        Tier table, lowest first per service; defaults to :data:`TIERS`. Given alone, the
        region's catalogue is :meth:`Catalogue.from_tiers` of it.
    catalogue
        The services the region plans for (:mod:`accessplan.services`): tiers, names, OSM
        tags, standards and completeness levels. Given, it sets ``tiers``; by default health
        and school of the bundled catalogue, the services of :data:`TIERS`.
    """

    settlements: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    roads: RoadNetwork
    admin_units: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ADMIN_COLUMNS))
    )
    terrain: Terrain | None = None
    name: str = "region"
    tiers: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(TIERS))
    catalogue: Catalogue = field(default_factory=default_region_catalogue)

    def __post_init__(self) -> None:
        self.tiers = {k: tuple(v) for k, v in self.tiers.items()}
        self._reconcile_catalogue()
        self.settlements = _canonical(
            self.settlements,
            SETTLEMENT_COLUMNS,
            [*OPTIONAL_SETTLEMENT_NUMBERS, *pupil_columns(self.settlements), *self._groups()],
        )
        self.facilities = _canonical(self.facilities, FACILITY_COLUMNS, OPTIONAL_FACILITY_NUMBERS)
        self.admin_units = _canonical(pd.DataFrame(self.admin_units), ADMIN_COLUMNS)
        self._validate()

    def _reconcile_catalogue(self) -> None:
        """One source of tiers: a catalogue given sets them, a tier table given alone makes
        the catalogue; both given must agree."""
        if self.catalogue.tiers == self.tiers:
            return
        if self.tiers == TIERS:
            self.tiers = self.catalogue.tiers
        elif self.catalogue == default_region_catalogue():
            self.catalogue = Catalogue.from_tiers(self.tiers)
        else:
            msg = (
                f"the tier table {self.tiers} and the catalogue's tiers "
                f"{self.catalogue.tiers} differ; give the catalogue alone."
            )
            raise InputError(msg)

    def _groups(self) -> list[str]:
        """Settlement columns of the population groups the catalogue's standards count and
        the settlements have."""
        used = {std.group for _, std in self.catalogue.standards()} - {ALL}
        return sorted(c for c in used if c in self.settlements)

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        for what, frame in (("settlements", self.settlements), ("facilities", self.facilities)):
            _validate.has_crs(frame, what=what)
            _validate.unique_ids(frame, what=what)
            _validate.point_geometries(frame, what=what)
        if not self.settlements.crs.is_projected:
            msg = (
                "a Region works in a projected metric CRS; project the layers first, e.g. "
                "`gdf.to_crs(gdf.estimate_utm_crs())` (accessplan.io.region_from_osm does this "
                "for you)."
            )
            raise CrsError(msg)
        if not self.settlements.crs.equals(self.facilities.crs):
            msg = (
                f"settlements are in {self.settlements.crs.to_string()} but facilities in "
                f"{self.facilities.crs.to_string()}; use `facilities.to_crs(settlements.crs)`."
            )
            raise CrsError(msg)
        for column in (
            "population",
            *OPTIONAL_SETTLEMENT_NUMBERS,
            *pupil_columns(self.settlements),
            *self._groups(),
        ):
            _validate.non_negative(self.settlements, column, what="settlements")
        for column in ("capacity", *OPTIONAL_FACILITY_NUMBERS):
            _validate.non_negative(self.facilities, column, what="facilities")
        for what, frame in (("settlements", self.settlements), ("facilities", self.facilities)):
            _finite_counts(frame, what)
        self._validate_tiers()
        if len(self.admin_units):
            _validate.unique_ids(self.admin_units, what="admin units", column="code")
            known = set(self.admin_units["code"]) | {""}
            for what, frame in (("settlements", self.settlements), ("facilities", self.facilities)):
                unknown = sorted(set(frame["admin_code"]) - known)
                if unknown:
                    msg = (
                        f"{what}: admin_code {unknown[:5]} not among the region's admin units; "
                        f"add them to the admin unit table or correct the codes."
                    )
                    raise InputError(msg)

    def _validate_tiers(self) -> None:
        services = set(self.tiers)
        bad_service = ~self.facilities["service"].isin(services)
        if bad_service.any():
            rows = (np.flatnonzero(bad_service.to_numpy())[:5]).tolist()
            found = sorted(set(self.facilities.loc[bad_service, "service"]))
            msg = (
                f"facilities: unknown service {found} in row(s) {rows}; expected one of "
                f"{sorted(services)}, or declare it in a services catalogue (region build "
                "--services FILE)."
            )
            raise InputError(msg)
        for service, tiers in self.tiers.items():
            rows = self.facilities["service"] == service
            bad = rows & ~self.facilities["tier"].isin(tiers)
            if bad.any():
                found = sorted(set(self.facilities.loc[bad, "tier"]))
                ids = list(self.facilities.loc[bad, "id"][:5])
                msg = (
                    f"facilities: unknown {service} tier {found} (id {ids}); "
                    f"expected one of {list(tiers)}."
                )
                raise InputError(msg)

    # ------------------------------------------------------------------ queries
    @property
    def crs(self) -> CRS:
        """The working (projected, metric) CRS."""
        return CRS.from_user_input(self.settlements.crs)

    def tier_rank(self, service: str, tier: str) -> int:
        """Position of ``tier`` in its service's table, 0 for the lowest."""
        return self.tiers[service].index(tier)

    def people(self, group: str = ALL) -> np.ndarray:
        """People of ``group`` in each settlement (NaN where unknown): ``population`` for
        ``"all"``, else the settlements column of the group's name."""
        column = "population" if group == ALL else group
        if column not in self.settlements:
            msg = (
                f"settlements have no column {column!r} for the population group {group!r} "
                "that a standard of the services catalogue counts; add the column to the "
                "village table (region build --settlements FILE with id, lon, lat, population, "
                f'{column}), or set group = "{ALL}" in the catalogue.'
            )
            raise InputError(msg)
        return np.asarray(self.settlements[column].to_numpy(dtype="float64"))

    def missing_groups(self) -> list[str]:
        """Groups the catalogue's standards count that the settlements have no column for."""
        used = {std.group for _, std in self.catalogue.standards()} - {ALL}
        return sorted(g for g in used if g not in self.settlements)

    def summary(self) -> dict[str, Any]:
        """Counts that describe the region, for logs and the CLI."""
        pop = self.settlements["population"]
        return {
            "name": self.name,
            "crs": self.crs.to_string(),
            "settlements": len(self.settlements),
            "population_known": int(pop.notna().sum()),
            "population": float(pop.sum()),
            "facilities": {
                f"{s}/{t}": int(n)
                for (s, t), n in self.facilities.groupby(["service", "tier"]).size().items()
            },
            "admin_units": len(self.admin_units),
            "road_nodes": len(self.roads.nodes),
            "road_edges": len(self.roads.edges),
            "road_main_part_share": round(self.roads.largest_component_share(), 4),
            "terrain": self.terrain is not None,
        }

    # ------------------------------------------------------------------ storage
    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the region to one GeoPackage file (replaced atomically)."""
        with new_file(path) as tmp:
            self._write_layers(tmp)
        return Path(path)

    def _write_layers(self, path: Path) -> None:
        crs = self.crs
        write = pyogrio.write_dataframe
        write(self.settlements, path, layer="settlements", driver="GPKG")
        write(self.facilities, path, layer="facilities", driver="GPKG")
        write(self.admin_units, path, layer="admin_units", driver="GPKG")
        nodes = gpd.GeoDataFrame(
            self.roads.nodes.assign(node=np.arange(len(self.roads.nodes))),
            geometry=gpd.points_from_xy(self.roads.nodes["x"], self.roads.nodes["y"]),
            crs=crs,
        )
        write(nodes, path, layer="road_nodes", driver="GPKG")
        edges = gpd.GeoDataFrame(
            self.roads.edges.assign(edge=np.arange(len(self.roads.edges))),
            geometry=self.roads.edge_lines(),
            crs=crs,
        )
        write(edges, path, layer="road_edges", driver="GPKG")
        meta = {
            "name": self.name,
            "tiers": json.dumps(self.tiers),
            "services": json.dumps(self.catalogue.to_dict(), ensure_ascii=False),
            "format": "accessplan-region/1",
        }
        if self.terrain is not None:
            # GeoPackage tiles round the geotransform in the last bits: keep the exact one
            meta["terrain_transform"] = json.dumps(list(self.terrain.transform)[:6])
            meta["terrain_crs"] = self.terrain.crs.to_wkt()
        meta_frame = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
        write(meta_frame, path, layer="region_meta", driver="GPKG")
        if self.terrain is not None:
            t = self.terrain
            with rasterio.open(
                path,
                "w",
                driver="GPKG",
                height=t.elevation.shape[0],
                width=t.elevation.shape[1],
                count=1,
                dtype="float32",
                crs=t.crs,
                transform=t.transform,
                nodata=None,
                RASTER_TABLE="terrain",
                APPEND_SUBDATASET="YES",
                TILE_FORMAT="TIFF",
            ) as dst:
                dst.write(t.elevation.astype("float32"), 1)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Region:
        """Read a region written by :meth:`write`."""
        path = Path(path)
        if not path.exists():
            msg = (
                f"region file {str(path)!r} does not exist; build one with `accessplan "
                "region build`."
            )
            raise InputFileNotFoundError(msg)
        try:
            layers = {name for name, _ in pyogrio.list_layers(path)}
        except Exception as exc:
            msg = (
                f"{str(path)!r} is not a GeoPackage region file ({exc}); build one with "
                "`accessplan region build`."
            )
            raise InputError(msg) from exc
        needed = {
            "settlements",
            "facilities",
            "admin_units",
            "road_nodes",
            "road_edges",
            "region_meta",
        }
        if not needed <= layers:
            msg = (
                f"{str(path)!r} lacks layer(s) {sorted(needed - layers)}; it was not written by "
                f"accessplan. Build the region with `accessplan region build`."
            )
            raise InputError(msg)
        read = pyogrio.read_dataframe
        meta = dict(read(path, layer="region_meta")[["key", "value"]].itertuples(index=False))
        nodes = read(path, layer="road_nodes", read_geometry=False).sort_values("node")
        edges = read(path, layer="road_edges", read_geometry=False).sort_values("edge")
        if not set(ACCESS_COLUMNS) <= set(edges.columns):
            logger.warning(
                "%s was written before roads recorded OSM access per mode: every road is taken "
                "as open to walking and driving (one-way roads kept). Rebuild it with "
                "`accessplan region build` to apply the OSM access rules.",
                path,
            )
        roads = RoadNetwork(nodes[["x", "y", "z"]], edges.drop(columns="edge"))
        terrain = None
        if "terrain" in _raster_tables(path):
            with rasterio.open(f"GPKG:{path}:terrain") as src:
                elevation = src.read(1).astype("float32")
            terrain = Terrain(
                elevation,
                Affine(*json.loads(meta["terrain_transform"])),
                CRS.from_wkt(meta["terrain_crs"]),
            )
        return cls(
            settlements=read(path, layer="settlements"),
            facilities=read(path, layer="facilities"),
            roads=roads,
            admin_units=read(path, layer="admin_units"),
            terrain=terrain,
            name=meta.get("name", "region"),
            tiers={k: tuple(v) for k, v in json.loads(meta["tiers"]).items()},
            # regions written before catalogues carry the tier table alone
            catalogue=(
                Catalogue.from_dict(json.loads(meta["services"]), source=str(path))
                if "services" in meta
                else Catalogue.from_tiers(json.loads(meta["tiers"]))
            ),
        )


def _finite_counts(frame: pd.DataFrame, what: str) -> None:
    """Raise when a count column holds an infinite value (NaN means unknown and is fine)."""
    for column in frame.columns:
        if column == frame.geometry.name or not pd.api.types.is_float_dtype(frame[column]):
            continue
        infinite = np.isinf(frame[column].to_numpy())
        if infinite.any():
            rows = np.flatnonzero(infinite)[:5].tolist()
            ids = list(frame["id"].iloc[rows])
            msg = (
                f"{what}: {column!r} is infinite in row(s) {rows} (id {ids}); give a count, or "
                "leave the cell empty when unknown."
            )
            raise InputError(msg)


def _solve_free(z: np.ndarray, weights: Any, index: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``z`` with the nodes ``index`` replaced by the minimiser of
    ``sum data_i (s_i - z_i)^2 + sum_ab weights_ab (s_a - s_b)^2``, the others held fixed
    (``data`` 0: the harmonic interpolation between the fixed nodes)."""
    from scipy.sparse import diags
    from scipy.sparse.linalg import spsolve

    is_free = np.zeros(len(z), dtype=bool)
    is_free[index] = True
    known = np.nan_to_num(np.where(is_free, 0.0, z), nan=0.0)
    sub = weights[index]
    degree = np.asarray(sub.sum(axis=1)).ravel()
    system = diags(data + degree) - sub[:, index]
    out = z.copy()
    out[index] = spsolve(system.tocsc(), data * np.nan_to_num(z[index]) + sub @ known)
    return out


def _raster_tables(path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type IN ('tiles', "
            "'2d-gridded-coverage')"
        ).fetchall()
    return {r[0] for r in rows}
