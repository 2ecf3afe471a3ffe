"""A synthetic mountain county with 60 small village schools, and its plan, shared by the
school tests (built once: travel times over 300 settlements take a few seconds)."""

from __future__ import annotations

import pytest

from accessplan.optimize.schools.plan import SchoolPlan, plan_schools
from accessplan.region import Region
from accessplan.synth_schools import school_county

LIMITS = {"primary": 30.0, "middle": 60.0}


@pytest.fixture(scope="session")
def county() -> Region:
    return school_county(0)


@pytest.fixture(scope="session")
def county_plan(county: Region) -> SchoolPlan:
    return plan_schools(county, min_size=100, max_minutes=LIMITS, curve_points=2)
