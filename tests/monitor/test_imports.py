"""Imports of the register and of claims: pseudonyms only, bad rows refused with their lines,
the same file twice changes nothing, a killed import leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from accessplan.monitor.claims import RejectedFile, import_claims
from accessplan.monitor.db import Database
from accessplan.monitor.models import AuditEntry, Claim, Household, ImportBatch, Member
from accessplan.monitor.register import import_incomes, import_register
from accessplan.monitor.scope import Actor, Forbidden
from tests.monitor.conftest import KEY, REGISTER, claim, id_number, member_id, write_csv

TODAY = dt.date(2025, 6, 30)


def counts(database: Database) -> dict[str, int]:
    with database.reader() as session:
        return {
            m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Household, Member, Claim, ImportBatch)
        }


def test_register_stores_pseudonyms_not_identity_numbers(registered: Database) -> None:
    """Seven members in four households; the database holds keyed hashes, and neither an
    identity number nor a phone or account number appears anywhere in any table."""
    with registered.reader() as session:
        sizes = dict(session.execute(select(Household.ref, Household.size)).all())
        assert sizes == {"E1": 3, "E2": 1, "W1": 2, "H1": 1}
        heads = dict(session.execute(select(Household.ref, Household.head_name)).all())
        assert heads["E1"] == "张伟"
        stored = {m.pseudonym for m in session.scalars(select(Member))}
    assert stored == {KEY.pseudonym(str(r["id_number"])) for r in REGISTER}
    dump = _dump(registered)
    for row in REGISTER:
        for field in ("id_number", "phone", "bank_account"):
            if row[field]:
                assert str(row[field]) not in dump, field


def _dump(database: Database) -> str:
    """Every cell of every table as text (bytes as hex and as latin-1 text)."""
    parts = []
    with database.engine.connect() as connection:
        for table in ("households", "members", "claims", "import_batches", "audit_log"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                for cell in row:
                    if isinstance(cell, bytes | memoryview):
                        parts += [bytes(cell).hex(), bytes(cell).decode("latin-1")]
                    else:
                        parts.append(str(cell))
    return "\n".join(parts)


def test_register_bad_rows_refused_with_lines(
    database: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """Line 2 is good; line 3 has a wrong check digit; line 4 an unknown village; line 5
    repeats line 2's identity number; line 6 a bad category. Only line 2 is imported."""
    good = dict(REGISTER[0])
    wrong_check = dict(REGISTER[1], id_number=str(REGISTER[1]["id_number"])[:-1] + "0")
    if wrong_check["id_number"] == REGISTER[1]["id_number"]:
        wrong_check["id_number"] = str(REGISTER[1]["id_number"])[:-1] + "1"
    rows = [
        good,
        wrong_check,
        dict(REGISTER[3], village_code="530102009009"),
        dict(REGISTER[2], id_number=good["id_number"]),
        dict(REGISTER[4], category="rich"),
    ]
    report = import_register(database, write_csv(tmp_path / "r.csv", rows), actors["admin"])
    assert report.accepted == 1 and report.rejected == 4
    reasons = {(r["line"], r["column"]) for r in report.rejects}
    assert reasons == {
        (3, "id_number"),
        (4, "village_code"),
        (5, "id_number"),
        (6, "category"),
    }
    # The reasons never repeat the number itself.
    assert all(str(good["id_number"]) not in str(r) for r in report.rejects)


def test_village_worker_cannot_import(
    database: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """Imports are for county admins (claims) and county or township staff (register)."""
    path = write_csv(tmp_path / "r.csv", REGISTER)
    with pytest.raises(Forbidden):
        import_register(database, path, actors["east"])
    with pytest.raises(Forbidden):
        import_register(database, path, actors["auditor"])


def test_claims_bad_rows_refused_with_lines(
    registered: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """Each bad row names its line and column; the good rows are imported ("skip")."""
    rows = [
        claim(1, 1, "2025-01-10", 1_000, 300),  # line 2: good
        claim(2, 1, "2025-01-11", 1_000, 300, out_of_pocket="-300.00"),  # 3: negative
        claim(3, 4, "2025-01-12", 500, 100, id_number=id_number(99)),  # 4: unknown person
        claim(4, 4, "2025-07-01", 500, 100),  # 5: after today
        claim(5, 4, "2025-01-13", 500, 100, id_number="53010219800101001"),  # 6: 17 chars
        claim(6, 5, "2025-02-01", 800, 200),  # 7: good
        claim(7, 5, "2025-02-02", 800, 200, basic_insurance="500.00"),  # 8: parts != total
        claim(1, 5, "2025-02-03", 100, 10),  # 9: repeats claim C00001 of line 2
        claim(9, 5, "2025-02-31", 100, 10),  # 10: not a date
    ]
    path = write_csv(tmp_path / "claims.csv", rows)
    report = import_claims(registered, path, actors["admin"], today=TODAY)
    assert (report.rows, report.accepted, report.rejected) == (9, 2, 7)
    got = {(r["line"], r["column"]) for r in report.rejects}
    assert got == {
        (3, "out_of_pocket"),
        (3, "total_cost"),  # the negative part also breaks the sum
        (4, "id_number"),
        (5, "service_date"),
        (6, "id_number"),
        (8, "total_cost"),
        (9, "claim_no"),
        (10, "service_date"),
    }
    by_line = {r["line"]: r["reason"] for r in report.rejects if r["column"] == "id_number"}
    assert "no member" in str(by_line[4]) and "17 digits" in str(by_line[6])
    with registered.reader() as session:
        assert sorted(session.scalars(select(Claim.claim_no))) == ["C00001", "C00006"]
        batch = session.scalar(select(ImportBatch).where(ImportBatch.kind == "claims"))
        assert batch is not None and batch.rejected == 7 and batch.accepted == 2


def test_claims_abort_imports_nothing(
    registered: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """With on_error="abort" a single bad row refuses the whole file."""
    rows = [claim(1, 1, "2025-01-10", 1_000, 300), claim(2, 1, "2025-01-11", -5, 0)]
    path = write_csv(tmp_path / "claims.csv", rows)
    with pytest.raises(RejectedFile) as refused:
        import_claims(registered, path, actors["admin"], on_error="abort", today=TODAY)
    assert {r["line"] for r in refused.value.rejects} == {3}
    assert counts(registered)["claims"] == 0 and counts(registered)["import_batches"] == 1


def test_same_file_twice_changes_nothing(
    registered: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """The second import of the same bytes is recognised by its SHA-256 and does nothing; a
    different file repeating claim numbers counts them as duplicates."""
    rows = [claim(i, 1 + i % 7, "2025-03-01", 100 + i, i) for i in range(1, 21)]
    path = write_csv(tmp_path / "claims.csv", rows)
    first = import_claims(registered, path, actors["admin"], today=TODAY)
    assert first.accepted == 20
    before = counts(registered)
    with registered.reader() as session:
        audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    again = import_claims(registered, path, actors["admin"], today=TODAY)
    assert again.already_imported and again.accepted == 0
    assert counts(registered) == before
    with registered.reader() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    overlap = write_csv(tmp_path / "overlap.csv", [*rows[10:], claim(50, 2, "2025-03-02", 9, 1)])
    third = import_claims(registered, overlap, actors["admin"], today=TODAY)
    assert (third.accepted, third.duplicates) == (1, 10)
    assert counts(registered)["claims"] == 21


def test_import_killed_midway_leaves_nothing(registered: Database, tmp_path: Path) -> None:
    """A child process imports 200 claims in chunks of 20 and SIGKILLs itself after the
    second chunk is written: no claim and no batch survive, and the same file then imports
    whole."""
    rows = [claim(i, 1 + i % 7, "2025-03-01", 100, 10) for i in range(1, 201)]
    path = write_csv(tmp_path / "claims.csv", rows)
    script = textwrap.dedent(
        f"""
        import datetime, os, signal
        from accessplan.monitor.db import Database
        from accessplan.monitor.claims import import_claims
        from accessplan.monitor.register import actor
        from tests.monitor.conftest import KEY
        db = Database({registered.url!r}, keyring=KEY)
        with db.reader() as s:
            admin = actor(s, "admin")
        def die(done, total):
            if done >= 40:
                os.kill(os.getpid(), signal.SIGKILL)
        import_claims(db, {str(path)!r}, admin, chunk_rows=20, progress=die,
                      today=datetime.date(2025, 6, 30))
        """
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert counts(registered)["claims"] == 0
    assert counts(registered)["import_batches"] == 1  # the register's batch only
    with registered.reader() as session:
        from accessplan.monitor.register import actor

        admin = actor(session, "admin")
    report = import_claims(registered, path, admin, today=TODAY)
    assert report.accepted == 200


def test_incomes_import_sets_income_per_person(
    registered: Database, actors: dict[str, Actor], tmp_path: Path
) -> None:
    """E1 (3 people) earned 18,000 in 2024: 6,000 a person; an unknown household and a
    negative income are refused with their lines."""
    rows = [
        {"household_ref": "E1", "year": "2024", "income": "18000", "consumption": "21000"},
        {"household_ref": "E9", "year": "2024", "income": "1000", "consumption": ""},
        {"household_ref": "E2", "year": "2024", "income": "-1", "consumption": ""},
    ]
    report = import_incomes(
        registered, write_csv(tmp_path / "i.csv", rows), actors["admin"], today=TODAY
    )
    assert report.accepted == 1
    assert {(r["line"], r["column"]) for r in report.rejects} == {
        (3, "household_ref"),
        (4, "income"),
    }
    with registered.reader() as session:
        e1 = session.scalar(select(Household).where(Household.ref == "E1"))
        assert e1 is not None and e1.income_per_person == pytest.approx(6_000)


def test_member_id_helper_matches_register() -> None:
    """The helper the tests use maps member n to the register's n-th identity number."""
    assert member_id(1) == id_number(1)
