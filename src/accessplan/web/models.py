"""The scenario store as SQLAlchemy 2 models; the schema is made by the Alembic migrations in
``migrations/`` (:meth:`accessplan.web.store.Store.upgrade`), never by ``create_all``.

Tables carry a ``web_`` prefix and the store its own Alembic version table, so that the web
store and the monitor's register may share one PostgreSQL database.

``web_users``        accounts: Argon2id password hash, role (viewer, planner, admin), active,
                     and a session epoch that ends every session when it moves.
``web_tokens``       API tokens for other systems (SHA-256 of the token only).
``web_regions``      regions: name, where they came from (upload, OSM, synthetic), the
                     region file's SHA-256 and summary; built regions point to their job.
``web_scenarios``    a region, a seed, a language and steps (kind, name, options as given).
``web_inputs``       files uploaded to a scenario (name, size, SHA-256).
``web_runs``         one run of a scenario: the scenario as it was run, its inputs' SHA-256,
                     the steps' summaries from the run folder's manifest; its job.
``web_jobs``         background work: kind, status, stage, progress, error, times, worker.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from accessplan._errors import require

require("sqlalchemy", "web")

from sqlalchemy import (  # noqa: E402
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402


def now() -> dt.datetime:
    """The time in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Role(enum.StrEnum):
    """What a user may do: viewers read, planners also create and run scenarios and regions,
    admins also manage users."""

    VIEWER = "viewer"
    PLANNER = "planner"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Status(enum.StrEnum):
    """A job's state. ``queued`` and ``running`` are open; the others are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN = (Status.QUEUED.value, Status.RUNNING.value)


class User(Base):
    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Token(Base):
    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Job(Base):
    __tablename__ = "web_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=Status.QUEUED.value, index=True)
    stage: Mapped[str] = mapped_column(String(200), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    worker_pid: Mapped[int | None] = mapped_column(Integer)


class Region(Base):
    __tablename__ = "web_regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("web_jobs.id"))
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Scenario(Base):
    __tablename__ = "web_scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("web_regions.id"), index=True)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    lang: Mapped[str] = mapped_column(String(5), default="en")
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class InputFile(Base):
    __tablename__ = "web_inputs"
    __table_args__ = (UniqueConstraint("scenario_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("web_scenarios.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(60))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Run(Base):
    __tablename__ = "web_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("web_scenarios.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    summary: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    job_id: Mapped[int] = mapped_column(ForeignKey("web_jobs.id"))
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
