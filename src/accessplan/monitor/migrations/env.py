"""Alembic environment of the monitor's register (see :mod:`accessplan._migrations`)."""

from __future__ import annotations

from accessplan._migrations import run_migrations
from accessplan.monitor.models import Base

run_migrations(Base.metadata)
