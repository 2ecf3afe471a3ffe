"""Travel profiles: walk, motorcycle, car and mobile_clinic.

Speeds are per OSM highway class and surface, read from ``profiles.toml`` beside this module
and overridable from a TOML file of the same shape. Walking follows Tobler's hiking function

.. math:: v(g) = 6\\, e^{-3.5\\,|g + 0.05|}\\ \\text{km/h}

on the signed grade ``g = dz / dx`` of each edge, so going up and coming down differ and the
graph is directed. Vehicles keep their class speed up to a 3 % grade and slow linearly beyond:

.. math:: f(g) = \\max\\bigl(f_{min},\\ 1 - a_{up} (g - 0.03)^+ - a_{down} (-g - 0.03)^+\\bigr)

(a heuristic: 10 % uphill costs a car about a fifth of its speed). People reach the road on
foot: the off-road leg uses Tobler's off-path speed, 3/5 of the on-path one.

Each profile is one mode of OSM's access rules (``osm_mode``: walk -> ``foot``, motorcycle ->
``motorcycle``, car and van -> ``motorcar``) and uses a road only where the road network lets
that mode through (:func:`accessplan.region.mode_access`). A vehicle profile's walks to and
from the vehicle follow its ``walking`` profile: the ``walk`` of the same profiles file.

Every value of a profiles file is checked when it is read (:func:`load_profiles`): types,
finite numbers in range, booleans that are TOML booleans.
"""

from __future__ import annotations

import dataclasses
import json
import math
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
from accessplan.region import ACCESS_MODES, mode_access

#: Tobler's factor for walking off paths.
OFF_PATH_FACTOR = 0.6
#: Speed (km/h) that maps to factor 1 in a walking profile's class table.
WALK_REFERENCE_KMH = 5.0
#: Steepest grade believed on a road edge. Steeper values come from terrain sampled under
#: bridges, in tunnels or across very short edges, and are clipped to this.
MAX_ROAD_GRADE = 0.5
#: Steepest grade believed for an off-road walk (45 degrees); short legs amplify DEM noise.
MAX_OFFROAD_GRADE = 1.0
#: Highest class speed (km/h) a profile may give: walking, and any vehicle.
MAX_WALK_KMH = 20.0
MAX_VEHICLE_KMH = 300.0
#: The profile whose walks vehicle profiles use for the legs to and from the vehicle.
WALK = "walk"


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
    osm_mode
        Whose OSM access rules apply: ``foot`` for walking (the default), ``motorcar`` (the
        default for vehicles) or ``motorcycle``.
    surface_factors
        Multipliers (0..1) per OSM ``surface`` value; a surface not listed counts as 1.
    oneway
        Whether the mode's one-way rules bind the profile (vehicles: ``oneway`` and its
        vehicle forms; walkers: only ``oneway:foot``).
    uphill_penalty, downhill_penalty, grade_threshold, min_slope_factor
        Vehicle slope model (see the module docstring).
    walking
        For a vehicle: the walking profile of the walks to and from the vehicle (None: the
        default ``walk``). :func:`load_profiles` sets it to the file's ``walk``.
    """

    name: str
    mode: Literal["walk", "vehicle"]
    speeds: Mapping[str, float]
    osm_mode: str = ""
    surface_factors: Mapping[str, float] = field(default_factory=dict)
    oneway: bool = True
    uphill_penalty: float = 0.0
    downhill_penalty: float = 0.0
    grade_threshold: float = 0.03
    min_slope_factor: float = 0.3
    walking: Profile | None = None

    def __post_init__(self) -> None:
        if not self.osm_mode and self.mode in ("walk", "vehicle"):
            object.__setattr__(self, "osm_mode", "foot" if self.mode == "walk" else "motorcar")
        values = {name: getattr(self, name) for name in _FIELDS}
        check_profile_values(values, where=f"profile {self.name!r}")
        if self.walking is not None and (self.mode == "walk" or self.walking.mode != "walk"):
            msg = (
                f"profile {self.name!r}: only a vehicle profile takes a walking profile, and it "
                f"must be a walking one (got {self.walking.name!r} with mode "
                f"{self.walking.mode!r} for a {self.mode!r} profile)."
            )
            raise InputError(msg)

    def content(self) -> dict[str, Any]:
        """The profile's values as plain data, its walking profile's included."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "walking"}
        out["walking"] = None if self.walking is None else self.walking.content()
        return out

    def key(self) -> str:
        """A string that identifies the profile's content (for caches and manifests)."""
        return json.dumps(self.content(), sort_keys=True)

    def walker(self) -> Profile:
        """The profile of walks on this profile's trips: itself when walking."""
        if self.mode == "walk":
            return self
        return self.walking or load_profiles()[WALK]

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
        """Minutes to traverse each edge ``u -> v`` and ``v -> u``; ``inf`` where not allowed
        (a class without speed, or OSM access closed to :attr:`osm_mode` that way)."""
        length = edges["length_m"].to_numpy(dtype="float64")
        dz = (edges["rise_m"] - edges["fall_m"]).to_numpy(dtype="float64")
        grade = np.divide(dz, length, out=np.zeros_like(length), where=length > 0)
        grade = np.clip(grade, -MAX_ROAD_GRADE, MAX_ROAD_GRADE)
        may_forward, may_backward = mode_access(edges, self.osm_mode)
        if not self.oneway:
            may_forward = may_backward = may_forward | may_backward
        times = []
        for g, allowed in ((grade, may_forward), (-grade, may_backward)):
            speed = np.where(allowed, self.speed_kmh(edges["highway"], edges["surface"], g), 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                times.append(np.where(speed > 0, length / (speed * 1000.0 / 60.0), np.inf))
        return times[0], times[1]


def _lookup(keys: pd.Series, table: Mapping[str, float], *, default: float) -> np.ndarray:
    """``table[key]`` per row (``default`` for keys not in it), looked up once per distinct key."""
    codes, distinct = pd.factorize(keys)
    values = np.array([float(table.get(k, default)) for k in distinct] + [default])
    return values[codes]  # code -1 (missing) takes the default at the end


def _plain(value: Any) -> Any:
    return dict(sorted(value.items())) if isinstance(value, Mapping) else value


#: Keys a profiles file may set in a profile's table.
_FIELDS = {f.name for f in fields(Profile)} - {"name", "walking"}
#: Numeric keys: (lowest, highest, whether the lowest is allowed, what the number is).
_NUMBERS: dict[str, tuple[float, float, bool, str]] = {
    "uphill_penalty": (0.0, 100.0, True, "speed lost per unit of grade above the threshold"),
    "downhill_penalty": (0.0, 100.0, True, "speed lost per unit of grade below minus it"),
    "grade_threshold": (0.0, MAX_ROAD_GRADE, True, "grade up to which speed is kept"),
    "min_slope_factor": (0.0, 1.0, False, "least share of the speed kept on steep grades"),
}


def check_profile_values(values: Mapping[str, Any], *, where: str) -> None:
    """Raise an :class:`InputError` naming ``where`` and the key when a profile's values are
    incomplete, of the wrong type or out of range."""
    unknown = sorted(set(values) - _FIELDS)
    if unknown:
        msg = f"{where}: unknown profile key(s) {unknown}; allowed are {sorted(_FIELDS)}."
        raise InputError(msg)
    missing = [k for k in ("mode", "speeds") if k not in values]
    if missing:
        msg = (
            f"{where}: {' and '.join(missing)} missing; a new profile needs `mode` ('walk' or "
            "'vehicle') and `speeds` (a table of km/h per highway class)."
        )
        raise InputError(msg)
    mode = values["mode"]
    if mode not in ("walk", "vehicle"):
        msg = f'{where}: mode must be "walk" or "vehicle", got {mode!r}.'
        raise InputError(msg)
    if values.get("osm_mode"):
        _check_osm_mode(values["osm_mode"], mode, where)
    if "oneway" in values and not isinstance(values["oneway"], bool):
        msg = (
            f"{where}: oneway must be true or false (a TOML boolean, without quotes), got "
            f"{values['oneway']!r}."
        )
        raise InputError(msg)
    if "speeds" in values:
        limit = MAX_WALK_KMH if mode == "walk" else MAX_VEHICLE_KMH
        speeds = _number_table(values["speeds"], where, "speeds", 0.0, limit, "km/h")
        if not any(v > 0 for v in speeds.values()):
            msg = (
                f"{where}: every speed in `speeds` is 0, so the profile can use no road; give "
                "the highway classes it travels a speed above 0 km/h."
            )
            raise InputError(msg)
    if "surface_factors" in values:
        _number_table(values["surface_factors"], where, "surface_factors", 0.0, 1.0, "")
    for key, (low, high, closed, meaning) in _NUMBERS.items():
        if key in values:
            _number(values[key], f"{where}: {key}", low, high, closed=closed, meaning=meaning)


def _check_osm_mode(osm_mode: Any, mode: str, where: str) -> None:
    allowed = ("foot",) if mode == "walk" else tuple(m for m in ACCESS_MODES if m != "foot")
    if osm_mode not in allowed:
        msg = (
            f"{where}: osm_mode must be one of {list(allowed)} for a {mode} profile, "
            f"got {osm_mode!r}; it names whose OSM access rules apply (walk: foot; car, van: "
            "motorcar; motorcycle: motorcycle)."
        )
        raise InputError(msg)


def _number_table(
    table: Any, where: str, key: str, low: float, high: float, unit: str
) -> dict[str, float]:
    if not isinstance(table, Mapping):
        msg = (
            f"{where}: {key} must be a table like {key} = {{ primary = 1 }}, got "
            f"{type(table).__name__} {table!r}."
        )
        raise InputError(msg)
    meaning = f"a speed in {unit}" if unit else "a multiplier of the class speed (1: no slower)"
    for name, value in table.items():
        _number(value, f"{where}: {key}.{name}", low, high, closed=True, meaning=meaning)
    return dict(table)


def _number(value: Any, label: str, low: float, high: float, *, closed: bool, meaning: str) -> None:
    """Raise unless ``value`` is a finite number in ``[low, high]`` (``(low, high]`` unless
    ``closed``); booleans are not numbers."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    above_low = is_number and (value >= low if closed else value > low)
    if not (is_number and math.isfinite(value) and above_low and value <= high):
        bracket = "[" if closed else "("
        msg = (
            f"{label} must be a finite number in {bracket}{low:g}, {high:g}] ({meaning}), got "
            f"{value!r}; write a plain number such as {high / 2:g}."
        )
        raise InputError(msg)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """The default profiles, with the values of the TOML file ``path`` laid over them.

    A table in the file that names no default profile defines a new one (it then needs
    ``mode`` and ``speeds``). Every value is checked; an error names the file, the table and
    the key. Vehicle profiles walk to and from the vehicle with the file's ``walk`` profile,
    so a ``[walk]`` table changes their walks too.
    """
    text = resources.files("accessplan.travel").joinpath("profiles.toml").read_text("utf-8")
    tables: dict[str, dict[str, Any]] = tomllib.loads(text)
    if path is not None:
        path = Path(path)
        overrides = load_toml(path, what="profile")
        for name, table in overrides.items():
            where = f"profiles file {str(path)!r}, table [{name}]"
            if not isinstance(table, Mapping):
                msg = f"{where} must be a table like [{name}], got a {type(table).__name__}."
                raise InputError(msg)
            tables[name] = _merge(tables.get(name, {}), table)
            if name == WALK and tables[name].get("mode") != "walk":
                msg = (
                    f'{where}: mode must stay "walk"; vehicle profiles walk to and from the '
                    "vehicle with it. Define a table of another name for a new vehicle."
                )
                raise InputError(msg)
            check_profile_values(tables[name], where=where)
    profiles = {name: Profile(name=name, **table) for name, table in tables.items()}
    walk = profiles[WALK]
    return {
        name: p if p.mode == "walk" else dataclasses.replace(p, walking=walk)
        for name, p in profiles.items()
    }


def get_profile(profile: str | Profile, *, profiles_file: str | Path | None = None) -> Profile:
    """Resolve a profile name (or pass a :class:`Profile` through)."""
    if isinstance(profile, Profile):
        return profile
    profiles = load_profiles(profiles_file)
    if profile not in profiles:
        msg = f"unknown travel profile {profile!r}; choose one of {sorted(profiles)}."
        raise InputError(msg)
    return profiles[profile]
