"""The FastAPI app: the ``/api`` routes, the built page, the job workers.

:func:`create_app` makes the app for :class:`~accessplan.web.config.WebSettings`; when the app
starts it migrates the store, marks jobs a stopped server left running as failed and starts
the worker processes; when it stops it stops them. ``accessplan serve`` runs it with uvicorn
(one server process: the login throttle and the workers' supervisor live in it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from accessplan._errors import require

for _module in ("fastapi", "sqlalchemy", "alembic", "itsdangerous", "python_multipart", "argon2"):
    require(_module, "web")

from fastapi import FastAPI, HTTPException, Request  # noqa: E402
from fastapi.middleware.gzip import GZipMiddleware  # noqa: E402
from fastapi.responses import HTMLResponse, JSONResponse  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402

from accessplan import __version__  # noqa: E402
from accessplan._errors import InputError  # noqa: E402
from accessplan.monitor.security import Passwords  # noqa: E402
from accessplan.web import jobs  # noqa: E402
from accessplan.web.api import router  # noqa: E402
from accessplan.web.auth import Auth  # noqa: E402
from accessplan.web.config import WebSettings  # noqa: E402
from accessplan.web.results import NotFoundError  # noqa: E402
from accessplan.web.store import Store  # noqa: E402
from accessplan.web.uploads import TooLargeError  # noqa: E402

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The page's content security policy: its own scripts and data only; MapLibre's workers
#: start from blob URLs.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; child-src blob:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>accessplan</title>
<p>The page is not built. Run <code>make demo</code> (or <code>npm ci &amp;&amp; npm run
build</code> in web/frontend) and restart <code>accessplan serve</code>. The API is at
<code>/api</code>; its schema at <code>/api/openapi.json</code>.</p>"""


#: Largest body of a request that is no upload (JSON): a scenario is a few kilobytes.
MAX_JSON = 1024 * 1024


class BodyLimit:
    """Refuse a request body longer than ``limit`` bytes (an upload; other requests
    :data:`MAX_JSON`) with 413, by its Content-Length at once, or while it streams (chunked
    uploads) — before a parser reads it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.upload_limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_limit if upload else min(self.upload_limit, MAX_JSON)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, _too_large_text(limit))
            return message

        await self.app(scope, counted, send)


def _too_large_text(limit: int) -> str:
    return f"the request is larger than the upload limit of {limit:,} bytes; give a smaller file."


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": _too_large_text(limit)}, status_code=413)


def create_app(
    settings: WebSettings,
    *,
    passwords: Passwords | None = None,
    start_workers: bool = True,
) -> FastAPI:
    """The web app on ``settings`` (see the module docstring).

    Parameters
    ----------
    passwords
        The password hasher (Argon2id with argon2-cffi's defaults when not given; tests pass
        cheap settings).
    start_workers
        Start ``settings.workers`` worker processes with the app; without them jobs wait in
        the queue (tests run them with :func:`accessplan.web.jobs.run_next`).
    """
    store = Store(settings.database_url, settings.data_dir)
    auth = Auth(
        store,
        settings.secret(),
        passwords=passwords,
        session_hours=settings.session_hours,
        secure_cookies=settings.secure_cookies,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.upgrade()
        jobs.recover(store)
        supervisor = jobs.Supervisor(store, settings.workers)
        if start_workers and settings.workers:
            supervisor.start()
        app.state.supervisor = supervisor
        try:
            yield
        finally:
            supervisor.stop()
            store.dispose()

    app = FastAPI(
        title="accessplan",
        version=__version__,
        summary="Rural service access planning: regions, scenarios, analyses, results.",
        description=(
            "Log in with POST /api/session (a signed session cookie; send the returned "
            "csrf value as X-CSRF-Token with every change) or call with an API token "
            "(POST /api/tokens; Authorization: Bearer <token>). Roles: viewers read, planners "
            "also create and run regions and scenarios, admins also manage users."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads its script from the internet; the page is offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store, app.state.auth, app.state.settings = store, auth, settings
    _errors(app)
    app.include_router(router(store, auth, settings))
    if settings.monitor_database:
        _monitor(app, settings.monitor_database, passwords)
    if settings.basemap_dir is not None:
        app.mount("/basemap", StaticFiles(directory=settings.basemap_dir), name="basemap")
    _page(app, settings)
    app.add_middleware(PageHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=6)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + 1024 * 1024)
    return app


def _monitor(app: FastAPI, url: str, passwords: Passwords | None) -> None:
    """The monitor's own API under /monitor: field staff log in there with the monitor's
    users (roles scoped by area) and tokens; the planner's page and its roles are apart."""
    from accessplan.monitor.api import router as monitor_router
    from accessplan.monitor.db import Database

    app.include_router(monitor_router(Database(url), passwords=passwords), prefix="/monitor")


def _errors(app: FastAPI) -> None:
    """The library's errors as HTTP answers with their message."""

    @app.exception_handler(InputError)
    async def bad_input(_request: Request, exc: InputError) -> JSONResponse:
        status = 413 if isinstance(exc, TooLargeError) else 422
        return JSONResponse({"detail": " ".join(str(exc).split())}, status_code=status)

    @app.exception_handler(NotFoundError)
    async def not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)


def _page(app: FastAPI, settings: WebSettings) -> None:
    """The built page at ``/``, with its security headers; a note when it is not built."""
    index = settings.static_dir / "index.html"
    if not index.is_file():
        logger.warning("the page is not built (%s missing); serving the API only", index)

        @app.get("/", include_in_schema=False)
        def not_built() -> HTMLResponse:
            return HTMLResponse(NOT_BUILT, status_code=503)

        return

    app.mount("/", StaticFiles(directory=settings.static_dir, html=True), name="page")


class PageHeaders:
    """Security headers: the page's content security policy on everything outside /api/,
    no content sniffing and no referrer to other sites everywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = not str(scope.get("path", "")).startswith(("/api/", "/monitor/"))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff")]
                extra.append((b"referrer-policy", b"same-origin"))
                if page:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def add_user(
    settings: WebSettings,
    username: str,
    password: str,
    role: str = "admin",
    *,
    passwords: Passwords | None = None,
) -> None:
    """Add a user to the store of ``settings`` (migrating it first): how ``accessplan serve
    --admin NAME`` makes the first admin."""
    store = Store(settings.database_url, settings.data_dir)
    try:
        store.upgrade()
        auth = Auth(store, settings.secret(), passwords=passwords)
        with store.session() as session:
            auth.create_user(session, username, password, role)
    finally:
        store.dispose()


def user_count(settings: WebSettings) -> int:
    """How many users the store of ``settings`` has (migrating it first)."""
    from sqlalchemy import func, select

    from accessplan.web.models import User

    store = Store(settings.database_url, settings.data_dir)
    try:
        store.upgrade()
        with store.session() as session:
            return int(session.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        store.dispose()


def serve(
    settings: WebSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    passwords: Passwords | None = None,
    log_level: str = "info",
) -> None:
    """Run the app with uvicorn until stopped (Ctrl-C): ``accessplan serve``."""
    require("uvicorn", "web")
    import uvicorn

    app = create_app(settings, passwords=passwords)
    uvicorn.run(app, host=host, port=port, log_level=log_level, workers=1)
