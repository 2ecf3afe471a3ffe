"""The shared option parsers: what each accepts and what it refuses, with the message naming
the option and what was wanted (every analysis's flags and step keys go through them)."""

from __future__ import annotations

import math

import pytest

from accessplan.analyses import _options as o

WHERE = o.Where("--capacity")


@pytest.mark.parametrize(("value", "want"), [(0, 0.0), ("2.5", 2.5), (7, 7.0), (" 3 ", 3.0)])
def test_amount_takes_finite_numbers_from_zero(value: object, want: float) -> None:
    assert o.amount("a number >= 0")(value, WHERE) == want


@pytest.mark.parametrize("value", [-1, "-0.5", math.inf, "nan", True, "ten", None, [1]])
def test_amount_refuses_what_is_no_amount(value: object) -> None:
    with pytest.raises(o.OptionError, match=r"--capacity must be a number >= 0, got"):
        o.amount("a number >= 0")(value, WHERE)


def test_amount_without_zero_refuses_zero() -> None:
    parse = o.amount("a positive number per 1,000 people", zero=False)
    assert parse("4.45", WHERE) == 4.45
    with pytest.raises(o.OptionError, match="a positive number per 1,000 people"):
        parse(0, WHERE)


@pytest.mark.parametrize(("value", "want"), [(0, 0), ("3", 3), (12, 12)])
def test_whole_takes_whole_numbers_from_zero(value: object, want: int) -> None:
    assert o.whole(value, WHERE) == want


@pytest.mark.parametrize("value", [-1, 1.5, "1.5", True, "two"])
def test_whole_refuses_the_rest(value: object) -> None:
    with pytest.raises(o.OptionError, match="a whole number >= 0"):
        o.whole(value, WHERE)
