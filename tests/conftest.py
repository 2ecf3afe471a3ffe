"""Shared fixtures: real data from ../shared/data (skipped when absent, failed in CI) and tiny
hand-made regions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from accessplan.io import region_from_osm
from accessplan.region import Region, RoadNetwork

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ANDORRA = DATA / "andorra"


def in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``), where nothing may be skipped for want of
    data or tools: a CI run must never pass with the real-data tests left out."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def absent(message: str) -> NoReturn:
    """Skip a test whose data or tool is missing on a developer's machine; fail it in CI."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: every test must run)", pytrace=False)
    pytest.skip(message)


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data; without it the test skips (fails in CI)."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        absent(f"shared data {path} is absent (clone the project beside ../shared)")
    return path


@pytest.fixture(scope="session")
def andorra_pbf() -> Path:
    return shared_file("andorra", "andorra.osm.pbf")


@pytest.fixture(scope="session")
def andorra_dem() -> Path:
    return shared_file("andorra", "N42E001.hgt.zip")


@pytest.fixture(scope="session")
def andorra(andorra_pbf: Path, andorra_dem: Path) -> Region:
    return region_from_osm(andorra_pbf, dem=andorra_dem)


CRS = "EPSG:32631"


def points(rows: list[dict], crs: str = CRS) -> gpd.GeoDataFrame:
    """GeoDataFrame from dicts with ``x`` and ``y`` keys (default: 10 m apart along x)."""
    if not rows:
        return gpd.GeoDataFrame({"id": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([], crs=crs))
    frame = pd.DataFrame(rows)
    x = frame.pop("x") if "x" in frame else pd.Series(np.arange(len(frame)) * 10.0)
    y = frame.pop("y") if "y" in frame else pd.Series(np.zeros(len(frame)))
    geometry = shapely.points(x.to_numpy(dtype=float), y.to_numpy(dtype=float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


def road_network(
    xy: list[tuple[float, float]],
    edges: list[tuple[int, int, str, bool]],
    z: list[float] | None = None,
) -> RoadNetwork:
    """A network from node coordinates and ``(u, v, highway, oneway)`` edges."""
    xy_arr = np.asarray(xy, dtype=float)
    u = np.array([e[0] for e in edges])
    v = np.array([e[1] for e in edges])
    attrs = pd.DataFrame({"highway": [e[2] for e in edges], "oneway": [e[3] for e in edges]})
    net = RoadNetwork.from_segments(xy_arr, u, v, attrs)
    if z is None:
        return net
    zz = np.asarray(z, dtype=float)
    dz = zz[net.edges["v"]] - zz[net.edges["u"]]
    return RoadNetwork(
        net.nodes.assign(z=zz),
        net.edges.assign(rise_m=np.maximum(dz, 0), fall_m=np.maximum(-dz, 0)),
    )


def write_tif(
    path: Path,
    values: np.ndarray,
    transform: Affine,
    *,
    crs: object = "EPSG:32631",
    nodata: float | None = None,
) -> Path:
    """A one-band GeoTIFF of ``values``."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype=values.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path
