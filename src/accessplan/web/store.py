"""The scenario store: the database (SQLite by default, PostgreSQL from a URL) and the data
folder beside it.

The data folder holds what the database points to, in the shapes the CLI writes::

    <data>/regions/<id>/region.gpkg        a region (uploaded or built); sources/ its inputs
    <data>/inputs/<scenario id>/<name>     files uploaded to a scenario
    <data>/run-inputs/<run id>/<name>      the inputs as a run used them (hard links)
    <data>/runs/<run id>/                  the run folder (manifest.json, CSV, report.html...)
    <data>/tmp/                            uploads being checked

The schema is built and upgraded by the Alembic migrations shipped inside the package, with
their own version table (``web_alembic_version``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from accessplan._errors import require

require("sqlalchemy", "web")
require("alembic", "web")

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Engine, create_engine, event  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "web_alembic_version"


class Store:
    """The store at ``url`` with its data folder ``data_dir``."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = Path(data_dir).resolve()
        # the page's threads (40) and the supervisor share the pool: room for them all
        self.engine: Engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=40, pool_timeout=60
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        for folder in ("regions", "inputs", "run-inputs", "runs", "tmp"):
            (self.data_dir / folder).mkdir(parents=True, exist_ok=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on an error."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision``."""
        with self.engine.begin() as connection:
            command.upgrade(_config(connection), revision)
        logger.info("web store %s at revision %s", self.safe_url, self.revision())

    def revision(self) -> str | None:
        """The store's migration, ``None`` before :meth:`upgrade`."""
        with self.engine.connect() as connection:
            options = {"version_table": VERSION_TABLE}
            return MigrationContext.configure(connection, opts=options).get_current_revision()

    @property
    def safe_url(self) -> str:
        """The URL without its password, for logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    # -------------------------------------------------------------- where files live
    def region_dir(self, region_id: int) -> Path:
        return self.data_dir / "regions" / str(region_id)

    def region_file(self, region_id: int) -> Path:
        return self.region_dir(region_id) / "region.gpkg"

    def inputs_dir(self, scenario_id: int) -> Path:
        return self.data_dir / "inputs" / str(scenario_id)

    def run_inputs_dir(self, run_id: int) -> Path:
        return self.data_dir / "run-inputs" / str(run_id)

    def run_dir(self, run_id: int) -> Path:
        return self.data_dir / "runs" / str(run_id)

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    def scrub(self, message: str) -> str:
        """``message`` without the data folder's absolute path: files are named as they were
        uploaded (``dem.tif``, not ``<data>/inputs/3/dem.tif``), as the CLI names a file given
        by its bare name, and never by where the server keeps them."""
        data = re.escape(str(self.data_dir))
        uploads = rf"{data}/(?:inputs/\d+|run-inputs/\d+|regions/\d+/sources|tmp/[^/\s']+)/"
        message = re.sub(uploads, "", message)
        return message.replace(str(self.data_dir) + "/", "").replace(str(self.data_dir), "")

    def dispose(self) -> None:
        self.engine.dispose()


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with accessplan."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # The page and the worker write at once: wait for the other's lock instead of failing.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
