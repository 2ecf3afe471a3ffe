"""Background jobs: analyses and region builds run in worker processes, never in the page's.

A job is a row of ``web_jobs``. The API queues it (:func:`enqueue`); a worker process
(:func:`worker_main`) claims the oldest queued job with a compare-and-set update, so two
workers never take the same one, runs it and records its stage and progress as it goes,
then ``done`` or ``failed`` with the message the CLI would print. What a job does:

``run``      a scenario run: :meth:`~accessplan.settings.Scenario.from_dict` on the stored
             definition, then :func:`accessplan.run.run_scenario` into ``runs/<id>`` — the run
             folder the CLI writes, whatever the analyses.
``region``   a region built from OpenStreetMap (and its DEM, population, ...) or synthesised
             from a seed, by :func:`accessplan.run.load_region`, written to ``region.gpkg``.

The :class:`Supervisor` (a thread of the server) keeps the workers alive. A worker that dies
mid-job (killed, out of memory) has its job marked failed and is replaced; a job cancelled
while running has its worker stopped and replaced. When the server starts, jobs left
``running`` by a server that stopped are marked failed (:func:`recover`): a job is never lost,
it ends either done or failed with the reason. Queued jobs wait for the next worker.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from accessplan._errors import AccessPlanError
from accessplan.web.models import OPEN, Job, Region, Run, Status, now
from accessplan.web.store import Store

logger = logging.getLogger(__name__)

#: Seconds between looks for queued work.
POLL_S = 0.5
#: Finished jobs whose layers a starting server converts before anyone asks.
WARM_AT_START = 10
#: Stages every run passes through after its steps (see accessplan.run.write_run_folder).
WRITING = ("writing tables", "writing results.gpkg", "writing report")


class Cancelled(Exception):
    """The job was cancelled while it ran."""


def enqueue(store: Store, session: Any, kind: str, user: str) -> Job:
    """A queued job of ``kind`` in ``session`` (flushed, so it has its id)."""
    job = Job(kind=kind, status=Status.QUEUED.value, created_by=user, stage="queued")
    session.add(job)
    session.flush()
    return job


def recover(store: Store) -> int:
    """Mark jobs left running by a server that stopped as failed; return how many."""
    with store.session() as session:
        result = session.execute(
            update(Job)
            .where(Job.status == Status.RUNNING.value)
            .values(
                status=Status.FAILED.value,
                error="the server stopped while this job ran; start it again.",
                finished_at=now(),
            )
        )
    count = int(cast(CursorResult[Any], result).rowcount or 0)
    if count:
        logger.warning("marked %d job(s) failed: the server stopped while they ran", count)
    _remove_temporaries(store, pid=None)
    return count


def claim(store: Store, pid: int) -> int | None:
    """Take the oldest queued job for worker ``pid``; its id, or None when there is none."""
    with store.session() as session:
        job_id = session.scalar(
            select(Job.id).where(Job.status == Status.QUEUED.value).order_by(Job.id).limit(1)
        )
        if job_id is None:
            return None
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == Status.QUEUED.value)
            .values(status=Status.RUNNING.value, started_at=now(), worker_pid=pid, stage="")
        )
        return int(job_id) if cast(CursorResult[Any], taken).rowcount == 1 else None


def run_next(store: Store) -> int | None:
    """Claim and run one queued job in this process; its id, or None when none waited."""
    job_id = claim(store, os.getpid())
    if job_id is not None:
        execute(store, job_id)
    return job_id


def execute(store: Store, job_id: int) -> None:
    """Run a claimed job and record how it ended."""
    with store.session() as session:
        kind = session.get_one(Job, job_id).kind
    status, error = Status.DONE, None
    try:
        TASKS[kind](store, job_id)
    except Cancelled:
        status, error = Status.CANCELLED, "cancelled"
    except AccessPlanError as exc:
        status, error = Status.FAILED, store.scrub(" ".join(str(exc).split()))
    except Exception as exc:  # a bug: said as the CLI says it, with the traceback in the log
        logger.exception("job %d failed", job_id)
        status = Status.FAILED
        error = f"internal error (a bug): {type(exc).__name__}: {store.scrub(str(exc))}"
    with store.session() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == Status.RUNNING.value)
            .values(
                status=status.value,
                error=error,
                finished_at=now(),
                progress=1.0 if status is Status.DONE else Job.progress,
                stage="" if status is Status.DONE else Job.stage,
            )
        )
    logger.info("job %d (%s): %s%s", job_id, kind, status.value, f": {error}" if error else "")


class Reporter:
    """The progress callback of a job: each stage named by the library becomes the job's
    stage; the planned stages (the region, each step, the writing) advance its progress."""

    def __init__(self, store: Store, job_id: int, planned: list[str]) -> None:
        self.store, self.job_id, self.planned = store, job_id, planned
        self.done = 0.0
        self.step = ""

    def __call__(self, stage: str) -> None:
        if stage in self.planned:
            self.done = self.planned.index(stage) / len(self.planned)
            self.step, shown = stage, stage
        else:
            shown = f"{self.step}: {stage}" if self.step else stage
        with self.store.session() as session:
            job = session.get_one(Job, self.job_id)
            if job.cancel_requested:
                raise Cancelled
            job.stage, job.progress = shown[:200], self.done


def _run(store: Store, job_id: int) -> None:
    from accessplan.run import run_scenario, sha256
    from accessplan.web.scenarios import check

    with store.session() as session:
        run = session.scalars(select(Run).where(Run.job_id == job_id)).one()
        run_id, definition, expected = run.id, dict(run.definition), dict(run.inputs)
    base = store.run_inputs_dir(run_id)
    scenario = check(store, definition, base)
    for key, path in scenario.files().items():
        if key in expected and sha256(path) != expected[key]:
            raise ChangedInput(f"input {key} changed after the run was queued; run it again.")
    planned = ["region", *(step.name for step in scenario.steps), *WRITING]
    out = store.run_dir(run_id)
    run_scenario(scenario, out=out, lang=scenario.lang, progress=Reporter(store, job_id, planned))
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    with store.session() as session:
        run = session.get_one(Run, run_id)
        run.inputs = {key: item["sha256"] for key, item in manifest["inputs"].items()}
        run.summary = [
            {"name": s["name"], "kind": s["kind"], "summary": s["summary"]}
            for s in manifest["steps"]
        ]


def _region(store: Store, job_id: int) -> None:
    from accessplan.run import load_region, sha256
    from accessplan.settings import RegionSource, Scenario

    with store.session() as session:
        row = session.scalars(select(Region).where(Region.job_id == job_id)).one()
        region_id, source, options, name = row.id, row.source, dict(row.options), row.name
    sources = store.region_dir(region_id) / "sources"
    say = Reporter(store, job_id, ["region", "writing"])
    say("region")
    if source == "synthetic":
        src = RegionSource(synthetic=str(options.get("synthetic", "mountain_county")))
    else:
        src = RegionSource(**{key: sources / value for key, value in options["files"].items()})
    region = load_region(Scenario(region=src, steps=(), seed=int(options.get("seed", 0))), say)
    if name:
        region.name = name
    say("writing")
    path = region.write(store.region_file(region_id))
    with store.session() as session:
        row = session.get_one(Region, region_id)
        row.name = region.name
        row.sha256 = sha256(path)
        row.summary = json.loads(json.dumps(region.summary(), default=str))


class ChangedInput(AccessPlanError):
    """An input file of a queued run was replaced before the run started."""


TASKS: dict[str, Callable[[Store, int], None]] = {"run": _run, "region": _region}


def worker_main(url: str, data_dir: str, poll_s: float = POLL_S) -> None:
    """A worker process: take queued jobs one at a time until stopped (SIGTERM)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="worker %(process)d: %(message)s")
    from pathlib import Path

    store = Store(url, Path(data_dir))
    logger.info("worker %d ready", os.getpid())
    while True:
        if run_next(store) is None:
            time.sleep(poll_s)


def _remove_temporaries(store: Store, pid: int | None) -> None:
    """Remove half-written run folders and region files of worker ``pid`` (of any worker
    when None): what a killed writer leaves beside its target (see accessplan._files)."""
    marker = f".{pid}." if pid is not None else "."
    for folder in (store.data_dir / "runs", *(store.data_dir / "regions").glob("*")):
        for path in folder.glob(".*.tmp*"):
            if marker in path.name:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


class Supervisor:
    """Keeps ``count`` worker processes running jobs from ``store`` (see the module
    docstring); :meth:`start` and :meth:`stop` with the server."""

    def __init__(self, store: Store, count: int = 1, *, poll_s: float = POLL_S) -> None:
        self.store, self.count, self.poll_s = store, count, poll_s
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[SpawnProcess] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._warmed = 0  # jobs up to this id have had their layers converted

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if w.pid is not None]

    def start(self) -> None:
        with self.store.session() as session:  # at start, warm only the latest few
            last = session.scalar(select(func.max(Job.id)).where(Job.status == "done"))
        self._warmed = max(0, (last or 0) - WARM_AT_START)
        self._workers = [self._spawn() for _ in range(self.count)]
        self._thread = threading.Thread(target=self._watch, name="job-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> SpawnProcess:
        process = self._context.Process(
            target=worker_main,
            args=(self.store.url, str(self.store.data_dir), self.poll_s),
            name="accessplan-worker",
            daemon=True,
        )
        process.start()
        logger.info("started worker process %s", process.pid)
        return process

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_s):
            try:
                self.check()
                self.warm()
            except Exception:  # the watch must go on; the next round retries
                logger.exception("job supervisor: check failed")

    def warm(self) -> None:
        """Convert the map layers of runs and regions that finished since the last look, so
        that the first readers of a new run (often many at once) find them ready."""
        from accessplan.web import results

        with self.store.session() as session:
            done = session.execute(
                select(Job.id, Run.id, Region.id)
                .outerjoin(Run, Run.job_id == Job.id)
                .outerjoin(Region, Region.job_id == Job.id)
                .where(Job.status == Status.DONE.value, Job.id > self._warmed)
                .order_by(Job.id)
            ).all()
        for job_id, run_id, region_id in done:
            if run_id is not None:
                gpkg = self.store.run_dir(run_id) / "results.gpkg"
            else:
                gpkg = self.store.region_file(region_id) if region_id else None
            if gpkg is not None and gpkg.is_file():
                results.warm(gpkg)
            self._warmed = job_id

    def check(self) -> None:
        """Replace dead workers (failing their jobs) and stop workers whose job was
        cancelled."""
        with self.store.session() as session:
            cancelled = session.scalars(
                select(Job.worker_pid).where(
                    Job.status == Status.RUNNING.value, Job.cancel_requested.is_(True)
                )
            ).all()
        for i, worker in enumerate(self._workers):
            if self._stopping.is_set():
                return
            if worker.pid in cancelled:
                self._stop(worker)
                self._close(worker.pid, Status.CANCELLED, "cancelled")
                self._workers[i] = self._spawn()
            elif not worker.is_alive():
                reason = (
                    f"the worker process stopped (exit code {worker.exitcode}) while this job "
                    "ran; start it again."
                )
                self._close(worker.pid, Status.FAILED, reason)
                self._workers[i] = self._spawn()

    def _close(self, pid: int | None, status: Status, reason: str) -> None:
        with self.store.session() as session:
            session.execute(
                update(Job)
                .where(Job.worker_pid == pid, Job.status.in_(OPEN))
                .values(status=status.value, error=reason, finished_at=now())
            )
        _remove_temporaries(self.store, pid)

    @staticmethod
    def _stop(worker: SpawnProcess) -> None:
        worker.terminate()
        worker.join(10)
        if worker.is_alive():
            worker.kill()
            worker.join(5)

    def stop(self) -> None:
        """Stop the workers; their running jobs are marked failed (the server stopped)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        for worker in self._workers:
            self._stop(worker)
            self._close(worker.pid, Status.FAILED, "the server stopped while this job ran.")
        self._workers = []
