"""Opening a monitor database: its URL, its migrations, audited sessions.

SQLite is the default (``sqlite:///monitor.db``); any SQLAlchemy URL works, PostgreSQL as
``postgresql+psycopg://user@host:5432/name``. The schema is built and upgraded by the Alembic
migrations shipped inside the package (:func:`upgrade`), so an installed accessplan can
migrate a database without the source tree.

Every change made through :meth:`Database.session` is written to ``audit_log`` in the same
transaction, by an ``after_flush`` hook: the acting user, the time, the table and row, and the
values before and after (only the changed columns of an update; secrets shown as
``<encrypted>`` or ``<hash>``). A session without an actor cannot change anything. Bulk loads
that bypass the ORM (claims imports, evaluations) write one audit entry per batch themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from accessplan._errors import require

require("sqlalchemy", "monitor")
require("alembic", "monitor")

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Engine, create_engine, event, insert, inspect, select  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from accessplan.monitor.models import AuditEntry, Base, Setting  # noqa: E402
from accessplan.monitor.security import Keyring, MonitorKeyError  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///monitor.db"
MIGRATIONS = Path(__file__).with_name("migrations")
#: Columns whose values the audit log never shows.
SECRET_COLUMNS = {
    "phone_enc": "<encrypted>",
    "bank_account_enc": "<encrypted>",
    "password_hash": "<hash>",
    "digest": "<hash>",
}


class AuditedSession(Session):
    """A session whose flushes are written to the audit log (see the module docstring)."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return "<bytes>"
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _shown(key: str, value: Any) -> Any:
    return SECRET_COLUMNS[key] if key in SECRET_COLUMNS and value is not None else _plain(value)


def _values(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: _shown(c.key, getattr(obj, c.key)) for c in mapper.column_attrs}


def _row_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in key)


@event.listens_for(AuditedSession, "after_flush")
def _audit(session: Session, _context: Any) -> None:
    """Write the flushed changes to the audit log, in the flush's transaction."""
    changed = [
        (obj, action)
        for objects, action in (
            (session.new, "insert"),
            (session.dirty, "update"),
            (session.deleted, "delete"),
        )
        for obj in objects
        if not isinstance(obj, AuditEntry)
    ]
    if not changed:
        return
    actor = session.info.get("actor")
    if not actor:
        msg = "changes to the monitor database need an acting user; open Database.session(actor)."
        raise PermissionError(msg)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for obj, action in changed:
        before: dict[str, Any] | None = None
        after: dict[str, Any] | None = None
        if action == "insert":
            after = _values(obj)
        elif action == "delete":
            before = _values(obj)
        else:
            before, after = {}, {}
            for attr in inspect(obj).mapper.column_attrs:
                history = inspect(obj).attrs[attr.key].history
                if history.added or history.deleted:
                    old = history.deleted[0] if history.deleted else None
                    before[attr.key] = _shown(attr.key, old)
                    after[attr.key] = _shown(attr.key, history.added[0] if history.added else None)
            if not after:
                continue
        rows.append(
            {
                "at": now,
                "actor": str(actor),
                "action": action,
                "table_name": inspect(obj).mapper.local_table.name,
                "row_id": _row_id(obj),
                "before": before,
                "after": after,
            }
        )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def audit_event(
    session: Session, action: str, table: str, *, row_id: str = "", after: dict[str, Any]
) -> None:
    """Record a bulk operation (an import, an evaluation) as one audit entry."""
    actor = session.info.get("actor")
    if not actor:
        raise PermissionError("a bulk change needs an acting user.")
    entry = {
        "at": dt.datetime.now(dt.UTC),
        "actor": str(actor),
        "action": action,
        "table_name": table,
        "row_id": row_id,
        "before": None,
        "after": json.loads(json.dumps(after, default=_plain)),
    }
    session.connection().execute(insert(AuditEntry), [entry])


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


class Database:
    """A monitor database at ``url``: its engine and audited sessions.

    Parameters
    ----------
    url
        SQLAlchemy URL; SQLite by default.
    keyring
        The pseudonymisation key (:class:`~accessplan.monitor.security.Keyring`); needed by
        imports and whatever reads contact details, checked against the database's
        fingerprint on first use.
    """

    def __init__(self, url: str = DEFAULT_URL, *, keyring: Keyring | None = None) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, class_=AuditedSession, expire_on_commit=False)
        self._keyring = keyring

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    @contextmanager
    def session(self, actor: str) -> Iterator[Session]:
        """A transaction acting as ``actor`` (a username): committed when the block ends,
        rolled back on an error."""
        session = self._sessions()
        session.info["actor"] = actor
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def reader(self) -> Session:
        """A session for reading only (it has no actor, so a change in it fails)."""
        return self._sessions()

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision``."""
        with self.engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)

    def revision(self) -> str | None:
        """The database's current migration, ``None`` before :meth:`upgrade`."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def keyring(self) -> Keyring:
        """The key, checked against the database's fingerprint (recorded on first use)."""
        key = self._keyring or Keyring.from_env()
        with self.session("system") as session:
            stored = session.get(Setting, "key_fingerprint")
            if stored is None:
                session.add(Setting(key="key_fingerprint", value=key.fingerprint))
            elif stored.value != key.fingerprint:
                msg = (
                    f"the key (fingerprint {key.fingerprint}) is not this database's "
                    f"({stored.value}); give the key file the database was made with."
                )
                raise MonitorKeyError(msg)
        self._keyring = key
        return key

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL keeps every commit atomic; a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def head_revision() -> str:
    """The newest migration shipped with accessplan."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def init(url: str = DEFAULT_URL, *, keyring: Keyring | None = None) -> Database:
    """Create or upgrade the monitor database at ``url``; record the key's fingerprint when a
    key is given."""
    database = Database(url, keyring=keyring)
    database.upgrade()
    if keyring is not None:
        database.keyring()
    logger.info("monitor database %s at revision %s", _safe_url(url), database.revision())
    return database


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def tables() -> list[str]:
    """Names of the monitor's tables."""
    return sorted(Base.metadata.tables)


def count(session: Session, model: type[Any]) -> int:
    """Rows of ``model``'s table."""
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(model)) or 0)
