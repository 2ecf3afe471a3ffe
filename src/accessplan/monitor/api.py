"""The monitor over HTTP: a FastAPI router for the web app to mount.

``router(database)`` returns an ``APIRouter``; mount it with
``app.include_router(router(database), prefix="/monitor")``. Authentication: ``POST /token``
with a username and password (Argon2id-hashed in the database) returns a bearer token valid
for ``token_hours``; every other route needs ``Authorization: Bearer <token>``. Each route
hands the authenticated user to the library as an :class:`~accessplan.monitor.scope.Actor`,
and the library applies the role and area scope: a record outside the user's area is
answered 404 (as if it did not exist), a forbidden action 403, bad input 422, a move the
workflow refuses (illegal, or too early) 409.

Routes: ``GET /households``, ``GET /households/{id}``, ``PATCH /households/{id}``,
``GET /households/{id}/contacts`` (decrypted phones; not for auditors),
``POST /imports/claims`` (CSV body), ``POST /evaluate``, ``GET /warnings``, ``GET /cases``,
``POST /cases``, ``POST /cases/{id}/transitions``, ``POST /cases/{id}/assistance``,
``POST /cases/{id}/work``, ``GET /notices/{village}``, ``GET /audit``.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations, and
# ``Me`` is local to router().
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from accessplan._errors import InputError, require

require("fastapi", "monitor")

from fastapi import APIRouter, Depends, HTTPException, Request  # noqa: E402
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from accessplan.monitor import notice, register, rules, scope, workflow  # noqa: E402
from accessplan.monitor.claims import import_claims  # noqa: E402
from accessplan.monitor.db import Database  # noqa: E402
from accessplan.monitor.models import ApiToken, AuditEntry, Member, Role, User  # noqa: E402
from accessplan.monitor.security import Passwords, new_token, token_digest  # noqa: E402


class Login(BaseModel):
    username: str
    password: str


class HouseholdChange(BaseModel):
    category: str | None = None
    weight: float | None = None
    head_name: str | None = None


class NewCase(BaseModel):
    household_id: int
    source: str
    on: dt.date
    warning_id: int | None = None
    note: str = ""


class Move(BaseModel):
    to: str
    on: dt.date
    note: str = ""


class Measure(BaseModel):
    kind: str
    on: dt.date
    amount: float | None = None
    note: str = ""


class Work(BaseModel):
    action: str = Field(max_length=40)
    on: dt.date
    note: str = ""


class EvaluateRequest(BaseModel):
    as_of: dt.date
    province: str | None = None
    year: int | None = None


def _records(frame: Any) -> list[dict[str, Any]]:
    return list(json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)))


def router(
    database: Database,
    *,
    passwords: Passwords | None = None,
    token_hours: float = 8.0,
    today: Callable[[], dt.date] = dt.date.today,
) -> APIRouter:
    """The monitor's routes on ``database`` (see the module docstring)."""
    hasher = passwords or Passwords()
    # Verified when the username is unknown, so that the answer takes as long as for a user.
    dummy = hasher.hash("no one's password")
    bearer = HTTPBearer(auto_error=False)
    api = APIRouter(tags=["monitor"])

    def current(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> scope.Actor:
        if credentials is None:
            raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
        with database.reader() as session:
            token = session.scalar(
                select(ApiToken).where(ApiToken.digest == token_digest(credentials.credentials))
            )
            expires = token.expires_at if token else None
            if expires is not None and expires.tzinfo is None:
                expires = expires.replace(tzinfo=dt.UTC)
            if token is None or expires is None or expires < dt.datetime.now(dt.UTC):
                raise HTTPException(401, "token unknown or expired", {"WWW-Authenticate": "Bearer"})
            user = session.get(User, token.user_id)
            if user is None or not user.active:
                raise HTTPException(401, "account disabled")
            return register.actor(session, user.username)

    Me = Annotated[scope.Actor, Depends(current)]

    def run(actor: scope.Actor, action: Callable[[Session], Any]) -> Any:
        """Run ``action`` in a transaction as ``actor``, errors as HTTP answers."""
        try:
            with database.session(actor.username) as session:
                return action(session)
        except scope.NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except scope.Forbidden as exc:
            raise HTTPException(403, str(exc)) from None
        except (workflow.IllegalTransition, workflow.TooEarly) as exc:
            raise HTTPException(409, str(exc)) from None
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None

    @api.post("/token")
    def login(body: Login) -> dict[str, str]:
        with database.reader() as session:
            user = session.scalar(select(User).where(User.username == body.username))
            stored = user.password_hash if user and user.active else dummy
            ok = hasher.verify(stored, body.password) and user is not None and user.active
            if not ok or user is None:
                raise HTTPException(401, "wrong username or password")
            user_id = user.id
        token, digest = new_token()
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=token_hours)
        with database.session(body.username) as session:
            session.add(ApiToken(user_id=user_id, digest=digest, expires_at=expires))
        return {"access_token": token, "token_type": "bearer", "expires_at": expires.isoformat()}

    @api.get("/households")
    def list_households(me: Me, village: str | None = None) -> list[dict[str, Any]]:
        return _records(run(me, lambda s: register.households(s, me, village=village)))

    @api.get("/households/{household_id}")
    def get_household(me: Me, household_id: int) -> dict[str, Any]:
        def read(session: Session) -> dict[str, Any]:
            found = register.household(session, me, household_id)
            members = session.scalars(select(Member).where(Member.household_id == found.id))
            return {
                "id": found.id,
                "ref": found.ref,
                "area_code": found.area_code,
                "category": found.category,
                "size": found.size,
                "weight": found.weight,
                "income_per_person": found.income_per_person,
                "head_name": found.head_name,
                "members": [
                    {"id": m.id, "name": m.name, "relation": m.relation, "birth_year": m.birth_year}
                    for m in members
                ],
            }

        return dict(run(me, read))

    @api.get("/households/{household_id}/contacts")
    def contacts(me: Me, household_id: int) -> list[dict[str, Any]]:
        keyring = database.keyring()

        def read(session: Session) -> list[dict[str, Any]]:
            found = register.household(session, me, household_id)
            scope.require(me, write=True)
            members = session.scalars(select(Member).where(Member.household_id == found.id))
            return [
                {
                    "member_id": m.id,
                    "name": m.name,
                    "phone": keyring.decrypt(m.phone_enc, purpose="phone") if m.phone_enc else None,
                }
                for m in members
            ]

        return list(run(me, read))

    @api.patch("/households/{household_id}")
    def change_household(me: Me, household_id: int, body: HouseholdChange) -> dict[str, Any]:
        changes = body.model_dump(exclude_none=True)

        def change(session: Session) -> dict[str, Any]:
            found = register.update_household(session, me, household_id, changes)
            return {"id": found.id, **{k: getattr(found, k) for k in register.EDITABLE}}

        return dict(run(me, change))

    @api.post("/imports/claims")
    async def claims_import(
        me: Me,
        request: Request,
        on_error: Literal["skip", "abort"] = "skip",
        filename: str = "claims.csv",
    ) -> dict[str, Any]:
        body = await request.body()
        name = Path(filename).name or "claims.csv"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(body)
            try:
                report = import_claims(database, path, me, on_error=on_error, today=today())
            except scope.Forbidden as exc:
                raise HTTPException(403, str(exc)) from None
            except InputError as exc:
                detail: Any = str(exc)
                rejects = getattr(exc, "rejects", None)
                if rejects is not None:
                    detail = {"message": str(exc), "rejects": rejects}
                raise HTTPException(422, detail) from None
        return {**report.summary(), "rejects": report.rejects}

    @api.post("/evaluate")
    def run_evaluation(me: Me, body: EvaluateRequest) -> dict[str, Any]:
        try:
            result = rules.evaluate(
                database, me, as_of=body.as_of, province=body.province, year=body.year
            )
        except scope.Forbidden as exc:
            raise HTTPException(403, str(exc)) from None
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        return result.summary()

    @api.get("/warnings")
    def list_warnings(me: Me, year: int | None = None) -> list[dict[str, Any]]:
        return _records(run(me, lambda s: rules.warnings(s, me, year=year)))

    @api.get("/cases")
    def list_cases(me: Me) -> list[dict[str, Any]]:
        return _records(run(me, lambda s: workflow.cases(s, me, today=today())))

    @api.post("/cases", status_code=201)
    def new_case(me: Me, body: NewCase) -> dict[str, Any]:
        def make(session: Session) -> dict[str, Any]:
            case = workflow.open_case(
                session,
                me,
                body.household_id,
                source=body.source,
                on=body.on,
                warning_id=body.warning_id,
                note=body.note,
            )
            return {"id": case.id, "state": case.state}

        return dict(run(me, make))

    @api.post("/cases/{case_id}/transitions")
    def move(me: Me, case_id: int, body: Move) -> dict[str, Any]:
        def act(session: Session) -> dict[str, Any]:
            case = workflow.advance(session, me, case_id, body.to, on=body.on, note=body.note)
            return {"id": case.id, "state": case.state}

        return dict(run(me, act))

    @api.post("/cases/{case_id}/assistance", status_code=201)
    def assist(me: Me, case_id: int, body: Measure) -> dict[str, Any]:
        def act(session: Session) -> dict[str, Any]:
            measure = workflow.add_assistance(
                session, me, case_id, kind=body.kind, on=body.on, amount=body.amount, note=body.note
            )
            return {"id": measure.id, "kind": measure.kind}

        return dict(run(me, act))

    @api.post("/cases/{case_id}/work", status_code=201)
    def log_work(me: Me, case_id: int, body: Work) -> dict[str, Any]:
        def act(session: Session) -> dict[str, Any]:
            entry = workflow.record_work(
                session, me, case_id, action=body.action, on=body.on, note=body.note
            )
            return {"id": entry.id}

        return dict(run(me, act))

    @api.get("/notices/{village}")
    def village_notice(me: Me, village: str) -> list[dict[str, Any]]:
        return _records(run(me, lambda s: notice.notice_list(s, me, village)))

    @api.get("/audit")
    def audit(me: Me, limit: int = 200, table: str | None = None) -> list[dict[str, Any]]:
        def read(session: Session) -> list[dict[str, Any]]:
            scope.require(me, roles=(Role.AUDITOR, Role.COUNTY_ADMIN))
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(limit, 5_000))
            if table:
                query = query.where(AuditEntry.table_name == table)
            return [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "table": e.table_name,
                    "row_id": e.row_id,
                    "before": e.before,
                    "after": e.after,
                }
                for e in session.scalars(query)
            ]

        return list(run(me, read))

    return api
