r"""Branch-and-price for the capacitated engine (Ceselli & Righini 2005).

The master LP chooses client sets for the sites: a column is a site ``j`` with a set ``C``
of clients that fits its capacity, at cost :math:`\sum_{i \in C} c_{ij}`,

.. math:: \min \sum_k c_k \lambda_k + \sum_i e_i s_i \quad\text{s.t.}\quad
          \sum_{k \ni i} \lambda_k + s_i = 1\ (i),\quad \sum_k \lambda_k = p,\quad
          \sum_{k \in j} \lambda_k \le 1\ (j),\quad \lambda, s \ge 0,

(``s_i`` exists where a client may stay unserved; elsewhere an artificial column of large
cost keeps a restricted master feasible). Columns are priced by the per-site knapsacks of
``_knapsack`` at the duals; every pricing round also gives the Lagrangian bound, so a node
stops as soon as that bound meets the master's value or the best plan. The duals are
smoothed towards the best Lagrangian multipliers (Wentges 1997), which on lin318_040 brought
the master from the subgradient's columns to its optimum in about 40 rounds.

Once column generation has converged at a node, subset-row cuts (``_subset_rows``) that the
master's solution violates join it as rows, and column generation goes on with their duals
priced as penalties (``_knapsack.penalised``); the Lagrangian bound then counts them,
too. On lin318_100 they lifted the root bound from 3.7 % below the optimum to 0.005 % (256
cuts, 6 s); without them branching gained 0.02-0.06 points of gap per 100 nodes. They are
kept off where clusters are large (``_CUT_CLUSTER``), and dropped for good if their pricing
search runs too long.

Branching first opens or closes a site whose use is fractional (the one nearest 1/2), then
forces or forbids a client-site pair; forbidden pairs and closed sites disappear from the
knapsacks, a forced client enters its site's knapsack and leaves the others. Nodes are taken
best bound first, diving into the "open" child after each branching to reach plans early;
a master whose columns form a plan offers it to the engine.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import scipy.sparse as sp

from accessplan.optimize.location import _knapsack
from accessplan.optimize.location._highs import Deadline, Model, new_highs
from accessplan.optimize.location._instance import Instance
from accessplan.optimize.location._lagrange import pick
from accessplan.optimize.location._subset_rows import Cuts

logger = logging.getLogger(__name__)

_ALPHA = 0.8  # weight of the best multipliers in the smoothed duals
_NEW_COLUMNS = 40  # columns added per pricing round, at most
_TOL = 1e-7
_CUTS_PER_ROUND = 50  # subset-row cuts added per round, at most
_MAX_CUTS = 2000  # subset-row cuts in all
# no cuts when clusters average more clients than this (n / p): allowed on lin318_015 (21
# clients), their pricing search ran past its limit after 100-350 cuts (dropped) and the
# bound had gained 0.17 points of 0.59; u724_030 (24) had not finished its root in 90 s.
# The engine proves such instances with HiGHS on the reduced model instead (``_capacitated``)
_CUT_CLUSTER = 20.0
_INF = highspy.kHighsInf


def cuts_apply(inst: Instance) -> bool:
    """Whether branch-and-price adds subset-row cuts on this instance (clusters small
    enough)."""
    return inst.n / inst.p <= _CUT_CLUSTER


@dataclass
class Node:
    """Branching decisions and the bound inherited from the parent."""

    bound: float
    closed: frozenset[int] = frozenset()
    opened: frozenset[int] = frozenset()
    banned: frozenset[tuple[int, int]] = frozenset()
    forced: dict[int, int] = field(default_factory=dict)
    depth: int = 0
    u: np.ndarray | None = None  # the parent's best multipliers
    rho: np.ndarray | None = None  # and of the subset-row cuts (fewer when cuts came later)


class Master:
    """The restricted master LP in HiGHS and its columns."""

    def __init__(self, inst: Instance, seed: int) -> None:
        self.inst = inst
        n, m = inst.n, inst.m
        self.highs = new_highs()
        self.highs.setOptionValue("random_seed", seed)
        h = self.highs
        rows_lo = np.concatenate([np.ones(n), [inst.p], np.full(m, -_INF)])
        rows_hi = np.concatenate([np.ones(n), [inst.p], np.ones(m)])
        self.row_lo, self.row_hi = rows_lo[n + 1 :], rows_hi[n + 1 :]  # the sites' rows
        h.addRows(
            n + 1 + m,
            rows_lo,
            rows_hi,
            0,
            np.zeros(1, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        # per client: its slack (leaving it unserved) or an artificial, first at twice its
        # dearest cost (a larger one made HiGHS's simplex stall), raised when still used
        top = np.where(np.isfinite(inst.cost), np.abs(inst.cost), 0.0).max(axis=1)
        self.artificial = ~np.isfinite(inst.unserved)
        self.penalty = np.where(self.artificial, 2.0 * top + 1.0, inst.unserved)
        self.ceiling = 1e6 * (float(top.max(initial=0.0)) + 1.0)
        h.addCols(
            n,
            self.penalty,
            np.zeros(n),
            np.full(n, _INF),
            n,
            np.arange(n, dtype=np.int32),
            np.arange(n, dtype=np.int32),
            np.ones(n),
        )
        self.first = n  # columns before this are slacks
        self.site: list[int] = []
        self.members: list[np.ndarray] = []
        self.index: dict[bytes, int] = {}
        self.cuts = Cuts(n)
        self.cutting = True  # cuts are priced (see ``drop_cuts``)
        # an empty column per site: open without clients
        for j in np.flatnonzero(inst.allowed):
            self.add(int(j), np.zeros(0, np.int64))

    @property
    def size(self) -> int:
        return len(self.site)

    def add(self, j: int, clients: np.ndarray) -> bool:
        """Add the column ``(j, clients)`` unless it is there; whether it was added."""
        clients = np.sort(np.asarray(clients, dtype=np.int64))
        key = np.int64(j).tobytes() + clients.tobytes()
        if key in self.index:
            return False
        self.index[key] = len(self.site)
        self.site.append(j)
        self.members.append(clients)
        inst = self.inst
        cut_rows, cut_coefs = self.cuts.hit(clients)
        rows = np.concatenate([clients, [inst.n, inst.n + 1 + j], inst.n + 1 + inst.m + cut_rows])
        coefs = np.concatenate([np.ones(len(clients) + 2), cut_coefs])
        cost = float(inst.cost[clients, j].sum())
        self.highs.addCol(cost, 0.0, _INF, len(rows), rows.astype(np.int32), coefs)
        return True

    def add_cuts(self, subsets: list[tuple[int, ...]]) -> None:
        """Subset-row rows (see ``_subset_rows``) over the columns so far."""
        lengths = np.array([len(c) for c in self.members])
        cols = np.repeat(np.arange(self.size), lengths)
        incidence = sp.csr_array(
            (np.ones(len(cols)), (np.concatenate(self.members), cols)),
            shape=(self.inst.n, self.size),
        )
        for subset in subsets:
            pairs = incidence[list(subset)].sum(axis=0) // 2
            hits = np.flatnonzero(pairs)
            idx = (self.first + hits).astype(np.int32)
            self.highs.addRow(-_INF, float(len(subset) // 2), len(idx), idx, pairs[hits])
            self.cuts.add(subset)

    def drop_cuts(self) -> None:
        """Free the cut rows for good (their pricing grew too long): no new cuts, duals 0."""
        if not self.cutting:
            return
        self.cutting = False
        k = len(self.cuts)
        first = self.inst.n + 1 + self.inst.m
        for t in range(k):
            self.highs.changeRowBounds(first + t, -_INF, _INF)
        logger.debug("%d subset-row cuts dropped: their pricing took too long", k)

    def restrict(self, node: Node) -> None:
        """Column and row bounds for ``node``'s decisions."""
        inst = self.inst
        k = self.size
        allowed = np.ones(k, dtype=bool)
        site = np.asarray(self.site)
        if node.closed:
            allowed &= ~np.isin(site, list(node.closed))
        if node.banned or node.forced:
            lengths = np.array([len(c) for c in self.members])
            cols = np.repeat(np.arange(k), lengths)
            clients = np.concatenate(self.members) if k else np.zeros(0, np.int64)
            where = site[cols]
            bad = np.zeros(len(cols), dtype=bool)
            if node.banned:
                pairs = np.array(sorted(node.banned))
                code = clients * inst.m + where
                bad |= np.isin(code, pairs[:, 0] * inst.m + pairs[:, 1])
            if node.forced:
                target = np.full(inst.n, -1)
                target[list(node.forced)] = list(node.forced.values())
                bad |= (target[clients] >= 0) & (target[clients] != where)
                # a column of j must hold every client forced to j
                need = np.bincount(target[target >= 0], minlength=inst.m)
                have = np.bincount(cols[target[clients] == where], minlength=k)
                allowed &= have >= need[site]
            allowed &= np.bincount(cols[bad], minlength=k) == 0
        upper = allowed.astype(float)
        idx = self.first + np.arange(k, dtype=np.int32)
        self.highs.changeColsBounds(k, idx, np.zeros(k), upper)
        lo = np.full(inst.m, -_INF)
        hi = np.ones(inst.m)
        must = list(node.opened | set(np.flatnonzero(inst.fixed).tolist()))
        lo[must] = 1.0
        hi[list(node.closed)] = 0.0
        for j in np.flatnonzero((lo != self.row_lo) | (hi != self.row_hi)):
            self.highs.changeRowBounds(inst.n + 1 + int(j), lo[j], hi[j])
        self.row_lo, self.row_hi = lo, hi

    def integer_plan(
        self, deadline: Deadline, start: np.ndarray | None, seed: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The best plan made of the columns so far (a set-partitioning MIP in HiGHS, from
        the ``start`` plan whose columns are in the pool): its assignment and sites."""
        inst = self.inst
        k = self.size
        lengths = np.array([len(c) for c in self.members])
        cols = np.repeat(np.arange(k), lengths)
        clients = np.concatenate(self.members)
        site = np.asarray(self.site)
        optional = np.flatnonzero(np.isfinite(inst.unserved))
        width = k + len(optional)
        rows = np.concatenate([clients, np.full(k, inst.n), inst.n + 1 + site, optional])
        where = np.concatenate([cols, np.arange(k), np.arange(k), k + np.arange(len(optional))])
        matrix = sp.csr_array(
            (np.ones(len(rows)), (rows, where)), shape=(inst.n + 1 + inst.m, width)
        )
        lo = np.concatenate([np.ones(inst.n), [inst.p], np.where(inst.fixed, 1.0, -np.inf)])
        hi = np.concatenate([np.ones(inst.n), [inst.p], np.ones(inst.m)])
        cost = np.array(
            [inst.cost[c, j].sum() for j, c in zip(self.site, self.members, strict=True)]
        )
        model = Model(
            np.concatenate([cost, inst.unserved[optional]]),
            np.zeros(width),
            np.ones(width),
            matrix,
            lo,
            hi,
            integer=np.ones(width, dtype=bool),
            integral_objective=inst.integral,
            seed=seed,
        )
        x0 = None
        if start is not None:
            chosen = np.zeros(width)
            for j in np.unique(start[start >= 0]):
                key = np.int64(j).tobytes() + np.flatnonzero(start == j).astype(np.int64).tobytes()
                chosen[self.index[key]] = 1.0
            used = np.unique(start[start >= 0])
            empty = [self.index[np.int64(j).tobytes()] for j in self._spare(used)]
            chosen[empty] = 1.0
            chosen[k:] = (start[optional] < 0).astype(float)
            x0 = chosen
        out = model.solve(deadline, start=x0)
        if out.x is None:
            return None
        a = np.full(inst.n, -1, np.int64)
        picked = np.flatnonzero(out.x[:k] > 0.5)
        for t in picked:
            a[self.members[t]] = self.site[t]
        return a, np.unique(site[picked])

    def _spare(self, used: np.ndarray) -> np.ndarray:
        """Empty sites to open beside ``used`` so that ``p`` are open (fixed ones first)."""
        inst = self.inst
        need = inst.p - len(used)
        fixed = np.setdiff1d(np.flatnonzero(inst.fixed), used)
        other = np.setdiff1d(np.flatnonzero(inst.allowed & ~inst.fixed), used)
        return np.concatenate([fixed, other])[:need]

    def raise_penalty(self, clients: np.ndarray) -> bool:
        """Artificial costs of ``clients`` tenfold; False once past the ceiling (the node
        has no plan serving them)."""
        self.penalty[clients] *= 10.0
        if (self.penalty[clients] > self.ceiling).any():
            return False
        idx = clients.astype(np.int32)
        self.highs.changeColsCost(len(idx), idx, self.penalty[clients])
        return True

    def solve(self) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Value, column values and row duals (clients, ``p``, sites, cuts); None if the LP
        failed."""
        for _ in range(2):
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                break
            logger.debug("master LP: %s; solving again from scratch", status)
            self.highs.clearSolver()
        else:
            return None
        solution = self.highs.getSolution()
        value = self.highs.getInfo().objective_function_value
        return value, np.asarray(solution.col_value), np.asarray(solution.row_dual)


class BranchAndPrice:
    """The tree over one master, with the best plan kept by the engine."""

    def __init__(
        self,
        inst: Instance,
        rng: np.random.Generator,
        target: Callable[[], float],
        offer: Callable[[np.ndarray, np.ndarray], bool],
    ) -> None:
        self.inst = inst
        self.master = Master(inst, int(rng.integers(2**31 - 1)))
        self.target = target
        self.offer = offer
        self.nodes = 0

    def seed_columns(self, a: np.ndarray | None, u: np.ndarray | None) -> None:
        """Columns of a plan (its sites' client sets) and of the knapsacks at ``u``."""
        inst = self.inst
        if a is not None:
            for j in np.unique(a[a >= 0]):
                self.master.add(int(j), np.flatnonzero(a == j))
        if u is None:
            return
        value = _knapsack.values(inst.cost_t, u, inst.q, inst.cap, np.full(inst.n, -1))
        sites = np.argsort(value)[: 3 * inst.p]
        x = _knapsack.solutions(inst.cost_t, u, inst.q, inst.cap, np.full(inst.n, -1), sites)
        for t, j in enumerate(sites):
            self.master.add(int(j), np.flatnonzero(x[:, t]))

    def pruned(self, bound: float) -> bool:
        best = self.target()
        if not np.isfinite(best):
            return False
        if self.inst.integral:
            bound = np.ceil(bound - 1e-6)
        return bool(bound >= best - 1e-9 * max(1.0, abs(best)))

    def price(
        self, node: Node, duals: np.ndarray, u: np.ndarray, rho: np.ndarray
    ) -> tuple[float, list]:
        """Lagrangian bound at ``u`` (clients) and ``rho`` (cuts, <= 0) within the node, and
        columns with negative reduced cost at the master's ``duals`` among each site's best
        knapsack at ``u`` and ``rho``."""
        inst = self.inst
        cuts = self.master.cuts
        cost_t, force = self._node_costs(node)
        if not self.master.cutting:
            rho = np.zeros_like(rho)
        pen = -rho
        penalised = bool((pen > 0).any())
        if penalised:
            ptr, members = cuts.csr()
            value, exact, every = _knapsack.penalised(
                cost_t, u, inst.q, inst.cap, force, ptr, members, pen
            )
            if not exact:
                self.master.drop_cuts()
        else:
            value = _knapsack.values(cost_t, u, inst.q, inst.cap, force)
        closed = np.zeros(inst.m, dtype=bool)
        closed[list(node.closed)] = True
        allowed = inst.allowed & ~closed
        must = inst.fixed.copy()
        must[list(node.opened)] = True
        value = np.where(allowed, value, np.inf)
        if (~np.isfinite(value[must])).any() or allowed.sum() < inst.p:
            return np.inf, []
        sites = pick(value, inst.p, must, allowed)
        if not np.isfinite(value[sites]).all():
            return np.inf, []
        bound = (
            u.sum()
            + np.minimum(0.0, inst.unserved - u).sum()
            + rho @ cuts.rhs()
            + value[sites].sum()
        )
        n, m = inst.n, inst.m
        pi, mu, sigma = duals[:n], duals[n], duals[n + 1 : n + 1 + m]
        kappa = duals[n + 1 + m :]
        # reduced cost of site j's best set at u, judged at the master's duals
        candidates = np.flatnonzero(allowed & np.isfinite(value))
        order = candidates[np.argsort(value[candidates] - sigma[candidates])][: 4 * _NEW_COLUMNS]
        if penalised:
            x = every[:, order]
        else:
            x = _knapsack.solutions(cost_t, u, inst.q, inst.cap, force, order)
        columns = []
        for t, j in enumerate(order):
            chosen = np.flatnonzero(x[:, t])
            reduced = inst.cost[chosen, j].sum() - pi[chosen].sum() - mu - sigma[j]
            rows, coefs = cuts.hit(chosen)
            reduced -= kappa[rows] @ coefs
            if reduced < -_TOL * max(1.0, abs(bound)):
                columns.append((reduced, int(j), chosen))
        columns.sort(key=lambda c: c[0])
        return float(bound), columns[:_NEW_COLUMNS]

    def _node_costs(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        inst = self.inst
        force = np.full(inst.n, -1, np.int64)
        if not node.banned and not node.forced:
            return inst.cost_t, force
        cost_t = inst.cost_t.copy()
        for i, j in node.banned:
            cost_t[j, i] = np.inf
        for i, j in node.forced.items():
            keep = cost_t[j, i]
            cost_t[:, i] = np.inf
            cost_t[j, i] = keep
            force[i] = j
        return cost_t, force

    def generate(
        self, node: Node, deadline: Deadline
    ) -> tuple[float, np.ndarray | None, np.ndarray, np.ndarray]:
        """Column generation at ``node`` (with subset-row cuts while the budget lasts): its
        bound, the master's column values (None when pruned or out of time) and the best
        multipliers of the clients and of the cuts."""
        n, m = self.inst.n, self.inst.m
        self.master.restrict(node)
        center = node.u if node.u is not None else np.zeros(n)
        center_rho = _padded(node.rho, len(self.master.cuts))
        best, alpha = node.bound, _ALPHA
        while deadline.left() > 0:
            solved = self.master.solve()
            if solved is None:
                return best, None, center, center_rho
            value, x, duals = solved
            kappa = np.minimum(duals[n + 1 + m :], 0.0)
            center_rho = _padded(center_rho, len(kappa))
            u = alpha * center + (1 - alpha) * duals[:n]
            rho = alpha * center_rho + (1 - alpha) * kappa
            bound, columns = self.price(node, duals, u, rho)
            if bound == np.inf:
                return np.inf, None, center, center_rho  # the node's decisions leave no plan
            if bound > best:
                best, center, center_rho = bound, u, rho
            if self.pruned(best):
                return best, None, center, center_rho
            added = sum(self.master.add(j, members) for _, j, members in columns)
            if added:
                self.master.restrict(node)
                continue
            if alpha > 0 and value - best > _TOL * max(1.0, abs(value)):
                alpha = alpha / 2 if alpha > 0.05 else 0.0  # mispriced: trust the master
                continue
            # the master is optimal; artificials still in use mean too small a penalty
            used = np.flatnonzero(self.master.artificial & (x[: self.master.first] > 1e-9))
            if len(used) and not self.master.raise_penalty(used):
                return np.inf, None, center, center_rho
            if len(used):
                continue
            best = max(best, value)
            if self.pruned(best):
                return best, None, center, center_rho
            if not self.cut(x):
                return best, x, center, center_rho
            alpha = _ALPHA
        return best, None, center, center_rho

    def cut(self, x: np.ndarray) -> bool:
        """Add the subset-row cuts ``x`` violates most (within the budget); whether any."""
        cuts = self.master.cuts
        room = min(_CUTS_PER_ROUND, _MAX_CUTS - len(cuts))
        if not cuts_apply(self.inst) or room <= 0 or not self.master.cutting:
            return False
        first = self.master.first
        found = cuts.separate(x[first : first + self.master.size], self.master.members, room)
        if found:
            self.master.add_cuts(found)
            logger.debug("%d subset-row cuts (%d in all)", len(found), len(cuts))
        return bool(found)

    def start(self, root_bound: float, u: np.ndarray) -> None:
        """Put the root in the tree, with the Lagrangian bound and multipliers."""
        self.heap: list[tuple[float, int, Node]] = []
        self.count = itertools.count()
        self.dive: Node | None = Node(root_bound, u=u)

    @property
    def done(self) -> bool:
        return not self.heap and self.dive is None

    def bound(self) -> float:
        """The least bound of the nodes left (``inf`` when none is left)."""
        remaining = [b for b, _, _ in self.heap] + ([self.dive.bound] if self.dive else [])
        return min(remaining, default=np.inf)

    def run(self, deadline: Deadline) -> float:
        """Search until the tree is empty or time runs out (the tree is kept for another
        call); the lower bound proven."""
        while not self.done and deadline.left() > 0:
            if self.dive is not None:
                node, self.dive = self.dive, None
            else:
                node = heapq.heappop(self.heap)[2]
            if self.pruned(node.bound):
                continue
            bound, x, center, rho = self.generate(node, deadline)
            self.nodes += 1
            if x is None:
                if deadline.left() <= 0 and not self.pruned(bound):
                    node.bound = max(node.bound, bound)
                    heapq.heappush(self.heap, (node.bound, next(self.count), node))
                continue
            node.bound = bound
            children = self.branch(node, x, center, rho)
            if not children:
                continue
            self.dive = children[0]
            for child in children[1:]:
                heapq.heappush(self.heap, (child.bound, next(self.count), child))
        logger.debug(
            "branch and price: %d nodes, %d open, bound %.8g",
            self.nodes,
            len(self.heap),
            self.bound(),
        )
        return self.bound()

    def branch(self, node: Node, x: np.ndarray, u: np.ndarray, rho: np.ndarray) -> list[Node]:
        """Children of ``node`` (dive first), or none when its master is a plan."""
        inst = self.inst
        first = self.master.first
        lam = x[first : first + self.master.size]
        used = np.flatnonzero(lam > 1e-9)
        site = np.asarray(self.master.site)
        y = np.bincount(site[used], weights=lam[used], minlength=inst.m)
        frac = np.minimum(y, 1 - y)
        frac[list(node.opened | node.closed)] = 0.0
        j = int(np.argmax(frac))
        if frac[j] > 1e-6:
            return [
                replace(node, opened=node.opened | {j}, depth=node.depth + 1, u=u, rho=rho),
                replace(node, closed=node.closed | {j}, depth=node.depth + 1, u=u, rho=rho),
            ]
        # sites integral: a pair served fractionally
        share: dict[tuple[int, int], float] = {}
        for k in used:
            for i in self.master.members[k]:
                key = (int(i), int(site[k]))
                share[key] = share.get(key, 0.0) + lam[k]
        pairs = [(min(v, 1 - v), key) for key, v in share.items() if 1e-6 < v < 1 - 1e-6]
        if not pairs:
            self._offer_master(lam, used, site)
            return []
        _, (i, j) = max(pairs)
        return [
            replace(
                node,
                opened=node.opened | {j},
                forced={**node.forced, i: j},
                depth=node.depth + 1,
                u=u,
                rho=rho,
            ),
            replace(node, banned=node.banned | {(i, j)}, depth=node.depth + 1, u=u, rho=rho),
        ]

    def _offer_master(self, lam: np.ndarray, used: np.ndarray, site: np.ndarray) -> None:
        """An integral master is a plan: offer it."""
        inst = self.inst
        a = np.full(inst.n, -1, np.int64)
        for k in used:
            if lam[k] > 0.5:
                a[self.master.members[k]] = site[k]
        sites = np.unique(site[used[lam[used] > 0.5]])
        if len(sites) < inst.p:
            spare = np.setdiff1d(np.flatnonzero(inst.allowed), sites)
            sites = np.union1d(sites, spare[: inst.p - len(sites)])
        self.offer(a, sites)


def _padded(rho: np.ndarray | None, k: int) -> np.ndarray:
    """Cut multipliers for ``k`` cuts (zero for those added since ``rho``)."""
    out = np.zeros(k)
    if rho is not None:
        out[: len(rho)] = rho[:k]
    return out
