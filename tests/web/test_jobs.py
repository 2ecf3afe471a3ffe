"""Jobs and the store: migrations equal to the models, a job taken by one worker only, jobs run
in a worker process, a dead worker's job failed (not lost) and the worker replaced, a running
job cancelled, and jobs left running by a stopped server marked failed when it starts."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import select

from accessplan.web import jobs
from accessplan.web.app import create_app
from accessplan.web.config import WebSettings
from accessplan.web.models import Base, Job, Region
from accessplan.web.store import VERSION_TABLE, Store, head_revision
from tests.web._server import FAST
from tests.web.conftest import database_url


@pytest.fixture
def store(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A migrated, empty store on SQLite and on PostgreSQL."""
    opened = Store(database_url(backend, request) or f"sqlite:///{tmp_path / 'web.db'}", tmp_path)
    opened.upgrade()
    yield opened
    opened.dispose()


def queue_region(store: Store, seed: int = 1) -> int:
    """A queued build of the demo county; the job's id."""
    with store.session() as session:
        job = jobs.enqueue(store, session, "region", "test")
        session.add(Region(name="", source="synthetic", options={"seed": seed}, job_id=job.id,
                           created_by="test"))  # fmt: skip
        return job.id


def running_region(store: Store, seed: int) -> int:
    """A region build seen running (its id): a build of the demo county may finish between
    two polls, so builds are queued until one is caught running (at most five)."""
    for attempt in range(5):
        job_id = queue_region(store, seed + 10 * attempt)
        wait(has_status(store, job_id, "running", "done", "failed"))
        if job(store, job_id).status == "running":
            return job_id
        wait(has_status(store, job_id, "done", "failed"))
    raise AssertionError("no region build was seen running in five tries")


def has_status(store: Store, job_id: int, *statuses: str) -> Callable[[], bool]:
    return lambda: job(store, job_id).status in statuses


def job(store: Store, job_id: int) -> Job:
    with store.session() as session:
        return session.get_one(Job, job_id)


def wait(until: Callable[[], bool], seconds: float = 180) -> None:
    """Poll ``until`` every 0.1 s; the generous limit is for a shared machine under load,
    where a fresh worker process takes a while to import accessplan."""
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_migrations_build_the_models(store: Store) -> None:
    """The migrated schema is the models' (Alembic finds nothing to change) and at head."""
    assert store.revision() == head_revision()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "include_name": lambda name, kind, _p: kind != "table" or name.startswith("web_"),
                "compare_type": True,
            },
        )
        assert compare_metadata(context, Base.metadata) == []
    store.upgrade()  # again: nothing to do
    assert store.revision() == head_revision()


def test_each_job_is_taken_once(store: Store) -> None:
    """Four threads claiming at once share 30 queued jobs: each job taken exactly once."""
    made = sorted(queue_region(store) for _ in range(30))
    taken: list[int] = []
    lock = threading.Lock()

    def worker(pid: int) -> None:
        while (found := jobs.claim(store, pid)) is not None:
            with lock:
                taken.append(found)

    threads = [threading.Thread(target=worker, args=(pid,)) for pid in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == made
    with store.session() as session:
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {"running"}


def test_server_start_fails_jobs_a_stopped_server_left(tmp_path: Path) -> None:
    """Started again, the server marks the jobs the stopped one was running as failed, with
    the reason, and keeps the queued ones queued."""
    settings = WebSettings(data_dir=tmp_path / "data")
    store = Store(settings.database_url, settings.data_dir)
    store.upgrade()
    running, queued = queue_region(store), queue_region(store, 2)
    assert jobs.claim(store, 12345) == running
    (store.data_dir / "runs" / ".7.12345.abc.tmp").mkdir()  # a half-written run folder
    with TestClient(create_app(settings, passwords=FAST, start_workers=False)):
        pass
    assert job(store, running).status == "failed"
    assert job(store, running).error == "the server stopped while this job ran; start it again."
    assert job(store, queued).status == "queued"
    assert list((store.data_dir / "runs").iterdir()) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_workers_run_jobs_and_survive_their_death(store: Store) -> None:
    """A job runs in a worker process, not the server's. A worker killed mid-job leaves its
    job failed with the reason and is replaced by one that runs the next job; a job
    cancelled while running is stopped the same way."""
    supervisor = jobs.Supervisor(store, 1, poll_s=0.2)
    supervisor.start()
    try:
        first = queue_region(store)
        wait(lambda: job(store, first).status == "done")
        [pid] = supervisor.pids
        assert job(store, first).worker_pid == pid != os.getpid()

        killed = running_region(store, 2)
        os.kill(pid, signal.SIGKILL)
        wait(lambda: job(store, killed).status == "failed")
        assert job(store, killed).error == (
            "the worker process stopped (exit code -9) while this job ran; start it again."
        )
        wait(lambda: bool(supervisor.pids) and supervisor.pids[0] != pid)

        cancelled = running_region(store, 3)
        with store.session() as session:
            session.get_one(Job, cancelled).cancel_requested = True
        wait(lambda: job(store, cancelled).status == "cancelled")
        leftovers = [p.name for p in store.data_dir.rglob(".*.tmp*")]
        assert leftovers == []
    finally:
        supervisor.stop()
