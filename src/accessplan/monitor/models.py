"""The monitoring register as SQLAlchemy 2 models; the schema is created by the Alembic
migrations in ``migrations/`` (:func:`accessplan.monitor.db.init`), never by ``create_all``.

Tables (docs/monitor.md draws them):

``areas``            the administrative hierarchy: code, name, level, parent, and ``path`` — the
                     codes from the top down, ``/53/5301/530102/530102101/`` — so that "in
                     this area" is one ``LIKE 'path%'`` for role scoping.
``households``       a public reference, the village, the category, size, survey weight,
                     income per person, the head's name.
``members``          pseudonymous: a keyed hash of the identity number (:mod:`.security`),
                     the name, relation, birth year, phone and bank account encrypted.
``claims``           medical claims: date, provider and its tier and county, diagnosis code,
                     total cost, basic insurance, critical-illness insurance, medical
                     assistance and out-of-pocket; the import batch it came in.
``income_records``   a household's income (and consumption, food) for a year, by source.
``rule_sets``        early-warning rules, versioned per province and year (:mod:`.rules`).
``warnings``         one per household, rule and year (deduplicated), with the figures.
``cases``            the verification workflow (:mod:`.workflow`) and its dates.
``assistance``       measures given in a case; ``work_log`` what was done, by whom, when.
``consents``         a household's consent to a purpose, and its withdrawal.
``users``, ``api_tokens``   accounts (Argon2id password hashes) scoped to an area, tokens.
``import_batches``   every imported file by SHA-256 (a file is imported once).
``audit_log``        every change: who, when, the table and row, before and after.
``settings``         the key's fingerprint and other facts of the database.

Money is ``Numeric(14, 2)`` read back as float. Claims carry only the indexes their queries
need (the claim number, and household with date): each index costs on a million-row import.
"""

from __future__ import annotations

import datetime as dt
import enum

from accessplan._errors import require

require("sqlalchemy", "monitor")

from sqlalchemy import (  # noqa: E402
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402

Money = Numeric(14, 2, asdecimal=False)


class Base(DeclarativeBase):
    """Base of the monitor's models."""


class Category(enum.StrEnum):
    """Household groups of the dynamic monitoring of poverty relapse."""

    #: 脱贫不稳定户: left poverty but unstable.
    FORMERLY_POOR_UNSTABLE = "formerly_poor_unstable"
    #: 边缘易致贫户: marginal household at risk.
    MARGINAL_AT_RISK = "marginal_at_risk"
    #: 突发严重困难户: hit by a sudden serious hardship.
    SUDDEN_DIFFICULTY = "sudden_difficulty"
    #: Any other household of the register.
    ORDINARY = "ordinary"


class Role(enum.StrEnum):
    """What a user may do, within their area."""

    VILLAGE_WORKER = "village_worker"
    TOWNSHIP_OFFICER = "township_officer"
    COUNTY_ADMIN = "county_admin"
    AUDITOR = "auditor"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Area(Base):
    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    parent: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    path: Mapped[str] = mapped_column(String(120), index=True)


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    size: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    income_per_person: Mapped[float | None] = mapped_column(Money)
    head_name: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(30))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_account_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    rejects: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor: Mapped[str] = mapped_column(String(100))


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_household_date", "household_id", "service_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_no: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # The member's household, copied for fast sums; kept right by the import, which takes
    # both from the same member row. Not a foreign key, nor is batch_id: each foreign key is
    # a trigger per row, and a million-row import paid twice the time for three of them.
    household_id: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[dt.date] = mapped_column(Date)
    provider_code: Mapped[str] = mapped_column(String(40))
    provider_tier: Mapped[str] = mapped_column(String(40))
    provider_county: Mapped[str] = mapped_column(String(6))
    inpatient: Mapped[bool] = mapped_column(Boolean)
    diagnosis_code: Mapped[str | None] = mapped_column(String(20))
    total_cost: Mapped[float] = mapped_column(Money)
    basic_insurance: Mapped[float] = mapped_column(Money)
    critical_illness_insurance: Mapped[float] = mapped_column(Money)
    medical_assistance: Mapped[float] = mapped_column(Money)
    out_of_pocket: Mapped[float] = mapped_column(Money)
    batch_id: Mapped[int] = mapped_column(Integer)


class IncomeRecord(Base):
    __tablename__ = "income_records"
    __table_args__ = (UniqueConstraint("household_id", "year", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    income: Mapped[float] = mapped_column(Money)
    consumption: Mapped[float | None] = mapped_column(Money)
    food: Mapped[float | None] = mapped_column(Money)


class RuleSet(Base):
    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("province", "year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, object]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class EarlyWarning(Base):
    __tablename__ = "warnings"
    __table_args__ = (UniqueConstraint("household_id", "rule_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"))
    rule_id: Mapped[str] = mapped_column(String(60))
    period: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, object]] = mapped_column(JSON)
    raised_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"))
    source: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    discovered_on: Mapped[dt.date] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    notice_from: Mapped[dt.date | None] = mapped_column(Date)
    township_on: Mapped[dt.date | None] = mapped_column(Date)
    county_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    assisted_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(40), default="")


class Assistance(Base):
    __tablename__ = "assistance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float | None] = mapped_column(Money)
    started_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class WorkLog(Base):
    __tablename__ = "work_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[dt.date] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
