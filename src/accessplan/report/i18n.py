"""Translations of every label of the report: English (``en``) and Simplified Chinese (``zh_CN``).

The catalogues are TOML files, ``locales/<lang>/<part>.toml``: ``common`` for what every page
shares and one file per analysis's section, so that a new analysis brings its own labels.

A :class:`Translator` looks labels up by key and raises :class:`KeyError` for a key its
catalogue lacks, so a missing label fails loudly in the tests instead of showing a raw key.
Names that come from the data (a tier, a service, a profile, a level, a population source) go
through :meth:`Translator.name`, which falls back to the raw name when the catalogue does not
know it. Numbers are formatted with the language's separators.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from accessplan._errors import InputError

#: Languages and the folder of their catalogue under ``locales/``.
LANGUAGES: tuple[str, ...] = ("en", "zh_CN")


def _load(lang: str) -> dict[str, str]:
    """Every ``locales/<lang>/*.toml`` file merged; a key defined twice is an error."""
    messages: dict[str, str] = {}
    folder = resources.files("accessplan.report").joinpath("locales", lang)
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if not item.name.endswith(".toml"):
            continue
        part = tomllib.loads(item.read_text("utf-8"))
        twice = sorted(set(part) & set(messages))
        if twice:
            msg = f"labels {twice} are defined twice in the {lang} catalogue ({item.name})."
            raise RuntimeError(msg)
        messages.update(part)
    return messages


CATALOGUES: dict[str, dict[str, str]] = {lang: _load(lang) for lang in LANGUAGES}
EN, ZH_CN = CATALOGUES["en"], CATALOGUES["zh_CN"]
#: Other spellings accepted by :func:`translator`.
ALIASES: dict[str, str] = {"zh": "zh_CN"}
#: Value of ``<html lang>`` per language.
HTML_LANG: dict[str, str] = {"en": "en", "zh_CN": "zh-CN"}
#: Thousands separator and decimal mark per language.
SEPARATORS: dict[str, tuple[str, str]] = {"en": (",", "."), "zh_CN": (",", ".")}
#: Shown for a number that is not known (NaN).
MISSING = "—"


@dataclass(frozen=True)
class Translator:
    """Labels, data names and numbers of one language.

    Parameters
    ----------
    lang
        Language code: ``"en"`` or ``"zh_CN"``.
    messages
        The language's catalogue.
    """

    lang: str
    messages: Mapping[str, str]

    def __call__(self, key: str, /, **fields: object) -> str:
        """The label ``key`` with ``{fields}`` filled in; :class:`KeyError` if not catalogued."""
        try:
            text = self.messages[key]
        except KeyError:
            msg = (
                f"no {self.lang} label {key!r}; add it to every language in "
                "accessplan/report/locales/"
            )
            raise KeyError(msg) from None
        return text.format(**fields) if fields else text

    @property
    def html_lang(self) -> str:
        """The language as a BCP 47 tag for ``<html lang>``."""
        return HTML_LANG[self.lang]

    def name(self, kind: str, value: str) -> str:
        """Translated name of a data value, or the value itself when the catalogue lacks it.

        ``kind`` is ``tier``, ``service`` (``service_in_text`` inside a sentence),
        ``profile``, ``level`` or ``source``.
        """
        return self.messages.get(f"{kind}.{value}", value)

    def number(self, value: float, decimals: int = 0) -> str:
        """``value`` with thousands separators; "unreachable" for infinity, a dash for NaN."""
        value = float(value)
        if math.isnan(value):
            return MISSING
        if math.isinf(value):
            return self("value.unreachable")
        group, point = SEPARATORS[self.lang]
        return f"{value:,.{decimals}f}".translate(str.maketrans(",.", group + point))

    def percent(self, share: float) -> str:
        """A share (0..1) as a percentage with one decimal."""
        if math.isnan(float(share)):
            return MISSING
        return f"{self.number(100.0 * float(share), 1)}%"

    def threshold(self, minutes: float) -> str:
        """A threshold in minutes: whole numbers without decimals (15.0 -> "15", 7.5 -> "7.5")."""
        minutes = float(minutes)
        return self.number(minutes, 0 if minutes.is_integer() else 1)


def translator(lang: str = "en") -> Translator:
    """The translator of ``lang``: ``"en"``, ``"zh"`` or ``"zh_CN"`` (also ``"zh-CN"``).

    Raises
    ------
    InputError
        For any other language.
    """
    code = str(lang).replace("-", "_")
    code = ALIASES.get(code, code)
    if code not in CATALOGUES:
        choices = sorted({*CATALOGUES, *ALIASES})
        msg = f"unknown report language {lang!r}; choose one of {choices}."
        raise InputError(msg)
    return Translator(code, CATALOGUES[code])
