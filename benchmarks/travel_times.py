"""Travel-time engines side by side: accessplan (scipy) against networkx, igraph and pandana.

Every peer gets the SAME directed graph in minutes: accessplan's ``TravelNetwork.graph`` and
``.reverse`` with its node ids, settlement nodes and facility nodes, the graph a user of the peer
would build. accessplan searches its ``TravelNetwork.search`` graph, the same graph with chains
of pass-through road nodes contracted (built with the network; its cost is in the network build
line, printed separately).
The work:

(a) the nearest facility of each (health) tier for every settlement;
(b) the settlements x facilities long table within a 60-minute cutoff.

Each engine runs in its own subprocess (this script with ``--worker``) under an address-space
cap (``--mem-gb``) and a timeout, so a peer that blows up is reported as "killed: memory" or
"timeout" instead of ending the benchmark. Time is wall-clock (and CPU, which shows threads);
memory is the subprocess's peak resident set during the step (the kernel's high-water mark,
reset before each step through ``/proc/self/clear_refs``), given absolute and above the RSS at
the step's start. Loops that would take hours (networkx one search per facility, igraph
without cutoff) stop after ``--budget`` seconds: their facilities are the first ones of a
seeded random permutation, and their time is extrapolated linearly to all facilities (marked
``~`` and "extrapolated" in the table). Peer answers are checked against accessplan's.

pandana: its contraction hierarchy rounds each edge to 1/1000 of the weight unit and sums in
32-bit integers, so weights go in as minutes x 1000 (answers agree to ~1e-3 min, not 1e-9).
``nearest_pois`` and ``shortest_path_lengths`` answer node -> POI on the graph they get, so
they run on the forward graph; ``nodes_in_range`` searches from its sources, so it runs on the
reversed graph (a second build, worker ``pandana-range``). ``precompute(60)`` (aggregation
cache, used by neither task) runs alone in worker ``pandana-precompute``; it is skipped on
Andorra unless ``--precompute`` (about a minute there). The province keeps the health
facilities only, village clinics sampled down to ``--facilities``.

    python benchmarks/travel_times.py --region andorra
    python benchmarks/travel_times.py --region province --counties 73 --repeats 3 --keep
    python benchmarks/travel_times.py --reprint /tmp/travel-bench-province-XXXX
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"  # ../shared beside the clone
ANDORRA_PBF = str(SHARED / "andorra" / "andorra.osm.pbf")
ANDORRA_DEM = str(SHARED / "andorra" / "N42E001.hgt.zip")
CUTOFF = 60.0
#: pandana's contraction hierarchy stores each edge as an integer of 1/1000 of its unit and a
#: path as a 32-bit unsigned int: minutes x 1000 gives 1e-6 min per edge and paths up to 4,294
#: min (x 1e4 or more overflows on a province).
PANDANA_SCALE = 1000.0
PANDANA_MAX_MIN = 4000.0
PEERS = ("networkx", "igraph", "pandana", "pandana-range", "pandana-precompute")
ENGINES = ("accessplan", *PEERS)
#: Facilities stored per sampled search to check the answers.
CHECK_ROWS = 200

#: method key -> (engine, task, label). Tasks: build, a, b, precompute.
METHODS: dict[str, tuple[str, str, str]] = {
    "ap_a": ("accessplan", "a", "scipy multi-source dijkstra per tier (nearest_times)"),
    "ap_b": ("accessplan", "b", "scipy dijkstra limit=60 in batches (bounded_times)"),
    "nx_build": ("networkx", "build", "DiGraph from the reversed CSR"),
    "nx_multi": ("networkx", "a", "multi_source_dijkstra_path_length per tier"),
    "nx_gost": ("networkx", "a", "GOSTnets: single_source_dijkstra per facility"),
    "nx_cut": ("networkx", "b", "GOSTnets: single_source_dijkstra cutoff=60 per facility"),
    "ig_build": ("igraph", "build", "Graph from the reversed CSR"),
    "ig_super": ("igraph", "a", "distances from a zero-weight super-source per tier"),
    "ig_pairs": ("igraph", "b", "distances(facility chunk x settlements), no cutoff"),
    "pd_build": ("pandana", "build", "Network(twoway=False) CH on the forward graph"),
    "pd_pois": ("pandana", "a", "set_pois + nearest_pois per tier"),
    "pd_pairs": ("pandana", "b", "shortest_path_lengths(settlement, facility) pairs"),
    "pdr_build": ("pandana-range", "build", "Network(twoway=False) CH on the reversed graph"),
    "pdr_range": ("pandana-range", "b", "nodes_in_range(facility chunk, 60)"),
    "pdp_build": ("pandana-precompute", "build", "Network(twoway=False) CH, forward graph"),
    "pdp_pre": ("pandana-precompute", "precompute", "precompute(60)"),
}
EXPECTED = {e: [k for k, (eng, _, _) in METHODS.items() if eng == e] for e in ENGINES}


# ====================================================================== measuring
def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


@contextmanager
def measured(out: dict[str, Any]) -> Iterator[None]:
    """Wall and CPU seconds, peak RSS (MB) and peak above the starting RSS of a step."""
    reset = _reset_peak()
    base = _status_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.update(
        wall=wall,
        cpu=cpu,
        peak_mb=peak / 1024,
        base_mb=base / 1024,
        delta_mb=(peak - base) / 1024,
        peak_is_step=reset,
    )


class Budget:
    """Stops a sampled loop once ``seconds`` have passed (after at least one item)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.t0 = time.perf_counter()

    def over(self, done: int) -> bool:
        return done > 0 and time.perf_counter() - self.t0 > self.seconds


def _chunks(items: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ====================================================================== shared data
@dataclasses.dataclass
class Data:
    """What every worker loads: the graph both ways, place nodes, tiers, coordinates."""

    fwd: sp.csr_matrix
    rev: sp.csr_matrix
    settlement_nodes: np.ndarray
    facility_nodes: np.ndarray
    facility_tier: np.ndarray  # index into tiers
    tiers: list[str]
    node_xy: np.ndarray
    order: np.ndarray  # seeded permutation of facility rows for sampled loops
    meta: dict[str, Any]
    search: sp.csr_matrix  # accessplan's contracted graph
    search_nodes: np.ndarray

    @property
    def n(self) -> int:
        return int(self.fwd.shape[0])

    def settlement_row(self) -> np.ndarray:
        row = np.full(self.n, -1, dtype=np.int64)
        row[self.settlement_nodes] = np.arange(len(self.settlement_nodes))
        return row

    def facility_row(self) -> np.ndarray:
        row = np.full(self.n, -1, dtype=np.int64)
        row[self.facility_nodes] = np.arange(len(self.facility_nodes))
        return row

    def save(self, folder: Path) -> None:
        arrays = {
            f"{name}_{part}": getattr(getattr(self, name), part)
            for name in ("fwd", "rev", "search")
            for part in ("data", "indices", "indptr")
        }
        np.savez(
            folder / "graph.npz",
            settlement_nodes=self.settlement_nodes,
            facility_nodes=self.facility_nodes,
            facility_tier=self.facility_tier,
            node_xy=self.node_xy,
            order=self.order,
            search_nodes=self.search_nodes,
            **arrays,
        )
        (folder / "meta.json").write_text(json.dumps({**self.meta, "tiers": self.tiers}))

    @classmethod
    def load(cls, folder: Path) -> Data:
        z = np.load(folder / "graph.npz")
        meta = json.loads((folder / "meta.json").read_text())
        n = len(z["node_xy"])
        m = len(z["search_nodes"])
        graphs = {
            name: sp.csr_matrix(
                (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]), shape=(k, k)
            )
            for name, k in (("fwd", n), ("rev", n), ("search", m))
        }
        return cls(
            fwd=graphs["fwd"],
            rev=graphs["rev"],
            settlement_nodes=z["settlement_nodes"],
            facility_nodes=z["facility_nodes"],
            facility_tier=z["facility_tier"],
            tiers=meta["tiers"],
            node_xy=z["node_xy"],
            order=z["order"],
            meta=meta,
            search=graphs["search"],
            search_nodes=z["search_nodes"],
        )


# ====================================================================== worker side
class Recorder:
    """Appends one JSON line per event, so results survive a worker that dies later."""

    def __init__(self, path: Path, answers: Path) -> None:
        self.path = path
        self.answers = answers

    def write(self, **record: Any) -> None:
        with open(self.path, "a") as fh:
            fh.write(json.dumps(record) + "\n")

    def run(
        self,
        key: str,
        fn: Callable[[], tuple[dict[str, np.ndarray], dict[str, Any]]],
        repeats: int = 1,
    ) -> dict[str, np.ndarray] | None:
        """Run ``fn`` (returning answers and extra facts) ``repeats`` times; record the median."""
        self.write(event="start", key=key, t=time.time())
        runs: list[dict[str, Any]] = []
        answers: dict[str, np.ndarray] = {}
        extra: dict[str, Any] = {}
        try:
            for _ in range(max(1, repeats)):
                m: dict[str, Any] = {}
                with measured(m):
                    answers, extra = fn()
                runs.append(m)
                if extra.get("sampled"):
                    break  # a budgeted loop runs once
        except MemoryError:
            self.write(event="failed", key=key, status="killed: memory (MemoryError)")
            return None
        record = {
            "wall": float(np.median([r["wall"] for r in runs])),
            "cpu": float(np.median([r["cpu"] for r in runs])),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "delta_mb": max(r["delta_mb"] for r in runs),
            "base_mb": runs[0]["base_mb"],
            "peak_is_step": runs[0]["peak_is_step"],
            "repeats": len(runs),
            "walls": [r["wall"] for r in runs],
            "load": os.getloadavg()[0],
        }
        if answers:
            np.savez(self.answers / f"{key}.npz", **answers)
        self.write(event="done", key=key, **record, **extra)
        return answers


def _sampled(done: int, total: int, budget: float) -> dict[str, Any]:
    return {"done": done, "total": total, "sampled": done < total, "budget": budget}


def worker_accessplan(d: Data, rec: Recorder, repeats: int) -> None:
    import pandas as pd

    from accessplan.travel._contract import SearchGraph
    from accessplan.travel.matrix import bounded_times, nearest_times
    from accessplan.travel.network import GraphParts, TravelNetwork
    from accessplan.travel.profiles import get_profile

    position = np.full(d.n, -1, dtype=np.int64)
    position[d.search_nodes] = np.arange(len(d.search_nodes))
    # nearest_times and bounded_times search the search graph only: the parts the full graph
    # is built from (for isochrones and routes) are not needed here and stay None
    search = SearchGraph(graph=d.search, nodes=d.search_nodes, position=position)
    others = {f.name: None for f in dataclasses.fields(GraphParts) if f.name != "search"}
    known: dict[str, Any] = {
        "parts": GraphParts(search=search, **cast(dict[str, Any], others)),
        "profile": get_profile(d.meta["profile"]),
        "settlement_nodes": d.settlement_nodes,
        "facility_nodes": d.facility_nodes,
        "snaps": pd.DataFrame(),
        "components": pd.DataFrame(),
    }
    fields = [f for f in dataclasses.fields(TravelNetwork) if f.init]
    net = TravelNetwork(**{f.name: known.get(f.name) for f in fields})

    def task_a() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        out = np.empty((len(d.tiers), len(d.settlement_nodes)))
        for t in range(len(d.tiers)):
            out[t], _ = nearest_times(net, np.flatnonzero(d.facility_tier == t))
        return {"minutes": out}, {}

    def task_b() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        f, s, m = bounded_times(net, cutoff=CUTOFF)
        return {"f": f, "s": s, "m": m}, {"pairs": len(m)}

    rec.run("ap_a", task_a, repeats)
    rec.run("ap_b", task_b, repeats)


def worker_networkx(d: Data, rec: Recorder, repeats: int) -> None:
    import networkx as nx

    budget = d.meta["budget"]
    settle = d.settlement_nodes.tolist()
    n_set = len(settle)
    set_row = d.settlement_row()
    graph: dict[str, Any] = {}

    def build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        coo = d.rev.tocoo()
        g = nx.DiGraph()
        g.add_nodes_from(range(d.n))
        g.add_weighted_edges_from(
            zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
        )
        graph["g"] = g
        return {}, {}

    def multi() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        g = graph["g"]
        out = np.empty((len(d.tiers), n_set))
        for t in range(len(d.tiers)):
            sources = set(d.facility_nodes[d.facility_tier == t].tolist())
            dist = nx.multi_source_dijkstra_path_length(g, sources)
            out[t] = np.fromiter((dist.get(s, np.inf) for s in settle), float, count=n_set)
        return {"minutes": out}, {}

    def gostnets() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        g = graph["g"]
        best = np.full((len(d.tiers), n_set), np.inf)
        rows, kept = [], []
        clock, done = Budget(budget), 0
        for row in d.order.tolist():
            if clock.over(done):
                break
            dist = nx.single_source_dijkstra_path_length(g, int(d.facility_nodes[row]))
            vals = np.fromiter((dist.get(s, np.inf) for s in settle), float, count=n_set)
            t = d.facility_tier[row]
            np.minimum(best[t], vals, out=best[t])
            if len(rows) < CHECK_ROWS:
                rows.append(row)
                kept.append(vals)
            done += 1
        answers = {"rows": np.array(rows), "per_facility": np.array(kept)}
        if done == len(d.order):
            answers["minutes"] = best
        return answers, _sampled(done, len(d.order), budget)

    def cutoff() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        g = graph["g"]
        fs, ss, ms = [], [], []
        clock, done = Budget(budget), 0
        for row in d.order.tolist():
            if clock.over(done):
                break
            dist = nx.single_source_dijkstra_path_length(
                g, int(d.facility_nodes[row]), cutoff=CUTOFF
            )
            keys = np.fromiter(dist.keys(), np.int64, count=len(dist))
            vals = np.fromiter(dist.values(), float, count=len(dist))
            hit = set_row[keys] >= 0
            ss.append(set_row[keys[hit]])
            ms.append(vals[hit])
            fs.append(np.full(int(hit.sum()), row, dtype=np.int64))
            done += 1
        answers = _triplets(fs, ss, ms, d.order[:done])
        return answers, {**_sampled(done, len(d.order), budget), "pairs": len(answers["m"])}

    if rec.run("nx_build", build) is None:
        return
    rec.run("nx_multi", multi, repeats)
    rec.run("nx_gost", gostnets)
    rec.run("nx_cut", cutoff)


def _triplets(
    fs: list[np.ndarray], ss: list[np.ndarray], ms: list[np.ndarray], rows: np.ndarray
) -> dict[str, np.ndarray]:
    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    return {
        "f": cat(fs, np.int64),
        "s": cat(ss, np.int64),
        "m": cat(ms, float),
        "rows": np.asarray(rows, dtype=np.int64),
    }


def worker_igraph(d: Data, rec: Recorder, repeats: int) -> None:
    import igraph as ig

    budget = d.meta["budget"]
    settle = d.settlement_nodes.tolist()
    n_set = len(settle)
    graph: dict[str, Any] = {}

    def build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        coo = d.rev.tocoo()
        graph["g"] = ig.Graph(
            n=d.n,
            edges=list(zip(coo.row.tolist(), coo.col.tolist(), strict=True)),
            directed=True,
            edge_attrs={"weight": coo.data.tolist()},
        )
        return {}, {}

    def super_source() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        g = graph["g"]
        out = np.empty((len(d.tiers), n_set))
        for t in range(len(d.tiers)):
            sources = d.facility_nodes[d.facility_tier == t].tolist()
            hub = g.vcount()
            g.add_vertices(1)
            g.add_edges([(hub, f) for f in sources], attributes={"weight": [0.0] * len(sources)})
            dist = g.distances(
                source=[hub], target=settle, weights="weight", mode="out", algorithm="dijkstra"
            )
            g.delete_vertices([hub])
            out[t] = dist[0]
        return {"minutes": out}, {}

    def pairs() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        g = graph["g"]
        fs, ss, ms = [], [], []
        clock, done = Budget(budget), 0
        for chunk in _chunks(d.order, 8):
            if clock.over(done):
                break
            dist = np.asarray(
                g.distances(
                    source=d.facility_nodes[chunk].tolist(),
                    target=settle,
                    weights="weight",
                    mode="out",
                    algorithm="dijkstra",
                )
            )
            fi, si = np.nonzero(dist <= CUTOFF)
            fs.append(chunk[fi])
            ss.append(si)
            ms.append(dist[fi, si])
            done += len(chunk)
        answers = _triplets(fs, ss, ms, d.order[:done])
        return answers, {**_sampled(done, len(d.order), budget), "pairs": len(answers["m"])}

    if rec.run("ig_build", build) is None:
        return
    rec.run("ig_super", super_source, repeats)
    rec.run("ig_pairs", pairs)


def _pandana_network(d: Data, graph: sp.csr_matrix) -> Any:
    import pandana
    import pandas as pd

    coo = graph.tocoo()
    return pandana.Network(
        pd.Series(d.node_xy[:, 0]),
        pd.Series(d.node_xy[:, 1]),
        pd.Series(coo.row.astype(np.int64)),
        pd.Series(coo.col.astype(np.int64)),
        pd.DataFrame({"minutes": coo.data * PANDANA_SCALE}),
        twoway=False,
    )


def worker_pandana(d: Data, rec: Recorder, repeats: int) -> None:
    import pandas as pd

    warnings.simplefilter("ignore")
    budget = d.meta["budget"]
    n_set = len(d.settlement_nodes)
    state: dict[str, Any] = {}

    def build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        state["net"] = _pandana_network(d, d.fwd)
        return {}, {}

    def pois() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        net = state["net"]
        out = np.empty((len(d.tiers), n_set))
        limit = PANDANA_MAX_MIN * PANDANA_SCALE
        for t, tier in enumerate(d.tiers):
            nodes = d.facility_nodes[d.facility_tier == t]
            xy = d.node_xy[nodes]
            net.set_pois(tier, limit, 1, pd.Series(xy[:, 0]), pd.Series(xy[:, 1]))
            dist = net.nearest_pois(limit * 0.999, tier, num_pois=1)[1].to_numpy()
            minutes = dist[d.settlement_nodes] / PANDANA_SCALE
            out[t] = np.where(minutes >= PANDANA_MAX_MIN * 0.999, np.inf, minutes)
        return {"minutes": out}, {}

    def pairs() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        net = state["net"]
        fs, ss, ms = [], [], []
        clock, done = Budget(budget), 0
        for chunk in _chunks(d.order, 4):
            if clock.over(done):
                break
            a = np.tile(d.settlement_nodes, len(chunk))
            b = np.repeat(d.facility_nodes[chunk], n_set)
            lens = np.asarray(net.shortest_path_lengths(a, b), dtype=float) / PANDANA_SCALE
            lens = lens.reshape(len(chunk), n_set)
            fi, si = np.nonzero(lens <= CUTOFF)
            fs.append(chunk[fi])
            ss.append(si)
            ms.append(lens[fi, si])
            done += len(chunk)
        answers = _triplets(fs, ss, ms, d.order[:done])
        return answers, {**_sampled(done, len(d.order), budget), "pairs": len(answers["m"])}

    if rec.run("pd_build", build) is None:
        return
    # POIs are placed by coordinates: check they land on the facilities' own nodes
    xy = d.node_xy[d.facility_nodes]
    got = state["net"].get_node_ids(pd.Series(xy[:, 0]), pd.Series(xy[:, 1])).to_numpy()
    rec.write(event="info", key="pd_pois", misplaced_pois=int((got != d.facility_nodes).sum()))
    rec.run("pd_pois", pois, repeats)
    rec.run("pd_pairs", pairs)


def worker_pandana_precompute(d: Data, rec: Recorder, repeats: int) -> None:
    """pandana's aggregation cache, alone: it can take far more time and memory than the rest."""
    state: dict[str, Any] = {}

    def build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        state["net"] = _pandana_network(d, d.fwd)
        return {}, {}

    def precompute() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        state["net"].precompute(CUTOFF * PANDANA_SCALE)
        return {}, {}

    if rec.run("pdp_build", build) is None:
        return
    rec.run("pdp_pre", precompute)


def worker_pandana_range(d: Data, rec: Recorder, repeats: int) -> None:
    warnings.simplefilter("ignore")
    budget = d.meta["budget"]
    set_row, fac_row = d.settlement_row(), d.facility_row()
    state: dict[str, Any] = {}

    def build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        state["net"] = _pandana_network(d, d.rev)
        return {}, {}

    def ranges() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        net = state["net"]
        fs, ss, ms = [], [], []
        clock, done = Budget(budget), 0
        for chunk in _chunks(d.order, 16):
            if clock.over(done):
                break
            found = net.nodes_in_range(d.facility_nodes[chunk], CUTOFF * PANDANA_SCALE)
            src = found["source"].to_numpy(dtype=np.int64)
            dst = found["destination"].to_numpy(dtype=np.int64)
            minutes = found["minutes"].to_numpy(dtype=float) / PANDANA_SCALE
            hit = (set_row[dst] >= 0) & (minutes <= CUTOFF)
            fs.append(fac_row[src[hit]])
            ss.append(set_row[dst[hit]])
            ms.append(minutes[hit])
            done += len(chunk)
        answers = _triplets(fs, ss, ms, d.order[:done])
        return answers, {**_sampled(done, len(d.order), budget), "pairs": len(answers["m"])}

    if rec.run("pdr_build", build) is None:
        return
    rec.run("pdr_range", ranges)


WORKERS: dict[str, Callable[[Data, Recorder, int], None]] = {
    "accessplan": worker_accessplan,
    "networkx": worker_networkx,
    "igraph": worker_igraph,
    "pandana": worker_pandana,
    "pandana-range": worker_pandana_range,
    "pandana-precompute": worker_pandana_precompute,
}


def run_worker(engine: str, folder: Path, repeats: int) -> None:
    d = Data.load(folder)
    rec = Recorder(folder / f"{engine}.jsonl", folder)
    rec.write(event="loaded", rss_mb=_status_kb("VmRSS") / 1024)
    WORKERS[engine](d, rec, repeats)


# ====================================================================== parent side
@dataclasses.dataclass
class Prepared:
    name: str
    data: Data
    region: Any
    network: Any
    facts: dict[str, Any]


def _load_region(which: str, args: argparse.Namespace) -> tuple[Any, str, float]:
    t0 = time.perf_counter()
    if which == "andorra":
        from accessplan.io import region_from_osm

        region = region_from_osm(ANDORRA_PBF, dem=ANDORRA_DEM)
        label = "Andorra (OSM + SRTM)"
    else:
        from accessplan import synth

        region = synth.province(args.counties, seed=args.seed, road_node_spacing_m=args.spacing)
        label = (
            f"synthetic province: synth.province({args.counties}, seed={args.seed}, "
            f"road_node_spacing_m={args.spacing:g})"
        )
    return region, label, time.perf_counter() - t0


def _health_only(region: Any, target: int, seed: int) -> tuple[Any, str]:
    """The region with health facilities only; village clinics sampled down to ``target``."""
    fac = region.facilities
    health = fac[fac["service"] == "health"]
    note = "all health facilities"
    if target and len(health) > target:
        clinic = (health["tier"] == "village_clinic").to_numpy()
        others = np.flatnonzero(~clinic)
        rng = np.random.default_rng(seed)
        n_clinics = max(0, target - len(others))
        clinics = rng.choice(np.flatnonzero(clinic), size=n_clinics, replace=False)
        keep = np.sort(np.concatenate([others, clinics]))
        note = (
            f"health facilities: every county hospital and township health centre, and "
            f"{n_clinics:,} of {int(clinic.sum()):,} village clinics (seeded sample) to reach "
            f"--facilities {target:,}"
        )
        health = health.iloc[keep]
    return dataclasses.replace(region, facilities=health.reset_index(drop=True)), note


def _node_xy(network: Any) -> np.ndarray:
    """Coordinates of every graph node (pandana places POIs by coordinates)."""
    xy = getattr(network, "node_xy", None)
    if xy is None:
        msg = "TravelNetwork.node_xy is needed for pandana's node coordinates"
        raise SystemExit(msg)
    return np.asarray(xy, dtype=float)


def prepare(which: str, args: argparse.Namespace, folder: Path) -> Prepared:
    import accessplan.travel as tr

    region, label, t_load = _load_region(which, args)
    region, fac_note = _health_only(region, args.facilities if which == "province" else 0, 1)
    peak: dict[str, Any] = {}
    with measured(peak):
        network = tr.network_for(region, args.profile)
        _ = network.reverse
    tiers_all = list(region.tiers["health"])
    fac_tier = region.facilities["tier"].to_numpy()
    tiers = [t for t in tiers_all if (fac_tier == t).any()]
    tier_idx = np.array([tiers.index(t) for t in fac_tier], dtype=np.int64)
    node_xy = _node_xy(network)
    order = np.random.default_rng(args.seed).permutation(len(fac_tier))
    meta = {"profile": args.profile, "budget": args.budget, "region": which}
    data = Data(
        fwd=network.graph,
        rev=network.reverse,
        settlement_nodes=np.asarray(network.settlement_nodes, dtype=np.int64),
        facility_nodes=np.asarray(network.facility_nodes, dtype=np.int64),
        facility_tier=tier_idx,
        tiers=tiers,
        node_xy=node_xy,
        order=order,
        meta=meta,
        search=network.search.graph,
        search_nodes=network.search.nodes,
    )
    data.save(folder)
    n_points = len(data.settlement_nodes) + len(data.facility_nodes)
    n_layers = max(1, len(getattr(network, "layers", ())))
    facts = {
        "label": label,
        "profile": args.profile,
        "repeats": args.repeats,
        "load_s": t_load,
        "network": peak,
        "road_nodes": len(region.roads.nodes),
        "split_nodes": (data.n - n_points) // n_layers - len(region.roads.nodes),
        "n_layers": n_layers,
        "access_nodes": n_points,
        "arcs": int(network.graph.nnz),
        "search_nodes": len(network.search.nodes),
        "search_arcs": int(network.search.graph.nnz),
        "settlements": len(data.settlement_nodes),
        "facilities": len(data.facility_nodes),
        "per_tier": {t: int((tier_idx == i).sum()) for i, t in enumerate(tiers)},
        "missing_tiers": [t for t in tiers_all if t not in tiers],
        "fac_note": fac_note,
        "layers": [role for role, _ in getattr(network, "layers", ())],
    }
    facts["public"] = _public_api(region, args)
    (folder / "facts.json").write_text(json.dumps(facts))
    return Prepared(which, data, region, network, facts)


def _public_api(region: Any, args: argparse.Namespace) -> dict[str, Any]:
    """accessplan's public functions in this process, network cached (DataFrames with ids)."""
    import accessplan.travel as tr

    out: dict[str, Any] = {}
    for key, fn in (
        ("nearest", lambda: tr.nearest(region, args.profile)),
        ("travel_times", lambda: tr.travel_times(region, args.profile, cutoff=CUTOFF)),
    ):
        runs = []
        for _ in range(args.repeats):
            m: dict[str, Any] = {}
            with measured(m):
                result = fn()
            runs.append(m)
        out[key] = {
            "wall": float(np.median([r["wall"] for r in runs])),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "delta_mb": max(r["delta_mb"] for r in runs),
            "rows": len(result),
        }
    return out


def _limit_memory(gb: float) -> Callable[[], None]:
    def apply() -> None:
        limit = int(gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.setsid()

    return apply


def launch(engine: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one engine's worker; return its records by method key, failures filled in."""
    log = folder / f"{engine}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine]
    cmd += ["--data", str(folder), "--repeats", str(args.repeats)]
    print(f"  running {engine} ...", file=sys.stderr, flush=True)
    timeout = args.precompute_timeout if engine == "pandana-precompute" else args.timeout
    t0 = time.perf_counter()
    status = None
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=_limit_memory(args.mem_gb)
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
            status = f"timeout ({timeout:g} s for the whole worker)"
    elapsed = time.perf_counter() - t0
    text = log.read_text(errors="replace")
    if status is None and rc != 0:
        memory = any(s in text for s in ("MemoryError", "bad_alloc", "Cannot allocate"))
        if memory:
            status = f"killed: memory ({args.mem_gb:g} GB cap)"
        elif rc is not None and rc < 0:
            status = f"killed: signal {signal.Signals(-rc).name}"
        else:
            status = f"error (exit {rc}): {text.strip().splitlines()[-1][:120] if text else ''}"
    (folder / f"{engine}.status.json").write_text(
        json.dumps({"status": status, "t_end": time.time(), "elapsed": elapsed})
    )
    print(f"  {engine} finished in {elapsed:.0f} s ({status or 'ok'})", file=sys.stderr)
    if status:
        tail = "\n".join(text.strip().splitlines()[-5:])
        print(f"  last lines of {log}:\n{tail}", file=sys.stderr)
    return collect(engine, folder)


def collect(engine: str, folder: Path) -> dict[str, Any]:
    """An engine's records by method key from its JSON lines, failures filled in."""
    state_file = folder / f"{engine}.status.json"
    log = folder / f"{engine}.log"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        status, t_end = state["status"], state["t_end"]
    elif log.exists():  # a run kept by an older version of this script: read the log
        text = log.read_text(errors="replace")
        memory = any(s in text for s in ("MemoryError", "bad_alloc", "Cannot allocate"))
        status, t_end = ("killed: memory" if memory else "ended early"), log.stat().st_mtime
    else:
        return {}
    records: dict[str, Any] = {}
    info: dict[str, Any] = {}
    jsonl = folder / f"{engine}.jsonl"
    lines = jsonl.read_text().splitlines() if jsonl.exists() else []
    for line in lines:
        r = json.loads(line)
        if r["event"] == "done":
            records[r["key"]] = r
        elif r["event"] == "failed":
            records[r["key"]] = {"status": r["status"]}
        elif r["event"] == "start" and status is not None:
            after = f" after {t_end - r['t']:,.0f} s" if "t" in r else ""
            records.setdefault(r["key"], {"status": status + after})
        elif r["event"] == "info":
            info.setdefault(r["key"], {}).update(r)
        elif r["event"] == "loaded":
            info["loaded_rss_mb"] = r["rss_mb"]
    for key in EXPECTED[engine]:
        records.setdefault(key, {"status": f"not run ({status or 'worker ended'})"})
    for key, extra in info.items():
        if key in records and isinstance(extra, dict):
            records[key].update({k: v for k, v in extra.items() if k not in ("event", "key")})
    return records


# ---------------------------------------------------------------------- checking answers
def _answer(folder: Path, key: str) -> dict[str, np.ndarray] | None:
    path = folder / f"{key}.npz"
    if not path.exists():
        return None
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _compare_minutes(ref: np.ndarray, got: np.ndarray) -> tuple[float, int]:
    both = np.isfinite(ref) & np.isfinite(got)
    diff = float(np.max(np.abs(ref[both] - got[both]), initial=0.0))
    return diff, int((np.isfinite(ref) != np.isfinite(got)).sum())


def _compare_triplets(ref: dict[str, np.ndarray], got: dict[str, np.ndarray], n_set: int) -> str:
    rows = got["rows"]
    keep = np.isin(ref["f"], rows)
    ref_key = ref["f"][keep] * n_set + ref["s"][keep]
    ref_m = ref["m"][keep]
    got_key = got["f"] * n_set + got["s"]
    _, i_ref, i_got = np.intersect1d(ref_key, got_key, assume_unique=True, return_indices=True)
    diff = float(np.max(np.abs(ref_m[i_ref] - got["m"][i_got]), initial=0.0))
    only_ref = np.setdiff1d(np.arange(len(ref_key)), i_ref)
    only_got = np.setdiff1d(np.arange(len(got_key)), i_got)
    text = f"{diff:.1e}"
    if len(only_ref) or len(only_got):
        edge = np.concatenate([ref_m[only_ref], got["m"][only_got]])
        text += (
            f"; pairs only in accessplan {len(only_ref)}, only in peer {len(only_got)} "
            f"(all within {np.max(np.abs(edge - CUTOFF)):.1e} min of the cutoff)"
        )
    return text


def check(prep: Prepared, folder: Path, records: dict[str, Any]) -> None:
    """Fill each peer record's 'check' with the max abs difference from accessplan (min)."""
    from scipy.sparse.csgraph import dijkstra

    d = prep.data
    n_set = len(d.settlement_nodes)
    ref_a = _answer(folder, "ap_a")
    ref_b = _answer(folder, "ap_b")
    for key, rec in records.items():
        got = _answer(folder, key)
        task = METHODS[key][1]
        if got is None or key.startswith("ap_") or "status" in rec:
            continue
        if task == "a" and "per_facility" in got:
            rows = got["rows"]
            parts = []
            for chunk in _chunks(rows, 20):
                full = dijkstra(d.rev, indices=d.facility_nodes[chunk])
                parts.append(full[:, d.settlement_nodes])
            ref = np.concatenate(parts) if parts else np.empty((0, n_set))
            diff, bad = _compare_minutes(ref, got["per_facility"])
            text = f"{diff:.1e} on {len(rows)} facilities' searches (scipy reference)"
            if ref_a is not None and "minutes" in got:
                diff_all, bad_all = _compare_minutes(ref_a["minutes"], got["minutes"])
                text += f"; nearest {diff_all:.1e}"
                bad += bad_all
            rec["check"] = text + (f"; {bad} reachability mismatches" if bad else "")
        elif task == "a" and ref_a is not None:
            diff, bad = _compare_minutes(ref_a["minutes"], got["minutes"])
            rec["check"] = f"{diff:.1e}" + (f"; {bad} reachability mismatches" if bad else "")
        elif task == "b" and ref_b is not None:
            rec["check"] = _compare_triplets(ref_b, got, n_set)


# ---------------------------------------------------------------------- printing
def _fmt_s(x: float) -> str:
    return f"{x:,.3f}" if x < 10 else f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def _time(rec: dict[str, Any]) -> tuple[float, float, bool] | None:
    """Wall and CPU seconds, extrapolated to all facilities when the loop was sampled."""
    if "wall" not in rec:
        return None
    scale = rec["total"] / rec["done"] if rec.get("sampled") else 1.0
    return rec["wall"] * scale, rec["cpu"] * scale, bool(rec.get("sampled"))


def _ratio(t: tuple[float, float, bool], ref: tuple[float, float, bool] | None) -> str:
    """Peer / accessplan, wall (cpu)."""
    if ref is None:
        return ""
    mark = "~" if t[2] else ""
    return f"{mark}{t[0] / ref[0]:,.1f}x ({mark}{t[1] / ref[1]:,.1f}x)"


def _row(key: str, rec: dict[str, Any], ref: tuple[float, float, bool] | None) -> list[str]:
    engine, _, label = METHODS[key]
    t = _time(rec)
    if t is None:
        return [engine, label, rec.get("status", "no result"), "", "", "", "", "", ""]
    wall, cpu, extrapolated = t
    mark = "~" if extrapolated else ""
    notes = []
    if extrapolated:
        notes.append(
            f"EXTRAPOLATED from {rec['done']:,}/{rec['total']:,} facilities "
            f"(measured {_fmt_s(rec['wall'])} s, budget {rec['budget']:g} s)"
        )
    if rec.get("repeats", 1) > 1:
        notes.append(f"median of {rec['repeats']}")
    if "pairs" in rec and not extrapolated:
        notes.append(f"{rec['pairs']:,} pairs")
    if rec.get("misplaced_pois"):
        notes.append(f"{rec['misplaced_pois']} POIs snapped to another node")
    if not rec.get("peak_is_step", True):
        notes.append("peak = process lifetime")
    return [
        engine,
        label,
        mark + _fmt_s(wall),
        mark + _fmt_s(cpu),
        f"{rec['peak_mb']:,.0f}",
        f"{max(rec['delta_mb'], 0.0):,.0f}",
        "" if key.startswith("ap_") else _ratio(t, ref),
        rec.get("check", "(reference)" if key.startswith("ap_") else ""),
        "; ".join(notes),
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


HEADER = [
    "engine",
    "method",
    "wall s",
    "cpu s",
    "peak RSS MB",
    "peak-start MB",
    "peer/accessplan wall (cpu)",
    "max |diff| min",
    "note",
]


def report(prep: Prepared, records: dict[str, Any]) -> dict[str, Any]:
    f = prep.facts
    if "network" not in f:
        _short_header(prep)
        ref = {t: _time(records.get(f"ap_{t}", {})) for t in ("a", "b")}
        _sections(prep, records, ref)
        return summary(prep, records, ref)
    net = f["network"]
    tiers = ", ".join(f"{t} {n:,}" for t, n in f["per_tier"].items())
    print(f"\n## {prep.name}: {f['label']}, profile {f['profile']}, repeats {f['repeats']}")
    print(
        f"graph: {prep.data.n:,} nodes ({f['n_layers']} x ({f['road_nodes']:,} road + "
        f"{f['split_nodes']:,} split) + {f['access_nodes']:,} access), {f['arcs']:,} arcs; "
        f"{f['settlements']:,} settlements; "
        f"{f['facilities']:,} facilities ({tiers})"
    )
    if f["layers"]:
        print(f"graph layers (copies of the road nodes): {', '.join(f['layers'])}")
    if "search_nodes" in f:
        print(
            f"accessplan's search graph (chains of pass-through road nodes contracted): "
            f"{f['search_nodes']:,} nodes, {f['search_arcs']:,} arcs"
        )
    print(f"facilities: {f['fac_note']}")
    if f["missing_tiers"]:
        print(f"tiers without facilities (left out of (a)): {', '.join(f['missing_tiers'])}")
    print(
        f"region load/generate {f['load_s']:.1f} s; accessplan network_for (with the "
        "contraction) + reverse "
        f"{net['wall']:.2f} s, peak RSS {net['peak_mb']:,.0f} MB "
        f"(+{net['delta_mb']:,.0f} MB over the loaded region)"
    )
    pub = f["public"]
    print(
        "accessplan public API in-process, network cached (DataFrames with ids): "
        f"nearest() {pub['nearest']['wall']:.2f} s (+{pub['nearest']['delta_mb']:,.0f} MB), "
        f"travel_times(cutoff=60) {pub['travel_times']['wall']:.2f} s "
        f"(+{pub['travel_times']['delta_mb']:,.0f} MB, {pub['travel_times']['rows']:,} rows)"
    )
    ref = {t: _time(records.get(f"ap_{t}", {})) for t in ("a", "b")}
    _sections(prep, records, ref)
    return summary(prep, records, ref)


def _short_header(prep: Prepared) -> None:
    d = prep.data
    tiers = ", ".join(f"{t} {int((d.facility_tier == i).sum()):,}" for i, t in enumerate(d.tiers))
    print(
        f"\n## {prep.name} (reprinted; the run kept no facts.json): profile "
        f"{d.meta['profile']}; graph {d.n:,} nodes, {d.fwd.nnz:,} arcs; "
        f"{len(d.settlement_nodes):,} settlements; {len(d.facility_nodes):,} facilities ({tiers})"
    )


def _sections(
    prep: Prepared, records: dict[str, Any], ref: dict[str, tuple[float, float, bool] | None]
) -> None:
    n = len(prep.data.tiers)
    n_tiers = f"{n} tier" + ("s" if n > 1 else "")
    sections = [
        ("engine setup (not counted in ratios)", "build"),
        (f"(a) nearest facility per tier for every settlement ({n_tiers} with facilities)", "a"),
        ("(b) settlements x facilities within 60 min (long table)", "b"),
        ("pandana precompute (aggregation cache; not used by (a)/(b))", "precompute"),
    ]
    for title, task in sections:
        rows = [
            _row(k, records[k], ref.get(task))
            for k in METHODS
            if METHODS[k][1] == task and k in records
        ]
        if rows:
            print(f"\n### {title}\n")
            print(_table(HEADER, rows))


def summary(
    prep: Prepared, records: dict[str, Any], ref: dict[str, tuple[float, float, bool] | None]
) -> dict[str, Any]:
    print(f"\n### summary: {prep.name}\n")
    loads = [r["load"] for r in records.values() if "load" in r]
    if loads:
        print(
            f"machine load (1-min load average on {os.cpu_count()} cores at the end of each "
            f"step): {min(loads):.1f}-{max(loads):.1f}; wall above cpu means a step waited "
            f"for a core (pandana uses 2 threads, so its cpu can exceed its wall)"
        )
    verdicts = {}
    limits = {"a": (5.0, 2048.0), "b": (30.0, 4096.0)}
    for task in ("a", "b"):
        ap = records.get(f"ap_{task}", {})
        mine = ref[task]
        if mine is None:
            print(f"({task}) accessplan: {ap.get('status', 'no result')}")
            continue
        t_lim, m_lim = limits[task]
        mem = ap["peak_mb"]
        ok_t, ok_m = mine[0] <= t_lim, mem <= m_lim
        print(
            f"({task}) accessplan {mine[0]:.2f} s wall, {mine[1]:.2f} s cpu "
            f"(target < {t_lim:g} s wall: {'MET' if ok_t else 'MISSED'}),"
            f" peak RSS {mem:,.0f} MB (target < {m_lim / 1024:g} GB: "
            f"{'MET' if ok_m else 'MISSED'}; {ap['delta_mb']:,.0f} MB above the loaded graph)"
        )
        nx_best: tuple[float, float, bool] | None = None
        for key, (engine, tk, label) in METHODS.items():
            if tk != task or engine == "accessplan" or key not in records:
                continue
            t = _time(records[key])
            if t is None:
                print(f"    {engine} [{label}]: {records[key].get('status', 'no result')}")
                continue
            print(f"    {engine} [{label}]: {_ratio(t, mine)}")
            if engine == "networkx" and (nx_best is None or t[0] < nx_best[0]):
                nx_best = t
        verdicts[task] = {"met": ok_t and ok_m}
        if nx_best is not None:
            wall, cpu = nx_best[0] / mine[0], nx_best[1] / mine[1]
            verdicts[task]["vs_networkx"] = wall
            print(
                f"    vs the fastest networkx method: {wall:,.1f}x wall, {cpu:,.1f}x cpu "
                f"(target >= 20x: wall {'MET' if wall >= 20 else 'MISSED'}, "
                f"cpu {'MET' if cpu >= 20 else 'MISSED'})"
            )
    return verdicts


# ====================================================================== main
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--region", choices=("andorra", "province", "both"), default="andorra")
    p.add_argument("--counties", type=int, default=73, help="synthetic province size")
    p.add_argument("--spacing", type=float, default=20.0, help="road node spacing (m)")
    p.add_argument("--facilities", type=int, default=2000, help="province: health facilities")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", default="car")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--skip", nargs="*", default=[], choices=PEERS, metavar="PEER")
    p.add_argument("--budget", type=float, default=300.0, help="s per sampled loop")
    p.add_argument("--timeout", type=float, default=3600.0, help="s per engine worker")
    p.add_argument(
        "--precompute-timeout", type=float, default=1200.0, help="s for pandana precompute"
    )
    p.add_argument(
        "--precompute",
        action="store_true",
        help="also run pandana precompute(60) on Andorra (about a minute and 3.4 GB alone)",
    )
    p.add_argument("--mem-gb", type=float, default=16.0, help="address-space cap per worker")
    p.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    p.add_argument("--reprint", type=Path, metavar="DIR", help="print a --keep run again")
    p.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def reprint(folder: Path) -> None:
    """Check and print the tables of a run kept with --keep, from its folder."""
    data = Data.load(folder)
    facts_file = folder / "facts.json"
    facts = json.loads(facts_file.read_text()) if facts_file.exists() else {}
    prep = Prepared(data.meta["region"], data, None, None, facts)
    records: dict[str, Any] = {}
    for engine in ENGINES:
        records.update(collect(engine, folder))
    check(prep, folder, records)
    report(prep, records)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.worker:
        run_worker(args.worker, args.data, args.repeats)
        return
    if args.reprint:
        reprint(args.reprint)
        return
    import igraph
    import networkx
    import pandana
    import scipy

    import accessplan

    print(
        f"# travel-time engines: accessplan {accessplan.__version__} (scipy {scipy.__version__}),"
        f" networkx {networkx.__version__}, igraph {igraph.__version__}, "
        f"pandana {pandana.__version__}; {os.cpu_count()} cores; worker cap {args.mem_gb:g} GB,"
        f" timeout {args.timeout:g} s, sampled loops stop after {args.budget:g} s"
    )
    skip = set(args.skip)
    if "pandana" in skip:
        skip.add("pandana-range")
    engines = [e for e in ENGINES if e not in skip]
    regions = ["andorra", "province"] if args.region == "both" else [args.region]
    verdicts = {}
    for which in regions:
        folder = Path(tempfile.mkdtemp(prefix=f"travel-bench-{which}-"))
        print(f"preparing {which} in {folder} ...", file=sys.stderr, flush=True)
        prep = prepare(which, args, folder)
        prep.region = prep.network = None  # free the parent's copy while the workers run
        records: dict[str, Any] = {}
        for engine in engines:
            if engine == "pandana-precompute" and which == "andorra" and not args.precompute:
                print("  pandana-precompute skipped on Andorra (--precompute)", file=sys.stderr)
                continue
            records.update(launch(engine, folder, args))
        check(prep, folder, records)
        verdicts[which] = report(prep, records)
        if not args.keep:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
