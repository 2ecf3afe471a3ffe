"""The shared store of a distributed run: inputs as GeoParquet, per-partition results.

Layout (a folder every worker can read, e.g. on a shared file system)::

    meta.json                  region name, CRS, tiers, catalogue, counts, partitions, digest
    settlements.parquet        GeoParquet; ``row`` (region order) and ``owner`` added
    facilities.parquet         the same
    admin_units.parquet
    road_nodes.parquet         node, x, y, z, degree
    road_edges.parquet         edge, owner, every edge column, and its box minx..maxy
    joins/<profile>.parquet    place, edge, frac, snap_m (where places join the roads)
    place_z.parquet            elevation of every place (settlements, then facilities)
    results/<round>/<partition>.pkl   a partition's answers (written whole, then renamed);
                               a round's name holds the inputs' digest and its searches

Road tables are sorted along a coarse grid before writing, so that a partition reading its
box (``filters`` on the box columns) touches few row groups; rows keep their region
numbers in ``node`` / ``edge`` and are put back in that order when read.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from accessplan.region import Region, RoadNetwork
from accessplan.scale._plan import Ownership, Partition
from accessplan.services import Catalogue
from accessplan.travel.network import Joins

#: The input files, whose digest (``meta.json``'s ``digest``) names the results computed from
#: them: a store written again with other inputs never serves a partition's old answers.
_INPUTS = (
    "settlements.parquet",
    "facilities.parquet",
    "admin_units.parquet",
    "road_nodes.parquet",
    "road_edges.parquet",
    "place_z.parquet",
)
#: Rows per row group of the road tables (a few MB each).
_ROW_GROUP = 50_000
#: Grid cell (m) the road tables are sorted by.
_SORT_CELL_M = 20_000.0

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SubRegion:
    """The part of the region a partition computes on.

    ``region`` holds places and roads in the region's order; ``places`` and ``edges`` are
    their indices in the whole region (places: settlements, then facilities), ``nodes`` its
    road nodes'. ``joins`` are the whole region's joins of these places, renumbered.
    ``frontier`` are its road nodes that lose an edge here, or touch an edge some of whose
    places are not here; ``frontier_places`` its places joined to such an edge.
    """

    region: Region
    places: np.ndarray
    edges: np.ndarray
    nodes: np.ndarray
    joins: Joins
    frontier: np.ndarray
    frontier_places: np.ndarray
    covers_all: bool

    @property
    def road_u(self) -> np.ndarray:
        """Local ``u`` node of each road edge."""
        return np.asarray(self.region.roads.edges["u"].to_numpy())

    @property
    def road_v(self) -> np.ndarray:
        """Local ``v`` node of each road edge."""
        return np.asarray(self.region.roads.edges["v"].to_numpy())


class Store:
    """A run's shared folder (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ writing
    def write_inputs(self, region: Region, ownership: Ownership) -> None:
        """Write the region and its partitions (joins come per profile, :meth:`write_joins`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "joins").mkdir(exist_ok=True)
        n_set = len(region.settlements)
        region.settlements.assign(row=np.arange(n_set), owner=ownership.settlements).to_parquet(
            self.root / "settlements.parquet"
        )
        region.facilities.assign(
            row=np.arange(len(region.facilities)), owner=ownership.facilities
        ).to_parquet(self.root / "facilities.parquet")
        pd.DataFrame(region.admin_units).to_parquet(self.root / "admin_units.parquet")
        nodes = region.roads.nodes
        edges = region.roads.edges
        u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
        degree = np.bincount(u, minlength=len(nodes)) + np.bincount(v, minlength=len(nodes))
        x, y = nodes["x"].to_numpy(), nodes["y"].to_numpy()
        node_table = nodes.assign(node=np.arange(len(nodes)), degree=degree)
        _write_sorted(node_table, x, y, self.root / "road_nodes.parquet")
        edge_table = edges.assign(
            edge=np.arange(len(edges)),
            owner=ownership.edges,
            minx=np.minimum(x[u], x[v]),
            maxx=np.maximum(x[u], x[v]),
            miny=np.minimum(y[u], y[v]),
            maxy=np.maximum(y[u], y[v]),
        )
        _write_sorted(edge_table, x[u], y[u], self.root / "road_edges.parquet")
        places = np.concatenate(
            [region.settlements.geometry.to_numpy(), region.facilities.geometry.to_numpy()]
        )
        place_xy = shapely.get_coordinates(places).reshape(len(places), 2)
        z = (
            region.terrain.sample(place_xy[:, 0], place_xy[:, 1], region.crs)
            if region.terrain is not None
            else np.full(len(places), np.nan)
        )
        pd.DataFrame({"z": z}).to_parquet(self.root / "place_z.parquet")
        meta = {
            "name": region.name,
            "crs": region.crs.to_wkt(),
            "tiers": region.tiers,
            "catalogue": region.catalogue.to_dict(),
            "settlements": n_set,
            "facilities": len(region.facilities),
            "edges": len(edges),
            "extent": [float(x.min()), float(y.min()), float(x.max()), float(y.max())],
            "partitions": [p.__dict__ for p in ownership.partitions],
        }
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
        for name in _INPUTS:  # what the partitions compute from
            with (self.root / name).open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        meta["digest"] = digest.hexdigest()
        (self.root / "meta.json").write_text(json.dumps(meta), "utf-8")

    def write_joins(self, key: str, joins: Joins) -> None:
        """Where places join the roads for one profile (:func:`~accessplan.travel.network.
        place_joins` on the whole region)."""
        frame = pd.DataFrame(
            {"place": joins.place, "edge": joins.edge, "frac": joins.frac, "snap_m": joins.snap_m}
        )
        frame.to_parquet(self.root / "joins" / f"{key}.parquet")

    # ------------------------------------------------------------------ reading
    def meta(self) -> dict[str, Any]:
        """The store's ``meta.json``."""
        return self._meta

    @cached_property
    def _meta(self) -> dict[str, Any]:
        return dict(json.loads((self.root / "meta.json").read_text("utf-8")))

    @cached_property
    def crs(self) -> CRS:
        """The region's CRS."""
        return CRS.from_wkt(self.meta()["crs"])

    def partitions(self) -> list[Partition]:
        """The partitions, by index."""
        return [
            Partition(p["index"], p["code"], p["name"], tuple(p["core"]))
            for p in self.meta()["partitions"]
        ]

    def sub_region(self, box: Box, joins_key: str) -> SubRegion:
        """The roads whose edges' boxes meet ``box``, every place joined to one of them and
        the other roads those places join (see :class:`SubRegion`)."""
        meta = self.meta()
        n_set = int(meta["settlements"])
        x0, y0, x1, y1 = box
        inside = [("maxx", ">=", x0), ("minx", "<=", x1), ("maxy", ">=", y0), ("miny", "<=", y1)]
        edges = pd.read_parquet(self.root / "road_edges.parquet", filters=inside)
        joins = pd.read_parquet(self.root / "joins" / f"{joins_key}.parquet")
        in_box = np.isin(joins["edge"].to_numpy(), edges["edge"].to_numpy())
        places = np.unique(joins["place"].to_numpy()[in_box])
        of_places = np.isin(joins["place"].to_numpy(), places)
        more = np.setdiff1d(joins["edge"].to_numpy()[of_places], edges["edge"].to_numpy())
        if len(more):
            extra = pd.read_parquet(
                self.root / "road_edges.parquet", filters=[("edge", "in", more.tolist())]
            )
            edges = pd.concat([edges, extra], ignore_index=True)
        edges = edges.sort_values("edge", kind="stable").reset_index(drop=True)
        edge_ids = edges["edge"].to_numpy()
        # an edge is exact here when every place joined to it is here
        all_count = np.bincount(joins["edge"].to_numpy(), minlength=int(meta["edges"]))
        here_count = np.bincount(joins["edge"].to_numpy()[of_places], minlength=int(meta["edges"]))
        inexact = all_count[edge_ids] != here_count[edge_ids]
        node_ids = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
        nodes = self._nodes(edges, node_ids)
        local_node = pd.Series(np.arange(len(node_ids)), index=node_ids)
        u = local_node[edges["u"].to_numpy()].to_numpy()
        v = local_node[edges["v"].to_numpy()].to_numpy()
        degree_here = np.bincount(u, minlength=len(node_ids)) + np.bincount(
            v, minlength=len(node_ids)
        )
        touched = np.zeros(len(node_ids), dtype=bool)
        touched[u[inexact]] = True
        touched[v[inexact]] = True
        frontier = np.flatnonzero((nodes["degree"].to_numpy() > degree_here) | touched)
        edge_index = np.full(int(meta["edges"]), -1, dtype=np.int64)
        edge_index[edge_ids] = np.arange(len(edge_ids))
        z = pd.read_parquet(self.root / "place_z.parquet")["z"].to_numpy()
        all_joins = Joins(
            place=joins["place"].to_numpy(),
            edge=joins["edge"].to_numpy(),
            frac=joins["frac"].to_numpy(),
            snap_m=joins["snap_m"].to_numpy(),
            z=z,
        )
        sub_joins = all_joins.subset(places, edge_index)
        on_inexact = np.unique(sub_joins.place[inexact[sub_joins.edge]])
        settle = self._places("settlements", places[places < n_set])
        fac = self._places("facilities", places[places >= n_set] - n_set)
        region = Region(
            settlements=settle,
            facilities=fac,
            roads=RoadNetwork(
                nodes[["x", "y", "z"]].reset_index(drop=True),
                edges.drop(columns=["edge", "owner", "minx", "maxx", "miny", "maxy"]).assign(
                    u=u, v=v
                ),
            ),
            admin_units=pd.read_parquet(self.root / "admin_units.parquet"),
            name=str(meta["name"]),
            tiers={k: tuple(t) for k, t in meta["tiers"].items()},
            catalogue=Catalogue.from_dict(meta["catalogue"]),
        )
        return SubRegion(
            region=region,
            places=places,
            edges=edge_ids,
            nodes=node_ids,
            joins=sub_joins,
            frontier=frontier,
            frontier_places=on_inexact,
            covers_all=len(frontier) == 0 and len(on_inexact) == 0,
        )

    def county_region(self, partition: Partition, box: Box) -> Region:
        """The places ``partition`` owns, on the roads whose boxes meet ``box`` (an
        analysis that is per county by nature runs on it)."""
        meta = self.meta()
        x0, y0, x1, y1 = box
        inside = [("maxx", ">=", x0), ("minx", "<=", x1), ("maxy", ">=", y0), ("miny", "<=", y1)]
        edges = pd.read_parquet(self.root / "road_edges.parquet", filters=inside)
        edges = edges.sort_values("edge", kind="stable").reset_index(drop=True)
        node_ids = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
        nodes = self._nodes(edges, node_ids)
        local = pd.Series(np.arange(len(node_ids)), index=node_ids)
        roads = RoadNetwork(
            nodes[["x", "y", "z"]].reset_index(drop=True),
            edges.drop(columns=["edge", "owner", "minx", "maxx", "miny", "maxy"]).assign(
                u=local[edges["u"].to_numpy()].to_numpy(),
                v=local[edges["v"].to_numpy()].to_numpy(),
            ),
        )
        return Region(
            settlements=self._places("settlements", self.owned("settlements", partition.index)),
            facilities=self._places("facilities", self.owned("facilities", partition.index)),
            roads=roads,
            admin_units=pd.read_parquet(self.root / "admin_units.parquet"),
            name=partition.name,
            tiers={k: tuple(t) for k, t in meta["tiers"].items()},
            catalogue=Catalogue.from_dict(meta["catalogue"]),
        )

    def owned(self, layer: str, partition: int) -> np.ndarray:
        """Rows (region order) of ``layer`` (settlements, facilities, road_edges) that
        ``partition`` owns."""
        column = "edge" if layer == "road_edges" else "row"
        frame = pd.read_parquet(
            self.root / f"{layer}.parquet", columns=[column], filters=[("owner", "==", partition)]
        )
        return np.sort(frame[column].to_numpy())

    def _nodes(self, edges: pd.DataFrame, node_ids: np.ndarray) -> pd.DataFrame:
        box = [
            ("x", ">=", float(edges["minx"].min())),
            ("x", "<=", float(edges["maxx"].max())),
            ("y", ">=", float(edges["miny"].min())),
            ("y", "<=", float(edges["maxy"].max())),
        ]
        nodes = pd.read_parquet(self.root / "road_nodes.parquet", filters=box)
        nodes = nodes[nodes["node"].isin(node_ids)].sort_values("node", kind="stable")
        return nodes.reset_index(drop=True)

    def _places(self, layer: str, rows: np.ndarray) -> gpd.GeoDataFrame:
        """The rows of a places layer, in the region's order (the GeoParquet's points read
        as WKB, the CRS parsed once per store)."""
        frame = pd.read_parquet(
            self.root / f"{layer}.parquet", filters=[("row", "in", rows.tolist() or [-1])]
        )
        frame = frame.sort_values("row", kind="stable").reset_index(drop=True)
        geometry = shapely.from_wkb(frame.pop("geometry").to_numpy())
        return gpd.GeoDataFrame(
            frame.drop(columns=["row", "owner"]), geometry=geometry, crs=self.crs
        )

    # ------------------------------------------------------------------ results
    def result_path(self, round_key: str, partition: int) -> Path:
        """Where a partition's answers of a round are kept."""
        return self.root / "results" / round_key / f"{partition:05d}.pkl"

    def save_result(self, round_key: str, partition: int, value: Any) -> None:
        """Write a partition's answers whole (beside, then renamed)."""
        path = self.result_path(round_key, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)

    def load_result(self, round_key: str, partition: int) -> Any | None:
        """A partition's answers of a round, or None when not written yet."""
        path = self.result_path(round_key, partition)
        if not path.exists():
            return None
        return pickle.loads(path.read_bytes())


def _write_sorted(frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, path: Path) -> None:
    """Rows sorted along a coarse grid (row-major cells), so that boxes read few row groups."""
    cell_x = np.floor((x - x.min()) / _SORT_CELL_M).astype(np.int64)
    cell_y = np.floor((y - y.min()) / _SORT_CELL_M).astype(np.int64)
    order = np.lexsort((cell_x, cell_y))
    frame.iloc[order].reset_index(drop=True).to_parquet(path, row_group_size=_ROW_GROUP)
