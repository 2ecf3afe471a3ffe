"""What every analysis returns: a frozen result that lists its own outputs.

An analysis is a library function (a region or its inputs, and options, in; a result out).
Its result says what it produced in four plain shapes, so that one run-folder writer, one
report and later the web page and distributed runs handle every analysis alike without
knowing any of them:

* ``tables()``: tidy tables by name (written as CSV and as sheets of ``tables.xlsx``);
* ``layers()``: GeoDataFrames by name (layers of ``results.gpkg``);
* ``rasters()``: :class:`Raster` grids by name (GeoTIFFs);
* ``summary()``: the key figures, JSON-ready (``summary.json``, the CLI's closing lines);
* ``parameters()``: the options as used, in full (a travel profile's every speed, not its
  name), JSON-ready, for ``manifest.json``;
* optionally ``documents()``: JSON documents by name (``<name>.json``), for a result whose
  figures need more structure than a flat summary (the mobile plan's ``kpis.json``); read
  through :func:`documents`.

Tables, layers and rasters keep ``inf`` for "unreachable"; the writer shows it as an empty
cell or no-data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS


@dataclass(frozen=True, eq=False)
class Raster:
    """A one-band grid: values (``inf`` or NaN where undefined), its place and its unit."""

    values: np.ndarray
    transform: Affine
    crs: CRS
    units: str


@runtime_checkable
class AnalysisResult(Protocol):
    """The outputs of one analysis, see the module docstring."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables by name."""
        ...

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Map layers by name."""
        ...

    def rasters(self) -> dict[str, Raster]:
        """Grids by name."""
        ...

    def summary(self) -> dict[str, Any]:
        """Key figures (JSON-ready)."""
        ...

    def parameters(self) -> dict[str, Any]:
        """Options as used, in full (JSON-ready)."""
        ...


#: Names a result's documents may not take: the files every run folder writes itself.
RESERVED_DOCUMENTS = frozenset({"summary", "manifest"})


def documents(result: AnalysisResult) -> dict[str, Any]:
    """The JSON documents of ``result`` by name: its ``documents()``, or none."""
    method = getattr(result, "documents", None)
    found: dict[str, Any] = method() if callable(method) else {}
    clash = RESERVED_DOCUMENTS & set(found)
    if clash:
        msg = f"a result's documents may not be named {sorted(clash)}: the run folder writes them."
        raise ValueError(msg)
    return found
