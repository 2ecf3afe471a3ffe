"""Scenario files: validated options for a run (unknown keys are refused).

A scenario is a TOML file::

    name = "Demo county"
    seed = 0
    lang = "en"                       # en | zh

    [region]
    path = "region.gpkg"              # a region file; or osm/dem/population/... ; or
    # synthetic = "mountain_county"   # a seeded synthetic county
    # estimate_population = { total = 83888 }   # declared estimate by place kind

    [access]
    profiles = ["walk", "motorcycle", "car"]
    thresholds = [15, 30, 60]
    referral_limit_min = 120
    clinic_within_min = 30            # optional
    max_snap_m = 1000
    profiles_file = "speeds.toml"     # optional speed overrides

    [output]
    dir = "runs/demo"                 # the CLI's --out wins

Relative paths are read from the scenario file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from accessplan._errors import InputError
from accessplan._validate import load_toml
from accessplan.measures.coverage import DEFAULT_THRESHOLDS
from accessplan.measures.referral import DEFAULT_LIMIT_MIN
from accessplan.travel.network import MAX_SNAP_M
from accessplan.travel.profiles import load_profiles

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
)


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
    synthetic: str | None = None
    estimate_population: dict[str, Any] | None = None

    def files(self) -> dict[str, Path]:
        """Input files by key."""
        return {k: getattr(self, k) for k in REGION_FILES if getattr(self, k) is not None}


@dataclass(frozen=True)
class AccessOptions:
    """Options of the service-circle measures."""

    profiles: tuple[str, ...] = ("walk", "motorcycle", "car")
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    referral_limit_min: float = DEFAULT_LIMIT_MIN
    clinic_within_min: float | None = None
    max_snap_m: float = MAX_SNAP_M
    profiles_file: Path | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    region: RegionSource
    access: AccessOptions = field(default_factory=AccessOptions)
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
        _known(data, {"name", "seed", "lang", "region", "access", "output"}, where, "")
        region = _region(_table(data, "region", where), base, where)
        access = _access(_table(data, "access", where, required=False), base, where)
        output = _table(data, "output", where, required=False)
        _known(output, {"dir"}, where, "output")
        lang = str(data.get("lang", "en"))
        if lang not in LANGUAGES:
            msg = f"{where}: lang must be one of {list(LANGUAGES)}, got {lang!r}."
            raise ScenarioError(msg)
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            msg = f"{where}: seed must be a whole number, got {seed!r}."
            raise ScenarioError(msg)
        out = base / output["dir"] if "dir" in output else None
        return cls(
            region=region,
            access=access,
            name=str(data.get("name", "accessplan run")),
            seed=seed,
            lang=lang,
            out=out,
            source=source,
        )


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
    return path


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
    files = {k: _file(v, base, where, k) for k, v in table.items() if k in REGION_FILES}
    if "path" in table and len(files) > 1:
        extra = sorted(set(files) - {"path"})
        msg = f"{where}: [region] {extra} go with osm, not with a region file (path)."
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
        if not isinstance(total, int | float) or total <= 0:
            msg = f"{where}: [region] estimate_population.total must be a positive number."
            raise ScenarioError(msg)
    return RegionSource(**files, synthetic=synthetic, estimate_population=estimate)


def _positive(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        msg = f"{where}: [access] {key} must be a positive number, got {value!r}."
        raise ScenarioError(msg)
    return float(value)


def _access(table: dict[str, Any], base: Path, where: str) -> AccessOptions:
    _known(table, {f.name for f in fields(AccessOptions)}, where, "access")
    defaults = AccessOptions()
    profiles_file = (
        _file(table["profiles_file"], base, where, "profiles_file")
        if "profiles_file" in table
        else None
    )
    known = load_profiles(profiles_file)
    profiles = table.get("profiles", list(defaults.profiles))
    if (
        not isinstance(profiles, list)
        or not profiles
        or not all(isinstance(p, str) for p in profiles)
    ):
        msg = f"{where}: [access] profiles must be a list of names, got {profiles!r}."
        raise ScenarioError(msg)
    unknown = sorted(set(profiles) - set(known))
    if unknown:
        msg = f"{where}: [access] unknown profile(s) {unknown}; choose from {sorted(known)}."
        raise ScenarioError(msg)
    thresholds = table.get("thresholds", list(defaults.thresholds))
    if not isinstance(thresholds, list) or not thresholds:
        msg = f"{where}: [access] thresholds must be a list of minutes, got {thresholds!r}."
        raise ScenarioError(msg)
    clinic = table.get("clinic_within_min")
    return AccessOptions(
        profiles=tuple(profiles),
        thresholds=tuple(sorted(_positive(t, where, "thresholds") for t in thresholds)),
        referral_limit_min=_positive(
            table.get("referral_limit_min", defaults.referral_limit_min),
            where,
            "referral_limit_min",
        ),
        clinic_within_min=None if clinic is None else _positive(clinic, where, "clinic_within_min"),
        max_snap_m=_positive(table.get("max_snap_m", defaults.max_snap_m), where, "max_snap_m"),
        profiles_file=profiles_file,
    )
