"""Fixtures of the web tests: a store on SQLite and on PostgreSQL, apps with users, a county
with finished runs, a real server for the browser, and Debian's Chromium.

Jobs run inline (:func:`accessplan.web.jobs.run_next`) in the API tests, so each test knows
when its job ended; the worker processes are tested on their own (``test_jobs.py``) and by the
browser tests, which talk to a real ``uvicorn`` server with its workers.

PostgreSQL is the server at ``ACCESSPLAN_TEST_POSTGRES`` (as for the monitor): each session
makes a schema ``web_<pid>_<random>`` and drops it at the end. Without a server the PostgreSQL
tests skip on a developer's machine and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accessplan.web import jobs
from accessplan.web.app import add_user, create_app
from accessplan.web.config import STATIC, WebSettings
from accessplan.web.store import Store
from tests.conftest import absent
from tests.web._server import FAST, PASSWORD, USERS

POSTGRES = os.environ.get(
    "ACCESSPLAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ROOT = Path(__file__).resolve().parents[2]
#: The long runs (schemathesis with 200 examples per operation, 50 users for 60 s) are for
#: ACCESSPLAN_WEB_LONG=1; the default run (and CI) makes their bounded versions.
LONG = os.environ.get("ACCESSPLAN_WEB_LONG", "") == "1"
long_run = pytest.mark.skipif(not LONG, reason="a long run: set ACCESSPLAN_WEB_LONG=1")
#: Where the browser tests keep their screenshots (beside the test output, not committed).
SCREENSHOTS = Path(os.environ.get("ACCESSPLAN_WEB_SCREENSHOTS", ROOT / "test-output" / "web"))
CHROMIUM = Path("/usr/bin/chromium")
#: Chromium as the machine allows it: headless, no background connections, WebGL on the CPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh schema on the PostgreSQL test server, dropped at the end."""
    schema = f"web_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any failure to reach the server
        admin.dispose()
        absent(f"PostgreSQL at {POSTGRES} is not reachable ({type(exc).__name__})")
    url = make_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql`` (tests taking it run on both)."""
    return str(request.param)


def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """An empty store's URL on ``backend`` ('' for SQLite in the data folder)."""
    if backend == "sqlite":
        return ""
    url = str(request.getfixturevalue("postgres_url"))
    engine = create_engine(url)
    with engine.begin() as connection:  # each test starts from an empty schema
        names = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for name in names:
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()
    return url


@dataclass
class Site:
    """An app, its store, its settings, and a client per user (each with its own cookies)."""

    app: FastAPI
    settings: WebSettings
    clients: dict[str, TestClient]
    csrf: dict[str, str]

    @property
    def store(self) -> Store:
        return self.app.state.store  # type: ignore[no-any-return]

    def as_(self, user: str) -> TestClient:
        return self.clients[user]

    def headers(self, user: str) -> dict[str, str]:
        """The CSRF header of ``user``'s session."""
        return {"X-CSRF-Token": self.csrf[user]}

    def post(self, user: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.clients[user].post(url, headers=self.headers(user), **kwargs)

    def put(self, user: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.clients[user].put(url, headers=self.headers(user), **kwargs)

    def delete(self, user: str, url: str) -> httpx.Response:
        return self.clients[user].delete(url, headers=self.headers(user))

    def run_jobs(self) -> int:
        """Run every queued job here; how many ran."""
        count = 0
        while jobs.run_next(self.store) is not None:
            count += 1
        return count


def open_site(data: Path, url: str = "", **options: Any) -> Iterator[Site]:
    """A site with users admin, planner and viewer, each logged in (``options``: more
    settings)."""
    settings = WebSettings(data_dir=data, database_url=url, **options)
    for name, role in USERS.items():
        add_user(settings, name, PASSWORD, role, passwords=FAST)
    app = create_app(settings, passwords=FAST, start_workers=False)
    clients = {name: TestClient(app) for name in (*USERS, "anonymous")}
    csrf: dict[str, str] = {}
    with clients["anonymous"]:  # the app's start and stop (one lifespan for all clients)
        for name in USERS:
            answer = clients[name].post(
                "/api/session", json={"username": name, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            csrf[name] = answer.json()["csrf"]
        yield Site(app, settings, clients, csrf)


@pytest.fixture
def site(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Site]:
    """An empty site on SQLite and on PostgreSQL."""
    yield from open_site(tmp_path / "data", database_url(backend, request))


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    """An empty site on SQLite."""
    yield from open_site(tmp_path / "data")


def build_county(site: Site, seed: int = 1) -> int:
    """The demo county built (a job run here); its region id."""
    answer = site.post("planner", "/api/regions/synthetic", json={"seed": seed})
    assert answer.status_code == 202, answer.text
    assert site.run_jobs() == 1
    region = site.as_("viewer").get(f"/api/regions/{answer.json()['id']}").json()
    assert region["status"] == "ready", region
    return int(region["id"])


def run_scenario(site: Site, name: str, region: int, steps: list[dict[str, Any]]) -> int:
    """A scenario saved and run (the job run here); the run's id."""
    answer = site.post(
        "planner", "/api/scenarios", json={"name": name, "region_id": region, "steps": steps}
    )
    assert answer.status_code == 201, answer.text
    run = site.post("planner", f"/api/scenarios/{answer.json()['id']}/runs")
    assert run.status_code == 202, run.text
    site.run_jobs()
    return int(run.json()["id"])


WALK = [{"kind": "access", "options": {"profiles": "walk", "thresholds": "15,30"}}]
CAR = [{"kind": "access", "options": {"profiles": "car", "thresholds": "15,30"}}]


@dataclass
class County:
    site: Site
    region: int
    walk: int
    car: int


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """A site on SQLite with the demo county and two finished runs: the service circle on
    foot and by car."""
    for site in open_site(tmp_path_factory.mktemp("county") / "data"):
        region = build_county(site)
        walk = run_scenario(site, "Walking", region, WALK)
        car = run_scenario(site, "By car", region, CAR)
        yield County(site, region, walk, car)


# ---------------------------------------------------------------------- a real server
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: Seconds a test server may take to answer: a first start in a fresh venv compiles every
#: module, and on a loaded 2-core machine took 50 s (load 11); 60 s failed the suite there.
START_S = 180


@dataclass
class Server:
    url: str
    data: Path
    process: subprocess.Popen[bytes]


def start_server(data: Path, log: Path) -> Server:
    """``tests.web._server`` on a free port, with its worker process; waits until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.web._server", str(data), str(port)],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return Server(url, data, process)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not answer within {START_S} s: {log.read_text()[-2000:]}")


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server (uvicorn and a worker process) on an empty data folder."""
    folder = tmp_path_factory.mktemp("server")
    running = start_server(folder / "data", folder / "server.log")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        absent("Debian's chromium is not installed (apt-get install chromium)")
    if not (STATIC / "index.html").is_file():
        absent("the page is not built: run `make test` (npm ci && npm run build in web/frontend)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot of ``page`` with the test output."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
