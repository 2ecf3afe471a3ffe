"""What every Alembic environment of accessplan does (the monitor's register and the web
store): migrate on the connection the package hands over in ``config.attributes``, or on
``sqlalchemy.url`` when Alembic's own command line is used."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, MetaData, create_engine


def run_migrations(metadata: MetaData, **configure: Any) -> None:
    """Run the migrations of the current Alembic context against ``metadata``; ``configure``
    adds to :func:`alembic.context.configure` (a version table, which tables are ours)."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        url = context.config.get_main_option("sqlalchemy.url") or "sqlite://"
        with create_engine(url).begin() as own:
            _migrate(own, metadata, configure)
        return
    _migrate(connection, metadata, configure)


def _migrate(connection: Connection, metadata: MetaData, configure: dict[str, Any]) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        **configure,
    )
    with context.begin_transaction():
        context.run_migrations()
