"""Improving a plan by small MILPs around it (a matheuristic).

In the manner of Stefanello, de Araújo & Müller (2015): take a few open sites near each
other, free their clients, and let HiGHS re-solve that corner — which of the nearby
candidate sites to open (as many as before) and who goes where — with every other site and
client untouched. Each sub-problem is a capacitated p-median (or covering) of its own:
clients keep only their ``_PAIRS`` cheapest candidate sites of the corner (and their current
one), and HiGHS gets half a second and a 0.01 % gap (on lin318_040 most three-site corners
took 10-60 ms, a few hit two seconds without the cap). Corners start with three open sites
and grow when a whole round of them brings nothing. HiGHS runs single-threaded: on the
shared two-core machine its worker threads made these small MIPs twice as slow.

Sites are "near" when some client near one is near the other: ``nearness[j, k]`` is the
least ``d_ij + d_ik`` over the ``_PROBES`` clients closest to ``j`` (the distance itself
when sites are clients, as in the benchmark sets).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from accessplan.optimize.location._compact import assignment_model
from accessplan.optimize.location._highs import Deadline
from accessplan.optimize.location._instance import Instance

logger = logging.getLogger(__name__)

_PROBES = 20  # clients per site probed for nearness
_PAIRS = 10  # candidate sites per client in a corner
_SITES = 3  # open sites in a first corner
_GROW = 1.5  # corner growth after a fruitless round
_MAX_SITES = 16
_MAX_CLIENTS = 300
_SECONDS = 0.5  # HiGHS time per corner (a few of lin318_040's 3-site corners took 2 s)
_GAP = 1e-4  # relative gap at which a corner counts as solved


def nearness(inst: Instance) -> np.ndarray:
    """Sites x sites: how near two sites are through the clients between them."""
    d = np.where(np.isfinite(inst.distance), inst.distance, np.inf)
    probes = min(_PROBES, inst.n)
    near = np.argpartition(d, probes - 1, axis=0)[:probes].T  # sites x probes
    out = np.empty((inst.m, inst.m))
    for j in range(inst.m):
        rows = d[near[j]]
        out[j] = (rows + d[near[j], j][:, None]).min(axis=0)
    np.fill_diagonal(out, 0.0)
    return out


class Corners:
    """Corners of the plan re-solved by HiGHS, seed site after seed site."""

    def __init__(self, inst: Instance, rng: np.random.Generator) -> None:
        self.inst = inst
        self.rng = rng
        self.near = nearness(inst)
        self.size = _SITES

    def search(
        self,
        a: np.ndarray,
        sites: np.ndarray,
        deadline: Deadline,
        offer: Callable[[np.ndarray, np.ndarray], None],
        *,
        stop: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Improve the plan ``(a, sites)`` by corners of the current size until a round of
        them gains nothing (then the size grows for the next call), or time runs out; each
        better plan goes to ``offer``. Returns False once the largest size gained nothing."""
        a, sites = a.copy(), sites.copy()
        while deadline.left() > 0 and not stop():
            gained = False
            for seed in self.rng.permutation(sites):
                if deadline.left() <= 0 or stop():
                    return True
                if seed not in sites:
                    continue
                better = self.corner(a, sites, int(seed), deadline)
                if better is not None:
                    a, sites = better
                    offer(a, sites)
                    gained = True
            if not gained:
                if self.size >= min(_MAX_SITES, self.inst.p):
                    return False
                self.size = max(self.size + 1, int(self.size * _GROW))
                logger.debug("corners grow to %d sites", self.size)
                return True
        return True

    def corner(
        self, a: np.ndarray, sites: np.ndarray, seed: int, deadline: Deadline
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Re-solve the corner around ``seed``; the better plan, or None."""
        inst = self.inst
        by_near = sites[np.argsort(self.near[seed, sites], kind="stable")]
        served = np.bincount(a[a >= 0], minlength=inst.m)[by_near]
        within = max(2, int(np.searchsorted(np.cumsum(served), _MAX_CLIENTS, side="right")))
        corner = by_near[: min(self.size, within)]
        owner = sites[np.argmin(self.near[:, sites], axis=1)]
        elsewhere = np.isin(np.arange(inst.m), np.setdiff1d(sites, corner))
        region = np.flatnonzero(np.isin(owner, corner) & inst.allowed & ~elsewhere)
        region = np.union1d(region, corner)
        clients = np.flatnonzero(np.isin(a, corner))
        if inst.unserved.min(initial=np.inf) < np.inf:  # covering: unserved clients may join
            reach = np.isfinite(inst.cost[:, region]).any(axis=1)
            clients = np.union1d(clients, np.flatnonzero((a < 0) & reach))
        sub = inst.cost[np.ix_(clients, region)]
        width = min(_PAIRS, len(region))
        keep = np.zeros(sub.shape, dtype=bool)
        if width < len(region):
            best = np.argpartition(sub, width - 1, axis=1)[:, :width]
            keep[np.arange(len(clients))[:, None], best] = True
        else:
            keep[:] = True
        current = np.searchsorted(region, a[clients])
        served = a[clients] >= 0
        keep[np.flatnonzero(served), current[served]] = True
        sub = np.where(keep, sub, np.inf)
        mine = clients[served]
        before = float(inst.cost[mine, a[mine]].sum() + inst.unserved[clients[~served]].sum())
        fixed = inst.fixed[region].astype(float)
        model, pi, pj = assignment_model(
            sub,
            inst.demand[clients],
            inst.capacity[region],
            len(corner),
            (fixed, np.ones(len(region))),
            inst.unserved[clients],
            seed=int(self.rng.integers(2**31 - 1)),
            integral=inst.integral,
        )
        y0 = np.isin(region, corner).astype(float)
        x0 = (a[clients][pi] == region[pj]).astype(float)
        s0 = (~served)[np.isfinite(inst.unserved[clients])].astype(float)
        model.highs.setOptionValue("mip_rel_gap", _GAP)
        out = model.solve(
            Deadline(min(_SECONDS, deadline.left())), start=np.concatenate([y0, x0, s0])
        )
        if out.x is None or not out.objective < before - 1e-9 * max(1.0, abs(before)):
            return None
        m_sub = len(region)
        chosen = out.x[m_sub : m_sub + len(pi)] > 0.5
        new_a = a.copy()
        new_a[clients] = -1
        new_a[clients[pi[chosen]]] = region[pj[chosen]]
        opened = region[out.x[:m_sub] > 0.5]
        new_sites = np.union1d(np.setdiff1d(sites, corner), opened)
        logger.debug(
            "corner of %d sites, %d clients: %.6g -> %.6g",
            len(corner),
            len(clients),
            before,
            out.objective,
        )
        return new_a, new_sites
