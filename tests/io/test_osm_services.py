"""Services from OpenStreetMap: the bundled catalogue on the real Andorra extract, and a small
extract drawn here with kindergartens, care homes and day care tagged as the OSM wiki says."""

from __future__ import annotations

import logging
from pathlib import Path

import osmium
import pandas as pd
import pytest

from accessplan.io import region_from_osm
from accessplan.services import default_catalogue


def test_andorra_with_every_service(andorra_pbf: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The extract holds 7 hospitals, 1 school, 1 arts centre and 12 pitches and nothing else
    the catalogue knows (counted with osmium by hand: no amenity=kindergarten, childcare,
    social_facility or nursing_home at all), so it lists exactly those, each with the tags
    that identified it, and reports the kindergarten and care home rules as matching nothing."""
    with caplog.at_level(logging.WARNING):
        region = region_from_osm(andorra_pbf, services=default_catalogue())
    fac = region.facilities.set_index("id")
    counts = fac.groupby(["service", "tier"]).size().to_dict()
    assert counts == {
        ("culture", "township_culture_station"): 1,
        ("health", "county_hospital"): 7,
        ("school", "primary"): 1,
        ("sports", "fitness_point"): 12,
    }
    assert fac.loc["n283680492", "name"] == "Auditori Nacional d'Andorra"
    assert fac.loc["n283680492", "osm_tags"] == "amenity=arts_centre"
    assert set(fac.loc[fac["service"] == "sports", "osm_tags"]) == {"leisure=pitch"}
    assert fac.loc["n522787974", "osm_tags"] == "amenity=hospital"
    for rule in (
        "preschool/kindergarten (amenity=kindergarten)",
        "elderly_care/care_home (social_facility=nursing_home)",
        "elderly_care/care_home (amenity=nursing_home)",
    ):
        assert rule in caplog.text
    assert region.catalogue == default_catalogue()


def tagged_extract(path: Path) -> Path:
    """A road of three nodes at Andorra la Vella, a village, and facilities: node ids 10x are
    services, way 20 is a kindergarten drawn as an area."""
    writer = osmium.SimpleWriter(str(path))
    road = [(1, 1.5200, 42.5060), (2, 1.5220, 42.5062), (3, 1.5240, 42.5064)]
    facilities = {
        101: {"amenity": "kindergarten", "name": "Escola Bressol"},
        102: {"amenity": "social_facility", "social_facility": "nursing_home",
              "social_facility:for": "senior", "name": "Residència"},
        103: {"amenity": "social_facility", "social_facility": "day_care",
              "social_facility:for": "senior", "name": "Centre de dia"},
        104: {"amenity": "childcare", "name": "Llar d'infants"},
        105: {"amenity": "hospital", "name": "Hospital"},
        106: {"amenity": "social_facility", "social_facility": "workshop",
              "social_facility:for": "disabled"},
    }  # fmt: skip
    nodes = [osmium.osm.mutable.Node(id=i, location=(x, y)) for i, x, y in road]
    nodes.append(
        osmium.osm.mutable.Node(
            id=50, location=(1.5210, 42.5070), tags={"place": "village", "name": "Vella"}
        )
    )
    for k, (ident, tags) in enumerate(facilities.items()):
        nodes.append(osmium.osm.mutable.Node(id=ident, location=(1.5205 + 0.0005 * k, 42.5055),
                                             tags=tags))  # fmt: skip
    corners = [(201, 1.5230, 42.5050), (202, 1.5232, 42.5050), (203, 1.5232, 42.5052)]
    nodes += [osmium.osm.mutable.Node(id=i, location=(x, y)) for i, x, y in corners]
    for node in sorted(nodes, key=lambda n: n.id):
        writer.add_node(node)
    writer.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2, 3], tags={"highway": "residential"}))
    writer.add_way(
        osmium.osm.mutable.Way(
            id=20, nodes=[201, 202, 203, 201], tags={"amenity": "kindergarten", "name": "Bressol 2"}
        )
    )
    writer.close()
    return path


def test_kindergartens_and_care_homes_are_read_with_their_tags(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each object gets the service and tier its tags say (read off the catalogue's rules),
    and lists the tags that decided it; the rules nothing matched are reported."""
    with caplog.at_level(logging.WARNING):
        region = region_from_osm(
            tagged_extract(tmp_path / "tagged.osm.pbf"), services=default_catalogue()
        )
    fac = region.facilities.set_index("id")[["service", "tier", "osm_tags"]]
    expected = pd.DataFrame(
        [
            ("n101", "preschool", "kindergarten", "amenity=kindergarten"),
            ("n102", "elderly_care", "care_home",
             "amenity=social_facility, social_facility=nursing_home, social_facility:for=senior"),
            ("n103", "elderly_care", "elderly_day_care",
             "amenity=social_facility, social_facility=day_care, social_facility:for=senior"),
            ("n104", "childcare", "childcare_point", "amenity=childcare"),
            ("n105", "health", "county_hospital", "amenity=hospital"),
            ("n106", "disability", "disability_service_point",
             "amenity=social_facility, social_facility=workshop, social_facility:for=disabled"),
            ("w20", "preschool", "kindergarten", "amenity=kindergarten"),
        ],
        columns=["id", "service", "tier", "osm_tags"],
    ).set_index("id")  # fmt: skip
    pd.testing.assert_frame_equal(fac.sort_index(), expected)
    assert "culture/village_culture_room (amenity=community_centre)" in caplog.text
    assert "preschool/kindergarten" not in caplog.text  # it matched


def test_without_a_catalogue_only_health_and_school_are_read(tmp_path: Path) -> None:
    """A region built as before keeps to health and school: the hospital alone here."""
    region = region_from_osm(tagged_extract(tmp_path / "tagged.osm.pbf"))
    assert list(region.facilities["id"]) == ["n105"]
    assert list(region.catalogue.tiers) == ["health", "school"]
