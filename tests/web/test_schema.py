"""The API against its own OpenAPI schema (schemathesis): for every operation, requests made
from the schema — valid and invalid — never get a server error, and the answers keep to the
schema (status codes, content types, bodies). Called as a planner with an API token, over a
site that holds the demo county and a finished run, so that results routes are reached too.

The default run makes a bounded number of examples per operation (``EXAMPLES``); set
``ACCESSPLAN_SCHEMATHESIS_EXAMPLES`` for a longer one, or ``ACCESSPLAN_WEB_LONG=1`` for
``test_schema_long`` (200).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from tests.web.conftest import WALK, Site, build_county, long_run, open_site, run_scenario

EXAMPLES = int(os.environ.get("ACCESSPLAN_SCHEMATHESIS_EXAMPLES", "10"))


@pytest.fixture(scope="module")
def fuzzed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    for site in open_site(tmp_path_factory.mktemp("schema") / "data"):
        region = build_county(site)
        run_scenario(site, "walk", region, WALK)
        token = site.post("planner", "/api/tokens", json={"label": "fuzz", "days": 1})
        yield site, token.json()["token"]


CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]


def fuzz(site: Site, token: str, examples: int) -> dict[str, str]:
    """Every operation of the schema with ``examples`` generated requests each, valid and
    invalid (Hypothesis, derandomised); the first failure of each failing operation."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", site.app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        valid = operation.as_strategy(GenerationMode.POSITIVE)
        invalid = operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=valid | invalid)
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # a failed check, with its request
            failures[operation.label] = str(exc)[:2000]
    assert operations >= 25  # the schema was read
    return failures


def test_api_keeps_to_its_schema(fuzzed_site: tuple[Site, str]) -> None:
    """No server error and answers as documented, for each operation."""
    failures = fuzz(*fuzzed_site, EXAMPLES)
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


@pytest.mark.slow
@long_run
def test_schema_long(fuzzed_site: tuple[Site, str]) -> None:
    """The same with 200 examples per operation."""
    assert fuzz(*fuzzed_site, 200) == {}


def test_the_schema_is_served(fuzzed_site: tuple[Site, str], tmp_path: Path) -> None:
    """The schema is public (it holds no data) and documents both ways to log in."""
    site, _ = fuzzed_site
    document = site.as_("anonymous").get("/api/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyCookie", "APIKeyHeader"} <= set(schemes)
    assert len(document["paths"]) >= 25
