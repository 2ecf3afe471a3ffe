"""Scenario files: a region and the steps to run on it (unknown keys are refused).

A scenario is a TOML file::

    name = "Demo county"
    seed = 0
    lang = "en"                       # en | zh

    [region]                          # needed by the steps that run on a region
    path = "region.gpkg"              # a region file; or osm/dem/population/... ; or
    # synthetic = "mountain_county"   # a seeded synthetic county
    # services = "default"            # with osm: the service catalogue (or a TOML file)
    # estimate_population = { total = 83888 }   # declared estimate by place kind

    [[steps]]
    kind = "access"                   # the service circle (accessplan access)
    profiles = ["walk", "motorcycle", "car"]
    thresholds = [15, 30, 60]

    [[steps]]
    kind = "site"                     # where to build (accessplan site)
    tier = "township_health_center"
    p = 3
    threshold = 15

    [[steps]]
    kind = "surface"                  # raster accessibility (accessplan surface)
    dem = "dem.tif"
    landcover = "landcover.tif"
    facilities = "facilities.shp"
    scenario_table = "scenario.xlsx"

    [output]
    dir = "runs/demo"                 # the CLI's --out wins

Each step takes the options of its kind (the keys are the command's flags with ``_`` for
``-``; ``accessplan <kind> --help`` lists them) and an optional ``name`` (default: the
kind, numbered when a kind repeats). Without ``[[steps]]``, an ``[access]`` table (or
nothing) runs the service circle alone, as older scenarios do. Relative paths are read from
the scenario file's folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from accessplan._errors import InputError
from accessplan._validate import load_toml
from accessplan.analyses import Naming, analysis, parse_options
from accessplan.analyses._options import Where, file

LANGUAGES = ("en", "zh")
SYNTHETIC = ("mountain_county",)
REGION_FILES = (
    "path",
    "osm",
    "dem",
    "population",
    "settlements",
    "facilities",
    "boundary",
    "tiers",
    "services",
)
_STEP_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}")


class ScenarioError(InputError):
    """A scenario file is malformed; the message names the key and the fix."""


@dataclass(frozen=True)
class RegionSource:
    """Where the region comes from: exactly one of ``path``, ``osm`` or ``synthetic``."""

    path: Path | None = None
    osm: Path | None = None
    dem: Path | None = None
    population: Path | None = None
    settlements: Path | None = None
    facilities: Path | None = None
    boundary: Path | None = None
    tiers: Path | None = None
    services: Path | str | None = None
    synthetic: str | None = None
    estimate_population: dict[str, Any] | None = None

    def files(self) -> dict[str, Path]:
        """Input files by key."""
        return {k: v for k in REGION_FILES if isinstance(v := getattr(self, k), Path)}


@dataclass(frozen=True)
class Step:
    """One analysis to run: its kind, its name in the run folder, its checked options (by
    scenario key; :mod:`accessplan.analyses`) and how the user named them (for messages)."""

    kind: str
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    naming: Naming = field(default_factory=Naming)

    def files(self) -> dict[str, Path]:
        """The step's input files, by option key (``barriers.1``, ... for lists)."""
        out: dict[str, Path] = {}
        for key, value in self.options.items():
            if isinstance(value, Path):
                out[key] = value
            elif isinstance(value, tuple) and value and all(isinstance(v, Path) for v in value):
                out.update({f"{key}.{i}": v for i, v in enumerate(value, start=1)})
        return out


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    region: RegionSource | None
    steps: tuple[Step, ...]
    name: str = "accessplan run"
    seed: int = 0
    lang: str = "en"
    out: Path | None = None
    source: Path | None = None

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file."""
        path = Path(path)
        data = load_toml(path, what="scenario")
        return cls.from_dict(data, base=path.parent, source=path)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, base: Path = Path("."), source: Path | None = None
    ) -> Scenario:
        """Validate a scenario given as nested dicts (TOML tables)."""
        where = str(source) if source else "scenario"
        allowed = {"name", "seed", "lang", "region", "access", "steps", "output"}
        _known(data, allowed, where, "")
        if "steps" in data and "access" in data:
            msg = (
                f'{where}: give the service circle as a [[steps]] entry with kind = "access" '
                "or as an [access] table, not both."
            )
            raise ScenarioError(msg)
        steps = _steps(data, base, where)
        table = _table(data, "region", where, required=False)
        region = _region(table, base, where) if "region" in data else None
        needs = [s.name for s in steps if analysis(s.kind).needs_region]
        if region is None and needs:
            msg = f"{where}: missing [region] table, which step(s) {needs} run on; add it."
            raise ScenarioError(msg)
        output = _table(data, "output", where, required=False)
        _known(output, {"dir"}, where, "output")
        lang = str(data.get("lang", "en"))
        if lang not in LANGUAGES:
            msg = f"{where}: lang must be one of {list(LANGUAGES)}, got {lang!r}."
            raise ScenarioError(msg)
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
            msg = f"{where}: seed must be a whole number from 0 to 4294967295, got {seed!r}."
            raise ScenarioError(msg)
        out = _folder(output["dir"], base, where, "[output] dir") if "dir" in output else None
        return cls(
            region=region,
            steps=steps,
            name=str(data.get("name", "accessplan run")),
            seed=seed,
            lang=lang,
            out=out,
            source=source,
        )

    @classmethod
    def one_step(
        cls,
        kind: str,
        options: dict[str, Any],
        *,
        region: Path | None = None,
        name: str | None = None,
        seed: int = 0,
        lang: str = "en",
        synthetic: str | None = None,
    ) -> Scenario:
        """A scenario of one step whose options came from the command line: messages name
        them by their flags, paths are read from the current folder."""
        kind_ = analysis(kind)
        given = {k: v for k, v in options.items() if v is not None}
        parsed = parse_options(kind_.options, given, Naming(cli=True), Path("."))
        if kind_.check is not None:
            kind_.check(parsed, Naming(cli=True))
        source = None
        if region is not None:
            source = RegionSource(path=file(region, Where("the region file")))
        elif synthetic is not None:
            source = RegionSource(synthetic=synthetic)
        return cls(
            region=source,
            steps=(Step(kind, kind, parsed, Naming(cli=True)),),
            name=name or (region.stem if region is not None else kind),
            seed=seed,
            lang=lang,
        )

    def files(self) -> dict[str, Path]:
        """Every input file by key: the region's (``region.<key>``) and each step's
        (``<step>.<option>``)."""
        out = {f"region.{k}": p for k, p in (self.region.files() if self.region else {}).items()}
        for step in self.steps:
            out.update({f"{step.name}.{k}": p for k, p in step.files().items()})
        return out


def _steps(data: dict[str, Any], base: Path, where: str) -> tuple[Step, ...]:
    if "steps" not in data:
        table = _table(data, "access", where, required=False)
        return (_step("access", None, table, base, Naming(f"{where}: [access] ")),)
    raw = data["steps"]
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        msg = f"{where}: steps must be one or more [[steps]] tables, got {raw!r}."
        raise ScenarioError(msg)
    kinds = [s.get("kind") for s in raw]
    steps = []
    for i, table in enumerate(raw, start=1):
        label = f"{where}: [[steps]] {i}"
        kind = table.get("kind")
        if not isinstance(kind, str):
            raise ScenarioError(f'{label} needs kind = one of the analysis kinds (e.g. "access").')
        analysis(kind, where=f"{label}: ")
        name = table.get("name")
        if name is None:
            name = kind if kinds.count(kind) == 1 else f"{kind}-{kinds[:i].count(kind)}"
        options = {k: v for k, v in table.items() if k not in ("kind", "name")}
        steps.append(_step(kind, name, options, base, Naming(f"{label} ({kind}) ")))
    names = [s.name for s in steps]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScenarioError(f"{where}: step names {repeated} repeat; give each step its own name.")
    return tuple(steps)


def _step(kind: str, name: Any, options: dict[str, Any], base: Path, naming: Naming) -> Step:
    name = kind if name is None else name
    if not isinstance(name, str) or not _STEP_NAME.fullmatch(name):
        msg = (
            f"{naming.prefix}name must be up to 31 lower-case letters, digits, '-' or '_' "
            f"(a folder name), got {name!r}."
        )
        raise ScenarioError(msg)
    kind_ = analysis(kind)
    parsed = parse_options(kind_.options, options, naming, base)
    if kind_.check is not None:
        kind_.check(parsed, naming)
    return Step(kind, name, parsed, naming)


def _table(data: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            msg = f"{where}: missing [{key}] table; add it (see `accessplan run --help`)."
            raise ScenarioError(msg)
        return {}
    if not isinstance(value, dict):
        msg = f"{where}: {key!r} must be a table [{key}], got {type(value).__name__}."
        raise ScenarioError(msg)
    return value


def _known(table: dict[str, Any], allowed: set[str], where: str, section: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        place = f"[{section}] " if section else ""
        msg = (
            f"{where}: unknown key(s) {place}{unknown}; allowed are {sorted(allowed)}. "
            f"Check the spelling."
        )
        raise ScenarioError(msg)


def _file(value: Any, base: Path, where: str, key: str) -> Path:
    if not isinstance(value, str) or not value:
        msg = f"{where}: [region] {key} must be a file path, got {value!r}."
        raise ScenarioError(msg)
    path = base / value
    if not path.exists():
        msg = f"{where}: input {key} = {value!r} not found (looked at {str(path)!r}); fix the path."
        raise ScenarioError(msg)
    if path.is_dir():
        msg = f"{where}: input {key} = {value!r} is a folder; give a file."
        raise ScenarioError(msg)
    return path


def _folder(value: Any, base: Path, where: str, key: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        msg = f'{where}: {key} must be a folder path such as "runs/first", got {value!r}.'
        raise ScenarioError(msg)
    return base / value


def _region(table: dict[str, Any], base: Path, where: str) -> RegionSource:
    names = {f.name for f in fields(RegionSource)}
    _known(table, names, where, "region")
    sources = [k for k in ("path", "osm", "synthetic") if k in table]
    if len(sources) != 1:
        msg = (
            f"{where}: [region] needs exactly one of path (a region .gpkg), osm (a .osm.pbf) or "
            f"synthetic; found {sources or 'none'}."
        )
        raise ScenarioError(msg)
    bundled = table.get("services") == "default"  # the catalogue shipped with accessplan
    files = {
        k: _file(v, base, where, k)
        for k, v in table.items()
        if k in REGION_FILES and not (k == "services" and bundled)
    }
    extra = sorted(set(files) - {"path", "osm"} | ({"services"} if bundled else set()))
    if "osm" not in table and extra:
        msg = f"{where}: [region] {extra} go with osm (an extract to build from), not alone."
        raise ScenarioError(msg)
    synthetic = table.get("synthetic")
    if synthetic is not None and synthetic not in SYNTHETIC:
        msg = f"{where}: [region] synthetic must be one of {list(SYNTHETIC)}, got {synthetic!r}."
        raise ScenarioError(msg)
    estimate = table.get("estimate_population")
    if estimate is not None:
        if not isinstance(estimate, dict):
            msg = f"{where}: [region] estimate_population must be a table like {{ total = 1000 }}."
            raise ScenarioError(msg)
        _known(estimate, {"total", "weights"}, where, "region.estimate_population")
        total = estimate.get("total")
        if (
            isinstance(total, bool)
            or not isinstance(total, int | float)
            or not 0 < total < float("inf")
        ):
            msg = f"{where}: [region] estimate_population.total must be a positive number."
            raise ScenarioError(msg)
    services: dict[str, Any] = {"services": "default"} if bundled else {}
    return RegionSource(**files, **services, synthetic=synthetic, estimate_population=estimate)
