"""The horizon's calendar: which days are working days.

Without a start date the horizon is ``days`` working days numbered 1, 2, ... (no weekends):
gaps between visits are then counted in working days. With a start date it runs from that
date until the ``days``-th working day, weekends and holidays included as days off, so gaps
are counted in calendar days, as a follow-up interval is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from accessplan._errors import InputError

#: Monday to Friday (``date.weekday()`` numbers).
WEEKDAYS = (0, 1, 2, 3, 4)
#: Longest horizon read (days): a year and a bit.
MAX_DAYS = 400


@dataclass(frozen=True)
class Calendar:
    """Day labels (ISO dates or day numbers) and whether each is a working day."""

    labels: tuple[str, ...]
    working: tuple[bool, ...]

    @property
    def n_days(self) -> int:
        return len(self.labels)

    @property
    def n_working(self) -> int:
        return sum(self.working)


def working_calendar(
    days: int,
    *,
    start: dt.date | str | None = None,
    holidays: Iterable[dt.date | str] = (),
    weekdays: Iterable[int] = WEEKDAYS,
) -> Calendar:
    """A horizon of ``days`` working days (see the module docstring).

    ``holidays`` (dates or ISO strings) and days outside ``weekdays`` (0 = Monday) are days
    off; they need a ``start`` date.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InputError(
            f"days must be a whole number of working days from 1 to {MAX_DAYS}, got {days!r}."
        )
    off = {_date(h, "holidays") for h in holidays}
    if start is None:
        if off:
            raise InputError("holidays need a start date (start='2025-03-03'); add one.")
        return Calendar(tuple(str(d + 1) for d in range(days)), (True,) * days)
    first = _date(start, "start")
    open_days = set(weekdays)
    if not open_days or not open_days <= set(range(7)):
        raise InputError(f"weekdays must be numbers 0 (Monday) to 6, got {sorted(open_days)}.")
    labels: list[str] = []
    working: list[bool] = []
    day = first
    while sum(working) < days:
        if len(labels) >= MAX_DAYS:
            msg = (
                f"fewer than {days} working days in the {MAX_DAYS} days from {first}; "
                "check weekdays and holidays."
            )
            raise InputError(msg)
        labels.append(day.isoformat())
        working.append(day.weekday() in open_days and day not in off)
        day += dt.timedelta(days=1)
    return Calendar(tuple(labels), tuple(working))


def _date(value: dt.date | str, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{what} must be dates like 2025-03-03, got {value!r}.") from None
