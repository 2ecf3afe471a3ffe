"""Run folders: a scenario's steps in, one folder out.

:func:`run_scenario` runs the steps of a :class:`~accessplan.settings.Scenario` (each an
analysis of :mod:`accessplan.analyses`) and :func:`write_run_folder` writes whatever their
results list, without knowing any analysis:

* each step's tables as CSV (unreachable as an empty cell), its rasters as GeoTIFF
  (no-data where unreachable) and its documents as JSON (the mobile plan's ``kpis.json``),
  with ``summary.json`` — at the top of the folder when the run has one step, in a folder
  named after the step when it has several;
* ``tables.xlsx`` (every table, one sheet each), ``results.gpkg`` (every layer),
  ``region.gpkg`` (when the region was built or synthesised in the run), ``report.html`` (the
  region, then each step's report section) and ``manifest.json`` (inputs with SHA-256, each
  step's parameters and summary, package versions, the seed, the SHA-256 of every table,
  raster and document, and the list of files written).

The folder is written beside the target and renamed at the end, so a failed run leaves
nothing behind. The same inputs and seed give byte-identical tables.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import rasterio

from accessplan._errors import InputError
from accessplan._files import check_writable, new_folder
from accessplan._result import AnalysisResult, Raster, documents
from accessplan.analyses import Context, analysis
from accessplan.io import region_from_osm
from accessplan.io.population import estimate_by_place
from accessplan.region import Region
from accessplan.report import render_page, translator
from accessplan.services import default_catalogue
from accessplan.settings import Scenario, Step

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

PACKAGES: tuple[str, ...] = (
    "accessplan",
    "numpy",
    "scipy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "rasterio",
    "osmium",
    "numba",
    "highspy",
    "matplotlib",
    "jinja2",
    "openpyxl",
)
MANIFEST = "manifest.json"
#: Rows of an Excel sheet, the header row included.
EXCEL_ROWS = 1_048_576
#: No-data value of the GeoTIFFs.
NODATA = -9999.0


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_region(scenario: Scenario, progress: Progress | None = None) -> Region:
    """The scenario's region: read, built from OSM, or synthesised from the seed."""
    src = scenario.region
    if src is None:
        msg = "the scenario has no [region]; add one for the steps that run on a region."
        raise InputError(msg)
    if src.path is not None:
        region = Region.read(src.path)
    elif src.osm is not None:
        region = region_from_osm(
            src.osm,
            dem=src.dem,
            population=src.population,
            settlements=src.settlements,
            facilities=src.facilities,
            boundary=src.boundary,
            tiers=src.tiers,
            services=default_catalogue() if src.services == "default" else src.services,
            progress=progress,
        )
    else:
        from accessplan import synth

        region = synth.mountain_county(scenario.seed)
    if src.estimate_population is not None:
        region = estimate_by_place(
            region,
            total=float(src.estimate_population["total"]),
            weights=src.estimate_population.get("weights"),
        )
    return region


def check_target(out: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuse an output folder the run could not replace without deleting what accessplan
    did not write: a file, a folder that is not an earlier run folder (or holds more than
    that run wrote), the current folder or one above it, or a folder holding an input."""
    where = out.resolve()
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        msg = (
            f"--out {str(out)!r} is the current folder or one above it, which a run would "
            "replace; give a new folder, e.g. --out runs/first."
        )
        raise InputError(msg)
    for path in inputs:
        if where in Path(path).resolve().parents:
            msg = (
                f"input {str(path)!r} lies inside the output folder {str(out)!r}, which the "
                "run replaces; choose another --out."
            )
            raise InputError(msg)
    check_writable(out)
    if not out.exists():
        return
    if not out.is_dir():
        msg = f"output {str(out)!r} exists and is a file; choose another --out or remove it."
        raise InputError(msg)
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()}
    if not present:
        return
    written = _written(out)
    foreign = sorted(present - written) if written is not None else sorted(present)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        msg = (
            f"output {str(out)!r} exists and is not an accessplan run folder (it holds "
            f"{shown}, which no earlier run wrote); choose another --out or remove it."
        )
        raise InputError(msg)


def _written(folder: Path) -> set[str] | None:
    """The files an earlier run wrote into ``folder`` (its manifest's list), or None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        return {str(name) for name in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_steps(scenario: Scenario, region: Region) -> None:
    """Every step's options against the region (a tier it has, no more sites than it can
    hold, a population group it counts), before any work, in the words the user used."""
    for step in scenario.steps:
        check = analysis(step.kind).check_region
        if check is not None:
            check(region, dict(step.options), step.naming)


def run_scenario(
    scenario: Scenario,
    *,
    out: Path | None = None,
    lang: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Run the scenario's steps in order and write one run folder; return its path."""
    target = out or scenario.out
    if target is None:
        msg = "no output folder: give --out DIR or [output] dir in the scenario."
        raise InputError(msg)
    source = scenario.source
    check_target(target, [*scenario.files().values(), *([source] if source else [])])
    say = progress or (lambda _stage: None)
    loaded: list[Region] = []
    if any(analysis(step.kind).needs_region for step in scenario.steps):
        say("region")
        loaded.append(load_region(scenario, progress))
    if loaded:
        check_steps(scenario, loaded[0])

    def region() -> Region:
        return loaded[0]

    context = Context(region=region, seed=scenario.seed, progress=say)
    results = []
    for step in scenario.steps:
        say(step.name)
        results.append((step, analysis(step.kind).run(context, dict(step.options))))
    with new_folder(target) as tmp:
        write_run_folder(
            tmp,
            scenario,
            results,
            region=loaded[0] if loaded else None,
            lang=lang or scenario.lang,
            progress=say,
        )
    return target


def write_run_folder(
    folder: Path,
    scenario: Scenario,
    results: Sequence[tuple[Step, AnalysisResult]],
    *,
    region: Region | None,
    lang: str,
    progress: Progress | None = None,
) -> None:
    """Write every file of a run folder into ``folder`` (see the module docstring)."""
    say = progress or (lambda _stage: None)
    single = len(results) == 1
    say("writing tables")
    outputs: dict[str, str] = {}
    sheets: dict[str, pd.DataFrame] = {}
    layers = {}
    for step, result in results:
        place = folder if single else folder / step.name
        place.mkdir(exist_ok=True)
        for name, frame in result.tables().items():
            table = as_table(frame)
            path = place / f"{name}.csv"
            table.to_csv(path, index=False, lineterminator="\n")
            outputs[path.relative_to(folder).as_posix()] = sha256(path)
            sheets[_sheet(step.name, name, single)] = table
        for name, raster in result.rasters().items():
            path = place / f"{name}.tif"
            write_geotiff(raster, path)
            outputs[path.relative_to(folder).as_posix()] = sha256(path)
        for name, document in documents(result).items():
            path = place / f"{name}.json"
            path.write_text(_json(document), "utf-8")
            outputs[path.relative_to(folder).as_posix()] = sha256(path)
        (place / "summary.json").write_text(_json(result.summary()), "utf-8")
        layers.update({name if single else f"{step.name}_{name}": layer
                       for name, layer in result.layers().items()})  # fmt: skip
    write_xlsx(sheets, folder / "tables.xlsx")
    say("writing results.gpkg")
    for name, layer in layers.items():
        pyogrio.write_dataframe(layer, folder / "results.gpkg", layer=name, driver="GPKG")
    built = region is not None and scenario.region is not None and scenario.region.path is None
    if built and region is not None:
        region.write(folder / "region.gpkg")
    manifest = build_manifest(scenario, results, region=region, outputs=outputs, lang=lang)
    say("writing report")
    tr = translator(lang)
    sections = [(step.name, analysis(step.kind).section(result, tr)) for step, result in results]
    title = None if single else tr("report.title_run", name=scenario.name)
    html = render_page(sections, tr, title=title, region=region, manifest=manifest)
    (folder / "report.html").write_text(html, encoding="utf-8", newline="\n")
    written = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    manifest["files"] = sorted({*written, MANIFEST})
    (folder / MANIFEST).write_text(_json(manifest), "utf-8")


def build_manifest(
    scenario: Scenario,
    results: Sequence[tuple[Step, AnalysisResult]],
    *,
    region: Region | None,
    outputs: dict[str, str],
    lang: str,
) -> dict[str, Any]:
    """What went in and came out: enough to rerun and to check a rerun."""
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    src = scenario.region
    region_info: dict[str, Any] | None = None
    if src is not None and region is not None:
        kind = "file" if src.path else ("osm" if src.osm else f"synthetic:{src.synthetic}")
        region_info = {
            "source": kind,
            "population_estimate": src.estimate_population,
            **region.summary(),
        }
    return {
        "name": scenario.name,
        "seed": scenario.seed,
        "lang": lang,
        "scenario": (
            {"path": str(scenario.source), "sha256": sha256(scenario.source)}
            if scenario.source
            else None
        ),
        "region": region_info,
        "inputs": {
            k: {"path": str(p), "sha256": sha256(p)} for k, p in sorted(scenario.files().items())
        },
        "steps": [
            {
                "name": step.name,
                "kind": step.kind,
                "parameters": result.parameters(),
                "summary": result.summary(),
            }
            for step, result in results
        ],
        "packages": versions,
        "outputs": dict(sorted(outputs.items())),
    }


def as_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Unreachable (``inf``) becomes an empty cell, as tables show it."""
    return frame.replace([float("inf"), float("-inf")], float("nan"))


def write_geotiff(raster: Raster, path: Path) -> None:
    """A one-band float32 GeoTIFF (deflate, tiled); ``inf`` and NaN become no-data."""
    values = raster.values.astype(np.float32)
    values[~np.isfinite(values)] = NODATA
    profile = {
        "driver": "GTiff",
        "height": values.shape[0],
        "width": values.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": raster.crs,
        "transform": raster.transform,
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": True,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
        dst.update_tags(1, units=raster.units)


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (but those too long for a spreadsheet), byte-identical for
    identical tables.

    openpyxl stamps the time into the document properties and the zip entries; both are
    fixed here so reruns compare equal.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in tables.items():
            if len(table) >= EXCEL_ROWS:  # a sheet Excel cannot open: the CSV holds it
                logger.warning(
                    "table %s has %d rows, more than a spreadsheet holds; it is in its CSV "
                    "file only, not in tables.xlsx",
                    name,
                    len(table),
                )
                continue
            table.to_excel(writer, sheet_name=name, index=False)
    fixed = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>1980-01-01T00:00:00Z",
                    data,
                )
            info = zipfile.ZipInfo(item.filename, date_time=fixed)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def _sheet(step: str, table: str, single: bool) -> str:
    """A sheet name of at most 31 characters (Excel's limit): the table's, after the
    step's in a run of several steps."""
    if single:
        return table[:31]
    return f"{step[: max(1, 30 - len(table))]}.{table}"[:31]


def _json(value: Any) -> str:
    return json.dumps(_plain(value), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars, paths and non-finite floats made JSON-plain (``null``)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return str(value)
    return value
