"""Load on the web service over loopback: many users reading results while a job runs.

    .venv/bin/python benchmarks/web_load.py                      # 50 users, 60 s, mobile tours
    .venv/bin/python benchmarks/web_load.py --users 10 --seconds 10 --job access

Starts the server as `accessplan serve` runs it (uvicorn, one worker process for jobs) on an
empty data folder, builds the demo county and runs the service circle on foot and by car
(the results the users read). Then it starts the long job (mobile tours, or site planning, or
the service circle; started again whenever it ends, so that a job runs for the whole window)
and lets ``--users`` concurrent users — each logged in with its own session — read for
``--seconds``, each sending its next request as soon as the last is answered (``--think 0``,
the default: the hardest case) or after ``--think`` seconds on average: the list of runs, a
run, the list of jobs, the settlements layer as GeoJSON (gzip), the township table, a table's
CSV, the comparison of the two runs and the region's roads.

Printed: requests per second, latency percentiles (p50, p95, p99, max) overall and per kind of
request, errors (any answer but 200, any failed connection), how long a job was running during
the window, and the machine's load. The load generator runs in this process (asyncio, httpx)
on the same two cores as the server and its worker: its share of the CPU is in the numbers.
``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx

PASSWORD = "correct horse battery"
#: The long jobs: a scenario's steps.
JOBS: dict[str, list[dict[str, Any]]] = {
    "mobile": [{"kind": "mobile", "options": {}}],
    "site": [{"kind": "site", "options": {"tier": "township_health_center", "p": 3,
                                          "threshold": 15, "model": "pmedian"}}],
    "access": [{"kind": "access", "options": {"profiles": "walk,motorcycle,car"}}],
}  # fmt: skip

#: Seconds after the last login in which the first readers of each layer wait for its
#: conversion (the cold start): the figures after them are reported too.
WARM_S = 3.0

logger = logging.getLogger("web_load")


# ---------------------------------------------------------------------- the server
def serve(data: Path, port: int) -> None:
    """The server process: users, then `accessplan serve` (uvicorn and its worker)."""
    from accessplan.monitor.security import Passwords
    from accessplan.web.app import add_user, serve, user_count
    from accessplan.web.config import WebSettings

    logging.basicConfig(level=logging.WARNING)
    # cheap Argon2 for the 50 logins; the reads measured do not hash passwords
    fast = Passwords(time_cost=1, memory_cost=1024, parallelism=1)
    settings = WebSettings(data_dir=data)
    if user_count(settings) == 0:
        add_user(settings, "planner", PASSWORD, "planner", passwords=fast)
        add_user(settings, "viewer", PASSWORD, "viewer", passwords=fast)
    serve(settings, port=port, passwords=fast, log_level="warning")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(data: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """The server on a free port; its URL and process, once it answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(data), str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start within 180 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


# ---------------------------------------------------------------------- the setup
def session(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    answer = client.post("/api/session", json={"username": user, "password": PASSWORD})
    answer.raise_for_status()
    client.headers["X-CSRF-Token"] = answer.json()["csrf"]
    return client


def wait_job(client: httpx.Client, job_id: int, timeout_s: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = client.get(f"/api/jobs/{job_id}")
        answer.raise_for_status()
        job = answer.json()
        if job["status"] not in ("queued", "running"):
            if job["status"] != "done":
                raise RuntimeError(f"job {job_id} {job['status']}: {job['error']}")
            return dict(job)
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} did not end within {timeout_s} s")


def scenario(client: httpx.Client, name: str, region: int, steps: list[dict[str, Any]]) -> int:
    body = {"name": name, "region_id": region, "steps": steps}
    made = client.post("/api/scenarios", json=body)
    made.raise_for_status()
    return int(made.json()["id"])


def run(client: httpx.Client, scenario_id: int) -> dict[str, Any]:
    answer = client.post(f"/api/scenarios/{scenario_id}/runs")
    answer.raise_for_status()
    return dict(answer.json())


@dataclass
class Setup:
    region: int
    walk: int
    car: int
    long_scenario: int


def prepare(url: str, job: str, *, compare_with_itself: bool = False) -> Setup:
    """The demo county, two finished runs to read (one, compared with itself, when
    ``compare_with_itself``: quicker), and the scenario of the long job."""
    planner = session(url, "planner")
    built = planner.post("/api/regions/synthetic", json={"seed": 1}).json()
    wait_job(planner, built["job"]["id"])
    runs = []
    profiles = (("walk", "walk"),) if compare_with_itself else (("walk", "walk"), ("car", "car"))
    for name, profile in profiles:
        steps = [{"kind": "access", "options": {"profiles": profile}}]
        made = run(planner, scenario(planner, name, built["id"], steps))
        wait_job(planner, made["job"]["id"])
        runs.append(made["id"])
    long_scenario = scenario(planner, f"long {job}", built["id"], JOBS[job])
    return Setup(built["id"], runs[0], runs[-1], long_scenario)


# ---------------------------------------------------------------------- the load
def requests_of(setup: Setup) -> dict[str, str]:
    """What the users read, by kind."""
    r, a, b = setup.region, setup.walk, setup.car
    return {
        "runs": "/api/runs",
        "run": f"/api/runs/{a}",
        "jobs": "/api/jobs?limit=20",
        "layer (GeoJSON)": f"/api/runs/{a}/layers/settlements",
        "township table": f"/api/runs/{a}/table?name=coverage.csv&where=level:township",
        "CSV": f"/api/runs/{b}/files/gaps.csv",
        "compare": f"/api/compare?a={a}&b={b}",
        "roads (GeoJSON)": f"/api/regions/{r}/layers/road_edges",
    }


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: (when the answer came, how long it took), every request
    timeline: list[tuple[float, float]] = field(default_factory=list)
    #: when the last user had logged in
    logged_in: float = 0.0

    def add(self, kind: str, sent: float, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.timeline.append((sent, seconds))


async def user(
    url: str, paths: dict[str, str], until: float, tally: Tally, seed: int, think: float
) -> None:
    """One user: log in, then read results until ``until``, waiting ``think`` seconds on
    average (0.5x to 1.5x) between an answer and the next request. The answers are read
    whole but not unpacked (the browser's work, not the server's)."""
    chooser = random.Random(seed)
    kinds = list(paths)
    headers = {"Accept-Encoding": "gzip"}
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as client:
        login = await client.post("/api/session", json={"username": "viewer", "password": PASSWORD})
        if login.status_code != 200:
            tally.errors.append(f"login: {login.status_code}")
            return
        tally.logged_in = max(tally.logged_in, time.monotonic())
        while time.monotonic() < until:
            kind = chooser.choice(kinds)
            began = time.perf_counter()
            try:
                async with client.stream("GET", paths[kind]) as answer:
                    async for _ in answer.aiter_raw():
                        pass
            except httpx.HTTPError as exc:
                tally.errors.append(f"{kind}: {type(exc).__name__}")
                continue
            tally.add(kind, time.monotonic(), time.perf_counter() - began)
            if answer.status_code != 200:
                tally.errors.append(f"{kind}: {answer.status_code}")
            if think:
                await asyncio.sleep(think * chooser.uniform(0.5, 1.5))


async def keep_a_job_running(url: str, scenario_id: int, until: float) -> dict[str, Any]:
    """Start the long job, and again whenever it ends, until ``until``; how long one ran."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        login = await client.post(
            "/api/session", json={"username": "planner", "password": PASSWORD}
        )
        client.headers["X-CSRF-Token"] = login.json()["csrf"]
        started = ended = 0
        running_s = 0.0
        job_id = None
        last = time.monotonic()
        while time.monotonic() < until:
            if job_id is None:
                answer = await client.post(f"/api/scenarios/{scenario_id}/runs")
                job_id = answer.json()["job"]["id"]
                started += 1
            await asyncio.sleep(0.5)
            job = (await client.get(f"/api/jobs/{job_id}")).json()
            now = time.monotonic()
            if job["status"] == "running":
                running_s += now - last
            last = now
            if job["status"] not in ("queued", "running"):
                ended += 1
                if job["status"] != "done":
                    raise RuntimeError(f"the long job {job['status']}: {job['error']}")
                job_id = None
        return {"started": started, "finished": ended, "running_s": running_s}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def load(url: str, setup: Setup, users: int, seconds: float, think: float) -> dict[str, Any]:
    """``users`` concurrent readers for ``seconds`` while a job runs; the figures."""
    paths = requests_of(setup)
    tally = Tally()
    began = time.monotonic()
    until = began + seconds
    job = asyncio.create_task(keep_a_job_running(url, setup.long_scenario, until))
    await asyncio.sleep(1.0)  # the job starts first
    load_before = os.getloadavg()[0]
    readers = (user(url, paths, until, tally, seed, think) for seed in range(users))
    await asyncio.gather(*readers)
    jobs_run = await job
    window = time.monotonic() - began
    every = [x for values in tally.latencies.values() for x in values]
    warm = [took for done, took in tally.timeline if done - took > tally.logged_in + WARM_S]
    ms = 1000.0
    return {
        "users": users,
        "think_s": think,
        "seconds": round(window, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / window, 1),
        "p50_ms": round(percentile(every, 0.50) * ms, 1),
        "p95_ms": round(percentile(every, 0.95) * ms, 1),
        "p99_ms": round(percentile(every, 0.99) * ms, 1),
        "max_ms": round(max(every) * ms, 1),
        "warm_p50_ms": round(percentile(warm, 0.50) * ms, 1) if warm else None,
        "warm_p95_ms": round(percentile(warm, 0.95) * ms, 1) if warm else None,
        "errors": len(tally.errors),
        "error_kinds": sorted(set(tally.errors))[:10],
        "by_kind": {
            kind: {
                "requests": len(values),
                "p50_ms": round(statistics.median(values) * ms, 1),
                "p95_ms": round(percentile(values, 0.95) * ms, 1),
            }
            for kind, values in sorted(tally.latencies.items())
        },
        "long_job": jobs_run,
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"{figures['users']} users (think {figures['think_s']} s) for {figures['seconds']} s: "
        f"{figures['requests']} requests, "
        f"{figures['requests_per_s']}/s; p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} "
        f"ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms; errors "
        f"{figures['errors']} {figures['error_kinds'] or ''}",
        f"from {WARM_S:g} s after the last login (layers converted): p50 "
        f"{figures['warm_p50_ms']} ms, p95 {figures['warm_p95_ms']} ms",
        f"long job: {figures['long_job']}; load (1 min) {figures['load_1min']} on "
        f"{figures['cpus']} CPUs",
        "| request | n | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for kind, row in figures["by_kind"].items():
        lines.append(f"| {kind} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} |")
    return "\n".join(lines)


def measure(
    users: int,
    seconds: float,
    job: str,
    *,
    think: float = 0.0,
    data: Path | None = None,
    compare_with_itself: bool = False,
) -> dict[str, Any]:
    """Start a server on ``data`` (a new temporary folder when None), prepare, load; the
    figures (the server is stopped at the end)."""
    with tempfile.TemporaryDirectory(prefix="web-load-") as tmp:
        url, process = start(data or Path(tmp) / "data")
        try:
            setup = prepare(url, job, compare_with_itself=compare_with_itself)
            return asyncio.run(load(url, setup, users, seconds, think))
        finally:
            stop(process)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--job", choices=sorted(JOBS), default="mobile")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds between an answer and the next"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    figures = measure(args.users, args.seconds, args.job, think=args.think)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
