"""Raster cost distance: accessplan against GRASS GIS r.cost and r.walk, side by side.

Usage::

    python benchmarks/surface.py [--size 10000] [--sources 200] [--work DIR] [--skip-demo]
        [--skip-grass] [--capacity-minutes 60] [--threads 2]

Cases: the AccessMod demo (467 x 633 cells, its 4 usable facilities, 120 min limit) and a
seeded synthetic mountain grid of ``size x size`` 30 m cells (``sources`` random passable
source cells, no time limit). The load average (``uptime``) is printed before and after.
Each engine runs in its own process, one after the other; the table gives the wall time of
the whole command (GRASS: ``grass --exec``, including its start-up; accessplan: the Python
process, including imports, reading the GeoTIFFs and writing the result), its CPU time (all
threads: accessplan searches with two), the peak resident memory of the process tree and
the 1-minute load average when it started. accessplan's compute time alone is printed too.
``accessplan_speedup`` divides the peer's wall time by accessplan's (isotropic run for
``r.cost``, anisotropic for ``r.walk``); ``cpu_ratio`` does the same with CPU time, which a
busy machine distorts less.

Models compared:

* ``r.cost`` (friction = 3.6 / speed s/m times the cell width: r.cost counts distance in
  cells) and ``r.walk`` with ``walk_coeff=0,0,0,0`` and ``lambda=1`` (pure friction,
  3.6 / speed s/m) compute exactly accessplan's isotropic model: their times are compared
  cell by cell with accessplan's isotropic run.
* ``r.walk`` with its default Langmuir coefficients is anisotropic like accessplan's Tobler
  run, but a different walking model: speed only (BENCHMARKING.md), no agreement figures.

GRASS runs in a temporary location created from the DEM (``grass -c dem.tif``); inputs are
imported with ``r.in.gdal`` before timing, and ``memory=4000`` lets GRASS keep every segment
in RAM.

Capacity coverage (``--capacity-minutes``): on the synthetic grid, a seeded population
(people per cell by land cover) and the same sources as facilities with seeded capacities
(5,000-50,000 people), accessplan's AccessMod geographic coverage, ordered by population
within the time limit (a first search per facility, then a second in processing order),
anisotropic towards the facilities, rules ``current``. The whole process is measured:
reading the GeoTIFFs, building the surface, both passes, tracing each catchment's polygon.
No peer here (AccessMod itself is an R/Shiny application around GRASS); the target is 200
facilities on 100 M cells in under 2 minutes and 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.transform import from_origin
from scipy import ndimage

from accessplan.io.accessmod import MODES
from accessplan.travel.surface import Reach

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT.parent / "shared" / "data" / "accessmod-demo"
SYNTHETIC_SCENARIO = pd.DataFrame(
    {
        "class": [1, 2, 3, 4, 10, 99],
        "label": ["grass", "forest", "village", "scree", "road", "river"],
        "speed": [5.0, 3.0, 12.0, 2.0, 60.0, 0.0],
        "mode": ["WALKING", "WALKING", "BICYCLING", "WALKING", "MOTORIZED", "WALKING"],
    }
)
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
if code.returncode:
    sys.stderr.write(code.stderr.decode()[-3000:])
    sys.exit(code.returncode)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def measure(command: list[str]) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (all threads), peak RSS (MB) and the 1-minute load average
    when it started, of a command and everything it starts."""
    load_1min = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(f"{command[:4]} failed:\n{out.stderr}")
    wall, rss_kb, cpu = out.stdout.split()
    return float(wall), float(cpu), float(rss_kb) / 1024, load_1min


def load() -> str:
    """The machine's load averages, as ``uptime`` prints them (the machine is shared)."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def write_tif(path: Path, values: np.ndarray, profile: dict, nodata: float | None = None) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", count=1, dtype=values.dtype, nodata=nodata, **profile
    ) as dst:
        dst.write(values, 1)
    return path


# ---------------------------------------------------------------------------- cases
def demo_case(work: Path) -> dict:
    """The AccessMod demo: merged land cover, its 4 usable facilities, 120 minutes."""
    from accessplan.io.accessmod import merge_landcover, read_scenario
    from accessplan.io.tables import read_points
    from accessplan.travel.surface import SpeedSurface, locate_facilities

    scenario = read_scenario(
        DEMO
        / "table_model__demo_geog_cover_aniso_tow_120m_zones_orderPop"
        / "table_model__demo_geog_cover_aniso_tow_120m_zones_orderPop.xlsx"
    )
    merged = merge_landcover(
        DEMO / "DEM" / "dem__dem.GeoTIFF",
        DEMO / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        scenario,
        roads=DEMO / "road__demo" / "road__demo" / "road__demo.shp",
        barriers=[
            DEMO / "barrier__demo_river" / "barrier__demo_river" / "barrier__demo_river.shp",
            DEMO / "barrier_restricted_area" / "barrier__demo" / "barrier__demo.shp",
        ],
    )
    surface = SpeedSurface.from_merged(merged)
    facilities = read_points(
        DEMO
        / "health_facilities__demo"
        / "health_facilities__demo"
        / "health_facilities__demo.shp",
        what="facilities",
    )
    cells = locate_facilities(facilities, surface)
    cells = cells[cells["status"] == "ok"]
    return finish_case(
        work / "demo",
        surface.elevation,
        surface.speed_kmh,
        surface.mode,
        surface.grid.transform,
        surface.grid.crs,
        cells["row"].to_numpy(),
        cells["col"].to_numpy(),
        max_minutes=120.0,
    )


def synthetic_case(work: Path, size: int, sources: int, seed: int = 7) -> dict:
    """Seeded mountains (up to ~1,500 m of relief), land cover patches, roads and a river."""
    rng = np.random.default_rng(seed)
    coarse = max(4, size // 100)
    relief = ndimage.zoom(rng.random((coarse, coarse), dtype=np.float32), size / coarse, order=3)
    elevation = (500.0 + 1500.0 * relief).astype(np.float32)
    del relief
    patches = ndimage.zoom(rng.random((coarse, coarse), dtype=np.float32), size / coarse, order=0)
    classes = np.digitize(patches, [0.4, 0.7, 0.75]).astype(np.float32) + 1
    del patches
    people = synthetic_population(classes, rng)
    step = max(size // 10, 2)
    classes[::step, :] = 10  # roads every `step` rows and columns
    classes[:, ::step] = 10
    river_col = (size // 2 + (size // 8) * np.sin(np.arange(size) / size * 6)).astype(int)
    river = classes[np.arange(size), river_col] != 10  # bridges where roads cross
    classes[np.arange(size)[river], river_col[river]] = 99
    classes[np.arange(size)[river], river_col[river] + 1] = 99
    speed = np.zeros((size, size), np.float32)
    mode = np.zeros((size, size), np.uint8)
    for code, kmh, name in SYNTHETIC_SCENARIO[["class", "speed", "mode"]].itertuples(index=False):
        cells = classes == code
        speed[cells] = kmh
        mode[cells] = 1 + MODES.index(name) if kmh > 0 else 0
    del classes
    rows, cols = rng.integers(0, size, 4 * sources), rng.integers(0, size, 4 * sources)
    ok = speed[rows, cols] > 0
    folder = work / f"synthetic_{size}"
    folder.mkdir(parents=True, exist_ok=True)
    profile = {"height": size, "width": size, "crs": rasterio.crs.CRS.from_epsg(32648)}
    profile.update(transform=from_origin(500_000, 4_000_000 + 30 * size, 30, 30), tiled=True)
    write_tif(folder / "population.tif", people, {**profile, "compress": "deflate"}, None)
    del people
    np.save(folder / "capacities.npy", rng.integers(5_000, 50_001, sources).astype(float))
    return finish_case(
        work / f"synthetic_{size}",
        elevation,
        speed,
        mode,
        from_origin(500_000, 4_000_000 + 30 * size, 30, 30),
        rasterio.crs.CRS.from_epsg(32648),
        rows[ok][:sources],
        cols[ok][:sources],
        max_minutes=None,
    )


def synthetic_population(classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """People per cell (float32), Poisson around a density per land cover: villages dense,
    grass and roadsides sparse, forest sparser, scree and river empty."""
    density = {1: 0.05, 2: 0.01, 3: 3.0, 4: 0.0, 10: 0.2, 99: 0.0}
    lookup = np.zeros(100, np.float32)
    for code, mean in density.items():
        lookup[code] = mean
    people = np.empty(classes.shape, np.float32)
    for start in range(0, classes.shape[0], 1000):  # by bands: Poisson draws are int64
        band = lookup[classes[start : start + 1000].astype(np.int64)]
        people[start : start + 1000] = rng.poisson(band)
    return people


def finish_case(
    folder: Path,
    elevation: np.ndarray,
    speed: np.ndarray,
    mode: np.ndarray,
    transform: object,
    crs: object,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    max_minutes: float | None,
) -> dict:
    """Write the case's rasters: DEM, class grid for accessplan, friction for GRASS."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = {"height": speed.shape[0], "width": speed.shape[1], "crs": crs}
    profile["transform"] = transform
    profile.update(tiled=True, compress="deflate", BIGTIFF="IF_SAFER")
    write_tif(folder / "dem.tif", np.nan_to_num(elevation, nan=-9999.0), profile, -9999.0)
    # one class per (mode, speed) pair keeps accessplan's input equal to the friction map
    key = mode.astype(np.int32) * 100_000 + np.round(speed * 100).astype(np.int32)
    classes = np.zeros(speed.shape, np.int16)
    rows_out = []
    for code, value in enumerate(np.unique(key), start=1):
        classes[key == value] = code
        kmh, which = (value % 100_000) / 100, value // 100_000
        rows_out.append((code, f"{kmh:g} km/h", kmh if which else 0.0, MODES[max(which, 1) - 1]))
    del key
    pd.DataFrame(rows_out, columns=["class", "label", "speed", "mode"]).to_csv(
        folder / "scenario.csv", index=False
    )
    write_tif(folder / "classes.tif", classes, profile)
    del classes
    with np.errstate(divide="ignore"):
        friction = np.where(mode > 0, 3.6 / speed, np.nan).astype(np.float32)
    write_tif(folder / "friction.tif", friction, profile, float("nan"))
    # r.cost counts distance in cells (east-west ones), r.walk in metres
    friction *= abs(profile["transform"].a)
    write_tif(folder / "friction_cell.tif", friction, profile, float("nan"))
    del friction
    t = rasterio.transform.Affine(*list(transform)[:6])
    xy = [(t * (c + 0.5, r + 0.5)) for r, c in zip(rows, cols, strict=True)]
    np.save(folder / "sources.npy", np.column_stack([rows, cols]))
    return {
        "name": folder.name,
        "folder": folder,
        "cells": speed.size,
        "coordinates": ",".join(f"{x:.3f},{y:.3f}" for x, y in xy),
        "max_minutes": max_minutes,
    }


# ---------------------------------------------------------------------------- engines
def accessplan_main(argv: list[str]) -> None:
    """Child process: read the GeoTIFFs, run accessplan, write the minutes GeoTIFF."""
    from accessplan.io.accessmod import merge_landcover, read_scenario
    from accessplan.travel.surface import SpeedSurface

    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--anisotropic", action="store_true")
    parser.add_argument("--max-minutes", type=float)
    args = parser.parse_args(argv)
    folder = args.folder
    start = time.perf_counter()
    surface = SpeedSurface.from_merged(
        merge_landcover(
            folder / "dem.tif", folder / "classes.tif", read_scenario(folder / "scenario.csv")
        )
    )
    loaded = time.perf_counter()
    sources = np.load(folder / "sources.npy")
    minutes = surface.travel_minutes(
        sources[:, 0],
        sources[:, 1],
        direction="from",
        anisotropic=args.anisotropic,
        max_minutes=args.max_minutes,
    )
    computed = time.perf_counter()
    values = minutes.astype(np.float32)
    del minutes
    values[~np.isfinite(values)] = np.nan
    profile = {"height": values.shape[0], "width": values.shape[1], "crs": surface.grid.crs}
    profile.update(transform=surface.grid.transform, tiled=True, BIGTIFF="IF_SAFER")
    name = "accessplan_aniso.tif" if args.anisotropic else "accessplan_iso.tif"
    write_tif(folder / name, values, profile, float("nan"))
    timing = {"load": loaded - start, "compute": computed - loaded}
    (folder / f"{name}.json").write_text(json.dumps(timing))


def run_accessplan(case: dict, anisotropic: bool) -> dict:
    command = [sys.executable, __file__, "_accessplan", str(case["folder"])]
    if anisotropic:
        command.append("--anisotropic")
    if case["max_minutes"]:
        command += ["--max-minutes", str(case["max_minutes"])]
    wall, cpu, rss, load_1min = measure(command)
    name = "accessplan_aniso.tif" if anisotropic else "accessplan_iso.tif"
    timing = json.loads((case["folder"] / f"{name}.json").read_text())
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "compute_s": timing["compute"],
        "peak_mb": rss,
        "load_1min": load_1min,
        "output": name,
    }


def capacity_main(argv: list[str]) -> None:
    """Child process: read the GeoTIFFs, build the surface, run capacity coverage."""
    from accessplan.io.accessmod import merge_landcover, read_population_grid, read_scenario
    from accessplan.measures.capacity import geographic_coverage
    from accessplan.measures.surface import catchment_outline
    from accessplan.travel.surface import SpeedSurface

    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--max-minutes", type=float, required=True)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    folder = args.folder
    start = time.perf_counter()
    merged = merge_landcover(
        folder / "dem.tif", folder / "classes.tif", read_scenario(folder / "scenario.csv")
    )
    surface = SpeedSurface.from_merged(merged)
    del merged  # the merged classes are not needed any more
    people = read_population_grid(folder / "population.tif", surface.grid)
    rows, cols = np.load(folder / "sources.npy").T
    capacities = np.load(folder / "capacities.npy")
    loaded = time.perf_counter()
    passes: list[dict[str, float]] = []

    def reaches(positions: list[int]) -> Iterator[Reach]:
        record = {"searches": 0, "cells": 0, "seconds": 0.0}
        passes.append(record)
        begun = time.perf_counter()
        for reach in surface.reaches(
            rows[positions],
            cols[positions],
            direction="towards",
            max_minutes=args.max_minutes,
            threads=args.threads,
        ):
            record["searches"] += 1
            record["cells"] += len(reach.cells)
            yield reach
        record["seconds"] = time.perf_counter() - begun

    outlines = {}
    result = geographic_coverage(
        reaches,
        people,
        capacities,
        max_minutes=args.max_minutes,
        order="population",
        passable=surface.passable,
        catchment=lambda i, cells: outlines.__setitem__(i, catchment_outline(cells, surface.grid)),
    )
    done = time.perf_counter()
    table = result.table
    summary = {
        "load": loaded - start,
        "coverage": done - loaded,
        "passes": passes,
        "population": float(np.nansum(people)),
        "covered": float(table["covered"].sum()),
        "capacity_used_up": int((~table["time_limit_reached"]).sum()),
    }
    (folder / "capacity.json").write_text(json.dumps(summary))


def run_capacity(case: dict, max_minutes: float, threads: int | None) -> dict:
    command = [sys.executable, __file__, "_capacity", str(case["folder"])]
    command += ["--max-minutes", str(max_minutes)]
    if threads is not None:
        command += ["--threads", str(threads)]
    wall, cpu, rss, load_1min = measure(command)
    summary = json.loads((case["folder"] / "capacity.json").read_text())
    first = summary["passes"][0]  # a later pass searches only what the first did not keep
    searches = sum(p["searches"] for p in summary["passes"])
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": rss,
        "load_1min": load_1min,
        "read_and_surface_s": summary["load"],
        "order_pass_s": first["seconds"],
        "coverage_pass_s": summary["coverage"] - first["seconds"],
        "searches": searches,
        "cells_per_search": sum(p["cells"] for p in summary["passes"]) / max(1, searches),
        "covered_share": summary["covered"] / summary["population"],
        "capacity_used_up": summary["capacity_used_up"],
    }


def grass(location: Path, *args: str) -> list[str]:
    return ["grass", str(location / "PERMANENT"), "--exec", *args]


def prepare_grass(case: dict, work: Path) -> Path:
    location = work / "grassdb" / case["name"]
    if location.exists():
        shutil.rmtree(location)
    location.parent.mkdir(parents=True, exist_ok=True)
    folder = case["folder"]
    subprocess.run(
        ["grass", "-c", str(folder / "dem.tif"), str(location), "--exec", "g.region", "-p"],
        check=True,
        capture_output=True,
    )
    for name in ("dem", "friction", "friction_cell"):
        subprocess.run(
            grass(location, "r.in.gdal", f"input={folder / (name + '.tif')}", f"output={name}"),
            check=True,
            capture_output=True,
        )
    subprocess.run(grass(location, "g.region", "raster=dem"), check=True, capture_output=True)
    return location


def run_grass(case: dict, location: Path, module: str, output: str, *extra: str) -> dict:
    max_cost = int(case["max_minutes"] * 60) if case["max_minutes"] else 0
    args = [
        module,
        "input=friction_cell" if module == "r.cost" else "friction=friction",
        f"output={output}",
        f"start_coordinates={case['coordinates']}",
        f"max_cost={max_cost}",
        "memory=4000",
        "--overwrite",
        *extra,
    ]
    if module == "r.walk":
        args.insert(1, "elevation=dem")
    wall, cpu, rss, load_1min = measure(grass(location, *args))
    tif = case["folder"] / f"{output}.tif"
    subprocess.run(
        grass(location, "r.out.gdal", f"input={output}", f"output={tif}", "type=Float64", "-f"),
        check=True,
        capture_output=True,
    )
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "compute_s": np.nan,
        "peak_mb": rss,
        "load_1min": load_1min,
        "output": tif.name,
    }


def agreement(folder: Path, ours: str, theirs: str, their_unit: float) -> dict:
    """Cells defined in both maps: how many, their share within 1 %, and the worst gap."""
    with rasterio.open(folder / ours) as a, rasterio.open(folder / theirs) as b:
        mine = a.read(1, masked=True).filled(np.nan).astype(np.float64)
        other = b.read(1, masked=True).filled(np.nan).astype(np.float64) / their_unit
    both = np.isfinite(mine) & np.isfinite(other)
    both &= (mine > 0) | (other > 0)
    rel = np.abs(mine[both] - other[both]) / np.maximum(other[both], 1e-9)
    only = int((np.isfinite(mine) != np.isfinite(other)).sum())
    return {
        "cells_compared": int(both.sum()),
        "defined_in_one_only": only,
        "within_1pct": float((rel <= 0.01).mean()) if rel.size else np.nan,
        "median_rel_diff": float(np.median(rel)) if rel.size else np.nan,
        "max_rel_diff": float(rel.max()) if rel.size else np.nan,
    }


def bench(case: dict, work: Path) -> pd.DataFrame:
    print(f"\n== {case['name']}: {case['cells']:,} cells", flush=True)
    runs = {
        "accessplan isotropic": run_accessplan(case, anisotropic=False),
        "accessplan anisotropic (Tobler)": run_accessplan(case, anisotropic=True),
    }
    for label, result in runs.items():
        print(f"{label}: {result}", flush=True)
    location = prepare_grass(case, work)
    grass_runs = {
        "r.cost": ("r.cost", "rcost"),
        "r.walk friction only (0,0,0,0)": ("r.walk", "rwalk_friction", "walk_coeff=0,0,0,0"),
        "r.walk default (Langmuir)": ("r.walk", "rwalk_default"),
    }
    for label, (module, output, *extra) in grass_runs.items():
        runs[label] = run_grass(case, location, module, output, *extra)
        print(f"{label}: {runs[label]}", flush=True)
    table = pd.DataFrame(runs).T
    folder = case["folder"]
    for label in ("r.cost", "r.walk friction only (0,0,0,0)"):
        agree = agreement(folder, "accessplan_iso.tif", runs[label]["output"], 60.0)
        for key, value in agree.items():
            table.loc[label, key] = value
    iso, aniso = (
        runs["accessplan isotropic"]["wall_s"],
        runs["accessplan anisotropic (Tobler)"]["wall_s"],
    )
    iso_cpu, aniso_cpu = (
        runs["accessplan isotropic"]["cpu_s"],
        runs["accessplan anisotropic (Tobler)"]["cpu_s"],
    )
    table["accessplan_speedup"] = np.nan
    table["cpu_ratio"] = np.nan  # peer CPU-seconds / accessplan's: less sensitive to load
    table.loc["r.cost", "accessplan_speedup"] = runs["r.cost"]["wall_s"] / iso
    table.loc["r.cost", "cpu_ratio"] = runs["r.cost"]["cpu_s"] / iso_cpu
    for label in ("r.walk friction only (0,0,0,0)", "r.walk default (Langmuir)"):
        table.loc[label, "accessplan_speedup"] = runs[label]["wall_s"] / aniso
        table.loc[label, "cpu_ratio"] = runs[label]["cpu_s"] / aniso_cpu
    table.insert(0, "case", case["name"])
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="synthetic grid side (cells)")
    parser.add_argument("--sources", type=int, default=200, help="synthetic source cells")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-grass", action="store_true", help="capacity coverage only")
    parser.add_argument(
        "--capacity-minutes", type=float, default=60.0, help="time limit of capacity coverage"
    )
    parser.add_argument(
        "--threads", type=int, help="capacity coverage search threads (default: as the library)"
    )
    args = parser.parse_args()
    if shutil.which("grass") is None and not args.skip_grass:
        sys.exit("GRASS GIS is not installed: `apt-get install -y grass-core`.")
    work = args.work or Path(tempfile.mkdtemp(prefix="accessplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load at start: {load()}", flush=True)
    tables = []
    if not args.skip_demo and not args.skip_grass and DEMO.exists():
        tables.append(bench(demo_case(work), work))
    start = time.perf_counter()
    case = synthetic_case(work, args.size, args.sources)
    print(f"synthetic inputs written in {time.perf_counter() - start:.0f} s", flush=True)
    if not args.skip_grass:
        tables.append(bench(case, work))
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    if tables:
        table = pd.concat(tables)
        print("\n", table.drop(columns="output").to_string(float_format=lambda v: f"{v:.4g}"))
        table.to_csv(work / "results.csv")
        print(f"\nresults: {work / 'results.csv'}; one run each (shared machine: treat as rough)")
    if args.capacity_minutes > 0:
        print(f"\n== capacity coverage, {args.sources} facilities, {case['cells']:,} cells")
        coverage = run_capacity(case, args.capacity_minutes, args.threads)
        print(pd.Series(coverage).to_string(float_format=lambda v: f"{v:.4g}"), flush=True)
        pd.Series(coverage).to_csv(work / "capacity.csv")
    print(f"load at end: {load()}")
    driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this driver: {driver_mb:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_accessplan":
        accessplan_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_capacity":
        capacity_main(sys.argv[2:])
    else:
        main()
