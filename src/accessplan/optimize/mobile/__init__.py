"""Fixed + mobile: periodic tours of mobile clinics and supply vans over weeks, on PyVRP.

* :class:`PeriodicProblem` — depots, clients, days, visit patterns, fleet, workday;
  :func:`read_cordeau` reads Cordeau's PVRP benchmark files.
* :func:`solve_periodic` — the pattern layer (:mod:`._search`) around PyVRP (:mod:`._pyvrp`,
  the only module that imports it), returning a frozen :class:`PeriodicResult` whose plan the
  independent validator (:mod:`.validate`) has checked.
* :func:`plan_tours` — from a region: the villages beyond the fixed network, their visits from
  chronic patients, travel times of the one travel engine -> :class:`MobilePlan` with the
  schedule, key figures (:mod:`.kpis`), coverage by township, the fleet needed, the hand-drawn
  plan for comparison (:mod:`.naive`) and the fixed-or-mobile curve (:mod:`.tradeoff`).
"""

from accessplan.optimize.mobile.calendar import Calendar, working_calendar
from accessplan.optimize.mobile.cordeau import read_cordeau
from accessplan.optimize.mobile.kpis import plan_kpis, township_coverage
from accessplan.optimize.mobile.naive import naive_full_coverage, naive_plan
from accessplan.optimize.mobile.plan import MobilePlan, fleet_sweep, plan_tours
from accessplan.optimize.mobile.problem import PeriodicProblem, gap_patterns
from accessplan.optimize.mobile.region import Costs, Setup, build_setup, road_km
from accessplan.optimize.mobile.solve import PeriodicResult, solve_periodic
from accessplan.optimize.mobile.tradeoff import Tradeoff, fixed_or_mobile
from accessplan.optimize.mobile.validate import Check, InvalidPlanError, Violation, validate

__all__ = [
    "Calendar",
    "Check",
    "Costs",
    "InvalidPlanError",
    "MobilePlan",
    "PeriodicProblem",
    "PeriodicResult",
    "Setup",
    "Tradeoff",
    "Violation",
    "build_setup",
    "fixed_or_mobile",
    "fleet_sweep",
    "gap_patterns",
    "naive_full_coverage",
    "naive_plan",
    "plan_kpis",
    "plan_tours",
    "read_cordeau",
    "road_km",
    "solve_periodic",
    "township_coverage",
    "validate",
    "working_calendar",
]
