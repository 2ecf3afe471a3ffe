"""The pattern layer: which days each client is visited on, searched around PyVRP.

PyVRP optimises routes for a fixed assignment of visit days (:mod:`._pyvrp`: a client with one
visit picks its own day inside PyVRP; a client with several visits has one client per day of
its pattern). Choosing the patterns is this module's work, in the spirit of the hybrid genetic
search of Vidal et al. (2012, *Operations Research* 60: 611-624) for multi-period problems,
whose pattern moves and pattern-aware recombination it borrows, with PyVRP's local search as
the route-level engine:

* **State**: a pattern per client (or *dropped*) and the routes of every vehicle-day (lane).
* **Pattern moves** (*pattern improvement*, Vidal et al. sec. 4.3): take a client out of all
  its routes and put it back with the best of its patterns, each visit at its cheapest
  feasible position on its day (with continuity of care, the best pattern *and* team). Every
  insertion cost is computed for all positions of all lanes at once (numpy), so a move costs
  a few array operations however long the horizon.
* **Ruin and recreate** (perturbation): remove the clients of one or two whole routes, or 3
  to 25 clients (near one another, or at random), with all their visits and reinsert them,
  hardest first, each with its best pattern (costs blurred by noise); clients that fit
  nowhere feasibly are dropped when they may be (their prize is finite). Half the iterations
  instead perturb routes only (PyVRP's own perturbation and local search, on the same
  patterns, so nothing is rebuilt).
* **PyVRP local search** after every change, warm-started from the changed routes: the
  pattern's data are rebuilt (cheap: clients only, the matrices are shared; the granular
  neighbourhoods are computed here with numpy) and PyVRP's operators improve the routes and
  move single-visit clients between days.
* **Acceptance**: late acceptance hill climbing (Burke & Bykov 2017), as PyVRP's own iterated
  local search, on the cost with penalties for excess load and time.
* **Recombination** (Vidal's PIX crossover, simplified): from two elite plans take the routes
  of a random subset of days from one and the others from the second, keep for each client
  the pattern that agrees most with what was copied, remove the rest and reinsert what is
  missing.
* **Intensification**: in the last 15 % of the time, PyVRP's full iterated local search runs
  on the best pattern, warm-started from it.

A problem whose clients all need one visit (and no continuity) has no pattern to choose: it
goes to PyVRP's search directly with the whole time budget.
Where visits are spaced by a gap rule, :func:`.solve_periodic` first makes a plan with the
days relaxed (:mod:`._relax`) and the search starts from it when it is cheaper than the
construction.

Costs here are floats in the problem's units; the plan returned is checked afterwards by the
independent validator (:mod:`.validate`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accessplan.optimize.mobile._pyvrp import (
    DIST_SCALE,
    DROPPED,
    LOAD_SCALE,
    NATIVE,
    TIME_SCALE,
    UNIT_DISTANCE_COST,
    Adapter,
    Induced,
)
from accessplan.optimize.mobile.problem import PeriodicProblem

logger = logging.getLogger(__name__)

#: The clock of every budget (wall time; benchmarks on a busy machine may use CPU time).
clock = time.perf_counter

#: Starting penalty per unit of excess load and minute of excess time, as a multiple of what a
#: unit of load and a minute cost in a typical route (adapted afterwards, as PyVRP does).
INITIAL_PENALTY = 2.0
#: Up to this many PyVRP vehicle types (depot-days), each change gets a full local search;
#: beyond it, one around PyVRP's own perturbation (the full one grows with the vehicle types:
#: 43 ms against 12 ms for 220 of them and 367 visits, a county of 22 days).
EXHAUSTIVE_TYPES = 60
#: Granular neighbourhood size of PyVRP's local search.
NEIGHBOURS = 40
#: Late acceptance history length (iterations).
HISTORY = 60
#: Share of the time kept for the final intensification of the best plan by PyVRP.
FINAL_SHARE = 0.15
#: Clients removed by one ruin: between these (capped by the number of clients). Measured on
#: p02, p05, p08, p10 (seeds 0, 1, 15 CPU-seconds): 2-12 gave a mean gap of 2.5 % (worst 6.3),
#: 3-25 1.4 % (worst 2.1); 5-40 no better than 3-25.
RUIN = (3, 25)
#: Share of ruins that take out whole routes (one or two), the others taking related or
#: random clients. Whole routes let a route's clients change day together; measured on
#: p05, p08, p10 (seeds 0-2, 20 CPU-seconds): without them a mean gap of 2.1 % (worst 3.1),
#: with 0.2 1.5 % (worst 2.9), with 0.4 1.6 % (worst 3.0). Leaving a stagnating basin by a
#: large ruin of the best plan (restarts) did not help further (1.6 %, worst 3.0).
ROUTE_RUIN = 0.2
#: Share of iterations that only perturb routes (PyVRP's own perturbation and local
#: search, same patterns): cheap (no data to rebuild). Measured as for RUIN: 0 gave 2.5 %
#: (worst 6.3), 0.5 gave 1.8 % (worst 3.0); with 3-25 ruins, 1.2 % (worst 2.4) at 20 s.
ROUTE_STEP = 0.5
#: Acceptance: "lahc" (late acceptance) or "sa" (simulated annealing, start temperature
#: TEMPERATURE x the first plan's cost, cooling linearly to 0); annealing was not better
#: in the same measurements (2.4 % against 2.5 %; 1.6 % against 1.5 % with larger ruins).
ACCEPT = "lahc"
TEMPERATURE = 0.002
#: PyVRP iterations of the final search when the work is counted (at least, at most).
FINAL_ITERATIONS = (200, 4000)
#: PyVRP iterations without a new best after which its search returns to the best plan and
#: forgets its acceptance history (PyVRP's default, 150,000, never comes in a minute's run of
#: a hundred clients, 1,000-3,000 iterations a second). Measured 2026-12-01 on a quiet
#: machine, 60 s per run: p04 and p06 seed 1 stalled at +0.62 % with the default and reached
#: the best known with 20,000 (seeds 0 and 1 of all six once-per-period instances: see
#: benchmarks/README.md).
ILS_RESTART = 20_000
#: Elite plans kept for recombination, and iterations without a new best between crossovers.
ELITE, CROSSOVER_EVERY = 6, 40


@dataclass
class State:
    """A plan under search: a pattern per client, the teams (continuity), the routes of
    every lane and, per lane, its location sequence (depot at both ends), distance cost,
    minutes (driving and service) and load."""

    assign: np.ndarray
    team: np.ndarray
    routes: list[list[int]]
    seq: list[np.ndarray]
    dist: np.ndarray
    dur: np.ndarray
    load: np.ndarray
    count: np.ndarray
    cost: float = math.inf
    base: float = math.inf
    excess: float = 0.0

    def copy(self) -> State:
        return State(
            self.assign.copy(),
            self.team.copy(),
            [list(r) for r in self.routes],
            list(self.seq),
            self.dist.copy(),
            self.dur.copy(),
            self.load.copy(),
            self.count.copy(),
            self.cost,
            self.base,
            self.excess,
        )

    @property
    def feasible(self) -> bool:
        return self.excess <= 1e-9


@dataclass
class Stats:
    """What the search did."""

    iterations: int = 0
    improvements: int = 0
    crossovers: int = 0
    pyvrp_calls: int = 0
    #: iterations of PyVRP's own searches (how much routing search the time bought)
    pyvrp_iterations: int = 0
    best_history: list[tuple[float, float]] = field(default_factory=list)
    #: seconds (of :data:`clock`) until the first plan keeping every limit, and its cost
    first_feasible: tuple[float, float] | None = None
    #: whether the clock cut counted work short (the plan may then differ between runs)
    clock_stopped: bool = False


class PatternSearch:
    """Search patterns and routes of ``problem`` (see the module docstring)."""

    def __init__(self, problem: PeriodicProblem, *, seed: int) -> None:
        import pyvrp

        self.pyvrp = pyvrp
        self.p = p = problem
        self.ad = ad = Adapter(problem)
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.K = p.n_depots
        self.D = np.where(np.isfinite(p.distance), p.distance * p.distance_cost, 1e12)
        self.T = np.where(np.isfinite(p.duration), p.duration, 1e12)
        self.q = p.demand
        self.s = p.service
        self.f = p.visits
        self.n_lanes = len(ad.lanes)
        self.lane_loc = ad.lane_depot
        self.lane_cap = p.capacity[ad.lane_depot]
        self.limit = p.workday + p.overtime
        self.prize = p.prize if p.prize is not None else np.full(p.n_clients, np.inf)
        self.multi = np.flatnonzero(self.f > 1)
        self.patterns = [np.asarray(ps, dtype="int64") for ps in p.patterns]
        self.allowed_days = [np.unique(pt) for pt in self.patterns]
        #: per day, its lanes' first position in the lane order (lanes are day-major)
        counts = np.bincount(ad.lane_day, minlength=p.n_days)
        self.day_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.day_has = counts > 0
        #: lane of (day, team), -1 where that vehicle does not work that day
        self.lane_at = np.full((p.n_days, len(ad.teams)), -1, dtype="int64")
        self.lane_at[ad.lane_day, ad.lane_team] = np.arange(self.n_lanes)
        near = np.argsort(self.D[self.K :, self.K :] + self.D[self.K :, self.K :].T, axis=1)
        self.near = near[:, 1:]
        self.D_sym = self.D + self.D.T
        self._acts: list[Any] = []
        w_load, w_time = self._typical_unit_costs()
        scale = DIST_SCALE * UNIT_DISTANCE_COST
        self.penalties = pyvrp.PenaltyManager(
            (
                [INITIAL_PENALTY * w_load * scale / LOAD_SCALE],
                INITIAL_PENALTY * w_time * scale / TIME_SCALE,
                1.0,
            ),
            pyvrp.PenaltyParams(solutions_between_updates=50),
        )
        self.stats = Stats()
        self.exhaustive = len(self.ad.group_lanes) <= EXHAUSTIVE_TYPES
        self._update_weights()
        self._ls_cache: tuple[bytes, Induced, Any] | None = None

    # ================================================================== evaluation
    def empty(self) -> State:
        p, n = self.p, self.n_lanes
        return State(
            np.full(p.n_clients, NATIVE, dtype="int64"),
            np.full(p.n_clients, -1, dtype="int64"),
            [[] for _ in range(n)],
            [np.array([d, d]) for d in self.lane_loc],
            np.zeros(n),
            np.zeros(n),
            np.zeros(n),
            np.zeros(n, dtype="int64"),
        )

    def set_routes(self, state: State, routes: list[list[int]]) -> None:
        """Give ``state`` these routes, refreshing the figures of the lanes that changed."""
        old = state.routes
        state.routes = routes
        for lane in range(self.n_lanes):
            if routes[lane] != old[lane]:
                self.refresh(state, lane)
        self.evaluate(state)

    def refresh(self, state: State, lane: int) -> None:
        """Recompute one lane's sequence, distance, minutes and load."""
        r = state.routes[lane]
        dep = self.lane_loc[lane]
        seq = np.empty(len(r) + 2, dtype="int64")
        seq[0] = seq[-1] = dep
        idx = np.asarray(r, dtype="int64")
        seq[1:-1] = idx + self.K
        state.seq[lane] = seq
        a, b = seq[:-1], seq[1:]
        state.dist[lane] = self.D[a, b].sum()
        state.dur[lane] = self.T[a, b].sum() + self.s[idx].sum()
        state.load[lane] = self.q[idx].sum()
        state.count[lane] = len(r)

    def evaluate(self, state: State) -> None:
        """Set ``state.base`` (the plan's cost), ``state.excess`` (excess load and minutes)
        and ``state.cost`` (the base with the current penalties)."""
        xload = float(np.maximum(state.load - self.lane_cap, 0).sum())
        xtime = float(np.maximum(state.dur - self.limit, 0).sum())
        overtime = np.maximum(state.dur - self.p.workday, 0).sum() * self.p.overtime_cost
        dropped = state.assign == DROPPED
        state.excess = xload + xtime
        routes = np.count_nonzero(state.count) * self.p.route_cost
        state.base = float(state.dist.sum() + overtime + routes + self.prize[dropped].sum())
        state.cost = state.base + self.w_load * xload + self.w_time * xtime

    def _typical_unit_costs(self) -> tuple[float, float]:
        """What a unit of load and a minute cost in a typical route: the cost of an arc to
        a near client over its demand and over its minutes, plus the route cost spread over
        a vehicle's capacity and over the workday."""
        k = min(5, self.p.n_clients - 1)
        inner = self.D[self.K :, self.K :]
        times = self.T[self.K :, self.K :]
        if k >= 1:
            near = np.argsort(inner, axis=1)[:, 1 : k + 1]
            arc = float(np.mean(np.take_along_axis(inner, near, 1)))
            minutes = float(np.mean(np.take_along_axis(times, near, 1)))
        else:
            arc = float(np.mean(self.D[: self.K, self.K :]))
            minutes = float(np.mean(self.T[: self.K, self.K :]))
        per_minute = arc / max(minutes, 1e-9)
        if np.isfinite(self.limit):
            per_minute += self.p.route_cost / self.limit
        demand = float(np.mean(self.q)) if np.any(self.q > 0) else 1.0
        per_unit = arc / demand
        capacity = float(np.max(self.lane_cap)) if len(self.lane_cap) else np.inf
        if np.isfinite(capacity):
            per_unit += self.p.route_cost / capacity
        return max(per_unit, 1e-9), max(per_minute, 1e-9)

    def _update_weights(self) -> None:
        """Penalty weights per unit of excess load and minute from PyVRP's penalty manager
        (its penalties are per scaled unit, on PyVRP's cost scale)."""
        ce = self.penalties.cost_evaluator()
        unit = DIST_SCALE * UNIT_DISTANCE_COST
        self.w_load = ce.load_penalty(LOAD_SCALE, 0, 0) / unit
        self.w_time = ce.tw_penalty(TIME_SCALE) / unit

    # ================================================================== insertion
    def edges(self, state: State) -> tuple[np.ndarray, ...]:
        """Every arc of every lane: ``(from, to, lane of the arc, first arc of each lane)``."""
        lengths = np.fromiter((len(s) - 1 for s in state.seq), dtype="int64", count=self.n_lanes)
        a = np.concatenate([s[:-1] for s in state.seq])
        b = np.concatenate([s[1:] for s in state.seq])
        lane = np.repeat(np.arange(self.n_lanes), lengths)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return a, b, lane, starts

    def lane_costs(
        self, state: State, client: int, edges: tuple[np.ndarray, ...], *, feasible: bool = False
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """Cheapest insertion of one visit of ``client`` per lane, with penalties for excess
        load and minutes: the cost and the position (arc) per lane; with ``feasible``, also
        the cheapest cost and position per lane among positions breaking no limit (cost
        ``inf`` where none)."""
        a, b, lane, starts = edges
        loc = client + self.K
        dd = self.D[a, loc] + self.D[loc, b] - self.D[a, b]
        dur, load = state.dur[lane], state.load[lane]
        new = dur + self.T[a, loc] + self.T[loc, b] - self.T[a, b] + self.s[client]
        wd = self.p.workday
        cost = dd + (np.maximum(new - wd, 0) - np.maximum(dur - wd, 0)) * self.p.overtime_cost
        if self.p.route_cost:
            cost = cost + self.p.route_cost * (state.count[lane] == 0)
        cap, lim = self.lane_cap[lane], self.limit
        xload = np.maximum(load + self.q[client] - cap, 0) - np.maximum(load - cap, 0)
        xtime = np.maximum(new - lim, 0) - np.maximum(dur - lim, 0)
        penalised = cost + self.w_load * xload + self.w_time * xtime
        pos = _argmin_segments(penalised, starts)
        clean = None
        if feasible:
            ok = (load + self.q[client] <= cap + 1e-9) & (new <= lim + 1e-9)
            fit = np.where(ok, cost, np.inf)
            fit_pos = _argmin_segments(fit, starts)
            clean = (fit[fit_pos], fit_pos)
        return penalised[pos], pos, clean

    def options(self, client: int, lane_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cost of each option of ``client`` (pattern, or pattern x team with continuity)
        from its per-lane costs: ``(costs, lanes)``, ``lanes[o]`` the lanes of option ``o``."""
        pats = self.patterns[client]
        if self.p.continuity and self.f[client] > 1:
            lanes = self.lane_at[pats].transpose(0, 2, 1).reshape(-1, pats.shape[1])
            cost = np.where(lanes >= 0, lane_cost[np.maximum(lanes, 0)], np.inf).sum(axis=1)
            return cost, lanes
        day_cost = np.full(self.p.n_days, np.inf)
        day_lane = np.full(self.p.n_days, -1, dtype="int64")
        starts = self.day_start[self.day_has]
        day_cost[self.day_has] = np.minimum.reduceat(lane_cost, starts)
        day_lane[self.day_has] = _argmin_segments(lane_cost, starts)
        return day_cost[pats].sum(axis=1), day_lane[pats]

    def best_option(
        self,
        state: State,
        client: int,
        edges: tuple[np.ndarray, ...],
        *,
        noise: float = 0.0,
        feasible_first: bool = False,
    ) -> tuple[float, int, np.ndarray, np.ndarray] | None:
        """The cheapest option of ``client`` with the current penalties: ``(cost, option,
        lanes, arcs)`` (with ``feasible_first``, the cheapest that keeps every limit when
        one does). None for a client that may be dropped when no option keeps every limit
        or the cheapest that does costs more than its prize."""
        optional = bool(np.isfinite(self.prize[client]))
        lane_cost, pos, clean = self.lane_costs(
            state, client, edges, feasible=optional or feasible_first
        )
        cost, lanes = self.options(client, lane_cost)
        if clean is not None:
            fits, fit_lanes = self.options(client, clean[0])
            if optional and not fits.min() <= self.prize[client]:
                return None
            if feasible_first and np.isfinite(fits.min()):
                cost, lanes, pos = fits, fit_lanes, clean[1]
        if noise > 0:
            cost = cost * self.rng.uniform(1 - noise, 1 + noise, len(cost))
        o = int(np.argmin(cost))
        chosen = lanes[o]
        return float(cost[o]), o, chosen, pos[chosen]

    def apply(
        self,
        state: State,
        client: int,
        option: int,
        lanes: np.ndarray,
        arcs: np.ndarray,
        starts: np.ndarray,
    ) -> None:
        """Insert ``client`` on ``lanes`` after arc ``arcs`` and record its option."""
        for lane, arc in zip(lanes, arcs, strict=True):
            lane = int(lane)
            state.routes[lane].insert(int(arc - starts[lane]), client)
            self.refresh(state, lane)
        if self.f[client] > 1:
            n_teams = len(self.ad.teams)
            if self.p.continuity:
                state.assign[client], state.team[client] = divmod(option, n_teams)
            else:
                state.assign[client] = option
        else:
            state.assign[client] = NATIVE

    def remove(self, state: State, clients: np.ndarray | list[int]) -> None:
        gone = {int(c) for c in clients}
        for lane, r in enumerate(state.routes):
            if any(c in gone for c in r):
                state.routes[lane] = [c for c in r if c not in gone]
                self.refresh(state, lane)

    def recreate(
        self, state: State, clients: list[int], *, noise: float, feasible_first: bool = False
    ) -> None:
        """Insert ``clients`` one by one, those with most visits and demand first; those
        that may be dropped and fit nowhere are dropped."""
        order = sorted(
            clients, key=lambda c: (-self.f[c], -self.q[c] * (1 + 0.2 * self.rng.random()))
        )
        for c in order:
            edges = self.edges(state)
            best = self.best_option(state, c, edges, noise=noise, feasible_first=feasible_first)
            if best is None:
                state.assign[c] = DROPPED
            else:
                self.apply(state, c, best[1], best[2], best[3], edges[3])
        self.evaluate(state)

    # ================================================================== PyVRP
    def _key(self, state: State) -> bytes:
        """What the PyVRP data depend on: patterns of clients with several visits, teams."""
        return np.where(self.f > 1, state.assign, 0).tobytes() + state.team.tobytes()

    def induced(self, state: State) -> Induced:
        key = self._key(state)
        cached = getattr(self, "_induced_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        induced = self.ad.build(state.assign, state.team)
        self._induced_cache = (key, induced)
        return induced

    def polish(self, state: State, *, exhaustive: bool | None = None) -> State:
        """PyVRP's local search on ``state``'s routes (same pattern); missing visits of
        clients with several visits are put back or the client is dropped. A full
        (exhaustive) search by default on problems with few vehicle types; with many, a
        search around PyVRP's own perturbation (a full one costs ten times as much there)."""
        if exhaustive is None:
            exhaustive = self.exhaustive
        induced = self.induced(state)
        ls = self._local_search_for(state, induced)
        sol = self.ad.solution(induced, state.routes)
        out = ls(sol, self.penalties.cost_evaluator(), exhaustive=exhaustive)
        self.penalties.register(out)
        self._update_weights()
        self.stats.pyvrp_calls += 1
        self.set_routes(state, self.ad.routes(induced, out))
        self._settle(state)
        return state

    def _local_search_for(self, state: State, induced: Induced) -> Any:
        key = self._key(state)
        if self._ls_cache is not None and self._ls_cache[0] == key:
            return self._ls_cache[2]
        from pyvrp.search import OPERATORS, LocalSearch

        data = induced.data
        rng = self.pyvrp.RandomNumberGenerator(seed=int(self.rng.integers(2**31)))
        ls = LocalSearch(data, rng, self._neighbours(induced))
        for op in OPERATORS:
            if op.supports(data):
                ls.add_operator(op(data))
        self._ls_cache = (key, induced, ls)
        return ls

    def _neighbours(self, induced: Induced) -> dict[Any, list[Any]]:
        """PyVRP's granular neighbourhoods: per visit, the :data:`NEIGHBOURS` nearest visits
        whose time windows meet its own (visits on other days are never neighbours).
        Computed here with numpy: PyVRP's own ``compute_neighbours`` took most of the time
        of a rebuild after each pattern change."""
        loc = induced.customer + self.K
        dist = self.D_sym[np.ix_(loc, loc)]
        w = induced.window
        meet = (w[:, 0][:, None] <= w[:, 1][None, :]) & (w[:, 0][None, :] <= w[:, 1][:, None])
        dist = np.where(meet, dist, np.inf)
        np.fill_diagonal(dist, np.inf)
        n = len(loc)
        k = min(NEIGHBOURS, n - 1)
        acts = self._activities(n)
        if k <= 0:
            return {a: [] for a in acts}
        near = np.argpartition(dist, k - 1, axis=1)[:, :k]
        near_d = np.take_along_axis(dist, near, 1)
        order = np.argsort(near_d, axis=1, kind="stable")
        near = np.take_along_axis(near, order, 1)
        ok = np.isfinite(np.take_along_axis(near_d, order, 1))
        return {
            acts[c]: [
                acts[j] for j, good in zip(near[c].tolist(), ok[c].tolist(), strict=True) if good
            ]
            for c in range(n)
        }

    def _activities(self, n: int) -> list[Any]:
        if len(self._acts) < n:
            from pyvrp import Activity, ActivityType

            self._acts += [Activity(ActivityType.CLIENT, c) for c in range(len(self._acts), n)]
        return self._acts[:n]

    def _settle(self, state: State) -> None:
        """Clients PyVRP left out: single-visit ones are dropped; a client with several
        visits has its missing ones reinserted, or is dropped whole."""
        seen = np.zeros(self.p.n_clients, dtype="int64")
        for r in state.routes:
            for c in r:
                seen[c] += 1
        single = self.f == 1
        state.assign[single & (seen == 1)] = NATIVE  # PyVRP may insert optional ones
        missing = np.flatnonzero((state.assign != DROPPED) & (seen < self.f))
        if len(missing) == 0:
            self.evaluate(state)
            return
        single = missing[self.f[missing] == 1]
        state.assign[single] = DROPPED
        partial = missing[self.f[missing] > 1]
        if len(partial):
            self.remove(state, partial)
            self.recreate(state, [int(c) for c in partial], noise=0.0)
        self.evaluate(state)

    def intensify(
        self, state: State, seconds: float, iterations: int | None = None, *, fresh: bool = False
    ) -> State:
        """PyVRP's iterated local search on ``state``'s pattern, warm-started from it (from
        PyVRP's own start when ``fresh``), for ``seconds`` (and at most ``iterations``)."""
        induced = self.induced(state)
        restart = self.pyvrp.IteratedLocalSearchParams(num_iters_no_improvement=ILS_RESTART)
        result = self.pyvrp.solve(
            induced.data,
            _Until(clock() + max(seconds, 0.01), iterations, self.stats),
            seed=int(self.rng.integers(2**31)),
            collect_stats=False,
            initial_solution=None if fresh else self.ad.solution(induced, state.routes),
            params=self.pyvrp.SolveParams(ils=restart),
        )
        self.stats.pyvrp_calls += 1
        candidate = state.copy()
        self.set_routes(candidate, self.ad.routes(induced, result.best))
        self._settle(candidate)
        return candidate if fresh or _better(candidate, state) else state

    # ================================================================== moves
    def screen(self, state: State) -> np.ndarray:
        """Estimated change of cost when each client with several visits takes its best
        option (negative: promising), for all of them at once.

        Every insertion cost of every client at every arc of the current routes is one
        array; a visit may also stay where it is (its removal gain is then its cost), so an
        option sharing days with the current pattern is priced like the move it is. Arcs
        touching the client itself are left out; load and time penalties use the lanes'
        current figures. :meth:`try_move` checks each promising move exactly.
        """
        K, M = self.K, self.multi
        a, b, lane, _ = self.edges(state)
        loc = M + K
        ins = self.D[a][:, loc].T + self.D[loc][:, b] - self.D[a, b][None, :]
        ins = ins + self._penalty_delta(state, lane, M)
        if self.p.route_cost:
            ins = ins + self.p.route_cost * (state.count[lane] == 0)[None, :]
        ins[(a[None, :] == loc[:, None]) | (b[None, :] == loc[:, None])] = np.inf
        lane_ins = np.minimum.reduceat(
            ins, np.concatenate([[0], np.flatnonzero(np.diff(lane)) + 1]), axis=1
        )
        # lanes are never empty of arcs, so reduceat yields one column per lane
        # removal gain of every visit: arc k ends at a client, arc k + 1 leaves it
        at = np.flatnonzero(b[:-1] >= K) if len(b) > 1 else np.empty(0, dtype="int64")
        at = at[lane[at] == lane[at + 1]]
        client = b[at] - K
        gain = self.D[a[at], b[at]] + self.D[b[at], b[at + 1]] - self.D[a[at], b[at + 1]]
        gain = gain + self._removal_penalty(state, lane[at], client)
        row = np.full(self.p.n_clients, -1, dtype="int64")
        row[M] = np.arange(len(M))
        keep = row[client] >= 0
        rem_lane = np.full((len(M), self.n_lanes), np.inf)
        rem_lane[row[client[keep]], lane[at][keep]] = gain[keep]
        removal = np.zeros(len(M))
        np.add.at(removal, row[client[keep]], gain[keep])
        delta = np.zeros(len(M))
        for r, c in enumerate(M):
            if state.assign[c] == DROPPED:
                cost, _ = self.options(int(c), lane_ins[r])
                delta[r] = cost.min() - self.prize[c]
                continue
            if self.p.continuity:
                lane_cost = np.minimum(lane_ins[r], rem_lane[r])
                cost, _ = self.options(int(c), lane_cost)
            else:
                cost = self._day_options(int(c), lane_ins[r], rem_lane[r])
            delta[r] = min(cost.min(), self.prize[c]) - removal[r]
        return delta

    def _day_options(self, client: int, lane_ins: np.ndarray, rem_lane: np.ndarray) -> np.ndarray:
        """Pattern costs of ``client`` where a visit may stay on its current lane."""
        starts = self.day_start[self.day_has]
        day = np.full(self.p.n_days, np.inf)
        day[self.day_has] = np.minimum.reduceat(np.minimum(lane_ins, rem_lane), starts)
        return day[self.patterns[client]].sum(axis=1)

    def _penalty_delta(self, state: State, lane: np.ndarray, clients: np.ndarray) -> np.ndarray:
        """Penalties and overtime added by one more visit of each client on each arc's lane
        (ignoring the arc's own detour time)."""
        load = state.load[lane][None, :] + self.q[clients][:, None]
        cap = self.lane_cap[lane][None, :]
        out = self.w_load * (
            np.maximum(load - cap, 0) - np.maximum(load - self.q[clients][:, None] - cap, 0)
        )
        if np.isfinite(self.limit) or self.p.overtime_cost > 0:
            dur = state.dur[lane][None, :]
            new = dur + self.s[clients][:, None]
            out = out + self.w_time * (
                np.maximum(new - self.limit, 0) - np.maximum(dur - self.limit, 0)
            )
            wd = self.p.workday
            out = out + self.p.overtime_cost * (np.maximum(new - wd, 0) - np.maximum(dur - wd, 0))
        return out

    def _removal_penalty(self, state: State, lane: np.ndarray, client: np.ndarray) -> np.ndarray:
        """Penalties and overtime saved by taking each visit out of its lane (service time
        only)."""
        load, cap = state.load[lane], self.lane_cap[lane]
        out = self.w_load * (np.maximum(load - cap, 0) - np.maximum(load - self.q[client] - cap, 0))
        dur = state.dur[lane]
        new = dur - self.s[client]
        out = out + self.w_time * (
            np.maximum(dur - self.limit, 0) - np.maximum(new - self.limit, 0)
        )
        wd = self.p.workday
        return out + self.p.overtime_cost * (np.maximum(dur - wd, 0) - np.maximum(new - wd, 0))

    def try_move(self, state: State, c: int) -> bool:
        """Take ``c`` out and put it back with its best option (or drop it) if that is
        cheaper; True when the plan changed."""
        dropped = state.assign[c] == DROPPED
        before_cost = state.cost
        held = [(lane, list(r)) for lane, r in enumerate(state.routes) if c in r]
        old = (state.assign[c], state.team[c])
        if held:
            self.remove(state, [c])
        state.assign[c] = 0  # out of the routes, its prize not counted
        self.evaluate(state)
        edges = self.edges(state)
        best = self.best_option(state, c, edges)
        if best is not None and state.cost + best[0] < before_cost - 1e-7:
            self.apply(state, c, best[1], best[2], best[3], edges[3])
            self.evaluate(state)
            return True
        if best is None and state.cost + self.prize[c] < before_cost - 1e-7:
            state.assign[c] = DROPPED  # leaving it out is cheaper than its prize
            self.evaluate(state)
            return not dropped
        for lane, r in held:
            state.routes[lane] = r
            self.refresh(state, lane)
        state.assign[c], state.team[c] = old
        self.evaluate(state)
        return False

    def pattern_descent(self, state: State, deadline: float) -> bool:
        """Pattern improvement moves until none of the promising ones (:meth:`screen`)
        improves; returns whether any applied."""
        if len(self.multi) == 0:
            return False
        improved = False
        tried: set[int] = set()
        while clock() < deadline:
            delta = self.screen(state)
            order = np.argsort(delta + 1e-9 * self.rng.random(len(delta)))
            moved = False
            for r in order:
                if delta[r] > -1e-7:
                    break
                c = int(self.multi[r])
                if c in tried:
                    continue
                if self.try_move(state, c):
                    moved = improved = True
                    tried.clear()
                    break
                tried.add(c)
            if not moved:
                break
        return improved

    def ruin(self, state: State) -> list[int]:
        """Take out, with all their visits, the clients of one or two routes
        (:data:`ROUTE_RUIN` of the time) or :data:`RUIN` clients (a client and its nearest,
        or random ones), and some of the dropped ones. Returns them."""
        n = self.p.n_clients
        k = int(self.rng.integers(min(RUIN[0], n), min(RUIN[1], n) + 1))
        active = np.flatnonzero(state.assign != DROPPED)
        used = [lane for lane, r in enumerate(state.routes) if r]
        kind = self.rng.random()
        if kind < ROUTE_RUIN and used:
            # whole routes: their clients may then open a route on another day together
            lanes = self.rng.choice(
                len(used), size=min(len(used), 1 + int(self.rng.integers(2))), replace=False
            )
            chosen = sorted({c for i in lanes for c in state.routes[used[int(i)]]})
        elif kind < 0.6 and len(active):
            seed = int(self.rng.choice(active))
            near = [int(c) for c in self.near[seed][: 2 * k] if self.rng.random() < 0.5]
            chosen = [seed, *near][:k]
        else:
            chosen = [int(c) for c in self.rng.choice(n, size=min(k, n), replace=False)]
        dropped = np.flatnonzero(state.assign == DROPPED)
        chosen += [int(c) for c in dropped if self.rng.random() < 0.3]
        chosen = sorted(set(chosen))
        self.remove(state, chosen)
        return chosen

    def crossover(self, a: State, b: State) -> State:
        """Routes of a random subset of days from ``a``, the other days from ``b``; each
        client keeps the pattern closest to what was copied; the rest is reinserted."""
        p = self.p
        take_a = self.rng.random(p.n_days) < 0.5
        child = a.copy()
        routes = [
            list(r if take_a[self.ad.lane_day[lane]] else b.routes[lane])
            for lane, r in enumerate(a.routes)
        ]
        lanes_of: dict[int, list[int]] = {}
        for lane, r in enumerate(routes):
            for c in r:
                lanes_of.setdefault(c, []).append(lane)
        redo = []
        for c in range(p.n_clients):
            got = lanes_of.get(c, [])
            if self.f[c] == 1:
                if len(got) != 1:
                    redo.append(c)
                continue
            if not got:
                redo.append(c)
                continue
            days = {int(self.ad.lane_day[ln]) for ln in got}
            teams = {int(self.ad.lane_team[ln]) for ln in got}
            hits = np.array([len(days & set(pt.tolist())) for pt in self.patterns[c]])
            best = int(np.argmax(hits + 0.01 * self.rng.random(len(hits))))
            same = len(got) == self.f[c] and hits[best] == self.f[c]
            if same and (not p.continuity or len(teams) == 1):
                child.assign[c] = best
                child.team[c] = teams.pop() if p.continuity else -1
            else:
                redo.append(c)
        self.set_routes(child, routes)
        self.remove(child, redo)
        self.recreate(child, redo, noise=0.0)
        self.stats.crossovers += 1
        return child

    # ================================================================== the search
    def construct(self) -> State:
        state = self.empty()
        state.assign[self.multi] = 0
        self.recreate(state, list(range(self.p.n_clients)), noise=0.0, feasible_first=True)
        return state

    def run(
        self,
        time_limit: float,
        *,
        iterations: int | None = None,
        on_best: Callable[[State], None] | None = None,
        initial: State | None = None,
    ) -> State:
        """Search for at most ``time_limit`` seconds; with ``iterations``, stop after that
        many pattern iterations and a final PyVRP search of a fixed number of iterations, so
        that the same seed gives the same plan (unless the clock stops it first). ``initial``:
        a plan to begin from instead of the construction (used when it is cheaper)."""
        start = clock()
        deadline = start + time_limit
        counted = iterations is not None
        final_at = deadline - (0.0 if counted else FINAL_SHARE * time_limit)
        if len(self.multi) == 0 and not self.p.continuity:
            # nothing to choose but routes (and days, which PyVRP chooses itself)
            final = self._final_iterations(iterations)
            best = self.intensify(self.empty(), deadline - clock(), final, fresh=True)
            return best if best.feasible else self.repair(best)
        state = self.construct()
        if initial is not None and _better(initial, state):
            state = initial
        if state.feasible:
            self.stats.first_feasible = (clock() - start, state.base)
        first = state.copy()
        self.polish(state, exhaustive=True)
        if not state.feasible and first.feasible:
            state = first
        limit = math.inf if counted else final_at
        while self.pattern_descent(state, limit) and clock() < final_at:
            self.polish(state)
        best = state.copy()
        elite = [best.copy()]
        history = [state.cost] * HISTORY
        since_best = 0
        it = 0
        temperature = TEMPERATURE * state.base
        while clock() < final_at and (iterations is None or it < iterations):
            it += 1
            progress = (
                it / iterations
                if iterations is not None
                else (clock() - start) / max(final_at - start, 1e-9)
            )
            if since_best and since_best % CROSSOVER_EVERY == 0 and len(elite) >= 2:
                i, j = self.rng.choice(len(elite), size=2, replace=False)
                cand = self.crossover(elite[i], elite[j])
                self.polish(cand)
            elif self.rng.random() < ROUTE_STEP:
                cand = state.copy()
                self.polish(cand, exhaustive=False)
            else:
                cand = state.copy()
                removed = self.ruin(cand)
                self.recreate(cand, removed, noise=0.1 * self.rng.random())
                self.polish(cand)
            if self.pattern_descent(cand, limit):
                self.polish(cand)
            if ACCEPT == "sa":
                t = temperature * (1 - progress)
                accept = cand.cost < state.cost - t * math.log(self.rng.random() + 1e-300)
            else:
                slot = it % HISTORY
                accept = cand.cost < history[slot] or cand.cost < state.cost
            if accept:
                state = cand
            if ACCEPT != "sa" and state.cost < history[it % HISTORY]:
                history[it % HISTORY] = state.cost
            if _better(cand, best):
                if self.stats.first_feasible is None:
                    self.stats.first_feasible = (clock() - start, cand.base)
                if not self.exhaustive:
                    polished = self.polish(cand.copy(), exhaustive=True)
                    cand = polished if _better(polished, cand) else cand
                best = cand.copy()
                since_best = 0
                self.stats.improvements += 1
                self.stats.best_history.append((clock() - start, best.base))
                _add_elite(elite, best)
                if on_best is not None:
                    on_best(best)
            else:
                since_best += 1
                if cand.feasible:
                    _add_elite(elite, cand)
        self.stats.iterations = it
        self.stats.clock_stopped |= iterations is not None and it < iterations
        best = self.intensify(best, deadline - clock(), self._final_iterations(iterations))
        return best if best.feasible else self.repair(best)

    def repair(self, state: State) -> State:
        """Drop optional clients from routes over a limit, the one saving most excess
        first, until no route breaks a limit or only required clients are left there."""
        state = state.copy()
        while not state.feasible:
            over = np.flatnonzero(
                (state.load > self.lane_cap + 1e-9) | (state.dur > self.limit + 1e-9)
            )
            options = [
                (float(self.s[c] + self.q[c]), c)
                for lane in over
                for c in state.routes[int(lane)]
                if np.isfinite(self.prize[c])
            ]
            if not options:
                break
            _, c = max(options)
            self.remove(state, [c])
            state.assign[c] = DROPPED
            self.evaluate(state)
        return state

    def _final_iterations(self, iterations: int | None) -> int | None:
        """PyVRP iterations of the final search when the work is counted: four per pattern
        iteration, between :data:`FINAL_ITERATIONS` bounds."""
        if iterations is None:
            return None
        low, high = FINAL_ITERATIONS
        return int(min(high, max(low, 4 * iterations)))


class _Until:
    """PyVRP stopping criterion: stop once :data:`clock` passes ``deadline`` or after
    ``iterations`` calls; counts the iterations it lets run (``stats.pyvrp_iterations``)."""

    def __init__(self, deadline: float, iterations: int | None, stats: Stats) -> None:
        self.deadline = deadline
        self.left = math.inf if iterations is None else iterations
        self.stats = stats

    def __call__(self, best_cost: float) -> bool:
        self.left -= 1
        if self.left < 0:
            return True
        late = clock() >= self.deadline
        self.stats.clock_stopped |= late and self.left != math.inf
        if not late:
            self.stats.pyvrp_iterations += 1
        return late


def _add_elite(elite: list[State], state: State) -> None:
    """Keep the :data:`ELITE` cheapest distinct (by assignment) feasible plans."""
    key = state.assign.tobytes() + state.team.tobytes()
    for i, e in enumerate(elite):
        if e.assign.tobytes() + e.team.tobytes() == key:
            if state.base < e.base:
                elite[i] = state.copy()
            return
    elite.append(state.copy())
    elite.sort(key=lambda s: s.base)
    del elite[ELITE:]


def _better(a: State, b: State) -> bool:
    """``a`` is feasible and cheaper than ``b`` (or ``b`` is infeasible)."""
    return a.feasible and (not b.feasible or a.base < b.base - 1e-7)


def _argmin_segments(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index (into ``values``) of the minimum of each segment beginning at ``starts``."""
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    order = np.lexsort((values, seg))
    first = np.concatenate([[0], np.flatnonzero(np.diff(seg[order])) + 1])
    return order[first]
