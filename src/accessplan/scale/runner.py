"""``accessplan run --distributed``: a scenario's steps on a Dask cluster, into one run folder.

The region is written to a shared store (:mod:`accessplan.scale._store`) and partitioned by
administrative unit (:mod:`accessplan.scale._plan`); its travel networks become partitioned
ones (:func:`accessplan.travel.network.use_factory`), so the service circle and equity run
*unchanged* — the same analyses of :data:`accessplan.analyses.ANALYSES`, the same
:func:`accessplan.run.write_run_folder` — with their searches answered by the partitions,
exactly (:mod:`accessplan.scale.partition`). The searches each step will ask are sent ahead
in one round per profile (:func:`planned_queries`). The other analyses that run on a region
(site selection, mobile tours...) are per county by nature: each runs once per county, in
parallel, on the county's own places and the roads around it, as steps ``<step>-<code>``.

Dask: a :class:`~distributed.LocalCluster` of ``workers`` processes by default, or the
scheduler at ``scheduler``; each partition task is retried (``retries``) when it fails or
its worker dies, and a partition's answers are written to the store when done, so a task
run again reads them instead of computing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from accessplan._errors import InputError
from accessplan._files import new_folder
from accessplan._result import AnalysisResult
from accessplan.analyses import Context, analysis
from accessplan.measures.access import DEFAULT_PROFILES
from accessplan.measures.coverage import DEFAULT_THRESHOLDS
from accessplan.measures.equity import DEFAULT_CATCHMENT, DEFAULT_PROFILE, DEFAULT_SERVICE
from accessplan.region import Region
from accessplan.run import check_target, load_region, write_run_folder
from accessplan.scale._plan import Partition, plan, speed_bound
from accessplan.scale._store import Store
from accessplan.scale.engine import PartitionedEngine, Runner, partitioned_network
from accessplan.scale.partition import Query, buffer_box
from accessplan.settings import Scenario, Step
from accessplan.travel.network import TravelNetwork, place_joins, use_factory
from accessplan.travel.profiles import Profile, get_profile

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
#: Kinds whose searches run on partitions; the others that need a region run per county.
PARTITIONED = ("access", "equity")
#: Roads this far (m) beyond a county's own places belong to its per-county runs.
COUNTY_BUFFER_M = 10_000.0


@dataclass
class Distributed:
    """A region whose networks are partitioned: the store, the engines made so far (by
    profile key) and how each round went."""

    region: Region
    store: Store
    runner: Runner
    hint: float = 60.0
    county_buffer_m: float = COUNTY_BUFFER_M
    engines: dict[str, PartitionedEngine] = field(default_factory=dict)

    def network(self, profile: Profile, max_snap_m: float) -> TravelNetwork:
        """The partitioned network of ``profile`` (the region's network factory)."""
        key = _joins_key(profile, max_snap_m)
        if key not in self.engines:
            self.store.write_joins(key, place_joins(self.region, profile))
            self.engines[key] = PartitionedEngine(
                store_root=str(self.store.root),
                partitions=self.store.partitions(),
                profile=profile,
                joins_key=key,
                speed=speed_bound(self.region, profile),
                runner=self.runner,
                max_snap_m=max_snap_m,
                hint=self.hint,
            )
        engine = self.engines[key]
        return partitioned_network(
            engine, len(self.region.settlements), len(self.region.facilities)
        )

    def reports(self) -> list[dict[str, Any]]:
        """Every round: its searches and, per partition, each pass's buffer and uncertain
        answers."""
        return [r for e in self.engines.values() for r in e.reports]


def partition_region(
    region: Region,
    store_root: str | Path,
    runner: Runner,
    *,
    level: str = "county",
    hint: float = 60.0,
) -> Distributed:
    """Write ``region`` to a store, partitioned by ``level``, and make its networks
    partitioned ones (until :func:`release`)."""
    store = Store(store_root)
    store.write_inputs(region, plan(region, level=level))
    run = Distributed(region=region, store=store, runner=runner, hint=hint)
    use_factory(region, run.network)
    return run


def release(run: Distributed) -> None:
    """Give the region back its ordinary (single-process) networks."""
    use_factory(run.region, None)


def planned_queries(region: Region, step: Step) -> list[tuple[Profile, float, list[Query]]]:
    """The searches an access or equity step will ask, per profile (with its snap distance):
    sent ahead so that each partition answers them in one pass."""
    options = dict(step.options)
    n_set = len(region.settlements)
    fac = region.facilities
    settlements = np.arange(n_set, dtype=np.int64)
    max_snap_m = float(options.get("max_snap_m", 1000.0))
    profiles_file = options.get("profiles_file")

    def rows(mask: Any) -> np.ndarray:
        return np.flatnonzero(np.asarray(mask)).astype(np.int64) + n_set

    out = []
    if step.kind == "access":
        names = list(options.get("profiles", DEFAULT_PROFILES))
        names += [s.profile for _, s in region.catalogue.standards() if s.profile not in names]
        limits = tuple(sorted(float(t) for t in options.get("thresholds", DEFAULT_THRESHOLDS)))
        hint = max(limits)
        for name in dict.fromkeys(names):
            queries = [
                Query("nearest", rows(fac["tier"] == t), settlements, (), hint)
                for tiers in region.tiers.values()
                for t in tiers
            ]
            queries.append(
                Query(
                    "nearest",
                    rows(fac["tier"] == "county_hospital"),
                    rows(fac["tier"] == "township_health_center"),
                    (),
                    hint,
                )
            )
            queries += [
                Query("reach", rows(fac["service"] == s), np.empty(0, np.int64), limits, hint)
                for s in region.tiers
            ]
            prof = get_profile(name, profiles_file=profiles_file)
            out.append((prof, max_snap_m, queries))
    elif step.kind == "equity":
        catchment = float(options.get("catchment", DEFAULT_CATCHMENT))
        service = options.get("service", DEFAULT_SERVICE)
        queries = [
            Query("bounded", rows(fac["service"] == service), settlements, (catchment,), catchment)
        ]
        if "fca" in [m.lower() for m in options.get("methods", ())]:
            queries.append(Query("bounded", settlements, settlements, (catchment,), catchment))
        prof = get_profile(options.get("profile", DEFAULT_PROFILE), profiles_file=profiles_file)
        out.append((prof, max_snap_m, queries))
    return out


def run_steps(
    run: Distributed, scenario: Scenario, progress: Progress | None = None
) -> list[tuple[Step, AnalysisResult]]:
    """Each step of ``scenario`` on the partitioned region: access and equity with their
    searches on the partitions, other region steps once per county."""
    say = progress or (lambda _stage: None)
    region = run.region
    context = Context(region=lambda: region, seed=scenario.seed, progress=say)
    results: list[tuple[Step, AnalysisResult]] = []
    for step in scenario.steps:
        kind = analysis(step.kind)
        if check := kind.check_region:
            check(region, dict(step.options), step.naming)
        if step.kind in PARTITIONED:
            for prof, max_snap_m, queries in planned_queries(region, step):
                say(f"{step.name}: {prof.name} joins")
                network = run.network(prof, max_snap_m)
                assert isinstance(network.remote, PartitionedEngine)
                n_parts = len(run.store.partitions())
                say(f"{step.name}: {prof.name} searches on {n_parts} partitions")
                network.remote.prefetch(queries)
            say(step.name)
            results.append((step, kind.run(context, dict(step.options))))
        elif not kind.needs_region:
            say(step.name)
            results.append((step, kind.run(context, dict(step.options))))
        else:
            say(f"{step.name}: per county on {len(run.store.partitions())} partitions")
            results += per_county(run, step, scenario.seed)
    return results


def per_county(run: Distributed, step: Step, seed: int) -> list[tuple[Step, AnalysisResult]]:
    """``step`` once per partition, in parallel, on the partition's own places and the roads
    within ``county_buffer_m`` of them; the results as steps ``<step>-<code>``."""
    partitions = run.store.partitions()
    calls = [(str(run.store.root), p, step, seed, run.county_buffer_m) for p in partitions]
    done = {
        r["partition"]: r["result"] for r in run.runner.run(county_step, calls, label=step.name)
    }
    return [
        (dataclasses.replace(step, name=f"{step.name}-{p.code}"), done[p.index]) for p in partitions
    ]


def county_step(
    store_root: str, partition: Partition, step: Step, seed: int, buffer_m: float
) -> dict[str, Any]:
    """One county's run of ``step`` (a Dask task)."""
    region = Store(store_root).county_region(partition, buffer_box(partition.core, buffer_m))
    context = Context(region=lambda: region, seed=seed, progress=lambda _stage: None)
    result = analysis(step.kind).run(context, dict(step.options))
    return {"partition": partition.index, "result": result}


def run_distributed(
    scenario: Scenario,
    *,
    out: Path | None = None,
    lang: str | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    store: str | Path | None = None,
    level: str = "county",
    retries: int = 3,
    progress: Progress | None = None,
    round_progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Run ``scenario`` on a Dask cluster into one run folder (as :func:`accessplan.run.
    run_scenario` writes it); return its path.

    Parameters
    ----------
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); None starts a
        :class:`~distributed.LocalCluster` of ``workers`` single-threaded processes.
    store
        The shared store folder; needed with ``scheduler`` (every worker must read it), a
        temporary folder otherwise.
    level
        The administrative level partitions follow.
    retries
        How many times a partition's task is run again when it fails or its worker dies.
    """
    target = out or scenario.out
    if target is None:
        msg = "no output folder: give --out DIR or [output] dir in the scenario."
        raise InputError(msg)
    if scheduler is not None and store is None:
        msg = (
            "--scheduler needs --store DIR, a folder every worker can read and write "
            "(a shared file system)."
        )
        raise InputError(msg)
    source = scenario.source
    check_target(target, [*scenario.files().values(), *([source] if source else [])])
    say = progress or (lambda _stage: None)
    say("region")
    region = load_region(scenario)
    hint = max(
        (max(dict(s.options).get("thresholds", DEFAULT_THRESHOLDS)) for s in scenario.steps
         if s.kind == "access"),
        default=60.0,
    )  # fmt: skip
    with _cluster(scheduler, workers) as client, _store_folder(store) as root:
        runner = DaskRunner(client, retries=retries, progress=round_progress)
        say("store")
        run = partition_region(region, root, runner, level=level, hint=float(hint))
        try:
            results = run_steps(run, scenario, say)
        finally:
            release(run)
        (Path(root) / "report.json").write_text(json.dumps(run.reports(), indent=1), "utf-8")
    with new_folder(target) as tmp:
        write_run_folder(
            tmp, scenario, results, region=region, lang=lang or scenario.lang, progress=say
        )
    return target


class DaskRunner:
    """Tasks on a Dask cluster: one future per partition, retried when a task fails or its
    worker dies; ``progress(label, done, total)`` as they finish."""

    def __init__(
        self,
        client: Any,
        *,
        retries: int = 3,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.client = client
        self.retries = retries
        self.progress = progress

    def run(
        self,
        fn: Callable[..., dict[str, Any]],
        calls: list[tuple[Any, ...]],
        *,
        label: str,
    ) -> list[dict[str, Any]]:
        from distributed import as_completed

        futures = [
            self.client.submit(fn, *args, retries=self.retries, pure=False) for args in calls
        ]
        out = []
        for done, future in enumerate(as_completed(futures), start=1):
            out.append(future.result())
            if self.progress is not None:
                self.progress(label, done, len(calls))
        return out


def _joins_key(profile: Profile, max_snap_m: float) -> str:
    text = f"{profile.key()}|{max_snap_m!r}"
    return f"{profile.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


class _cluster:
    """A client of the scheduler at ``address``, or of a new LocalCluster."""

    def __init__(self, address: str | None, workers: int) -> None:
        self.address = address
        self.workers = workers
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            msg = (
                "distributed runs need Dask: install accessplan with the `distributed` extra "
                "(pip install 'accessplan[distributed]')."
            )
            raise ImportError(msg) from exc
        if self.address is None:
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: Dask's dashboard shows progress
                silence_logs=logging.WARNING,
            )
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.address)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class _store_folder:
    """The given store folder, or a temporary one removed at the end."""

    def __init__(self, given: str | Path | None) -> None:
        self.given = given
        self.tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> str:
        if self.given is not None:
            return str(self.given)
        self.tmp = tempfile.TemporaryDirectory(prefix="accessplan-store-")
        return self.tmp.name

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()
