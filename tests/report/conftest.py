"""Measured regions to report on: a synthetic county, and a hand-made valley without admin
units (one settlement of unknown population)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from accessplan import synth
from accessplan.analyses import ANALYSES
from accessplan.measures import AccessResults, measure_access
from accessplan.region import Region
from accessplan.report import render_page, translator
from tests.conftest import points, road_network

PROFILES = ("walk", "car")


@pytest.fixture(scope="session")
def county_results() -> AccessResults:
    """Xishiling County (20 townships, 91 villages) measured on foot and by car."""
    return measure_access(synth.mountain_county(1), profiles=PROFILES)


@pytest.fixture(scope="session")
def county_page(county_results: AccessResults) -> Callable[[str], str]:
    """The county's report in a language, rendered once per session."""
    return functools.cache(lambda lang: access_page(county_results, lang))


def access_page(results: AccessResults, lang: str = "en", **kwargs: object) -> str:
    """The report page of one service-circle step, as a run folder shows it."""
    tr = translator(lang)
    section = ANALYSES["access"].section(results, tr)
    return render_page([("access", section)], tr, region=results.region, **kwargs)  # type: ignore[arg-type]


def valley() -> Region:
    """A 12 km road with four settlements and a clinic, a health centre, a hospital and a
    school along it; no administrative units."""
    xy = [(i * 1000.0, 0.0) for i in range(13)]
    edges = [(i, i + 1, "secondary", False) for i in range(12)]
    settlements = points(
        [
            {"id": "a", "name": "Amont", "population": 1200.0, "x": 0.0, "y": 50.0},
            {"id": "b", "name": "Bordes", "population": 300.0, "x": 4000.0, "y": 80.0},
            {"id": "c", "name": "Canillo", "population": float("nan"), "x": 8000.0, "y": 60.0},
            {"id": "d", "name": "Dalt", "population": 90.0, "x": 12000.0, "y": 900.0},
        ]
    )
    facilities = points(
        [
            {"id": "h1", "name": "Amont clinic", "service": "health", "tier": "village_clinic",
             "x": 0.0, "y": 20.0},
            {"id": "h2", "name": "Bordes centre", "service": "health",
             "tier": "township_health_center", "x": 4000.0, "y": 20.0},
            {"id": "h3", "name": "Hospital", "service": "health", "tier": "county_hospital",
             "x": 6000.0, "y": 20.0},
            {"id": "s1", "name": "School", "service": "school", "tier": "primary",
             "x": 4000.0, "y": -20.0},
        ]
    )  # fmt: skip
    return Region(settlements, facilities, road_network(xy, edges), name="Vall")


@pytest.fixture(scope="session")
def valley_results() -> AccessResults:
    return measure_access(valley(), profiles=PROFILES)
