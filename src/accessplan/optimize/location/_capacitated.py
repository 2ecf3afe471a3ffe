r"""The capacitated engine: capacitated p-median and maximal covering, one solver.

Both are read as one model (``_instance``): open ``p`` sites, serve each client whole from
one open site within capacities (or leave it unserved where the model allows), least total
cost. Within one deadline the engine runs:

1. **Bound and first plans.** Subgradient ascent on the Lagrangian relaxation of the
   assignment rows (one exact knapsack per site; ``_lagrange``, ``_knapsack``). From step
   150 on, every 20 steps, and ten times from the best multipliers at the end, the
   multipliers build a plan: the site with the best knapsack opens with its clients, they
   leave the other knapsacks, ``p`` times (``_assign.sequential``); the clients left over
   are placed by regret, repaired by ejection, improved by shifts and ejection chains and by
   moving each site to the best place for its clients (``_assign``). Plans from early
   multipliers are poor (lin318_040: 52,700 from the first 400 steps, 48,900 from the
   multipliers of step 1,000; the optimum is 47,988); these start 2-5 % above the optimum
   where the sites of an uncapacitated p-median started 9-15 % above.
2. **Corners.** Small MILPs around the best plan, solved by HiGHS (``_neighbourhood``):
   three nearby open sites first, more when a round of them gains nothing.
3. **Proof, in slices of growing length with corners between them.** When the pairs and
   sites that cannot be part of a better plan (their forced use lifts the Lagrangian bound
   above its cost) leave at most ``_SMALL_PAIRS`` pairs per client, HiGHS solves what is
   left with the rows :math:`\sum_i (c_{ij} - u_i) x_{ij} \ge K_j(u) y_j` that lift its LP
   bound to the Lagrangian one (few large sites: lin318_005 is proven in seconds that way,
   while its branch-and-price master LP, columns of 60 clients, took minutes a round),
   and where clusters are too large for branch-and-price's subset-row cuts
   (``_price.cuts_apply``: more than 20 clients per site): there its bound is the
   Lagrangian one and its nodes take seconds, while HiGHS adds cuts of its own and searches
   hundreds of nodes a minute. lin318_015 (21 clients per site; fixing keeps 7,458 of
   101,124 pairs) was proven that way in 520-556 s, HiGHS's last run taking 176-450 s by
   its random seed, where branch-and-price ended 600 s 0.25-0.38 % short.
   On instances of more than ``_TREE_CLIENTS`` clients, whose branch-and-price nodes take
   too long, HiGHS proves on models fixed against targets between the bound and the best
   plan (``Engine.aim``: a province of 3,000 settlements proven in 38 s, where
   branch-and-price had not in 600 s). Otherwise branch-and-price (``_price``),
   whose subset-row cuts close most of the gap left by the Lagrangian bound where clusters
   are small (lin318_100: 3.7 % at the root without them, 0.005 % with them), and whose
   master also recombines the clusters of every plan seen into better plans (set
   partitioning in HiGHS); lin318_040 reached its optimum that way where corners alone
   stalled 0.5 % above it.

A time limit returns the best plan and the best bound: the Lagrangian one (rounded up for
integer costs), or what the proof established. A Lagrangian bound above the dearest
conceivable plan proves that there is no plan at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from accessplan.optimize.location import _assign, _knapsack
from accessplan.optimize.location._compact import assignment_model, lagrangian_rows
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location._instance import Instance
from accessplan.optimize.location._lagrange import Lagrangian, pick
from accessplan.optimize.location._neighbourhood import Corners
from accessplan.optimize.location._price import BranchAndPrice, cuts_apply

logger = logging.getLogger(__name__)

_FIRST_STEPS = 1000  # subgradient steps before the first corners
_BUILDS = 10  # plans built from the best multipliers (varied by jitter) before corners
_BUILD_EVERY = 20  # subgradient steps between two plans built from the multipliers
# plans built from early multipliers are poor (lin318_040: 52,700 from the first 400 steps,
# 48,600 from step 401): the first ones wait for step 150
_BUILD_FROM = 150
_ORDER_WIDTH = 12  # open sites per client that shifts and ejections consider
_MORE_STEPS = 300  # subgradient steps before each proof attempt
_FIRST_PROOF = 2.0  # seconds for the first proof attempt; each next one doubles
_SMALL_PAIRS = 8  # pairs per client left by fixing below which HiGHS does the proof
# Above this many clients HiGHS does the proof (``Engine.aim``), never branch-and-price: its
# master has a row per client and each pricing round a knapsack over every client per site.
# Measured 2026-12-01 (one core each): a school province of 3,000 settlements and 563
# schools (p = 338) was not proven in 600 s by branch-and-price (nodes of 10-60 s, gap
# 0.10 %) and was proven in 38-42 s by ``aim``. Below it branch-and-price stays: with
# ``aim`` forced, lin318_040 ended at 48,173 after 90 s (the tree reached the optimum,
# 47,988, at 67 s once), cpmp20 alike (1,005, bound 980 against 981 at 60 s); u724 was
# mixed (better plans and bounds on _030 and _075, worse on _200).
_TREE_CLIENTS = 1000
_TARGET = 2e-4  # the first target of a large instance's proof, above the bound (share of it)


@dataclass
class Plan:
    """An assignment (site per client, -1 unserved), its open sites and its cost."""

    a: np.ndarray
    sites: np.ndarray
    cost: float


@dataclass(frozen=True)
class Outcome:
    """The best plan (None if none was found), its cost and a lower bound."""

    plan: Plan | None
    bound: float


class Engine:
    """One solve: the instance, the best plan, the Lagrangian and the deadline."""

    def __init__(self, inst: Instance, deadline: Deadline, rng: np.random.Generator) -> None:
        self.inst = inst
        self.deadline = deadline
        self.rng = rng
        self.best: Plan | None = None
        self.proven = -np.inf  # bound shown outside the Lagrangian (by the proof)
        self.lag = Lagrangian(inst)
        self.steps = 0
        # no plan costs more: a bound above it proves there is none (the Lagrangian dual
        # of an infeasible problem grows without end)
        dearest = np.where(np.isfinite(inst.cost), inst.cost, -np.inf).max(axis=1)
        optional = np.isfinite(inst.unserved)
        self.ceiling = float(np.where(optional, np.maximum(dearest, inst.unserved), dearest).sum())
        self.search: Corners | None = None

    # ---- plans -------------------------------------------------------------------------

    def offer(self, a: np.ndarray, sites: np.ndarray) -> bool:
        """Keep the plan if it is the best so far (it must be feasible)."""
        cost = self.inst.value(a)
        if not np.isfinite(cost) or (self.best is not None and cost >= self.best.cost - 1e-9):
            return False
        if (_load(self.inst, a) > self.inst.capacity * (1 + 1e-12) + 1e-9).any():
            return False
        self.best = Plan(a.copy(), np.sort(sites), cost)
        logger.debug("plan %.8g at %.2f s", cost, self.deadline.elapsed())
        self.deadline.report(cost, self.bound())
        return True

    def target(self) -> float:
        return np.inf if self.best is None else self.best.cost

    def complete(self, sites: np.ndarray, a: np.ndarray) -> np.ndarray | None:
        """Place the clients ``a`` leaves out, then improve; None if some cannot be placed."""
        inst = self.inst
        a = _fit(inst, a.copy())
        load = _load(inst, a)
        _assign.greedy(inst.cost, inst.demand, inst.capacity, sites, inst.unserved, a, load)
        if (a == _assign.UNPLACED).any() and not _assign.repair(
            inst.cost, inst.demand, inst.capacity, sites, inst.unserved, a, load
        ):
            return None
        movable = inst.allowed & ~inst.fixed
        for _ in range(20):
            order = _assign.site_order(inst.cost, sites, _ORDER_WIDTH)
            _assign.improve(
                inst.cost, inst.demand, inst.capacity, sites, inst.unserved, a, load, order
            )
            if not _assign.recentre(inst.cost, inst.demand, inst.capacity, movable, a, sites):
                break
            load = _load(inst, a)
        return a

    def build(self, u: np.ndarray) -> None:
        """A plan from multipliers ``u`` (see :func:`_assign.sequential`)."""
        inst = self.inst
        jitter = self.rng.random(inst.m)
        sites, a = _assign.sequential(
            inst.cost_t, u, inst.q, inst.cap, inst.fixed, inst.allowed, inst.p, jitter
        )
        done = self.complete(sites, a)
        if done is not None:
            self.offer(done, sites)

    # ---- phases ------------------------------------------------------------------------

    def ascend(self, steps: int, step: float = 2.0) -> None:
        """Subgradient steps, building a plan every ``_BUILD_EVERY``."""

        def on_sites(_: np.ndarray) -> None:
            self.steps += 1
            if self.steps >= _BUILD_FROM and self.steps % _BUILD_EVERY == 0:
                self.build(self.lag.u)

        self.lag.ascend(
            self.deadline, self.target, on_sites, steps=steps, step=step, stop=self.closed
        )

    def corners(self, deadline: Deadline) -> bool:
        """Corners of one size around the best plan; False when none is left to try."""
        if self.best is None:
            return False
        if self.search is None:
            self.search = Corners(self.inst, self.rng)
        best = self.best
        return self.search.search(best.a, best.sites, deadline, self.offer_corner, stop=self.closed)

    def offer_corner(self, a: np.ndarray, sites: np.ndarray) -> None:
        self.offer(a, sites)

    def bound(self) -> float:
        """The best lower bound, rounded up for integer costs, never above the best plan
        (``inf`` when no plan exists)."""
        value = max(self.lag.bound, self.proven)
        if value > self.ceiling + 1e-9 * max(1.0, abs(self.ceiling)):
            return np.inf
        if self.inst.integral and np.isfinite(value):
            value = float(np.ceil(value - 1e-6))
        return min(value, self.target())

    def closed(self) -> bool:
        """The best plan is proven optimal, or no plan exists."""
        if self.bound() == np.inf:
            return True
        best = self.target()
        return bool(np.isfinite(best) and best - self.bound() <= 1e-9 * max(1.0, abs(best)))

    def prove(self, box: Deadline | None, target: float | None = None) -> None:
        """HiGHS on the model without what the Lagrangian rules out against the best plan
        (or against ``target``, below it), within ``box`` (or the whole deadline)."""
        inst = self.inst
        limit = self.target() if target is None else min(target, self.target())
        margin = (1 - 1e-6) if inst.integral else 1e-9 * max(1.0, abs(limit))
        limit = limit - margin if np.isfinite(limit) else np.inf
        u = self.lag.best_u
        pairs, lower, upper, reduced, value = _reduce(inst, u, self.lag.bound, limit, self.best)
        sub = np.where(pairs, inst.cost, np.inf)
        model, pi, pj = assignment_model(
            sub,
            inst.demand,
            inst.capacity,
            inst.p,
            (lower, upper),
            inst.unserved,
            seed=int(self.rng.integers(2**31 - 1)),
            integral=inst.integral,
        )
        model.add_rows(*lagrangian_rows(reduced, value, pi, pj, model.highs.getNumCol()))
        start = None
        if self.best is not None:
            start = _start(inst, self.best, pi, pj)
        box = self.deadline if box is None or box.left() > self.deadline.left() else box
        out = model.solve(box, start=start)
        if out.x is not None:
            chosen = out.x[inst.m : inst.m + len(pi)] > 0.5
            a = np.full(inst.n, -1, np.int64)
            a[pi[chosen]] = pj[chosen]
            self.offer(a, np.flatnonzero(out.x[: inst.m] > 0.5))
        # plans outside the reduced model cost more than ``limit``; inside, at least the
        # bound HiGHS reached (inf when it proved there are none)
        bound = np.inf if out.infeasible else out.bound
        self.proven = max(self.proven, min(bound, limit + margin))

    def run(self, exact: bool) -> Outcome:
        """Bound and plans, corners of the first size, then (``exact``) the proof.

        On large instances (more than ``_TREE_CLIENTS`` clients), HiGHS on models fixed
        against targets (:meth:`aim`), without corners. Otherwise HiGHS on the reduced model
        when fixing leaves it small (few large sites) or clusters are too large for
        branch-and-price's cuts, branch-and-price when neither,
        each in slices of growing length with corners of growing size between them."""
        self.ascend(_FIRST_STEPS)
        for _ in range(_BUILDS):
            if self.closed() or self.deadline.left() <= 0:
                break
            self.build(self.lag.best_u)
        if exact and self.inst.n > _TREE_CLIENTS:
            self.aim()
            return Outcome(self.best, self.bound())
        more = self.corners(self.deadline)
        tree: BranchAndPrice | None = None
        attempt = _FIRST_PROOF
        while exact and not self.closed() and self.deadline.left() > 0:
            if tree is None:
                self.ascend(_MORE_STEPS, step=0.5)
                if self.closed():
                    break
            box = Deadline(min(attempt, self.deadline.left()))
            if tree is None and (
                not self.inst.exact
                or self.best is None
                or not cuts_apply(self.inst)
                or self.small()
            ):
                self.prove(box if more else None)
            else:
                if tree is None:
                    tree = self.tree()
                self.proven = max(self.proven, tree.run(box if more else self.deadline))
                if tree.done:
                    break
                self.recombine(tree, Deadline(min(attempt, self.deadline.left())))
            attempt *= 2
            if not self.closed() and self.deadline.left() > 0:
                more = self.corners(Deadline(min(attempt, self.deadline.left())))
                if tree is not None and self.best is not None:
                    tree.seed_columns(self.best.a, None)
        return Outcome(self.best, self.bound())

    def aim(self) -> None:
        """The proof of a large instance: HiGHS on the model fixed against a target a little
        above the bound (``_TARGET`` of it), then twice as far, ... until the target reaches
        the best plan. A target below the optimum leaves a small model whose solve lifts the
        bound to the target and, on the way, finds plans (every plan of a fixed model is a
        plan); one above it proves the optimum. A school province of 3,000 settlements and
        563 schools (p = 338): bound 493,194 and plan 496,300 after the Lagrangian (11 s);
        the target 493,293 kept 25,931 of 443,540 pairs and gave the optimum, 493,400.7, in
        7 s; the proof against it kept 49,062 pairs, 20 s: 38 s in all, where slices of
        HiGHS on the model fixed against the best plan took 132-230 s and plain HiGHS 472 s.
        Branch-and-price does not scale there (nodes of 10-60 s), and corners gained 0.1 %
        in their first 30 s, where HiGHS's first fixed model gained 0.4 % in 2 s."""
        self.ascend(_MORE_STEPS, step=0.5)
        step = _TARGET * max(abs(self.bound()), 1.0)
        while not self.closed() and self.deadline.left() > 0:
            self.prove(None, target=self.bound() + step)
            step *= 2

    def small(self) -> bool:
        """Whether fixing against the best plan leaves a model HiGHS solves readily."""
        limit = self.target()
        pairs = _reduce(self.inst, self.lag.best_u, self.lag.bound, limit, self.best)[0]
        return int(pairs.sum()) <= _SMALL_PAIRS * self.inst.n

    def recombine(self, tree: BranchAndPrice, box: Deadline) -> None:
        """The best plan made of the master's columns (clusters of every plan and of the
        priced knapsacks): set partitioning over them in HiGHS."""
        start = None if self.best is None else self.best.a
        found = tree.master.integer_plan(box, start, int(self.rng.integers(2**31 - 1)))
        if found is not None:
            a, sites = found
            spare = np.setdiff1d(np.flatnonzero(self.inst.allowed), sites)
            fixed = np.setdiff1d(np.flatnonzero(self.inst.fixed), sites)
            extra = np.concatenate([fixed, np.setdiff1d(spare, fixed)])[: self.inst.p - len(sites)]
            self.offer(a, np.union1d(sites, extra))

    def tree(self) -> BranchAndPrice:
        """Branch-and-price from the best multipliers and plan (see ``_price``)."""
        tree = BranchAndPrice(self.inst, self.rng, self.target, self.offer)
        tree.seed_columns(None if self.best is None else self.best.a, self.lag.best_u)
        tree.start(self.lag.bound, self.lag.best_u)
        return tree


def _load(inst: Instance, a: np.ndarray) -> np.ndarray:
    served = a >= 0
    return np.bincount(a[served], weights=inst.demand[served], minlength=inst.m)


def _fit(inst: Instance, a: np.ndarray) -> np.ndarray:
    """Unassign the costliest clients of any site loaded beyond its true capacity (plans
    built from scaled knapsacks can be)."""
    load = _load(inst, a)
    for j in np.flatnonzero(load > inst.capacity * (1 + 1e-12)):
        mine = np.flatnonzero(a == j)
        for i in mine[np.argsort(-inst.cost[mine, j], kind="stable")]:
            if load[j] <= inst.capacity[j]:
                break
            a[i] = -1
            load[j] -= inst.demand[i]
    return a


def _reduce(
    inst: Instance, u: np.ndarray, bound: float, limit: float, best: Plan | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs and site bounds of the plans whose Lagrangian bound may stay within ``limit``
    (the best plan's own always stay), with the reduced costs and knapsack values at
    ``u``."""
    force = np.full(inst.n, -1, np.int64)
    value = _knapsack.values(inst.cost_t, u, inst.q, inst.cap, force)
    table = _knapsack.tables(inst.cost_t, u, inst.q, inst.cap)
    m = inst.m
    sites = pick(value, inst.p, inst.fixed, inst.allowed)
    chosen = np.isin(np.arange(m), sites)
    free = inst.allowed & ~inst.fixed
    last = float(value[sites[free[sites]]].max(initial=-np.inf))
    spare = free & ~chosen
    following = float(value[spare].min(initial=np.inf))
    swap_in = np.where(chosen, 0.0, value - last)  # bound rise from opening site j
    upper = inst.allowed & ~(spare & (bound + swap_in > limit))
    lower = inst.fixed | (chosen & free & (bound - value + following > limit))
    # forcing client i into site j's knapsack costs at least this much more
    reduced = inst.cost - u[:, None]
    room = np.clip(inst.cap[None, :] - inst.q[:, None], 0, None)
    rest = table[np.arange(m)[None, :], np.minimum(room, table.shape[1] - 1)]
    push = np.maximum(reduced + rest - value[None, :], 0.0)
    fits = np.isfinite(inst.cost) & (inst.q[:, None] <= inst.cap[None, :])
    pairs = fits & (bound + push + swap_in[None, :] <= limit) & upper[None, :]
    if best is not None:
        own = np.isin(np.arange(m), best.sites)
        served = best.a >= 0
        pairs[np.flatnonzero(served), best.a[served]] = True
        upper |= own
        lower &= own | inst.fixed
    logger.debug(
        "fixing below %.8g keeps %d of %d pairs, %d of %d sites",
        limit,
        int(pairs.sum()),
        int(fits.sum()),
        int(upper.sum()),
        m,
    )
    return pairs, lower.astype(float), upper.astype(float), reduced, value


def _start(inst: Instance, plan: Plan, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """The plan as a point of the model ``[y, x, s]``."""
    y = np.zeros(inst.m)
    y[plan.sites] = 1.0
    x = (plan.a[pi] == pj).astype(float)
    s = (plan.a < 0)[np.isfinite(inst.unserved)].astype(float)
    return np.concatenate([y, x, s])


def solve(inst: Instance, deadline: Deadline, rng: np.random.Generator, *, exact: bool) -> Outcome:
    """Best plan and lower bound for a capacitated instance within the deadline."""
    return Engine(inst, deadline, rng).run(exact)
