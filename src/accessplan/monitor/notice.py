"""Public notice lists (公示名单), redacted by design.

A village posts the households under village review for at least five days so that anyone
may object. The list is built from an allow-list of fields — the village, the household's
public reference, the head's name, the household's size and group, why it is proposed
(medical costs, income, or how it was found) and the notice's dates — and never from a
member, claim or income record: identity numbers, phones, bank accounts and diagnoses are
not read, so they cannot leak. As a second line, the finished list is scanned for anything
shaped like an identity number, a mobile phone or a bank account number and refused if one
appears (:class:`LeakError`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from accessplan._errors import AccessPlanError
from accessplan._files import new_file
from accessplan.monitor.models import Area, Case, EarlyWarning, Household
from accessplan.monitor.scope import Actor, NotFound, require
from accessplan.monitor.workflow import NOTICE_DAYS

COLUMNS = [
    "village",
    "household_ref",
    "head_name",
    "household_size",
    "category",
    "reason",
    "notice_from",
    "notice_until",
]
#: What a warning's rule says about the reason, in words fit for a notice board.
REASONS = {"oop_share": "medical_costs", "oop_amount": "medical_costs", "income_below": "income"}
_LEAKS = {
    "identity number": re.compile(r"\d{17}[\dXx]"),
    "mobile phone": re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
    "bank account": re.compile(r"\d{12,}"),
}


class LeakError(AccessPlanError):
    """A notice list holds something shaped like a personal number; it is not released."""


def notice_list(session: Session, by: Actor, village: str) -> pd.DataFrame:
    """The households of ``village`` under village review, as :data:`COLUMNS`."""
    area = session.get(Area, village)
    if area is None or area.level != "village":
        raise NotFound(f"no village {village!r} in your area.")
    require(by, path=area.path)
    query = (
        select(
            Household.ref,
            Household.head_name,
            Household.size,
            Household.category,
            Case.source,
            EarlyWarning.figures,
            Case.notice_from,
        )
        .join(Case, Case.household_id == Household.id)
        .outerjoin(EarlyWarning, EarlyWarning.id == Case.warning_id)
        .where(Household.area_code == village, Case.state == "village_review")
        .order_by(Household.ref)
    )
    rows = []
    for ref, head, size, category, source, figures, since in session.execute(query).all():
        rule = dict(figures).get("rule") if figures else None
        assert since is not None  # set when the case entered village review
        rows.append(
            {
                "village": area.name,
                "household_ref": ref,
                "head_name": head,
                "household_size": size,
                "category": category,
                "reason": REASONS.get(str(rule), source),
                "notice_from": since,
                "notice_until": since + dt.timedelta(days=NOTICE_DAYS),
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    check_redacted(table)
    return table


def check_redacted(table: pd.DataFrame) -> None:
    """Refuse a table with a cell shaped like an identity number, phone or bank account."""
    for column in table.columns:
        for value in table[column].astype(str):
            for what, pattern in _LEAKS.items():
                if pattern.search(value):
                    raise LeakError(f"notice column {column!r} holds a {what}; not released.")


def export_notice(session: Session, by: Actor, village: str, path: str | Path) -> pd.DataFrame:
    """Write the village's notice list to a CSV file (UTF-8 with BOM, for Excel), whole or
    not at all; returns the list."""
    table = notice_list(session, by, village)
    with new_file(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
    return table
