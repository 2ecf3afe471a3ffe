"""Who is calling and what they may do: logins, signed-cookie sessions, CSRF, roles, tokens.

* **Passwords** are hashed with Argon2id by the monitor's
  :class:`~accessplan.monitor.security.Passwords` (one password scheme in the package). An
  unknown username costs a verification too, so timing does not tell which names exist; five
  failed logins for a name within five minutes lock it for a minute. At most
  :data:`HASHING` hashes run at once (each takes 64 MiB by default): a burst of logins waits
  instead of exhausting the memory.
* **Sessions** live in a cookie signed with the server's key (itsdangerous, HMAC-SHA1 over
  the user id, the user's session epoch and a CSRF token; ``HttpOnly``, ``SameSite=Strict``,
  ``Secure`` behind TLS) and expire after ``session_hours``. Logging out, a new password, a
  new role or a disabled account moves the user's epoch and so ends every session of theirs.
* **CSRF**: a request that changes something with a session cookie must carry the session's
  token in ``X-CSRF-Token`` (the page reads it from ``GET /api/session``, which another site
  cannot read), and its ``Origin``, when sent, must be this server. Logins take JSON only.
* **Tokens** for other systems (``Authorization: Bearer``) are stored as SHA-256 like the
  monitor's; they carry no ambient authority, so they need no CSRF token.
* **Roles**: viewer < planner < admin (:class:`~accessplan.web.models.Role`); every route
  names the least role it needs, and the user's role is read from the store on every request.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
import datetime as dt
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from accessplan._errors import InputError, require

require("fastapi", "web")
require("itsdangerous", "web")

from fastapi import Depends, HTTPException, Request, Response  # noqa: E402
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer  # noqa: E402
from fastapi.security.http import HTTPAuthorizationCredentials  # noqa: E402
from itsdangerous import BadSignature, URLSafeTimedSerializer  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from accessplan.monitor.security import Passwords, new_token, token_digest  # noqa: E402
from accessplan.web.models import Role, Token, User, now  # noqa: E402
from accessplan.web.store import Store  # noqa: E402

COOKIE = "accessplan_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Failed logins allowed per username in :data:`LOCK_WINDOW_S` before it is locked.
MAX_FAILURES = 5
LOCK_WINDOW_S = 300.0
LOCK_S = 60.0
#: Argon2 computations at once.
HASHING = 2
#: Names whose failures are remembered before the expired ones are dropped.
MAX_NAMES = 10_000


@dataclass(frozen=True)
class Caller:
    """The user behind a request: who, with which role, and how they proved it."""

    id: int
    username: str
    role: Role
    via: str  # "cookie" or "token"

    def may(self, role: Role) -> bool:
        return self.role.rank >= role.rank


class Throttle:
    """Failed logins per username (kept in memory: one server process)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def locked(self, username: str) -> bool:
        with self._lock:
            recent = self._recent(username)
            return len(recent) >= MAX_FAILURES and time.monotonic() - recent[-1] < LOCK_S

    def failed(self, username: str) -> None:
        with self._lock:
            if len(self._failures) > MAX_NAMES:  # made-up names must not fill the memory
                for name in list(self._failures):
                    if not self._recent(name):
                        del self._failures[name]
            self._recent(username).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)

    def _recent(self, username: str) -> deque[float]:
        failures = self._failures[username]
        while failures and time.monotonic() - failures[0] > LOCK_WINDOW_S:
            failures.popleft()
        return failures


class Auth:
    """Logins, sessions and the role dependencies of one app."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        *,
        passwords: Passwords | None = None,
        session_hours: float = 12.0,
        secure_cookies: bool = False,
    ) -> None:
        self.store = store
        self.passwords = passwords or Passwords()
        self.max_age = int(session_hours * 3600)
        self.secure = secure_cookies
        self.throttle = Throttle()
        self._hashing = threading.BoundedSemaphore(HASHING)
        self._signer = URLSafeTimedSerializer(secret, salt="accessplan.web.session")
        # verified for unknown usernames so that they cost as long as known ones
        self._dummy = self.passwords.hash("nobody's password at all")

    # ---------------------------------------------------------------- users
    def create_user(self, session: Any, username: str, password: str, role: str) -> User:
        """A new active user; refused when the name is taken, the role unknown or the password
        shorter than 8 characters."""
        username = username.strip()
        if not username or len(username) > 60:
            raise InputError("a username has 1 to 60 characters.")
        if role not in {r.value for r in Role}:
            raise InputError(f"role must be one of {[r.value for r in Role]}, got {role!r}.")
        taken = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        if taken is not None:
            raise InputError(f"a user named {username!r} exists; choose another name.")
        user = User(
            username=username,
            password_hash=self.hash(password),
            role=role,
            active=True,
            session_epoch=0,
        )
        session.add(user)
        session.flush()
        return user

    def hash(self, password: str) -> str:
        """The Argon2id hash of ``password`` (at most :data:`HASHING` at once)."""
        with self._hashing:
            return self.passwords.hash(password)

    def verify(self, session: Any, username: str, password: str) -> User | None:
        """The active user with this name and password, or None."""
        user = session.scalar(select(User).where(User.username == username))
        stored = user.password_hash if user is not None and user.active else self._dummy
        with self._hashing:
            ok = self.passwords.verify(stored, password)
        return user if ok and user is not None and user.active else None

    # ---------------------------------------------------------------- sessions
    def login(self, response: Response, user: User) -> str:
        """Set the session cookie of ``user`` on ``response``; return its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        value = self._signer.dumps({"u": user.id, "e": user.session_epoch, "c": csrf})
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.max_age,
            httponly=True,
            samesite="strict",
            secure=self.secure,
            path="/",
        )
        return csrf

    def logout(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", samesite="strict", secure=self.secure)

    def session_data(self, request: Request) -> dict[str, Any] | None:
        """The signed session of the request's cookie, or None."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def new_token(self, session: Any, user_id: int, label: str, days: float) -> str:
        """A new API token for ``user_id`` (shown once; only its SHA-256 is kept)."""
        token, digest = new_token()
        expires = now() + dt.timedelta(days=days)
        session.add(Token(user_id=user_id, label=label, digest=digest, expires_at=expires))
        return token

    # ---------------------------------------------------------------- dependencies
    def dependency(self, least: Role) -> Callable[..., Caller]:
        """A FastAPI dependency admitting callers with role ``least`` or higher."""
        bearer = HTTPBearer(auto_error=False, description="An API token (POST /api/tokens).")
        cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="The login session.")
        header = APIKeyHeader(
            name=CSRF_HEADER,
            auto_error=False,
            description="The session's CSRF token (GET /api/session), on every change.",
        )

        def caller(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
            _cookie: Annotated[str | None, Depends(cookie)],
            csrf: Annotated[str | None, Depends(header)],
        ) -> Caller:
            found = (
                self._by_token(credentials.credentials)
                if credentials is not None
                else self._by_cookie(request, csrf)
            )
            if not found.may(least):
                msg = f"{found.username} is a {found.role.value}; this needs a {least.value}."
                raise HTTPException(403, msg)
            return found

        return caller

    def _by_token(self, token: str) -> Caller:
        with self.store.session() as session:
            row = session.scalar(select(Token).where(Token.digest == token_digest(token)))
            expires = row.expires_at if row is not None else None
            if expires is not None and expires.tzinfo is None:
                expires = expires.replace(tzinfo=dt.UTC)
            if row is None or expires is None or expires < now():
                raise HTTPException(401, "token unknown or expired", {"WWW-Authenticate": "Bearer"})
            user = session.get(User, row.user_id)
            if user is None or not user.active:
                raise HTTPException(401, "account disabled")
            return Caller(user.id, user.username, Role(user.role), "token")

    def _by_cookie(self, request: Request, csrf: str | None) -> Caller:
        data = self.session_data(request)
        if data is None:
            raise HTTPException(401, "log in first")
        with self.store.session() as session:
            user = session.get(User, data.get("u"))
            if user is None or not user.active or user.session_epoch != data.get("e"):
                raise HTTPException(401, "your session has ended; log in again")
            found = Caller(user.id, user.username, Role(user.role), "cookie")
        if request.method not in SAFE_METHODS:
            check_origin(request)
            expected = str(data.get("c", ""))
            if not csrf or not hmac.compare_digest(csrf.encode(), expected.encode()):
                raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header (CSRF check)")
        return found


def check_origin(request: Request) -> None:
    """Refuse a change sent from another site: its ``Origin`` (when the browser sends one)
    must be this server's."""
    origin = request.headers.get("origin")
    if origin is None:  # not a browser, or a same-origin GET-like request
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise HTTPException(403, f"request from another site ({origin}) refused (CSRF check)")
