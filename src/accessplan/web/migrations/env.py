"""Alembic environment of the web store (see :mod:`accessplan._migrations`). The version
table is ``web_alembic_version``, so the store can share a database with the monitor."""

from __future__ import annotations

from accessplan._migrations import run_migrations
from accessplan.web.models import Base
from accessplan.web.store import VERSION_TABLE

run_migrations(
    Base.metadata,
    version_table=VERSION_TABLE,
    include_name=lambda name, kind, _parent: kind != "table" or str(name).startswith("web_"),
)
