"""Options of an analysis step, checked where the user gave them.

One :class:`Option` per keyword: its key in a scenario file (also the library's keyword unless
``arg`` says otherwise), its command-line flag, and a parser that checks the value and says
what is wrong *in the words the user used*: ``--threshold`` on the command line,
``[[steps]] 2 (site) threshold`` in a scenario file. The library checks its arguments again
for Python callers; these parsers only make the message name the user's own option.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessplan._errors import InputError
from accessplan.io.tables import TABLE_SUFFIXES, VECTOR_SUFFIXES

#: Largest number of minutes an option may hold (a week): beyond it a value is a typo.
MAX_MINUTES = 7 * 24 * 60.0
#: Largest number of metres an option may hold (100 km), for the same reason.
MAX_METRES = 100_000.0


@dataclass(frozen=True)
class Where:
    """Where a value came from: the label that names it and the folder paths are read from."""

    label: str
    base: Path = Path(".")


Parser = Callable[[Any, Where], Any]


@dataclass(frozen=True)
class Option:
    """One option of a step.

    Parameters
    ----------
    key
        Key in a scenario step; also the library's keyword unless ``arg`` is given.
    parse
        Checks and converts a value; raises :class:`InputError` naming ``where.label``.
    flag
        The command-line flag of the same option.
    required
        Whether the step needs it.
    arg
        The library's keyword, when it differs from ``key``.
    """

    key: str
    parse: Parser
    flag: str
    required: bool = False
    arg: str | None = None

    @property
    def keyword(self) -> str:
        return self.arg or self.key


class OptionError(InputError):
    """An option's value is wrong; the message names the option as the user wrote it."""


def fail(where: Where, expected: str, value: Any) -> OptionError:
    """The error for ``value`` at ``where`` where ``expected`` was wanted."""
    return OptionError(f"{where.label} must be {expected}, got {value!r}.")


def _number(value: Any, where: Where, expected: str) -> float:
    """``value`` as a finite float; else the error saying ``expected``."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise fail(where, expected, value) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(where, expected, value)
    return float(value)


def minutes(value: Any, where: Where) -> float:
    """A positive number of minutes, at most :data:`MAX_MINUTES`."""
    expected = f"a positive number of minutes up to {MAX_MINUTES:g}"
    number = _number(value, where, expected)
    if not 0 < number <= MAX_MINUTES:
        raise fail(where, expected, value)
    return number


def metres(value: Any, where: Where) -> float:
    """A positive number of metres, at most :data:`MAX_METRES`."""
    expected = f"a positive number of metres up to {MAX_METRES:g}"
    number = _number(value, where, expected)
    if not 0 < number <= MAX_METRES:
        raise fail(where, expected, value)
    return number


def metres_or_zero(value: Any, where: Where) -> float:
    """A number of metres from 0 to :data:`MAX_METRES`."""
    expected = f"a number of metres from 0 to {MAX_METRES:g}"
    number = _number(value, where, expected)
    if not 0 <= number <= MAX_METRES:
        raise fail(where, expected, value)
    return number


def seconds(value: Any, where: Where) -> float:
    """A positive number of seconds."""
    number = _number(value, where, "a positive number of seconds")
    if not number > 0:
        raise fail(where, "a positive number of seconds", value)
    return number


def amount(expected: str, *, zero: bool = True) -> Parser:
    """A parser of a finite number >= 0 (> 0 when not ``zero``) that names what it wants as
    ``expected`` ("a number of pupils, 0 or more", "an amount of money >= 0")."""

    def parse(value: Any, where: Where) -> float:
        number = _number(value, where, expected)
        if not (number >= 0 if zero else number > 0):
            raise fail(where, expected, value)
        return number

    return parse


def whole(value: Any, where: Where) -> int:
    """A whole number >= 0."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(where, "a whole number >= 0", value)
    return value


def count(value: Any, where: Where) -> int:
    """A whole number >= 1."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail(where, "a whole number >= 1", value)
    return value


def seed(value: Any, where: Where) -> int:
    """A whole number from 0 to 2**32 - 1."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise fail(where, "a whole number from 0 to 4294967295", value)
    return value


def flag(value: Any, where: Where) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise fail(where, "true or false", value)
    return value


def text(value: Any, where: Where) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise fail(where, "a non-empty text", value)
    return value.strip()


def choice(*allowed: str) -> Parser:
    """One of ``allowed``."""

    def parse(value: Any, where: Where) -> str:
        if value not in allowed:
            raise fail(where, f"one of {list(allowed)}", value)
        return str(value)

    return parse


def _items(value: Any, where: Where, what: str) -> list[Any]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise fail(where, f"a non-empty list of {what}", value)
    return list(value)


def minutes_list(value: Any, where: Where) -> tuple[float, ...]:
    """Distinct positive minutes, ascending (``15,30,60`` or ``[15, 30, 60]``)."""
    values = [minutes(v, where) for v in _items(value, where, "minutes")]
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        msg = f"{where.label} lists {[f'{v:g}' for v in repeated]} more than once; give each once."
        raise OptionError(msg)
    return tuple(sorted(values))


def names(value: Any, where: Where) -> tuple[str, ...]:
    """Distinct non-empty names (``walk,car`` or ``["walk", "car"]``)."""
    values = [text(v, where) for v in _items(value, where, "names")]
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise OptionError(f"{where.label} lists {repeated} more than once; give each once.")
    return tuple(values)


def file(value: Any, where: Where) -> Path:
    """An existing file, relative to ``where.base``."""
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise fail(where, "a file path", value)
    path = where.base / value
    if not path.exists():
        looked = f" (looked at {str(path)!r})" if str(path) != value else ""
        msg = f"{where.label}: {value!r} does not exist{looked}; fix the path."
        raise OptionError(msg)
    if path.is_dir():
        msg = f"{where.label}: {value!r} is a folder; give a file."
        raise OptionError(msg)
    if path.stat().st_size == 0:
        msg = f"{where.label}: {value!r} is empty (0 bytes); give the file with the data."
        raise OptionError(msg)
    return path


def raster(value: Any, where: Where) -> Path:
    """An existing file that is not a table or a vector layer (GDAL reads rasters of many
    endings, ``.GeoTIFF`` among them, so the ending of a raster is not checked)."""
    path = file(value, where)
    if path.suffix.lower() in (*TABLE_SUFFIXES, *VECTOR_SUFFIXES):
        msg = (
            f"{where.label}: {str(value)!r} is a table or vector file, not a raster; give a "
            "raster (e.g. a GeoTIFF) on the DEM grid."
        )
        raise OptionError(msg)
    return path


def files(value: Any, where: Where) -> tuple[Path, ...]:
    """One or more existing files."""
    items = [value] if isinstance(value, str | Path) else value
    if not isinstance(items, list | tuple) or not items:
        raise fail(where, "a file path or a list of them", value)
    return tuple(file(v, where) for v in items)


def known(value: Any, allowed: Iterable[str], where: Where) -> None:
    """Refuse names in ``value`` outside ``allowed``."""
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise OptionError(f"{where.label}: unknown {unknown}; choose from {sorted(allowed)}.")


@dataclass(frozen=True)
class Naming:
    """How options are called where they were given: by their flag on the command line, by
    their key (after ``prefix``, e.g. ``"scenario.toml: [[steps]] 2 (site) "``) in a file."""

    prefix: str = ""
    cli: bool = False

    def __call__(self, option: Option) -> str:
        """The option as the user named it, after the prefix of where it was given."""
        return f"{self.prefix}{self.key(option)}"

    def key(self, option: Option) -> str:
        """The option's own name (its flag or its key), for a message that starts with
        ``prefix`` and names several options."""
        return option.flag if self.cli else option.key


def parse_options(
    options: Sequence[Option], given: dict[str, Any], naming: Naming, base: Path
) -> dict[str, Any]:
    """Check ``given`` (values by key, ``None`` meaning "not given") against ``options``.

    Returns the parsed values by key; unknown keys and missing required options are refused.
    Paths are read from ``base``.
    """
    by_key = {o.key: o for o in options}
    unknown = sorted(set(given) - set(by_key))
    if unknown:
        msg = (
            f"{naming.prefix}unknown key(s) {unknown}; allowed are {sorted(by_key)}. "
            "Check the spelling."
        )
        raise OptionError(msg)
    missing = [naming.key(o) for o in options if o.required and given.get(o.key) is None]
    if missing:
        they = "it is" if len(missing) == 1 else "they are"
        raise OptionError(f"{naming.prefix}missing {', '.join(missing)}; {they} required.")
    return {
        key: by_key[key].parse(value, Where(naming(by_key[key]), base))
        for key, value in given.items()
        if value is not None
    }
