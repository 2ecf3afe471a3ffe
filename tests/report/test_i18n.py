"""The translation catalogues: same keys and placeholders in every language, strict lookups,
language aliases, names of data and numbers."""

from __future__ import annotations

import re
import string
from importlib import resources

import pytest

from accessplan import InputError
from accessplan.report import translator
from accessplan.report.i18n import CATALOGUES, EN, ZH_CN


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogues_have_the_same_keys() -> None:
    """No label exists in one language only."""
    assert set(EN) - set(ZH_CN) == set()
    assert set(ZH_CN) - set(EN) == set()


def test_catalogues_have_the_same_placeholders() -> None:
    """Each label fills the same {fields} in every language."""
    for key in EN:
        assert fields(EN[key]) == fields(ZH_CN[key]), key


def test_every_label_of_the_template_is_catalogued() -> None:
    """The template asks only for labels that every catalogue holds."""
    template = (
        resources.files("accessplan.report").joinpath("templates/report.html.j2").read_text("utf-8")
    )
    keys = set(re.findall(r"""\bt\(\s*["']([^"']+)["']""", template))
    assert keys, "the template uses the translator"
    for catalogue in CATALOGUES.values():
        assert keys <= set(catalogue)


@pytest.mark.parametrize(
    ("lang", "code", "html_lang"),
    [("en", "en", "en"), ("zh", "zh_CN", "zh-CN"), ("zh_CN", "zh_CN", "zh-CN"),
     ("zh-CN", "zh_CN", "zh-CN")],
)  # fmt: skip
def test_translator_accepts_the_language_spellings(lang: str, code: str, html_lang: str) -> None:
    tr = translator(lang)
    assert tr.lang == code
    assert tr.html_lang == html_lang


def test_unknown_language_is_an_input_error_naming_the_choices() -> None:
    with pytest.raises(InputError, match=r"'fr'.*\['en', 'zh', 'zh_CN'\]"):
        translator("fr")


def test_unknown_label_raises_key_error() -> None:
    """A label missing from the catalogue fails loudly instead of showing its key."""
    with pytest.raises(KeyError, match=r"section\.nonexistent"):
        translator("zh")("section.nonexistent")


@pytest.mark.parametrize(
    ("kind", "value", "en", "zh"),
    [
        ("tier", "village_clinic", "Village clinic", "村卫生室"),
        ("tier", "township_health_center", "Township health centre", "乡镇卫生院"),
        ("tier", "county_hospital", "County hospital", "县医院"),
        ("tier", "teaching_point", "Teaching point", "教学点"),
        ("tier", "primary", "Primary school", "小学"),
        ("tier", "middle", "Middle school", "初中"),
        ("tier", "mobile_clinic", "Mobile clinic", "流动医疗车"),
        ("tier", "any", "Any facility", "任一机构"),
        ("service", "health", "Health", "医疗卫生"),
        ("service", "school", "Education", "教育"),
        ("profile", "walk", "Walking", "步行"),
        ("profile", "motorcycle", "Motorcycle", "摩托车"),
        ("profile", "car", "Car", "汽车"),
        ("profile", "mobile_clinic", "Mobile clinic", "流动医疗车"),
        ("level", "township", "Township", "乡镇"),
    ],
)
def test_names_of_data(kind: str, value: str, en: str, zh: str) -> None:
    assert translator("en").name(kind, value) == en
    assert translator("zh").name(kind, value) == zh


def test_unknown_data_name_falls_back_to_the_raw_value() -> None:
    assert translator("zh").name("tier", "boarding_school") == "boarding_school"


def test_service_circle_label() -> None:
    assert translator("en")("circle", minutes="15") == "15-minute service circle"
    assert translator("zh")("circle", minutes="15") == "15分钟服务圈"


def test_numbers_are_formatted_per_locale() -> None:
    """Thousands separators, one-decimal percentages, 'unreachable' for inf, a dash for NaN."""
    en, zh = translator("en"), translator("zh")
    assert en.number(1234567) == "1,234,567"
    assert en.number(18.456, 1) == "18.5"
    assert en.percent(0.86017) == "86.0%"
    assert zh.percent(1.0) == "100.0%"
    assert en.number(float("inf")) == "unreachable"
    assert zh.number(float("inf")) == "无法到达"
    assert en.percent(float("nan")) == "—"
    assert en.threshold(15.0) == "15"
    assert en.threshold(7.5) == "7.5"


def test_the_estimated_population_source_has_its_label() -> None:
    """The source name io.population writes for estimates is catalogued (the catalogue is data
    and cannot import the constant)."""
    from accessplan.io.population import ESTIMATE_SOURCE

    for lang in ("en", "zh"):
        assert translator(lang).name("source", ESTIMATE_SOURCE) != ESTIMATE_SOURCE
