"""Travel profiles: Tobler, vehicle slopes, one-way roads, access per mode, TOML overrides and
their checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accessplan import InputError
from accessplan.travel import Profile, get_profile, load_profiles, tobler_kmh


def edges(
    highway: str, rise: float, fall: float, *, oneway: bool = False, surface: str = ""
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "length_m": [1000.0],
            "highway": [highway],
            "surface": [surface],
            "oneway": [oneway],
            "rise_m": [rise],
            "fall_m": [fall],
        }
    )


def test_tobler_peaks_at_a_gentle_descent() -> None:
    """Tobler's function: 6 km/h at a 5 % descent, 5.04 km/h on the flat."""
    assert tobler_kmh(-0.05) == pytest.approx(6.0)
    assert tobler_kmh(0.0) == pytest.approx(6 * np.exp(-0.175))
    assert tobler_kmh(0.2) < tobler_kmh(-0.2)


def test_walk_edge_times_differ_by_direction() -> None:
    """A 10 % rise: up takes 1 km / v(0.1), down 1 km / v(-0.1)."""
    fwd, bwd = get_profile("walk").edge_minutes(edges("path", 100, 0))
    assert fwd[0] == pytest.approx(60 / tobler_kmh(0.1))
    assert bwd[0] == pytest.approx(60 / tobler_kmh(-0.1))


def test_vehicles_slow_on_steep_grades_and_respect_oneway() -> None:
    """Flat primary at 60 km/h takes 1 min; 10 % up costs 1 - 3 * 0.07 of the speed."""
    car = get_profile("car")
    flat_f, flat_b = car.edge_minutes(edges("primary", 0, 0, oneway=True))
    assert flat_f[0] == pytest.approx(1.0)
    assert np.isinf(flat_b[0])
    up, down = car.edge_minutes(edges("primary", 100, 0))
    assert up[0] == pytest.approx(1.0 / (1 - 3.0 * 0.07))
    assert down[0] == pytest.approx(1.0 / (1 - 1.5 * 0.07))
    gravel, _ = car.edge_minutes(edges("primary", 0, 0, surface="gravel"))
    assert gravel[0] == pytest.approx(1 / 0.7)
    no_path, _ = car.edge_minutes(edges("footway", 0, 0))
    assert np.isinf(no_path[0])


def test_toml_overrides_merge_and_unknown_keys_fail(tmp_path: Path) -> None:
    """A TOML file changes one speed and keeps the rest; a typo is named."""
    good = tmp_path / "p.toml"
    good.write_text(
        '[car]\nspeeds = { primary = 30 }\n[tractor]\nmode = "vehicle"\nspeeds = { track = 12 }\n'
    )
    profiles = load_profiles(good)
    assert profiles["car"].speeds["primary"] == 30
    assert profiles["car"].speeds["secondary"] == 50
    assert profiles["tractor"].speeds == {"track": 12}
    bad = tmp_path / "bad.toml"
    bad.write_text("[car]\nspeed = { primary = 30 }\n")
    with pytest.raises(InputError, match="unknown profile key\\(s\\) \\['speed'\\]"):
        load_profiles(bad)
    with pytest.raises(InputError, match="unknown travel profile 'bike'"):
        get_profile("bike")


def test_edge_access_decides_per_profile_mode() -> None:
    """A road closed to walkers (foot=no) is inf on foot and 1 min by car; motor_vehicle=no
    the other way round; oneway:foot binds walkers, a profile with oneway=false ignores it."""
    foot_no = edges("primary", 0, 0).assign(foot_forward=False, foot_backward=False)
    assert np.isinf(get_profile("walk").edge_minutes(foot_no)).all()
    assert get_profile("car").edge_minutes(foot_no)[0][0] == pytest.approx(1.0)
    cars_no = edges("primary", 0, 0).assign(motorcar_forward=False, motorcar_backward=False)
    assert np.isinf(get_profile("car").edge_minutes(cars_no)).all()
    assert np.isinf(get_profile("mobile_clinic").edge_minutes(cars_no)).all()
    assert np.isfinite(get_profile("motorcycle").edge_minutes(cars_no)).all()
    one_way_on_foot = edges("footway", 0, 0).assign(foot_backward=False)
    fwd, bwd = get_profile("walk").edge_minutes(one_way_on_foot)
    assert np.isfinite(fwd[0]) and np.isinf(bwd[0])
    stroller = dataclasses.replace(get_profile("walk"), oneway=False)
    assert np.isfinite(stroller.edge_minutes(one_way_on_foot)).all()


def test_a_walk_override_reaches_the_walks_of_vehicle_profiles(tmp_path: Path) -> None:
    """[walk] in a profiles file changes the walking legs of car, motorcycle and van trips,
    and with them the profile's key (so no cached network of the default walk is reused)."""
    path = tmp_path / "slow.toml"
    path.write_text("[walk]\nspeeds = { path = 2.5 }\n")
    profiles = load_profiles(path)
    for name in ("car", "motorcycle", "mobile_clinic"):
        assert profiles[name].walker() is profiles["walk"]
        assert profiles[name].walker().speeds["path"] == 2.5
        assert profiles[name].key() != get_profile(name).key()
    assert get_profile("car").walker().speeds["path"] == 5


def bad_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # a quoted "no" is a non-empty string, which Python reads as true
        ('[car]\noneway = "no"\n', ["[car]", "oneway must be true or false", "'no'"]),
        # inf km/h makes every road take 0 minutes
        ("[car]\nspeeds = { primary = inf }\n", ["[car]", "speeds.primary", "finite", "inf"]),
        ("[car]\nspeeds = { primary = nan }\n", ["speeds.primary", "finite"]),
        ("[car]\nspeeds = { primary = -5 }\n", ["speeds.primary", "-5"]),
        ("[walk]\nspeeds = { path = 500 }\n", ["[walk]", "speeds.path", "20]"]),
        ('[car]\nspeeds = { primary = "fast" }\n', ["speeds.primary", "'fast'"]),
        ("[car]\nspeeds = { primary = true }\n", ["speeds.primary", "True"]),
        # a negative floor would make steep roads faster than the floor allows, or negative
        ("[car]\nmin_slope_factor = -0.5\n", ["[car]", "min_slope_factor", "(0, 1]", "-0.5"]),
        ("[car]\nmin_slope_factor = 0\n", ["min_slope_factor", "(0, 1]"]),
        ("[car]\nuphill_penalty = -1\n", ["uphill_penalty", "-1"]),
        ("[car]\ngrade_threshold = 2\n", ["grade_threshold", "0.5]"]),
        ("[car]\nsurface_factors = { gravel = 1.5 }\n", ["surface_factors.gravel", "1]"]),
        ("[car]\nspeeds = 60\n", ["speeds must be a table"]),
        ('[car]\nmode = "bicycle"\n', ["[car]", 'mode must be "walk" or "vehicle"']),
        ('[car]\nosm_mode = "foot"\n', ["[car]", "osm_mode", "'motorcar', 'motorcycle'"]),
        ('[walk]\nosm_mode = "motorcar"\n', ["[walk]", "osm_mode", "['foot']"]),
        ('[walk]\nmode = "vehicle"\n', ["[walk]", 'must stay "walk"']),
        ("[tractor]\nspeeds = { track = 12 }\n", ["[tractor]", "mode", "missing"]),
        (
            "[car]\nspeeds = { motorway = 0, motorway_link = 0, trunk = 0, trunk_link = 0, "
            "primary = 0, primary_link = 0, secondary = 0, secondary_link = 0, tertiary = 0, "
            "tertiary_link = 0, unclassified = 0, residential = 0, living_street = 0, "
            "service = 0, road = 0, track = 0 }\n",
            ["[car]", "every speed in `speeds` is 0", "can use no road"],
        ),
    ],
)
def test_every_value_of_a_profiles_file_is_checked(
    tmp_path: Path, text: str, words: list[str]
) -> None:
    """Each bad value is refused with the file, the table and key, what came and the fix."""
    path = bad_file(tmp_path, text)
    with pytest.raises(InputError) as error:
        load_profiles(path)
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_a_profile_made_in_code_is_checked_too() -> None:
    """The same checks guard profiles built in Python, naming the profile."""
    with pytest.raises(InputError, match=r"profile 'fast': speeds\.primary must be a finite"):
        Profile(name="fast", mode="vehicle", speeds={"primary": float("inf")})
    with pytest.raises(InputError, match="profile 'odd': oneway must be true or false"):
        Profile(name="odd", mode="vehicle", speeds={"primary": 60}, oneway="no")  # type: ignore[arg-type]


def test_internal_fields_are_not_profile_keys(tmp_path: Path) -> None:
    """`walking` is set by load_profiles from [walk]; a file may not set it (nor `name`)."""
    for key in ("walking", "name"):
        with pytest.raises(InputError, match=f"unknown profile key\\(s\\) \\['{key}'\\]"):
            load_profiles(bad_file(tmp_path, f'[car]\n{key} = "walk"\n'))
