"""Travel times over the road network: profiles, the graph, nearest facilities, OD tables."""

from accessplan.travel.isochrones import isochrones
from accessplan.travel.matrix import nearest, place_times, travel_times
from accessplan.travel.network import TravelNetwork, build_network, network_for
from accessplan.travel.profiles import Profile, get_profile, load_profiles, tobler_kmh

__all__ = [
    "Profile",
    "TravelNetwork",
    "build_network",
    "get_profile",
    "isochrones",
    "load_profiles",
    "nearest",
    "network_for",
    "place_times",
    "tobler_kmh",
    "travel_times",
]
