"""Travel profiles: walk, motorcycle, car and mobile_clinic.

Speeds are per OSM highway class and surface, read from ``profiles.toml`` beside this module
and overridable from a TOML file of the same shape. Walking follows Tobler's hiking function

.. math:: v(g) = 6\\, e^{-3.5\\,|g + 0.05|}\\ \\text{km/h}

on the signed grade ``g = dz / dx`` of each edge, so going up and coming down differ and the
graph is directed. Vehicles keep their class speed up to a 3 % grade and slow linearly beyond:

.. math:: f(g) = \\max\\bigl(f_{min},\\ 1 - a_{up} (g - 0.03)^+ - a_{down} (-g - 0.03)^+\\bigr)

(a heuristic: 10 % uphill costs a car about a fifth of its speed). People reach the road on
foot: the off-road leg uses Tobler's off-path speed, 3/5 of the on-path one.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from accessplan._errors import InputError
from accessplan._validate import load_toml

#: Tobler's factor for walking off paths.
OFF_PATH_FACTOR = 0.6
#: Speed (km/h) that maps to factor 1 in a walking profile's class table.
WALK_REFERENCE_KMH = 5.0
#: Steepest grade believed on a road edge. Steeper values come from terrain sampled under
#: bridges, in tunnels or across very short edges, and are clipped to this.
MAX_ROAD_GRADE = 0.5
#: Steepest grade believed for an off-road walk (45 degrees); short legs amplify DEM noise.
MAX_OFFROAD_GRADE = 1.0


def tobler_kmh(grade: np.ndarray | float) -> np.ndarray:
    """Tobler's hiking function: walking speed (km/h) on a path of signed grade ``dz/dx``."""
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(grade, dtype="float64") + 0.05))


def offroad_walk_minutes(distance_m: np.ndarray, dz_m: np.ndarray) -> np.ndarray:
    """Minutes to walk ``distance_m`` off road while climbing ``dz_m`` (negative: descending)."""
    distance_m = np.asarray(distance_m, dtype="float64")
    grade = np.divide(dz_m, distance_m, out=np.zeros_like(distance_m), where=distance_m > 0)
    grade = np.clip(grade, -MAX_OFFROAD_GRADE, MAX_OFFROAD_GRADE)
    speed = tobler_kmh(grade) * OFF_PATH_FACTOR
    return distance_m / (speed * 1000.0 / 60.0)


@dataclass(frozen=True, eq=False)
class Profile:
    """How one mode of travel moves over the road network.

    Parameters
    ----------
    name
        Profile name (``walk``, ``car``, ...).
    mode
        ``"walk"`` (Tobler on the grade) or ``"vehicle"`` (class speed slowed on steep grades).
    speeds
        km/h per highway class on flat paved ground; a class not listed cannot be used.
        For walking, the value divided by 5 km/h scales Tobler's speed (steps: 3 -> 0.6).
    surface_factors
        Multipliers per OSM ``surface`` value; a surface not listed counts as 1.
    oneway
        Whether ``oneway`` roads are one-way for this profile.
    uphill_penalty, downhill_penalty, grade_threshold, min_slope_factor
        Vehicle slope model (see the module docstring).
    """

    name: str
    mode: Literal["walk", "vehicle"]
    speeds: Mapping[str, float]
    surface_factors: Mapping[str, float] = field(default_factory=dict)
    oneway: bool = True
    uphill_penalty: float = 0.0
    downhill_penalty: float = 0.0
    grade_threshold: float = 0.03
    min_slope_factor: float = 0.3

    def __post_init__(self) -> None:
        if self.mode not in ("walk", "vehicle"):
            msg = f"profile {self.name!r}: mode must be 'walk' or 'vehicle', got {self.mode!r}."
            raise InputError(msg)
        for table in ("speeds", "surface_factors"):
            for key, value in getattr(self, table).items():
                if not isinstance(value, int | float) or value < 0:
                    msg = (
                        f"profile {self.name!r}: {table}.{key} must be a number >= 0, "
                        f"got {value!r}."
                    )
                    raise InputError(msg)

    def key(self) -> str:
        """A string that identifies the profile's content (for caches and manifests)."""
        return json.dumps(
            {f.name: _plain(getattr(self, f.name)) for f in fields(self)}, sort_keys=True
        )

    def speed_kmh(self, highway: pd.Series, surface: pd.Series, grade: np.ndarray) -> np.ndarray:
        """Speed (km/h) on edges of the given classes, surfaces and signed grades; 0 = unusable."""
        base = _lookup(highway, self.speeds, default=0.0)
        surf = _lookup(surface, self.surface_factors, default=1.0)
        if self.mode == "walk":
            slope = tobler_kmh(grade) / WALK_REFERENCE_KMH
        else:
            excess_up = np.maximum(grade - self.grade_threshold, 0.0)
            excess_down = np.maximum(-grade - self.grade_threshold, 0.0)
            slope = 1.0 - self.uphill_penalty * excess_up - self.downhill_penalty * excess_down
            slope = np.maximum(slope, self.min_slope_factor)
        return np.asarray(base * surf * slope, dtype="float64")

    def edge_minutes(self, edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Minutes to traverse each edge ``u -> v`` and ``v -> u``; ``inf`` where not allowed."""
        length = edges["length_m"].to_numpy(dtype="float64")
        dz = (edges["rise_m"] - edges["fall_m"]).to_numpy(dtype="float64")
        grade = np.divide(dz, length, out=np.zeros_like(length), where=length > 0)
        grade = np.clip(grade, -MAX_ROAD_GRADE, MAX_ROAD_GRADE)
        times = []
        for g in (grade, -grade):
            speed = self.speed_kmh(edges["highway"], edges["surface"], g)
            with np.errstate(divide="ignore", invalid="ignore"):
                times.append(np.where(speed > 0, length / (speed * 1000.0 / 60.0), np.inf))
        forward, backward = times
        if self.oneway:
            backward = np.where(edges["oneway"].to_numpy(dtype=bool), np.inf, backward)
        return forward, backward


def _lookup(keys: pd.Series, table: Mapping[str, float], *, default: float) -> np.ndarray:
    """``table[key]`` per row (``default`` for keys not in it), looked up once per distinct key."""
    codes, distinct = pd.factorize(keys)
    values = np.array([float(table.get(k, default)) for k in distinct] + [default])
    return values[codes]  # code -1 (missing) takes the default at the end


def _plain(value: Any) -> Any:
    return dict(sorted(value.items())) if isinstance(value, Mapping) else value


_FIELDS = {f.name for f in fields(Profile)} - {"name"}


def _merge(base: dict[str, Any], override: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    unknown = set(override) - _FIELDS
    if unknown:
        msg = f"{source}: unknown profile key(s) {sorted(unknown)}; allowed are {sorted(_FIELDS)}."
        raise InputError(msg)
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping):
            merged[key] = {**base.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """The default profiles, with the values of the TOML file ``path`` laid over them.

    A table in the file that names no default profile defines a new one (it then needs
    ``mode`` and ``speeds``).
    """
    text = resources.files("accessplan.travel").joinpath("profiles.toml").read_text("utf-8")
    tables: dict[str, dict[str, Any]] = tomllib.loads(text)
    if path is not None:
        path = Path(path)
        overrides = load_toml(path, what="profile")
        for name, table in overrides.items():
            if not isinstance(table, Mapping):
                msg = (
                    f"{path}: {name!r} must be a table like [{name}], got a {type(table).__name__}."
                )
                raise InputError(msg)
            tables[name] = _merge(tables.get(name, {}), table, source=f"{path} [{name}]")
    profiles = {}
    for name, table in tables.items():
        try:
            profiles[name] = Profile(name=name, **table)
        except TypeError as exc:
            msg = f"profile {name!r}: {exc}; a new profile needs at least `mode` and `speeds`."
            raise InputError(msg) from exc
    return profiles


def get_profile(profile: str | Profile, *, profiles_file: str | Path | None = None) -> Profile:
    """Resolve a profile name (or pass a :class:`Profile` through)."""
    if isinstance(profile, Profile):
        return profile
    profiles = load_profiles(profiles_file)
    if profile not in profiles:
        msg = f"unknown travel profile {profile!r}; choose one of {sorted(profiles)}."
        raise InputError(msg)
    return profiles[profile]
