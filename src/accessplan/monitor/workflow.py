"""The case workflow as a state machine.

::

    discovered --> verified --> village_review --> township_review --> county_approval
    (self report,   (a visit     (public notice      (township          (county decides:
     visit, data)    checks)      >= 5 days)          review)             >= 1 measure)
                                                                              |
                          risk_eliminated <-- (>= 6 months stable) <-- assisted

Any state before ``assisted`` may also end in ``dismissed`` (not eligible, an objection upheld).
Everything else is refused (:class:`IllegalTransition`), naming the moves that are allowed.

Rules enforced when moving:

* ``village_review -> township_review`` only when the public notice has been up for at least
  :data:`NOTICE_DAYS` (5) days: posted on day 0, the review can move on day 5.
* ``county_approval -> assisted`` only with at least one assistance measure recorded.
* ``assisted -> risk_eliminated`` only after :data:`STABLE_MONTHS` (6) calendar months since
  assistance began, with no warning raised for the household in that time.
* The county decides (``assisted`` or ``dismissed`` from ``county_approval``) within
  :data:`DECISION_DAYS` (15) days of discovery; a case past it is flagged ``late`` (not
  refused: a late decision is still a decision).
* A step's date is never before the case's previous step.

Who moves: village workers discover, verify, post the notice and send it to the township;
township officers do the same and review; county admins approve, assist, eliminate; township
officers and county admins dismiss; auditors nothing. Each move is written to the work log and,
through the audited session, to the audit log with the case's fields before and after.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accessplan._errors import InputError
from accessplan.monitor.models import (
    Area,
    Assistance,
    Case,
    EarlyWarning,
    Household,
    Role,
    WorkLog,
)
from accessplan.monitor.register import household
from accessplan.monitor.rules import add_months
from accessplan.monitor.scope import Actor, NotFound, require

NOTICE_DAYS = 5
STABLE_MONTHS = 6
DECISION_DAYS = 15
SOURCES = ("self_report", "visit", "department_data")
ASSISTANCE_KINDS = (
    "serious_illness_special_treatment",
    "family_doctor_contract",
    "medical_assistance",
    "temporary_assistance",
    "employment",
    "other",
)
VW, TO, CA = Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN
#: state -> {next state: roles that may move it there}.
TRANSITIONS: dict[str, dict[str, tuple[Role, ...]]] = {
    "discovered": {"verified": (VW, TO), "dismissed": (TO, CA)},
    "verified": {"village_review": (VW, TO), "dismissed": (TO, CA)},
    "village_review": {"township_review": (VW, TO), "dismissed": (TO, CA)},
    "township_review": {"county_approval": (TO, CA), "dismissed": (TO, CA)},
    "county_approval": {"assisted": (CA,), "dismissed": (CA,)},
    "assisted": {"risk_eliminated": (CA,)},
    "risk_eliminated": {},
    "dismissed": {},
}
#: The date field each state sets when entered.
ENTERED = {
    "verified": "verified_on",
    "village_review": "notice_from",
    "township_review": "township_on",
    "county_approval": "county_on",
    "assisted": "assisted_on",
    "risk_eliminated": "closed_on",
    "dismissed": "closed_on",
}
DATE_FIELDS = ("discovered_on", *dict.fromkeys(ENTERED.values()), "decided_on")


class IllegalTransition(InputError):
    """A move the workflow does not allow from the case's state."""


class TooEarly(InputError):
    """A move allowed in principle but not yet: the notice or the stability period runs."""


def open_case(
    session: Session,
    by: Actor,
    household_id: int,
    *,
    source: str,
    on: dt.date,
    warning_id: int | None = None,
    note: str = "",
) -> Case:
    """Open a case for a household of the actor's area (``discovered``)."""
    found = household(session, by, household_id)
    require(by, write=True, roles=(VW, TO, CA))
    if source not in SOURCES:
        raise InputError(f"source must be one of {list(SOURCES)}, got {source!r}.")
    if warning_id is not None:
        warning = session.get(EarlyWarning, warning_id)
        if warning is None or warning.household_id != found.id:
            raise NotFound("no such warning for this household.")
        warning.status = "case"
    case = Case(
        household_id=found.id,
        warning_id=warning_id,
        source=source,
        state="discovered",
        discovered_on=on,
        reason="",
    )
    session.add(case)
    session.flush()
    _log(session, by, case, "discovered", on, note or source)
    return case


def get_case(session: Session, by: Actor, case_id: int) -> Case:
    """Case ``case_id`` if its household is within the actor's area."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("no such record in your area.")
    household(session, by, case.household_id)
    return case


def advance(
    session: Session, by: Actor, case_id: int, to: str, *, on: dt.date, note: str = ""
) -> Case:
    """Move case ``case_id`` to state ``to`` on day ``on`` (see the module docstring)."""
    case = get_case(session, by, case_id)
    require(by, write=True)
    allowed = TRANSITIONS.get(case.state, {})
    if to not in allowed:
        options = " or ".join(allowed) or "nowhere (it is closed)"
        raise IllegalTransition(
            f"case {case.id} is {case.state!r}; it can go to {options}, not {to!r}."
        )
    require(by, roles=allowed[to])
    last = max(getattr(case, f) for f in DATE_FIELDS if getattr(case, f) is not None)
    if on < last:
        raise InputError(f"case {case.id}: {on} is before its last step on {last}.")
    if case.state == "village_review" and to == "township_review":
        assert case.notice_from is not None
        ready = case.notice_from + dt.timedelta(days=NOTICE_DAYS)
        if on < ready:
            msg = (
                f"case {case.id}: the public notice went up on {case.notice_from} and must stay "
                f"{NOTICE_DAYS} days; the village review can end on {ready}, not {on}."
            )
            raise TooEarly(msg)
    if to == "assisted" and not _measures(session, case):
        raise TooEarly(f"case {case.id}: record an assistance measure before approving it.")
    if to == "risk_eliminated":
        _check_stable(session, case, on)
    if case.state == "county_approval":
        case.decided_on = on
    if to == "dismissed":
        case.decided_on = case.decided_on or on
        case.reason = note[:40] or "dismissed"
    case.state = to
    setattr(case, ENTERED[to], on)
    session.flush()
    _log(session, by, case, to, on, note)
    return case


def _check_stable(session: Session, case: Case, on: dt.date) -> None:
    assert case.assisted_on is not None
    ready = add_months(case.assisted_on, STABLE_MONTHS)
    if on < ready:
        msg = (
            f"case {case.id}: assisted since {case.assisted_on}; risk can be declared eliminated "
            f"after {STABLE_MONTHS} months of stability, from {ready}, not {on}."
        )
        raise TooEarly(msg)
    since = session.scalar(
        select(func.max(EarlyWarning.raised_on)).where(
            EarlyWarning.household_id == case.household_id,
            EarlyWarning.raised_on > case.assisted_on,
        )
    )
    if since is not None and on < add_months(since, STABLE_MONTHS):
        until = add_months(since, STABLE_MONTHS)
        msg = (
            f"case {case.id}: a warning was raised on {since}, after assistance began; "
            f"stability counts {STABLE_MONTHS} months from it, to {until}."
        )
        raise TooEarly(msg)


def _measures(session: Session, case: Case) -> int:
    query = select(func.count()).select_from(Assistance).where(Assistance.case_id == case.id)
    return int(session.scalar(query) or 0)


def add_assistance(
    session: Session,
    by: Actor,
    case_id: int,
    *,
    kind: str,
    on: dt.date,
    amount: float | None = None,
    note: str = "",
) -> Assistance:
    """Record an assistance measure of a case awaiting the county or assisted."""
    case = get_case(session, by, case_id)
    require(by, write=True, roles=(TO, CA))
    if kind not in ASSISTANCE_KINDS:
        raise InputError(f"assistance kind must be one of {list(ASSISTANCE_KINDS)}, got {kind!r}.")
    if case.state not in ("county_approval", "assisted"):
        raise IllegalTransition(
            f"case {case.id} is {case.state!r}; measures are recorded from county_approval on."
        )
    if amount is not None and amount < 0:
        raise InputError(f"an assistance amount is >= 0, got {amount!r}.")
    measure = Assistance(case_id=case.id, kind=kind, amount=amount, started_on=on, note=note)
    session.add(measure)
    session.flush()
    _log(session, by, case, f"assistance:{kind}", on, note)
    return measure


def record_work(
    session: Session, by: Actor, case_id: int, *, action: str, on: dt.date, note: str = ""
) -> WorkLog:
    """Add a work log entry (a visit, a call, a document) to a case."""
    case = get_case(session, by, case_id)
    require(by, write=True)
    return _log(session, by, case, action, on, note)


def _log(session: Session, by: Actor, case: Case, action: str, on: dt.date, note: str) -> WorkLog:
    entry = WorkLog(
        case_id=case.id,
        household_id=case.household_id,
        on=on,
        actor=by.username,
        action=action[:40],
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def is_late(case: Case, today: dt.date) -> bool:
    """Whether the county's decision came (or is still awaited) more than
    :data:`DECISION_DAYS` days after discovery."""
    decided = case.decided_on or (None if case.state in ("dismissed", "risk_eliminated") else today)
    if decided is None:
        return False
    return (decided - case.discovered_on).days > DECISION_DAYS


def cases(session: Session, by: Actor, *, today: dt.date) -> pd.DataFrame:
    """The cases of the actor's area with their dates and a ``late`` flag."""
    query = (
        select(Case, Household.ref, Household.area_code)
        .join(Household, Household.id == Case.household_id)
        .join(Area, Area.code == Household.area_code)
        .where(Area.path.startswith(by.area_path))
        .order_by(Case.id)
    )
    rows: list[dict[str, Any]] = []
    for case, ref, area in session.execute(query).all():
        row = {f: getattr(case, f) for f in ("id", "household_id", "source", "state", *DATE_FIELDS)}
        rows.append({**row, "household_ref": ref, "area_code": area, "late": is_late(case, today)})
    columns = ["id", "household_id", "household_ref", "area_code", "source", "state",
               *DATE_FIELDS, "late"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
