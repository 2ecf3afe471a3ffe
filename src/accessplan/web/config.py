"""The web service's settings: where its data lives, its database, its limits."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from accessplan._errors import InputError

#: Environment variables read by :meth:`WebSettings.from_env`.
ENV_DATA = "ACCESSPLAN_WEB_DATA"
ENV_DATABASE = "ACCESSPLAN_WEB_DATABASE"
ENV_SECRET = "ACCESSPLAN_WEB_SECRET_FILE"
#: Largest upload accepted by default (a county's OSM extract and DEM fit easily).
DEFAULT_MAX_UPLOAD = 200 * 1024 * 1024
STATIC = Path(__file__).with_name("static")


@dataclass(frozen=True)
class WebSettings:
    """Settings of one web service.

    Parameters
    ----------
    data_dir
        Holds ``regions/``, ``inputs/``, ``runs/`` (run folders as the CLI writes them), the
        session key and, by default, the SQLite store ``web.db``.
    database_url
        SQLAlchemy URL of the store; ``sqlite:///<data_dir>/web.db`` when not given.
    max_upload_bytes
        Largest file accepted by an upload; a larger one is refused with 413, nothing kept.
    session_hours
        How long a login lasts.
    secure_cookies
        Send the session cookie over HTTPS only (set when served behind TLS).
    static_dir
        The built page (``make`` runs npm to build it there).
    basemap_dir
        Optional folder with a local MapLibre style (``style.json``) and its tiles, served
        under ``/basemap/``; without it the map shows the region's own layers only.
    workers
        Worker processes running jobs (each runs one job at a time).
    monitor_database
        URL of a monitor database (:mod:`accessplan.monitor`) whose API to serve under
        ``/monitor`` (its own users, roles by area and tokens); none when empty.
    """

    data_dir: Path
    database_url: str = ""
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    session_hours: float = 12.0
    secure_cookies: bool = False
    static_dir: Path = STATIC
    basemap_dir: Path | None = None
    workers: int = 1
    secret_file: Path | None = field(default=None)
    monitor_database: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).resolve())
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'web.db'}")
        if self.max_upload_bytes < 1:
            raise InputError(f"max_upload_bytes must be >= 1, got {self.max_upload_bytes}.")
        if self.workers < 0:
            raise InputError(f"workers must be >= 0, got {self.workers}.")

    @classmethod
    def from_env(cls) -> WebSettings:
        """Settings from ``ACCESSPLAN_WEB_DATA`` (default ``./accessplan-data``),
        ``ACCESSPLAN_WEB_DATABASE`` and ``ACCESSPLAN_WEB_SECRET_FILE``."""
        secret = os.environ.get(ENV_SECRET)
        return cls(
            data_dir=Path(os.environ.get(ENV_DATA, "accessplan-data")),
            database_url=os.environ.get(ENV_DATABASE, ""),
            secret_file=Path(secret) if secret else None,
        )

    def secret(self) -> bytes:
        """The key that signs session cookies: read from ``secret_file`` (default
        ``<data_dir>/session.key``), made on first use (random, readable by its owner only).
        Replacing the file logs everyone out."""
        path = self.secret_file or self.data_dir / "session.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(secrets.token_hex(32) + "\n")
        text = path.read_text("ascii").strip()
        if len(text) < 32:
            msg = f"the session key in {str(path)!r} is shorter than 32 characters; remove it."
            raise InputError(msg)
        return text.encode()
