"""Optimisation: facility location (``location``); school and mobile-service planning follow."""

from accessplan.optimize.location import (
    CapacitatedMaxCover,
    CapacitatedPMedian,
    LocationProblem,
    MaxCover,
    PCenter,
    PMedian,
    Result,
    ScaleUp,
    SetCover,
    scale_up,
    solve,
)

__all__ = [
    "CapacitatedMaxCover",
    "CapacitatedPMedian",
    "LocationProblem",
    "MaxCover",
    "PCenter",
    "PMedian",
    "Result",
    "ScaleUp",
    "SetCover",
    "scale_up",
    "solve",
]
