"""Facility location: problem models, an exact engine on HiGHS, heuristics, scaling up."""

from accessplan.optimize.location.errors import InfeasibleError, InvalidPlanError, SolverTimeout
from accessplan.optimize.location.problems import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    SetCover,
)
from accessplan.optimize.location.scale_up import ScaleUp, scale_up
from accessplan.optimize.location.solve import Result, solve

__all__ = [
    "CapacitatedMaxCover",
    "CapacitatedPMedian",
    "InfeasibleError",
    "InvalidPlanError",
    "LocationProblem",
    "MaxCover",
    "PCenter",
    "PMedian",
    "Result",
    "ScaleUp",
    "SetCover",
    "SolverTimeout",
    "scale_up",
    "solve",
]
