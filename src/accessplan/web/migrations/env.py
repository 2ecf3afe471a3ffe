"""Alembic environment of the web store: runs on the connection :mod:`accessplan.web.store`
hands over, or on ``sqlalchemy.url`` when Alembic's own command line is used. The version
table is ``web_alembic_version``, so the store can share a database with the monitor."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from accessplan.web.models import Base
from accessplan.web.store import VERSION_TABLE

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
        with engine.begin() as own:
            _migrate(own)
        return
    _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
        compare_type=True,
        include_name=lambda name, kind, _parent: kind != "table" or str(name).startswith("web_"),
    )
    with context.begin_transaction():
        context.run_migrations()


run()
