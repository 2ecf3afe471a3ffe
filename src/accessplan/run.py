"""Scenario runs: a region in, one run folder out.

The run folder holds ``manifest.json`` (inputs with SHA-256, parameters, package versions,
seed), ``results.gpkg`` (settlements with their times, facilities, isochrones), the tables as
CSV and in ``tables.xlsx``, and ``report.html``. It is written to a temporary folder beside
the target and renamed at the end, so a failed run leaves nothing behind. The same inputs and
seed give byte-identical tables.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from accessplan._errors import InputError
from accessplan._files import new_folder
from accessplan.io import region_from_osm
from accessplan.io.population import estimate_by_place
from accessplan.measures.results import AccessResults, measure_access
from accessplan.region import Region
from accessplan.settings import Scenario
from accessplan.travel.profiles import get_profile

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Tables written as CSV and as sheets of ``tables.xlsx``, in this order.
TABLES = (
    "coverage",
    "settlements",
    "time_stats",
    "gaps",
    "completeness",
    "referral",
    "unknown_population",
)
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
    "matplotlib",
    "jinja2",
    "openpyxl",
)
_MANIFEST = "manifest.json"


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


def check_target(out: Path) -> None:
    """Refuse to replace a folder that is not an earlier run folder."""
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / _MANIFEST).exists())
    ):
        msg = (
            f"output {str(out)!r} exists and is not an accessplan run folder; "
            f"choose another --out or remove it."
        )
        raise InputError(msg)


def run_scenario(
    scenario: Scenario,
    *,
    out: Path | None = None,
    lang: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Run a scenario and write its run folder; return the folder's path."""
    target = out or scenario.out
    if target is None:
        msg = "no output folder: give --out DIR or [output] dir in the scenario."
        raise InputError(msg)
    check_target(target)
    say = progress or (lambda _stage: None)
    say("region")
    region = load_region(scenario, progress)
    profiles = [
        get_profile(p, profiles_file=scenario.access.profiles_file)
        for p in scenario.access.profiles
    ]
    results = measure_access(
        region,
        profiles=profiles,
        thresholds=scenario.access.thresholds,
        referral_limit_min=scenario.access.referral_limit_min,
        clinic_within_min=scenario.access.clinic_within_min,
        max_snap_m=scenario.access.max_snap_m,
        progress=say,
    )
    with new_folder(target) as tmp:
        say("writing tables")
        write_outputs(results, scenario, tmp, lang=lang or scenario.lang, progress=say)
    return target


def result_tables(results: AccessResults) -> dict[str, pd.DataFrame]:
    """The run's tables by name (see :data:`TABLES`)."""
    return {
        "coverage": results.coverage,
        "settlements": results.settlements_table(),
        "time_stats": results.time_stats,
        "gaps": results.gaps,
        "completeness": results.completeness,
        "referral": results.referral,
        "unknown_population": results.unknown_population,
    }


def write_outputs(
    results: AccessResults,
    scenario: Scenario,
    folder: Path,
    *,
    lang: str,
    progress: Progress | None = None,
) -> None:
    """Write every file of a run folder into ``folder``."""
    from accessplan.report import write_report

    say = progress or (lambda _stage: None)
    region = results.region
    tables = {name: as_table(frame) for name, frame in result_tables(results).items()}
    for name in TABLES:
        tables[name].to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    write_xlsx(tables, folder / "tables.xlsx")
    say("writing results.gpkg")
    write_results_gpkg(results, folder / "results.gpkg")
    inputs = scenario.region.files()
    if scenario.access.profiles_file is not None:
        inputs["profiles_file"] = scenario.access.profiles_file
    if scenario.region.path is None:
        region.write(folder / "region.gpkg")
    manifest = build_manifest(results, scenario, inputs, folder, lang=lang)
    say("writing report")
    write_report(results, folder / "report.html", lang=lang, manifest=manifest)
    (folder / _MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8"
    )


def build_manifest(
    results: AccessResults,
    scenario: Scenario,
    inputs: dict[str, Path],
    folder: Path,
    *,
    lang: str,
) -> dict[str, Any]:
    """What went in and came out: enough to rerun and to check a rerun."""
    profiles_file = scenario.access.profiles_file
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "name": scenario.name,
        "seed": scenario.seed,
        "scenario": (
            {"path": str(scenario.source), "sha256": sha256(scenario.source)}
            if scenario.source
            else None
        ),
        "region": {
            "name": results.region.name,
            "source": "file"
            if scenario.region.path
            else ("osm" if scenario.region.osm else f"synthetic:{scenario.region.synthetic}"),
            "population_estimate": scenario.region.estimate_population,
            **{k: v for k, v in results.region.summary().items() if k != "name"},
        },
        "inputs": {k: {"path": str(p), "sha256": sha256(p)} for k, p in sorted(inputs.items())},
        "parameters": {
            "profiles": {
                name: json.loads(get_profile(name, profiles_file=profiles_file).key())
                for name in results.profiles
            },
            "thresholds_min": list(results.thresholds),
            "referral_limit_min": results.referral_limit_min,
            "clinic_within_min": results.clinic_within_min,
            "max_snap_m": scenario.access.max_snap_m,
            "lang": lang,
        },
        "packages": versions,
        "tables": {f"{name}.csv": sha256(folder / f"{name}.csv") for name in TABLES},
    }


def as_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Unreachable (``inf``) becomes an empty cell, as tables show it."""
    return frame.replace([float("inf"), float("-inf")], float("nan"))


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table, byte-identical for identical tables.

    openpyxl stamps the time into the document properties and the zip entries; both are
    fixed here so reruns compare equal.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in tables.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
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


def write_results_gpkg(results: AccessResults, path: Path) -> None:
    """Settlements with their times (one column per profile and tier), facilities, isochrones."""
    region = results.region
    wide = results.times.pivot(index="id", columns="profile")
    tiers = [t for tiers in region.tiers.values() for t in tiers]
    columns = {
        (f"minutes_to_{t}", p): f"minutes_to_{t}__{p}" for p in results.profiles for t in tiers
    }
    picked = wide[list(columns)]
    picked.columns = list(columns.values())
    settle = region.settlements.merge(picked, left_on="id", right_index=True, how="left")
    write = pyogrio.write_dataframe
    write(gpd.GeoDataFrame(settle, crs=region.crs), path, layer="settlements", driver="GPKG")
    write(region.facilities, path, layer="facilities", driver="GPKG")
    write(results.isochrones, path, layer="isochrones", driver="GPKG")
