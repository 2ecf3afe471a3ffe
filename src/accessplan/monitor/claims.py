"""Importing medical insurance claims, whole or not at all.

A claims file (CSV, UTF-8, one claim per line) has the columns

``claim_no, id_number, service_date, provider_code, provider_tier, provider_county,
inpatient, diagnosis_code, total_cost, basic_insurance, critical_illness_insurance,
medical_assistance, out_of_pocket``

(``diagnosis_code`` and ``inpatient`` may be empty). The identity number finds the member
through its keyed pseudonym; the number itself is never stored.

What happens to a file:

* **Once only.** The file's SHA-256 is recorded with its batch; importing the same file again
  changes nothing. A claim number already in the database (from another file) is counted as
  a duplicate and skipped, so overlapping extracts do not double-count.
* **Bad rows are refused with their line** (the header is line 1) and the column: a negative
  or missing amount, parts (basic + critical illness + assistance + out-of-pocket) that do not
  add up to the total within 0.01, a date in the future or not ``YYYY-MM-DD``, a malformed
  identity number (form, birth date, ISO 7064 check digit), an identity number no member of
  the register has (unknown household), a member outside the importing user's area, a county
  code that is not 6 digits, a claim number repeated in the file.
* **The rest of the batch**: with ``on_error="skip"`` (the default) the good rows are
  imported and the refused ones listed in the report and the batch record; with
  ``on_error="abort"`` one refused row refuses the whole file (:class:`RejectedFile`) and
  nothing is written.
* **All or nothing.** The batch record and every claim are written in one transaction: an
  import killed midway leaves no claim and no batch behind (the next import starts afresh).
  On PostgreSQL rows are streamed with ``COPY`` (through a temporary table and one
  ``INSERT ... ON CONFLICT DO NOTHING`` when some claim numbers are already present); on
  SQLite they are inserted in chunks.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accessplan._errors import InputError
from accessplan.monitor import _table
from accessplan.monitor.db import Database
from accessplan.monitor.models import Area, Claim, Household, Member, Role
from accessplan.monitor.register import ImportReport, _batch, _seen
from accessplan.monitor.scope import Actor, require

logger = logging.getLogger(__name__)

COLUMNS = (
    "claim_no",
    "id_number",
    "service_date",
    "provider_code",
    "provider_tier",
    "provider_county",
    "total_cost",
    "basic_insurance",
    "critical_illness_insurance",
    "medical_assistance",
    "out_of_pocket",
)
OPTIONAL = ("inpatient", "diagnosis_code")
PARTS = ("basic_insurance", "critical_illness_insurance", "medical_assistance", "out_of_pocket")
#: Tolerance of the parts adding up to the total (money).
SUM_TOLERANCE = 0.01
TRUE = ("1", "true", "yes", "y", "是")
FALSE = ("", "0", "false", "no", "n", "否")
#: Rows per chunk written (SQLite) or streamed (PostgreSQL).
CHUNK_ROWS = 50_000

Progress = Callable[[int, int], None]


class RejectedFile(InputError):
    """``on_error="abort"`` and the file has bad rows: nothing was imported."""

    def __init__(self, message: str, rejects: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.rejects = rejects


def import_claims(
    database: Database,
    path: str | Path,
    by: Actor,
    *,
    on_error: Literal["skip", "abort"] = "skip",
    today: dt.date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a claims file (see the module docstring); county admins only.

    ``progress(done, total)`` is called after each chunk written.
    """
    require(by, write=True, roles=(Role.COUNTY_ADMIN,))
    if on_error not in ("skip", "abort"):
        raise InputError(f"on_error must be 'skip' or 'abort', got {on_error!r}.")
    keyring = database.keyring()
    today = today or dt.date.today()
    started = time.perf_counter()
    digest, rows = _table.read(path, COLUMNS, OPTIONAL)
    with database.session(by.username) as session:
        if _seen(session, "claims", digest):
            return ImportReport("claims", None, len(rows.frame), 0, 0, 0, already_imported=True)
        frame = _check(rows, today)
        good = ~rows.bad
        ids = frame["id_number"]
        unique = ids[good].unique()
        pseudonym = dict(zip(unique, keyring.pseudonyms(unique), strict=True))
        members = _members(session, list(pseudonym.values()))
        found = ids.map(lambda v: members.get(pseudonym.get(v, ""), (0, 0, "")))
        member_id = np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))
        household_id = np.fromiter((f[1] for f in found), dtype=np.int64, count=len(found))
        unknown = good & (member_id == 0)
        rows.fail(unknown, "id_number", "no member of the register has this identity number")
        paths = found.map(lambda f: f[2]).to_numpy(dtype=object)
        outside = good & ~unknown & ~np.array([by.covers(p) for p in paths], dtype=bool)
        rows.fail(outside, "id_number", "the member lives outside your area")
        if on_error == "abort" and rows.bad.any():
            msg = (
                f"{Path(path).name}: {int(rows.bad.sum())} of {len(rows.frame)} rows refused "
                f"(first at line {min(r.line for r in rows.rejects)}); nothing imported. "
                "Fix them, or import with on_error='skip' to take the good rows."
            )
            raise RejectedFile(msg, rows.kept_rejects())
        batch = _batch(session, "claims", digest, path, rows, by)
        keep = ~rows.bad
        columns = [
            "claim_no",
            "service_date",
            "provider_code",
            "provider_tier",
            "provider_county",
            "inpatient",
            "diagnosis_code",
            "total_cost",
            *PARTS,
        ]
        out = frame.loc[keep, columns].copy()
        out.insert(1, "member_id", member_id[keep])
        out.insert(2, "household_id", household_id[keep])
        out["batch_id"] = batch.id
        checked = time.perf_counter()
        if database.dialect == "postgresql":
            _copy_postgres(session, out, chunk_rows, progress)
        else:
            _insert_chunks(session, out, chunk_rows, progress)
        logger.info(
            "claims: %.1f s to check and match %s rows, %.1f s to write",
            checked - started, len(rows.frame), time.perf_counter() - checked,
        )  # fmt: skip
        accepted = int(
            session.scalar(
                select(func.count()).select_from(Claim).where(Claim.batch_id == batch.id)
            )
            or 0
        )
        batch.accepted = accepted
        batch.duplicates = int(keep.sum()) - accepted
        batch.rejected = int(rows.bad.sum())
        batch.rejects = rows.kept_rejects()
        session.flush()
        logger.info(
            "claims batch %s: %s rows, %s accepted, %s duplicates, %s rejected",
            batch.id, batch.rows, accepted, batch.duplicates, batch.rejected,
        )  # fmt: skip
        return ImportReport(
            "claims",
            batch.id,
            batch.rows,
            accepted,
            batch.duplicates,
            batch.rejected,
            batch.rejects,
        )


def _check(rows: _table.Checked, today: dt.date) -> pd.DataFrame:
    """Parse and check every column; returns the parsed table (refused rows marked)."""
    out = pd.DataFrame(index=rows.frame.index)
    out["claim_no"] = rows.text("claim_no")
    out["id_number"] = rows.id_number("id_number", today=today)
    out["service_date"] = rows.date("service_date", today=today)
    out["provider_code"] = rows.text("provider_code")
    out["provider_tier"] = rows.text("provider_tier")
    out["provider_county"] = rows.digits("provider_county", 6)
    flag = rows.frame["inpatient"].fillna("").str.strip().str.lower()
    rows.fail(~flag.isin(TRUE + FALSE).to_numpy(), "inpatient", "not yes/no (1/0, true/false)")
    out["inpatient"] = flag.isin(TRUE).to_numpy()
    code = rows.frame["diagnosis_code"].fillna("").str.strip()
    out["diagnosis_code"] = code.where(code != "", None)
    total = rows.amount("total_cost")
    out["total_cost"] = total
    parts = np.zeros(len(out))
    for name in PARTS:
        out[name] = rows.amount(name)
        parts = parts + out[name].to_numpy()
    off = np.abs(parts - total) > SUM_TOLERANCE
    rows.fail(off & np.isfinite(parts), "total_cost", "the parts do not add up to the total")
    rows.first_of_repeats(out["claim_no"], "claim_no")
    return out


def _members(session: Session, pseudonyms: list[str]) -> dict[str, tuple[int, int, str]]:
    """``pseudonym -> (member id, household id, area path)`` for the pseudonyms present."""
    found: dict[str, tuple[int, int, str]] = {}
    for start in range(0, len(pseudonyms), 10_000):
        part = pseudonyms[start : start + 10_000]
        query = (
            select(Member.pseudonym, Member.id, Member.household_id, Area.path)
            .join(Household, Household.id == Member.household_id)
            .join(Area, Area.code == Household.area_code)
            .where(Member.pseudonym.in_(part))
        )
        found.update({p: (m, h, a) for p, m, h, a in session.execute(query).all()})
    return found


def _insert_chunks(
    session: Session, frame: pd.DataFrame, chunk_rows: int, progress: Progress | None
) -> None:
    """Plain ``executemany`` on the session's own DBAPI connection (same transaction): the
    ORM's bulk insert spends more time building parameters than SQLite spends writing."""
    columns = list(frame.columns)
    sql = (
        f"INSERT INTO claims ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        "ON CONFLICT (claim_no) DO NOTHING"
    )
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    total = len(frame)
    try:
        for start in range(0, total, chunk_rows):
            end = start + chunk_rows
            chunk = frame.iloc[start:end]
            cursor.executemany(sql, zip(*(_plain(chunk[c]) for c in columns), strict=True))
            if progress:
                progress(min(end, total), total)
    finally:
        cursor.close()


def _plain(column: pd.Series) -> Sequence[object]:
    """A column as Python values SQLite stores as SQLAlchemy would (dates as ISO text,
    booleans as 0/1, missing as NULL)."""
    if column.dtype == bool:
        return column.astype(int).tolist()
    values = column.tolist()
    if values and isinstance(values[0], dt.date):
        return [v.isoformat() for v in values]
    return [None if v is None or v != v else v for v in values]


def _copy_postgres(
    session: Session, frame: pd.DataFrame, chunk_rows: int, progress: Progress | None
) -> None:
    """COPY straight into ``claims`` inside a savepoint; when a claim number is already
    there (an overlapping file), roll back to the savepoint and go through a temporary table
    (dropped at commit) with one ``INSERT ... ON CONFLICT DO NOTHING``."""
    import psycopg

    names = ", ".join(frame.columns)
    started = time.perf_counter()
    try:
        with session.begin_nested():
            _copy(session, "claims", names, frame, chunk_rows, progress)
        logger.info("claims: COPY %.1f s", time.perf_counter() - started)
        return
    except psycopg.errors.UniqueViolation:
        logger.info("claims: some claim numbers are already present; merging the new ones")
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE claims_staging ON COMMIT DROP AS "
            f"SELECT {names} FROM claims WITH NO DATA"
        )
    )
    _copy(session, "claims_staging", names, frame, chunk_rows, progress)
    session.execute(
        text(
            f"INSERT INTO claims ({names}) SELECT {names} FROM claims_staging "
            "ON CONFLICT (claim_no) DO NOTHING"
        )
    )
    logger.info("claims: COPY and merge %.1f s", time.perf_counter() - started)


def _copy(
    session: Session,
    table: str,
    names: str,
    frame: pd.DataFrame,
    chunk_rows: int,
    progress: Progress | None,
) -> None:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    total = len(frame)
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, total, chunk_rows):
                buffer = io.StringIO()
                frame.iloc[start : start + chunk_rows].to_csv(buffer, header=False, index=False)
                copy.write(buffer.getvalue())
                if progress:
                    progress(min(start + chunk_rows, total), total)


__all__ = ["COLUMNS", "ImportReport", "RejectedFile", "import_claims"]
