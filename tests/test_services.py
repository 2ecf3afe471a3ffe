"""The service catalogue: the bundled default (round trip, names in both languages, health and
school as accessplan always read them), OSM tag matching, bad catalogues, and regions that
carry a catalogue through their GeoPackage."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from accessplan import synth
from accessplan._errors import InputError
from accessplan.io.osm import guess_tier
from accessplan.region import TIERS, Region
from accessplan.report.i18n import EN, ZH_CN
from accessplan.services import (
    Catalogue,
    default_catalogue,
    default_region_catalogue,
    read,
    write,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


def named_items(catalogue: Catalogue) -> list[object]:
    return [
        *catalogue.services,
        *(t for s in catalogue.services for t in s.tiers),
        *catalogue.groups,
    ]


def test_default_catalogue_round_trips(tmp_path: Path) -> None:
    """read -> write -> read gives an equal catalogue, and the written text reads as TOML that
    says the same as the bundled file (dataclass equality compares every field)."""
    first = default_catalogue()
    path = write(first, tmp_path / "services.toml")
    second = read(path)
    assert second == first
    assert read(write(second, tmp_path / "again.toml")) == first
    assert tomllib.loads(path.read_text("utf-8")) == first.to_dict()


def test_every_name_has_both_languages() -> None:
    """Every service, tier and group has an English name in Latin letters and a Chinese one
    holding Han characters; the nine services of the issue are there."""
    catalogue = default_catalogue()
    for item in named_items(catalogue):
        en, zh = item.en, item.zh  # type: ignore[attr-defined]
        assert en.strip() and not HAN.search(en), item
        assert HAN.search(zh), item
    assert [s.name for s in catalogue.services] == [
        "health", "school", "preschool", "childcare", "elderly_care", "disability",
        "culture", "sports", "employment",
    ]  # fmt: skip


def test_health_and_school_keep_their_meaning() -> None:
    """The services a region carries by default are TIERS, named as the report always named
    them (the translation catalogue's entries)."""
    region_default = default_region_catalogue()
    assert region_default.tiers == TIERS
    for service in region_default.services:
        assert (service.en, service.zh) == (EN[f"service.{service.name}"],
                                            ZH_CN[f"service.{service.name}"])  # fmt: skip
        for tier in service.tiers:
            assert (tier.en, tier.zh) == (EN[f"tier.{tier.name}"], ZH_CN[f"tier.{tier.name}"])


def old_guess_tier(tags: dict[str, str]) -> tuple[str, str] | None:
    """accessplan's tier guess before catalogues, re-typed as it was."""
    amenity, healthcare = tags.get("amenity", ""), tags.get("healthcare", "")
    primary_care = {"hospital", "clinic", "centre", "doctor", "nurse", "midwife", "birthing_centre"}
    if amenity == "hospital" or healthcare == "hospital":
        return ("health", "county_hospital")
    if amenity == "clinic" or healthcare in ("clinic", "centre"):
        return ("health", "township_health_center")
    if amenity == "doctors" or healthcare in primary_care:
        return ("health", "village_clinic")
    if amenity == "school":
        levels = [int(x) for x in re.findall(r"\d", tags.get("isced:level", ""))]
        return ("school", "middle" if levels and max(levels) >= 2 else "primary")
    return None


def test_default_region_reads_osm_as_before() -> None:
    """Over every combination of the tags the old guess looked at, the catalogue's health and
    school rules give the old answer."""
    amenities = ["", "hospital", "clinic", "doctors", "school", "pharmacy", "kindergarten"]
    healthcares = ["", "hospital", "clinic", "centre", "doctor", "nurse", "midwife",
                   "birthing_centre", "dentist", "pharmacy"]  # fmt: skip
    levels = [None, "", "0", "1", "2", "1;2", "1-3", "10", "3"]
    for amenity in amenities:
        for healthcare in healthcares:
            for level in levels:
                tags = {"amenity": amenity, "healthcare": healthcare}
                if level is not None:
                    tags["isced:level"] = level
                tags = {k: v for k, v in tags.items() if v}
                assert guess_tier(tags) == old_guess_tier(tags), tags


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "kindergarten"}, ("preschool", "kindergarten")),
        ({"amenity": "childcare"}, ("childcare", "childcare_point")),
        ({"amenity": "social_facility", "social_facility": "nursing_home"},
         ("elderly_care", "care_home")),
        ({"amenity": "social_facility", "social_facility": "assisted_living",
          "social_facility:for": "senior"}, ("elderly_care", "township_elderly_centre")),
        ({"amenity": "social_facility", "social_facility": "day_care",
          "social_facility:for": "senior;disabled"}, ("elderly_care", "elderly_day_care")),
        ({"amenity": "social_facility", "social_facility": "workshop",
          "social_facility:for": "disabled"}, ("disability", "disability_service_point")),
        ({"amenity": "community_centre", "community_centre:for": "senior"},
         ("elderly_care", "elderly_day_care")),
        ({"amenity": "community_centre"}, ("culture", "village_culture_room")),
        ({"amenity": "community_centre", "community_centre": "cultural_centre"},
         ("culture", "township_culture_station")),
        ({"leisure": "sports_centre"}, ("sports", "township_sports_centre")),
        ({"office": "employment_agency"}, ("employment", "county_employment_centre")),
        ({"amenity": "social_facility", "social_facility": "assisted_living"}, None),
        ({"amenity": "pharmacy"}, None),
    ],
)  # fmt: skip
def test_tags_find_their_service_and_tier(
    tags: dict[str, str], expected: tuple[str, str] | None
) -> None:
    """Each case read off the OSM wiki's tagging and the catalogue's order (elderly care before
    disability: a day care for seniors and disabled people is elderly care; assisted living
    without a target group is no service of the catalogue)."""
    assert guess_tier(tags, default_catalogue()) == expected


MINIMAL = """
[[services]]
name = "care"
en = "Care"
zh = "照护"

[[services.tiers]]
name = "point"
en = "Point"
zh = "服务点"
"""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[[services]]\nname = 'care'\n", ["[[services]] 1 (care)", "'en'"]),
        (MINIMAL + "colour = 'red'\n", ["unknown key(s) ['colour']"]),
        (MINIMAL + "[[services.standards]]\ntier = 'nowhere'\nprofile = 'walk'\nminutes = 5\n",
         ["service 'care'", "tier 'nowhere'", "does not have", "['point']"]),
        (MINIMAL + "[[services.standards]]\ntier = 'point'\nprofile = 'walk'\nminutes = 0\n",
         ["minutes must be a positive number", "0.0"]),
        (MINIMAL + "[[services.standards]]\ntier = 'point'\nprofile = 'walk'\nminutes = nan\n",
         ["minutes must be a positive number", "nan"]),
        (MINIMAL + "[[services.standards]]\ntier = 'point'\nprofile = 'walk'\nminutes = 5\n"
         "group = 'elders'\n", ["group 'elders'", "not declared", "[groups.elders]"]),
        (MINIMAL + "[[services.standards]]\ntier = 'point'\nminutes = 5\n", ["lacks ['profile']"]),
        (MINIMAL + "level = 'hamlet'\n", ["level 'hamlet'"]),
        (MINIMAL + "osm = [{ amenity = 5 }]\n", ["osm 1 amenity", "a tag value"]),
        (MINIMAL + "osm = [{ amenity = { regex = '[' } }]\n", ["bad regex"]),
        (MINIMAL + "[[services.tiers]]\nname = 'point'\nen = 'P'\nzh = '点'\n",
         ["tier name(s) ['point']", "more than once"]),
        (MINIMAL.replace('name = "point"', 'name = "Point Two"'), ["lower-case identifier"]),
        ("format = 'other/2'\n" + MINIMAL, ["format 'other/2'"]),
        ("[groups.all]\nen = 'x'\nzh = 'y'\n" + MINIMAL, ["'all' is built in"]),
    ],
)  # fmt: skip
def test_bad_catalogues_are_refused_naming_file_and_entry(
    tmp_path: Path, text: str, words: list[str]
) -> None:
    """One clear message each, naming the file; never a TOML or Python error."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read(path)
    message = str(error.value)
    assert "bad.toml" in message
    for word in words:
        assert word in message, (word, message)


def test_two_tiers_at_one_level_and_malformed_toml_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        MINIMAL.replace('zh = "服务点"', 'zh = "服务点"\nlevel = "village"')
        + "[[services.tiers]]\nname = 'hub'\nen = 'Hub'\nzh = '中心'\nlevel = 'village'\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="two tiers at one administrative level"):
        read(path)
    path.write_text("[[services]\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        read(path)


def test_region_carries_its_catalogue_through_the_geopackage(tmp_path: Path) -> None:
    """Names, standards, levels and group columns survive write and read; a region written
    before catalogues (meta without 'services') gets health and school back from its tiers."""
    county = synth.mountain_county(4, n_villages=40, services=("elderly_care",))
    back = Region.read(county.write(tmp_path / "c.gpkg"))
    assert back.catalogue == county.catalogue
    assert back.tiers == county.tiers
    np.testing.assert_array_equal(back.people("people_over_60"), county.people("people_over_60"))
    plain = synth.mountain_county(4, n_villages=40)
    assert Region.read(plain.write(tmp_path / "p.gpkg")).catalogue == default_region_catalogue()
    assert Catalogue.from_tiers(TIERS) == default_region_catalogue()


def test_a_tier_table_alone_makes_a_bare_catalogue_and_a_conflict_is_refused() -> None:
    county = synth.mountain_county(4, n_villages=40)
    tiers: dict[str, tuple[str, ...]] = {
             "health": ("village_clinic", "township_health_center", "county_hospital"),
             "school": ("primary", "middle", "teaching_point")}  # fmt: skip
    region = Region(county.settlements, county.facilities, county.roads, tiers=tiers)
    assert region.catalogue.tiers == tiers
    assert region.catalogue.service("school").standards == ()  # not the default's meaning
    with pytest.raises(InputError, match="differ; give the catalogue alone"):
        Region(
            county.settlements,
            county.facilities,
            county.roads,
            tiers=tiers,
            catalogue=default_catalogue(),
        )


def test_a_group_the_settlements_lack_is_named() -> None:
    county = synth.mountain_county(4, n_villages=40)
    full = Region(county.settlements, county.facilities, county.roads,
                  catalogue=default_catalogue())  # fmt: skip
    assert full.missing_groups() == ["children_0_2", "children_3_5", "people_over_60"]
    with pytest.raises(InputError, match=r"no column 'people_over_60'.*--settlements"):
        full.people("people_over_60")
