"""A travel network whose searches run on partitions: the engine of a distributed run.

:class:`PartitionedEngine` implements :class:`accessplan.travel._contract.Engine`: each
search (nearest, bounded, isochrone reach) becomes a *round*, one task per partition
(:func:`~accessplan.scale.partition.solve_partition`), and the partitions' answers for what
each owns are put together. Every place and road edge is owned by one partition, so the
merged answer has each target once; every answer is certain (see
:mod:`accessplan.scale.partition`), so it equals the single-process one to the bit.

A round can answer many searches at once: :meth:`PartitionedEngine.prefetch` sends the
searches an analysis will ask (:mod:`accessplan.scale.runner` knows those of the service
circle and equity), so that each partition builds its network once; a search that was not
prefetched runs as a round of its own. Bounded searches are also answered from a prefetched
one with more sources.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from accessplan.scale._plan import Partition
from accessplan.scale._store import Store
from accessplan.scale.partition import Query, solve_partition
from accessplan.travel._contract import Progress
from accessplan.travel.network import TravelNetwork, network_layers
from accessplan.travel.profiles import Profile

logger = logging.getLogger(__name__)

RoundProgress = Callable[[str, int, int], None]


class Runner(Protocol):
    """Runs one task per partition and returns their results (in any order)."""

    def run(
        self,
        fn: Callable[..., dict[str, Any]],
        calls: list[tuple[Any, ...]],
        *,
        label: str,
    ) -> list[dict[str, Any]]: ...


class SerialRunner:
    """Every task in this process, one after the other (tests, small regions)."""

    def __init__(self, progress: RoundProgress | None = None) -> None:
        self.progress = progress

    def run(
        self,
        fn: Callable[..., dict[str, Any]],
        calls: list[tuple[Any, ...]],
        *,
        label: str,
    ) -> list[dict[str, Any]]:
        out = []
        for done, args in enumerate(calls, start=1):
            out.append(fn(*args))
            if self.progress is not None:
                self.progress(label, done, len(calls))
        return out


class PartitionedEngine:
    """Searches of one profile's network, answered by the partitions of a store.

    Nodes are place indices: settlement ``i`` is node ``i``, facility ``j`` node
    ``n_settlements + j`` (the network's ``settlement_nodes`` and ``facility_nodes``).
    """

    def __init__(
        self,
        *,
        store_root: str,
        partitions: Sequence[Partition],
        profile: Profile,
        joins_key: str,
        speed: float,
        runner: Runner,
        max_snap_m: float,
        hint: float = 60.0,
    ) -> None:
        self.store_root = store_root
        self.partitions = tuple(partitions)
        self.profile = profile
        self.joins_key = joins_key
        self.speed = speed
        self.runner = runner
        self.max_snap_m = max_snap_m
        self.hint = hint
        self.answers: dict[str, Any] = {}
        self.bounded_cache: list[tuple[Query, Any]] = []
        #: per round: partition code -> passes (buffer radii, uncertain answers)
        self.reports: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ Engine
    def nearest(self, sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`accessplan.travel._contract.Engine`."""
        query = Query("nearest", _ints(sources), _ints(targets), (), self.hint)
        if len(query.sources) == 0:
            return np.full(len(targets), np.inf), np.full(len(targets), -1, dtype=np.int64)
        minutes, which = self._get(query)
        return minutes, which

    def bounded(
        self,
        sources: np.ndarray,
        targets: np.ndarray,
        limit: float,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """See :class:`accessplan.travel._contract.Engine`."""
        query = Query("bounded", _ints(sources), _ints(targets), (float(limit),), self._hint(limit))
        if len(query.sources) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        for wider, answer in self.bounded_cache:  # a prefetched search with more sources
            if (
                wider.limits == query.limits
                and np.array_equal(wider.targets, query.targets)
                and np.isin(query.sources, wider.sources).all()
            ):
                return _narrowed(wider, answer, query)
        result: tuple[np.ndarray, np.ndarray, np.ndarray] = self._get(query)
        if progress is not None:
            progress(len(query.sources), len(query.sources))
        return result

    def between(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Not partitioned: times between a handful of places are a county's business."""
        msg = (
            "times between named places are not computed on partitions; run the analysis "
            "that needs them per county (accessplan run --distributed does so for site, "
            "mobile and the other per-county analyses)."
        )
        raise NotImplementedError(msg)

    def reach(
        self, sources: np.ndarray, limits: Sequence[float]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """See :class:`accessplan.travel._contract.Engine`."""
        lims = tuple(float(x) for x in limits)
        query = Query("reach", _ints(sources), np.empty(0, dtype=np.int64), lims, max(lims))
        result: list[tuple[np.ndarray, np.ndarray]] = self._get(query)
        return result

    # ------------------------------------------------------------------ rounds
    def prefetch(self, queries: Sequence[Query]) -> None:
        """Answer ``queries`` in one round (each partition builds its network once)."""
        wanted = [q for q in queries if q.key() not in self.answers and len(q.sources)]
        if wanted:
            self._round(wanted)

    def _get(self, query: Query) -> Any:
        if query.key() not in self.answers:
            logger.info("%s search not prefetched: a round of its own", query.kind)
            self._round([query])
        return self.answers[query.key()]

    def _hint(self, limit: float) -> float:
        return float(limit) if np.isfinite(limit) else self.hint

    def _round(self, queries: list[Query]) -> None:
        keys = sorted(q.key() for q in queries)
        inputs = Store(self.store_root).meta()["digest"]
        digest = hashlib.sha256("|".join([inputs, self.joins_key, *keys]).encode()).hexdigest()
        round_key = f"{self.profile.name}-{digest[:16]}"
        calls = [
            (
                self.store_root,
                p,
                self.profile,
                self.joins_key,
                queries,
                self.speed,
                round_key,
                self.max_snap_m,
            )
            for p in self.partitions
        ]
        label = f"{self.profile.name}: {len(queries)} search(es) on {len(calls)} partitions"
        results = self.runner.run(solve_partition, calls, label=label)
        by_index = {r["partition"]: r for r in results}
        self.reports.append(
            {
                "round": round_key,
                "profile": self.profile.name,
                "searches": [q.kind for q in queries],
                "passes": {p.code: by_index[p.index]["passes"] for p in self.partitions},
            }
        )
        grown = {c: p for c, p in self.reports[-1]["passes"].items() if len(p) > 1}
        if grown:
            logger.info(
                "%s: %d of %d partitions had answers that could depend on roads beyond their "
                "first buffer (%.0f m) and computed again, up to %.0f m (e.g. %s)",
                label,
                len(grown),
                len(self.partitions),
                min(p[0]["radius_m"] for p in grown.values()),
                max(p[-1]["radius_m"] for p in grown.values()),
                sorted(grown)[:3],
            )
        for query in queries:
            parts = [by_index[p.index]["answers"][query.key()] for p in self.partitions]
            self.answers[query.key()] = _merge(query, parts)
            if query.kind == "bounded":
                self.bounded_cache.append((query, self.answers[query.key()]))


def partitioned_network(
    engine: PartitionedEngine, n_settlements: int, n_facilities: int
) -> TravelNetwork:
    """A :class:`TravelNetwork` whose searches ``engine`` answers; its graphs are held by the
    partitions only (``snaps`` and ``components`` are left empty)."""
    snaps = pd.DataFrame(
        columns=[
            "layer",
            "id",
            "snap_m",
            "walk_to_road_min",
            "walk_from_road_min",
            "beyond_snap",
            "component",
            "in_main_component",
        ]
    )
    components = pd.DataFrame(
        columns=["component", "road_nodes", "settlements", "population", "facilities", "main"]
    )
    return TravelNetwork(
        profile=engine.profile,
        layers=network_layers(engine.profile),
        layer_size=0,
        settlement_nodes=np.arange(n_settlements, dtype=np.int64),
        facility_nodes=n_settlements + np.arange(n_facilities, dtype=np.int64),
        snaps=snaps,
        components=components,
        remote=engine,
    )


def _ints(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _merge(query: Query, parts: list[Any]) -> Any:
    """The whole region's answer from the partitions' (each target owned by one)."""
    if query.kind == "nearest":
        minutes = np.full(len(query.targets), np.inf)
        which = np.full(len(query.targets), -1, dtype=np.int64)
        seen = np.zeros(len(query.targets), dtype=np.int64)
        for tpos, m, w in parts:
            minutes[tpos], which[tpos] = m, w
            seen[tpos] += 1
        _check_once(seen, query)
        return minutes, which
    if query.kind == "bounded":
        s_pos, t_pos, m = (np.concatenate(c) for c in zip(*parts, strict=True))
        return s_pos, t_pos, m
    n_edges = sum(len(edges) for edges, _ in parts)
    out = [(np.zeros(n_edges), np.zeros(n_edges)) for _ in query.limits]
    seen = np.zeros(n_edges, dtype=np.int64)
    for edges, reach in parts:
        seen[edges] += 1
        for (from_u, from_v), (fu, fv) in zip(out, reach, strict=True):
            from_u[edges], from_v[edges] = fu, fv
    _check_once(seen, query)
    return out


def _check_once(seen: np.ndarray, query: Query) -> None:
    if not (seen == 1).all():
        msg = (
            f"partitions answered {query.kind} for {int((seen == 0).sum())} target(s) none "
            f"and {int((seen > 1).sum())} more than once; the store's owners are broken "
            "(write the inputs again)."
        )
        raise RuntimeError(msg)


def _narrowed(wider: Query, answer: Any, query: Query) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of a bounded answer whose source is among ``query``'s, renumbered."""
    s_pos, t_pos, minutes = answer
    position = pd.Series(np.arange(len(query.sources)), index=query.sources)
    source = wider.sources[s_pos]
    keep = np.isin(source, query.sources)
    return position[source[keep]].to_numpy(), t_pos[keep], minutes[keep]
