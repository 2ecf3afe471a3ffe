"""accessplan: plan rural basic public services on real roads and terrain."""

from accessplan._errors import AccessPlanError, CrsError, InputError
from accessplan.region import TIERS, Region, RoadNetwork, Terrain

__version__ = "0.1.0"

__all__ = [
    "TIERS",
    "AccessPlanError",
    "CrsError",
    "InputError",
    "Region",
    "RoadNetwork",
    "Terrain",
    "__version__",
]
