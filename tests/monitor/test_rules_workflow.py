"""Early-warning rules, the case workflow, the audit log and the public notice.

The warnings case, worked out by hand. Rules of province 53 for 2025: reference income 16,000,
monitoring line 7,300; formerly poor people warned above 50% (8,000), others above 100%
(16,000), anyone above 50,000; incomes per person below the line. Evaluated on 2025-06-30,
the window is 2024-07-01 .. 2025-06-30:

    E1 member 1: 5,000 on 2024-06-30 (a day too early) + 4,000 on 2024-07-01 + 4,500
                 = 8,500 > 8,000; member 2: 9,000 > 8,000 -> one E1 warning, member 2's 9,000
    E2 member 4: 15,000 <= 16,000 -> none; income 7,000 < 7,300 -> income warning
    W1 member 5: 16,000, not above 16,000 -> none; member 6: 16,000.01 -> warning;
       income 14,600 / 2 = 7,300, not below -> none
    H1 member 7: 60,000 -> above 16,000 and above 50,000 -> two warnings
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from accessplan._errors import InputError
from accessplan.monitor.claims import import_claims
from accessplan.monitor.db import Database
from accessplan.monitor.models import AuditEntry, EarlyWarning, Household
from accessplan.monitor.notice import LeakError, check_redacted, export_notice, notice_list
from accessplan.monitor.register import import_incomes
from accessplan.monitor.rules import RuleSet, add_months, evaluate, store_rules
from accessplan.monitor.scope import Actor, Forbidden, NotFound
from accessplan.monitor.workflow import (
    IllegalTransition,
    TooEarly,
    add_assistance,
    advance,
    cases,
    open_case,
)
from tests.monitor.conftest import EAST, REGISTER, claim, write_csv

AS_OF = dt.date(2025, 6, 30)
RULES = {
    "province": "53",
    "year": 2025,
    "version": 1,
    "reference_income": 16_000,
    "monitoring_line": 7_300,
    "rules": [
        {"id": "oop-fp", "kind": "oop_share", "groups": ["formerly_poor_unstable"], "share": 0.5},
        {
            "id": "oop-others",
            "kind": "oop_share",
            "groups": ["marginal_at_risk", "sudden_difficulty", "ordinary"],
            "share": 1.0,
        },
        {"id": "oop-amount", "kind": "oop_amount", "groups": ["*"], "amount": 50_000},
        {"id": "income", "kind": "income_below", "groups": ["*"]},
    ],
}
CLAIMS = [
    claim(1, 1, "2024-06-30", 9_000, 5_000),
    claim(2, 1, "2024-07-01", 9_000, 4_000),
    claim(3, 1, "2025-03-01", 9_000, 4_500),
    claim(4, 2, "2025-01-01", 20_000, 9_000),
    claim(5, 4, "2025-02-01", 30_000, 15_000),
    claim(6, 5, "2025-04-01", 30_000, 16_000),
    claim(7, 6, "2025-05-01", 30_000, 16_000.01),
    claim(8, 7, "2025-06-30", 100_000, 60_000),
]


@pytest.fixture
def loaded(registered: Database, actors: dict[str, Actor], tmp_path: Path) -> Database:
    """The register with the claims, incomes and the 2025 rules of province 53."""
    admin = actors["admin"]
    report = import_claims(registered, write_csv(tmp_path / "c.csv", CLAIMS), admin, today=AS_OF)
    assert report.accepted == len(CLAIMS), report.rejects
    incomes = [
        {"household_ref": "E2", "year": "2024", "income": "7000"},
        {"household_ref": "W1", "year": "2024", "income": "14600"},
        {"household_ref": "E1", "year": "2024", "income": "30000"},
    ]
    import_incomes(registered, write_csv(tmp_path / "i.csv", incomes), admin, today=AS_OF)
    with registered.session("admin") as session:
        store_rules(session, RuleSet.from_dict(RULES), admin)
    return registered


def test_warnings_by_hand(loaded: Database, actors: dict[str, Actor]) -> None:
    """The five warnings of the module docstring, each with its figures."""
    result = evaluate(loaded, actors["admin"], as_of=AS_OF)
    got = {(r.household_ref, r.rule_id): r.figures for r in result.warnings.itertuples()}
    assert set(got) == {
        ("E1", "oop-fp"),
        ("E2", "income"),
        ("W1", "oop-others"),
        ("H1", "oop-others"),
        ("H1", "oop-amount"),
    }
    assert got[("E1", "oop-fp")]["out_of_pocket"] == 9_000
    assert got[("E1", "oop-fp")]["limit"] == 8_000
    assert got[("E1", "oop-fp")]["window"] == ["2024-07-01", "2025-06-30"]
    assert got[("W1", "oop-others")]["out_of_pocket"] == pytest.approx(16_000.01)
    assert got[("E2", "income")] == {
        "rule": "income_below",
        "income_per_person": 7_000,
        "monitoring_line": 7_300,
    }
    assert result.new_warnings == 5


def test_warnings_are_deduplicated(loaded: Database, actors: dict[str, Actor]) -> None:
    """Evaluating again, even a month later with the same conditions, adds no warning."""
    evaluate(loaded, actors["admin"], as_of=AS_OF)
    again = evaluate(loaded, actors["admin"], as_of=AS_OF + dt.timedelta(days=1))
    assert again.new_warnings == 0 and len(again.warnings) == 5


def test_only_county_admins_evaluate(loaded: Database, actors: dict[str, Actor]) -> None:
    """A village worker and an auditor are refused; nothing is stored."""
    for name in ("east", "auditor"):
        with pytest.raises(Forbidden):
            evaluate(loaded, actors[name], as_of=AS_OF)


def test_rule_versions_never_change(loaded: Database, actors: dict[str, Actor]) -> None:
    """Storing version 1 again with other content is refused; version 2 is stored and becomes
    the one evaluated: with the formerly poor share at 60% (9,600) E1's 9,000 no longer fires."""
    changed = {**RULES, "rules": [{**RULES["rules"][0], "share": 0.6}, *RULES["rules"][1:]]}
    with loaded.session("admin") as session, pytest.raises(InputError, match="version 2"):
        store_rules(session, RuleSet.from_dict(changed), actors["admin"])
    with loaded.session("admin") as session:
        store_rules(session, RuleSet.from_dict({**changed, "version": 2}), actors["admin"])
    result = evaluate(loaded, actors["admin"], as_of=AS_OF)
    assert ("E1", "oop-fp") not in {
        (r.household_ref, r.rule_id) for r in result.warnings.itertuples()
    }


def test_bad_rules_are_refused() -> None:
    """Unknown groups and a share rule without a share name the rule."""
    with pytest.raises(InputError, match=r"\[\[rules\]\] 1 unknown groups"):
        RuleSet.from_dict({**RULES, "rules": [{"kind": "oop_share", "groups": ["x"], "share": 1}]})
    with pytest.raises(InputError, match="needs a positive share"):
        RuleSet.from_dict({**RULES, "rules": [{"kind": "oop_share"}]})


def test_add_months_clips_to_month_end() -> None:
    """31 August + 6 months is the last day of February; leap years count."""
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 6, 30), -12) == dt.date(2024, 6, 30)


def _e1(session: object) -> int:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    found = session.scalar(select(Household.id).where(Household.ref == "E1"))
    assert found is not None
    return found


def test_workflow_enforces_order_notice_and_stability(
    loaded: Database, actors: dict[str, Actor]
) -> None:
    """E1's case: the notice goes up on 07-03 so the township may take it from 07-08 (not
    07-07); approval needs a measure; assisted on 07-10, risk may be declared eliminated from
    2026-01-10 (not 01-09). Illegal moves are refused with the moves allowed."""
    east, town, admin = actors["east"], actors["riverside"], actors["admin"]
    day = dt.date(2025, 7, 1)
    with loaded.session("east") as s:
        case = open_case(s, east, _e1(s), source="visit", on=day)
        case_id = case.id
        with pytest.raises(IllegalTransition, match="verified or dismissed"):
            advance(s, east, case_id, "assisted", on=day)
        advance(s, east, case_id, "verified", on=dt.date(2025, 7, 2))
        advance(s, east, case_id, "village_review", on=dt.date(2025, 7, 3))
        with pytest.raises(TooEarly, match="2025-07-08"):
            advance(s, east, case_id, "township_review", on=dt.date(2025, 7, 7))
        advance(s, east, case_id, "township_review", on=dt.date(2025, 7, 8))
    with loaded.session("riverside") as s:
        with pytest.raises(IllegalTransition):  # skipping the county is no move at all
            advance(s, town, case_id, "assisted", on=dt.date(2025, 7, 9))
        advance(s, town, case_id, "county_approval", on=dt.date(2025, 7, 9))
        with pytest.raises(Forbidden):  # the move exists, but it is the county's
            advance(s, town, case_id, "assisted", on=dt.date(2025, 7, 9))
    with loaded.session("admin") as s:
        with pytest.raises(TooEarly, match="assistance measure"):
            advance(s, admin, case_id, "assisted", on=dt.date(2025, 7, 10))
        add_assistance(
            s, admin, case_id, kind="serious_illness_special_treatment", on=dt.date(2025, 7, 10)
        )
        advance(s, admin, case_id, "assisted", on=dt.date(2025, 7, 10))
        with pytest.raises(TooEarly, match="2026-01-10"):
            advance(s, admin, case_id, "risk_eliminated", on=dt.date(2026, 1, 9))
        advance(s, admin, case_id, "risk_eliminated", on=dt.date(2026, 1, 10))
        with pytest.raises(IllegalTransition, match="closed"):
            advance(s, admin, case_id, "dismissed", on=dt.date(2026, 1, 11))
        table = cases(s, admin, today=dt.date(2026, 1, 11)).set_index("id")
    assert table.loc[case_id, "state"] == "risk_eliminated"
    assert not table.loc[case_id, "late"]  # decided on 07-10, 9 days after discovery


def test_new_warning_restarts_stability(loaded: Database, actors: dict[str, Actor]) -> None:
    """A warning raised after assistance began moves the earliest end of the case to six
    months after the warning."""
    admin = actors["admin"]
    with loaded.session("admin") as s:
        case_id = _assisted_case(s, admin, _e1(s), dt.date(2025, 1, 2))
    evaluate(loaded, admin, as_of=AS_OF)  # raises E1's warning on 2025-06-30
    with loaded.session("admin") as s, pytest.raises(TooEarly, match="2025-12-30"):
        advance(s, admin, case_id, "risk_eliminated", on=dt.date(2025, 7, 2))


def _assisted_case(session: object, admin: Actor, household_id: int, day: dt.date) -> int:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    case = open_case(session, admin, household_id, source="department_data", on=day)
    # Set straight to the county's desk: the earlier steps are tested above.
    case.state = "county_approval"
    case.county_on = day
    add_assistance(session, admin, case.id, kind="medical_assistance", on=day, amount=3_000)
    advance(session, admin, case.id, "assisted", on=day)
    return case.id


def test_late_decision_is_flagged(loaded: Database, actors: dict[str, Actor]) -> None:
    """Discovered on 07-01 and still awaiting the county on 07-17 (16 days): late; on 07-16
    (15 days) not yet."""
    admin = actors["admin"]
    with loaded.session("admin") as s:
        case = open_case(s, admin, _e1(s), source="self_report", on=dt.date(2025, 7, 1))
        case_id = case.id
    with loaded.reader() as s:
        assert not cases(s, admin, today=dt.date(2025, 7, 16)).set_index("id").loc[case_id, "late"]
        assert cases(s, admin, today=dt.date(2025, 7, 17)).set_index("id").loc[case_id, "late"]


def test_scope_and_auditor(loaded: Database, actors: dict[str, Actor]) -> None:
    """West's worker cannot see East's case (told "not found"); the auditor cannot move it."""
    with loaded.session("east") as s:
        case_id = open_case(s, actors["east"], _e1(s), source="visit", on=dt.date(2025, 7, 1)).id
    with loaded.session("west") as s, pytest.raises(NotFound):
        advance(s, actors["west"], case_id, "verified", on=dt.date(2025, 7, 2))
    with loaded.session("auditor") as s, pytest.raises(Forbidden):
        advance(s, actors["auditor"], case_id, "verified", on=dt.date(2025, 7, 2))


def test_every_step_is_audited_with_before_and_after(
    loaded: Database, actors: dict[str, Actor]
) -> None:
    """Opening and moving a case leave audit entries by the acting user: the insert with the
    case's values, the move with the changed fields before and after."""
    east = actors["east"]
    with loaded.session("east") as s:
        case_id = open_case(s, east, _e1(s), source="visit", on=dt.date(2025, 7, 1)).id
        advance(s, east, case_id, "verified", on=dt.date(2025, 7, 2))
    with loaded.reader() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.table_name == "cases", AuditEntry.row_id == str(case_id))
            .order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.actor) for e in entries] == [("insert", "east"), ("update", "east")]
    assert entries[0].after is not None and entries[0].after["state"] == "discovered"
    assert entries[1].before == {"state": "discovered", "verified_on": None}
    assert entries[1].after == {"state": "verified", "verified_on": "2025-07-02"}


def test_public_notice_is_redacted(
    loaded: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """East's notice lists E1 (under village review) by reference, head and reason, and none
    of the raw records' identity numbers, phones, bank accounts or diagnoses appear in the
    file — checked against the register and claims rows themselves."""
    east = actors["east"]
    evaluate(loaded, actors["admin"], as_of=AS_OF)
    with loaded.session("east") as s:
        e1 = _e1(s)
        warning = s.scalar(select(EarlyWarning.id).where(EarlyWarning.household_id == e1))
        case_id = open_case(s, east, e1, source="department_data", on=AS_OF, warning_id=warning).id
        advance(s, east, case_id, "verified", on=AS_OF)
        advance(s, east, case_id, "village_review", on=dt.date(2025, 7, 1))
        path = tmp_path / "notice.csv"
        table = export_notice(s, east, EAST, path)
    assert table[["household_ref", "head_name", "reason"]].values.tolist() == [
        ["E1", "张伟", "medical_costs"]
    ]
    assert str(table.loc[0, "notice_until"]) == "2025-07-06"
    written = path.read_text("utf-8-sig")
    secrets = [str(r[f]) for r in REGISTER for f in ("id_number", "phone", "bank_account") if r[f]]
    secrets += [str(c["diagnosis_code"]) for c in CLAIMS] + [str(c["id_number"]) for c in CLAIMS]
    leaked = [s for s in secrets if s in written]
    assert leaked == []
    assert pd.read_csv(path, encoding="utf-8-sig").columns.tolist() == list(table.columns)


def test_notice_guard_refuses_personal_numbers() -> None:
    """The second line of defence: a cell shaped like an identity number, a phone or a bank
    account stops the list."""
    for value in ("11010519491231002X", "call 13800000001", "6222020000000000001"):
        with pytest.raises(LeakError):
            check_redacted(pd.DataFrame({"head_name": [value]}))
    check_redacted(pd.DataFrame({"head_name": ["张伟"], "notice_from": ["2025-07-01"]}))


def test_notice_of_another_village_is_not_found(loaded: Database, actors: dict[str, Actor]) -> None:
    """West's worker cannot list East's notice."""
    with loaded.reader() as s, pytest.raises(NotFound):
        notice_list(s, actors["west"], EAST)
