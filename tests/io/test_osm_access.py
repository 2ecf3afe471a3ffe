"""OSM access per mode: the tag rules, and the edge columns a region built from OSM carries.

Rules (OSM wiki Key:access and "OSM tags for routing/Access restrictions", read as OSRM's car
and foot profiles do): the most specific key present decides (motorcar or motorcycle ->
motor_vehicle -> vehicle -> access; foot -> access); a generic access=yes does not open a
footway to cars; walkers heed only oneway:foot.
"""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

from accessplan.io import region_from_osm
from accessplan.io.osm import way_access
from accessplan.region import ACCESS_MODES, access_columns

Y, N = True, False


@pytest.mark.parametrize(
    ("tags", "foot", "motorcar", "motorcycle"),
    [
        # an ordinary road: everyone, both ways
        ({"highway": "residential"}, (Y, Y), (Y, Y), (Y, Y)),
        # one-way binds vehicles, never walkers
        ({"highway": "primary", "oneway": "yes"}, (Y, Y), (Y, N), (Y, N)),
        ({"highway": "primary", "oneway": "-1"}, (Y, Y), (N, Y), (N, Y)),
        ({"highway": "primary", "junction": "roundabout"}, (Y, Y), (Y, N), (Y, N)),
        ({"highway": "motorway", "oneway": "no"}, (N, N), (Y, Y), (Y, Y)),  # no walkers on it
        # walkers heed oneway:foot only; a vehicle form overrides the general oneway
        ({"highway": "footway", "oneway:foot": "yes"}, (Y, N), (N, N), (N, N)),
        (
            {"highway": "primary", "oneway": "yes", "oneway:motorcycle": "no"},
            (Y, Y),
            (Y, N),
            (Y, Y),
        ),
        # foot=no (the Envalira tunnel) closes the road to walkers only
        ({"highway": "primary", "foot": "no"}, (N, N), (Y, Y), (Y, Y)),
        # motor_vehicle=no (Avinguda Meritxell) closes it to cars and motorcycles
        ({"highway": "secondary", "motor_vehicle": "no", "foot": "yes"}, (Y, Y), (N, N), (N, N)),
        # access=no with an exception for walkers (track 189097587)
        (
            {"highway": "track", "access": "no", "foot": "designated", "motor_vehicle": "no"},
            (Y, Y),
            (N, N),
            (N, N),
        ),
        # a bus lane open to motorcycles (way 25768868): psv=yes does not open it to cars
        (
            {
                "highway": "primary",
                "access": "no",
                "psv": "yes",
                "motorcycle": "yes",
                "oneway": "yes",
            },
            (N, N),
            (N, N),
            (Y, N),
        ),
        ({"highway": "service", "motor_vehicle": "psv"}, (Y, Y), (N, N), (N, N)),
        # private, agricultural, forestry, delivery: not for our trips
        ({"highway": "service", "access": "private"}, (N, N), (N, N), (N, N)),
        ({"highway": "track", "vehicle": "agricultural"}, (Y, Y), (N, N), (N, N)),
        ({"highway": "track", "motor_vehicle": "agricultural;forestry"}, (Y, Y), (N, N), (N, N)),
        ({"highway": "pedestrian", "motor_vehicle": "delivery"}, (Y, Y), (N, N), (N, N)),
        # destination, permissive, customers, designated, official, yes: allowed
        ({"highway": "service", "access": "destination"}, (Y, Y), (Y, Y), (Y, Y)),
        ({"highway": "residential", "access": "permissive"}, (Y, Y), (Y, Y), (Y, Y)),
        ({"highway": "service", "access": "customers"}, (Y, Y), (Y, Y), (Y, Y)),
        ({"highway": "unclassified", "motor_vehicle": "official"}, (Y, Y), (Y, Y), (Y, Y)),
        # paths and footways are closed to motor vehicles unless a key of their own opens them;
        # a generic access=yes does not (way 75746410: motor_vehicle=designated does)
        ({"highway": "footway", "access": "yes"}, (Y, Y), (N, N), (N, N)),
        (
            {"highway": "path", "access": "yes", "motor_vehicle": "designated"},
            (Y, Y),
            (Y, Y),
            (Y, Y),
        ),
        ({"highway": "path", "motorcycle": "yes"}, (Y, Y), (N, N), (Y, Y)),
        ({"highway": "steps"}, (Y, Y), (N, N), (N, N)),
        # motorroad=yes implies foot=no unless foot says otherwise
        ({"highway": "trunk", "motorroad": "yes"}, (N, N), (Y, Y), (Y, Y)),
        ({"highway": "trunk", "motorroad": "yes", "foot": "yes"}, (Y, Y), (Y, Y), (Y, Y)),
        # the most specific key wins: motorcar=yes under motor_vehicle=no
        (
            {"highway": "residential", "motor_vehicle": "no", "motorcar": "yes"},
            (Y, Y),
            (Y, Y),
            (N, N),
        ),
        # direction-specific access
        ({"highway": "residential", "motor_vehicle:backward": "no"}, (Y, Y), (Y, N), (Y, N)),
    ],
)
def test_way_access_follows_the_osm_hierarchy(
    tags: dict[str, str],
    foot: tuple[bool, bool],
    motorcar: tuple[bool, bool],
    motorcycle: tuple[bool, bool],
) -> None:
    """(along the way, against it) per mode, as the comment above each case says."""
    assert way_access(tags, "foot") == foot
    assert way_access(tags, "motorcar") == motorcar
    assert way_access(tags, "motorcycle") == motorcycle


def tiny_pbf(path: Path) -> Path:
    """Four ways along x from one village: open, foot=no, access=no + foot=designated,
    oneway=-1 (stored turned round), and one access=private (left out)."""
    writer = osmium.SimpleWriter(str(path))
    for i in range(1, 11):
        tags = {"place": "village", "name": "V"} if i == 1 else {}
        loc = (1.5 + 0.001 * i, 42.5)
        writer.add_node(osmium.osm.mutable.Node(id=i, location=loc, tags=tags))
    ways = [
        (11, [1, 2, 3], {"highway": "residential"}),
        (12, [3, 4], {"highway": "primary", "foot": "no"}),
        (13, [4, 5, 6], {"highway": "track", "access": "no", "foot": "designated"}),
        (14, [6, 7], {"highway": "primary", "oneway": "-1"}),
        (15, [7, 8], {"highway": "service", "access": "private"}),
    ]
    for ident, nodes, tags in ways:
        writer.add_way(osmium.osm.mutable.Way(id=ident, nodes=nodes, tags=tags))
    writer.close()
    return path


def test_edges_record_access_per_mode_and_direction(tmp_path: Path) -> None:
    """Each edge carries its way's permission per mode along u -> v and back; the oneway=-1
    way is turned round (u -> v allowed); the private way is not in the network."""
    region = region_from_osm(tiny_pbf(tmp_path / "tiny.osm.pbf"))
    edges = region.roads.edges
    assert set(edges["way_id"]) == {11, 12, 13, 14}
    by_way = edges.groupby("way_id").first()
    expected = {
        11: {"foot": (Y, Y), "motorcar": (Y, Y), "motorcycle": (Y, Y)},
        12: {"foot": (N, N), "motorcar": (Y, Y), "motorcycle": (Y, Y)},
        13: {"foot": (Y, Y), "motorcar": (N, N), "motorcycle": (N, N)},
        14: {"foot": (Y, Y), "motorcar": (Y, N), "motorcycle": (Y, N)},
    }
    for way, modes in expected.items():
        for mode in ACCESS_MODES:
            got = tuple(bool(by_way.loc[way, c]) for c in access_columns(mode))
            assert got == modes[mode], (way, mode)
    assert bool(by_way.loc[14, "oneway"])
    node_x = region.roads.nodes["x"].to_numpy()
    turned = edges[edges["way_id"] == 14].iloc[0]
    assert node_x[turned["u"]] > node_x[turned["v"]]  # node 7 -> node 6: against the drawing
