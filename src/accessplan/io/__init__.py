"""Inputs: OpenStreetMap, rasters, tables, population, AccessMod files."""

from accessplan.io.osm import region_from_osm

__all__ = ["region_from_osm"]
