"""The routes under ``/api``: session, users, tokens, analyses, regions, scenarios, runs,
jobs, results and comparisons. Every route but the login and the health check needs a role
(:mod:`accessplan.web.auth`); bad input is answered 422 with the CLI's message, a missing
record 404, a change that would break another record 409, an upload over the limit 413.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.
import json
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response
from fastapi import UploadFile as Upload
from fastapi.responses import FileResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accessplan import __version__
from accessplan._errors import InputError
from accessplan.report.i18n import CATALOGUES
from accessplan.run import sha256
from accessplan.web import forms, jobs, results, scenarios, uploads
from accessplan.web.auth import Auth, Caller, check_origin
from accessplan.web.config import WebSettings
from accessplan.web.models import OPEN, InputFile, Job, Region, Role, Run, Scenario, Token, User
from accessplan.web.models import now as utcnow
from accessplan.web.schemas import (
    ERRORS,
    AnalysisSpec,
    CompareOut,
    CompareTableOut,
    ConfigOut,
    InputOut,
    JobOut,
    LayerInfo,
    Login,
    NewToken,
    NewTokenOut,
    NewUser,
    RasterInfo,
    RegionOut,
    RunOut,
    ScenarioIn,
    ScenarioOut,
    SessionOut,
    Step,
    SyntheticRegion,
    TableInfo,
    TableOut,
    TokenOut,
    UserChange,
    UserOut,
)
from accessplan.web.store import Store

GEOJSON = "application/geo+json"
#: What the region build from OpenStreetMap takes besides the extract, by form field.
OSM_FILES = ("dem", "population", "settlements", "facilities", "boundary", "tiers")
#: Media types of the files of a run folder.
MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gpkg": "application/geopackage+sqlite3",
    ".tif": "image/tiff",
}
#: The report is our own page, with no script: allow nothing else to run in it.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"


def _send(request: Request, data: bytes, media_type: str, **headers: str) -> Response:
    """``data`` as the answer, gzip-compressed (once, then from memory) when the client takes
    it: layers and tables are read many times by many users."""
    accepts = "gzip" in request.headers.get("accept-encoding", "")
    if accepts and len(data) > 2048:
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        data = results.gzipped(data)
    return Response(data, media_type=media_type, headers=headers)


def _attachment(name: str) -> str:
    """A Content-Disposition for a download named ``name`` (RFC 6266, UTF-8 names too)."""
    from urllib.parse import quote

    return f"attachment; filename*=utf-8''{quote(name)}"


def _where(values: list[str] | None) -> dict[str, str]:
    """``column:value`` filters as a dict."""
    out = {}
    for item in values or []:
        column, sep, value = item.partition(":")
        if not sep or not column:
            raise InputError(f"where must be column:value, got {item!r}.")
        out[column] = value
    return out


def router(store: Store, auth: Auth, settings: WebSettings) -> APIRouter:
    """The ``/api`` routes on ``store``."""
    api = APIRouter(prefix="/api", responses=ERRORS)
    Viewer = Annotated[Caller, Depends(auth.dependency(Role.VIEWER))]
    Planner = Annotated[Caller, Depends(auth.dependency(Role.PLANNER))]
    Admin = Annotated[Caller, Depends(auth.dependency(Role.ADMIN))]
    Where = Annotated[
        list[str] | None, Query(description="Filters column:value (repeat for several).")
    ]

    def db() -> Any:
        with store.session() as session:
            yield session

    # committed before the answer is sent: a client never reads what is not yet stored
    DB = Annotated[Session, Depends(db, scope="function")]

    # ------------------------------------------------------------------ helpers
    def job_out(job: Job | None) -> JobOut | None:
        return JobOut.model_validate(job) if job is not None else None

    def region_out(session: Session, region: Region) -> RegionOut:
        job = session.get(Job, region.job_id) if region.job_id else None
        return RegionOut(
            id=region.id,
            name=region.name,
            source=region.source,
            status="ready" if job is None or job.status == "done" else job.status,
            options=region.options,
            sha256=region.sha256,
            summary=region.summary,
            job=job_out(job),
            created_by=region.created_by,
            created_at=region.created_at,
        )

    def scenario_out(session: Session, scenario: Scenario) -> ScenarioOut:
        files = session.scalars(
            select(InputFile).where(InputFile.scenario_id == scenario.id).order_by(InputFile.name)
        ).all()
        return ScenarioOut(
            id=scenario.id,
            name=scenario.name,
            region_id=scenario.region_id,
            seed=scenario.seed,
            lang=scenario.lang,
            steps=[Step.model_validate(s) for s in scenario.steps],
            files=[InputOut.model_validate(f) for f in files],
            created_by=scenario.created_by,
            created_at=scenario.created_at,
            updated_at=scenario.updated_at,
        )

    def run_out(session: Session, run: Run) -> RunOut:
        job = session.get_one(Job, run.job_id)
        return RunOut(
            id=run.id,
            scenario_id=run.scenario_id,
            name=run.name,
            definition=run.definition,
            inputs=run.inputs,
            summary=run.summary,
            job=JobOut.model_validate(job),
            created_by=run.created_by,
            created_at=run.created_at,
        )

    def get(session: Session, model: Any, key: int, what: str) -> Any:
        found = session.get(model, key)
        if found is None:
            raise HTTPException(404, f"no {what} {key}")
        return found

    def finished_run(session: Session, run_id: int) -> Path:
        run = get(session, Run, run_id, "run")
        status = session.get_one(Job, run.job_id).status
        if status != "done":
            raise HTTPException(409, f"run {run_id} is {status}; its results are not there.")
        return store.run_dir(run_id)

    def ready_region(session: Session, region_id: int) -> Path:
        region = get(session, Region, region_id, "region")
        path = store.region_file(region.id)
        if not path.is_file():
            raise HTTPException(409, f"region {region_id} is not built yet.")
        return path

    def definition(scenario: Scenario) -> dict[str, Any]:
        return {
            "name": scenario.name,
            "seed": scenario.seed,
            "lang": scenario.lang,
            "region_id": scenario.region_id,
            "steps": scenario.steps,
        }

    def check_scenario(session: Session, body: ScenarioIn, scenario_id: int | None) -> None:
        if body.region_id is not None:
            ready_region(session, body.region_id)
        if not body.steps:  # a draft: files may be uploaded before the steps that read them
            return
        base = store.inputs_dir(scenario_id) if scenario_id else store.tmp_dir / "no-inputs"
        data = body.model_dump()
        data["steps"] = [s.model_dump(exclude_none=True) for s in body.steps]
        scenarios.check(store, data, base)

    # ------------------------------------------------------------------ session
    @api.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @api.get("/session", tags=["session"])
    def who(request: Request) -> SessionOut:
        data = auth.session_data(request)
        if data is None:
            return SessionOut(user=None, csrf=None)
        with store.session() as session:
            user = session.get(User, data.get("u"))
            if user is None or not user.active or user.session_epoch != data.get("e"):
                return SessionOut(user=None, csrf=None)
            return SessionOut(user=UserOut.model_validate(user), csrf=str(data.get("c")))

    @api.post("/session", tags=["session"])
    def login(body: Login, request: Request, response: Response) -> SessionOut:
        check_origin(request)
        if auth.throttle.locked(body.username):
            raise HTTPException(429, "too many failed logins for this user; wait a minute.")
        with store.session() as session:
            user = auth.verify(session, body.username, body.password)
            if user is None:
                auth.throttle.failed(body.username)
                raise HTTPException(401, "wrong username or password")
            auth.throttle.succeeded(body.username)
            csrf = auth.login(response, user)
            return SessionOut(user=UserOut.model_validate(user), csrf=csrf)

    @api.delete("/session", tags=["session"])
    def logout(me: Viewer, response: Response, session: DB) -> dict[str, str]:
        """Log out: every session of the user ends (the user's epoch moves)."""
        get(session, User, me.id, "user").session_epoch += 1
        auth.logout(response)
        return {"status": "logged out"}

    @api.get("/config", tags=["service"])
    def config(me: Viewer) -> ConfigOut:
        basemap = settings.basemap_dir
        style = "/basemap/style.json" if basemap and (basemap / "style.json").is_file() else None
        return ConfigOut(
            basemap=style,
            max_upload_bytes=settings.max_upload_bytes,
            languages=["en", "zh"],
            version=__version__,
        )

    # ------------------------------------------------------------------ users and tokens
    @api.get("/users", tags=["users"])
    def list_users(me: Admin, session: DB) -> list[UserOut]:
        users = session.scalars(select(User).order_by(User.username)).all()
        return [UserOut.model_validate(u) for u in users]

    @api.post("/users", status_code=201, tags=["users"])
    def add_user(body: NewUser, me: Admin, session: DB) -> UserOut:
        return UserOut.model_validate(
            auth.create_user(session, body.username, body.password, body.role)
        )

    @api.patch("/users/{user_id}", tags=["users"])
    def change_user(user_id: int, body: UserChange, me: Admin, session: DB) -> UserOut:
        user = get(session, User, user_id, "user")
        demoted = body.role not in (None, "admin") or body.active is False
        if user.role == "admin" and demoted:
            admins = session.scalars(
                select(User).where(User.role == "admin", User.active.is_(True))
            ).all()
            if len(admins) <= 1:
                raise HTTPException(409, "this is the last admin; make another admin first.")
        if body.role is not None:
            user.role = body.role
        if body.active is not None:
            user.active = body.active
        if body.password is not None:
            user.password_hash = auth.hash(body.password)
        if body.model_fields_set:
            user.session_epoch += 1  # what the user may do changed: log in again
        return UserOut.model_validate(user)

    @api.post("/tokens", status_code=201, tags=["users"])
    def add_token(body: NewToken, me: Viewer, session: DB) -> NewTokenOut:
        token = auth.new_token(session, me.id, body.label, body.days)
        session.flush()
        row = session.scalars(select(Token).where(Token.user_id == me.id).order_by(Token.id.desc()))
        return NewTokenOut(**TokenOut.model_validate(row.first()).model_dump(), token=token)

    @api.get("/tokens", tags=["users"])
    def list_tokens(me: Viewer, session: DB) -> list[TokenOut]:
        rows = session.scalars(select(Token).where(Token.user_id == me.id).order_by(Token.id))
        return [TokenOut.model_validate(t) for t in rows]

    @api.delete("/tokens/{token_id}", status_code=204, tags=["users"])
    def remove_token(token_id: int, me: Viewer, session: DB) -> Response:
        token = session.get(Token, token_id)
        if token is None or token.user_id != me.id:
            raise HTTPException(404, f"no token {token_id}")
        session.delete(token)
        return Response(status_code=204)

    # ------------------------------------------------------------------ analyses
    @api.get("/analyses", tags=["analyses"])
    def list_analyses(me: Viewer) -> list[AnalysisSpec]:
        """Every analysis kind and its options: the page builds its forms from these."""
        return [AnalysisSpec.model_validate(a) for a in forms.analyses()]

    @api.get("/labels/{lang}", tags=["analyses"])
    def labels(lang: str, me: Viewer) -> dict[str, str]:
        """The report's labels in ``en`` or ``zh`` (names of tiers, profiles, columns...)."""
        catalogue = CATALOGUES.get({"zh": "zh_CN"}.get(lang, lang))
        if catalogue is None:
            raise HTTPException(404, f"no labels for {lang!r}; choose en or zh.")
        return dict(catalogue)

    # ------------------------------------------------------------------ regions
    @api.get("/regions", tags=["regions"])
    def list_regions(me: Viewer, session: DB) -> list[RegionOut]:
        return [region_out(session, r) for r in session.scalars(select(Region).order_by(Region.id))]

    @api.get("/regions/{region_id}", tags=["regions"])
    def get_region(region_id: int, me: Viewer, session: DB) -> RegionOut:
        return region_out(session, get(session, Region, region_id, "region"))

    @api.post("/regions", status_code=201, tags=["regions"])
    def upload_region(
        me: Planner,
        session: DB,
        file: Annotated[Upload, File(description="A region GeoPackage (accessplan region build).")],
        name: Annotated[str, Form(max_length=200)] = "",
    ) -> RegionOut:
        """Upload a region file; it is checked as `accessplan region info` checks it and kept
        only when it passes."""
        with uploads.receiving(store.tmp_dir) as tmp:
            filename = uploads.safe_name(file.filename, allowed=(".gpkg",))
            path = uploads.save(file.file, tmp, filename, settings.max_upload_bytes)
            loaded = uploads.check_region(path)
            row = Region(
                name=name.strip() or loaded.name or Path(filename).stem,
                source="file",
                options={"file": filename},
                sha256=sha256(path),
                summary=_plain(loaded.summary()),
                created_by=me.username,
            )
            session.add(row)
            session.flush()
            store.region_dir(row.id).mkdir(parents=True, exist_ok=True)
            shutil.move(path, store.region_file(row.id))
        return region_out(session, row)

    @api.post("/regions/synthetic", status_code=202, tags=["regions"])
    def build_synthetic(body: SyntheticRegion, me: Planner, session: DB) -> RegionOut:
        """Build a synthetic county (accessplan.synth) from a seed, as a job."""
        job = jobs.enqueue(store, session, "region", me.username)
        row = Region(
            name=body.name.strip(),  # empty: the county's own name, once built
            source="synthetic",
            options={"synthetic": body.synthetic, "seed": body.seed},
            job_id=job.id,
            created_by=me.username,
        )
        session.add(row)
        session.flush()
        return region_out(session, row)

    @api.post("/regions/osm", status_code=202, tags=["regions"])
    def build_osm(
        me: Planner,
        session: DB,
        osm: Annotated[Upload, File(description="An OpenStreetMap extract (.osm.pbf).")],
        name: Annotated[str, Form(max_length=200)] = "",
        seed: Annotated[int, Form(ge=0, lt=2**32)] = 0,
        dem: Annotated[Upload | None, File()] = None,
        population: Annotated[Upload | None, File()] = None,
        settlements: Annotated[Upload | None, File()] = None,
        facilities: Annotated[Upload | None, File()] = None,
        boundary: Annotated[Upload | None, File()] = None,
        tiers: Annotated[Upload | None, File()] = None,
    ) -> RegionOut:
        """Build a region from an OpenStreetMap extract and optional DEM, population, ...,
        as `accessplan region build` does, as a job."""
        given = {"osm": osm, "dem": dem, "population": population}
        given |= {"settlements": settlements, "facilities": facilities}
        given |= {"boundary": boundary, "tiers": tiers}
        allowed = {
            "osm": (".osm.pbf", ".pbf", ".osm"),
            "dem": uploads.RASTERS,
            "population": (*uploads.TABLES, *uploads.RASTERS),
            "settlements": (*uploads.TABLES, *uploads.VECTORS),
            "facilities": (*uploads.TABLES, *uploads.VECTORS),
            "boundary": uploads.VECTORS,
            "tiers": uploads.TABLES,
        }
        with uploads.receiving(store.tmp_dir) as tmp:
            files: dict[str, str] = {}
            for key, upload in given.items():
                if upload is None:
                    continue
                filename = uploads.safe_name(upload.filename, allowed=allowed[key])
                if filename in files.values():
                    raise InputError(f"--{key}: {filename!r} is given twice; name each file once.")
                path = uploads.save(upload.file, tmp, filename, settings.max_upload_bytes)
                uploads.check_file(path, f"--{key}")
                files[key] = filename
            job = jobs.enqueue(store, session, "region", me.username)
            row = Region(
                name=name.strip() or Path(files["osm"]).name.split(".")[0],
                source="osm",
                options={"files": files, "seed": seed},
                job_id=job.id,
                created_by=me.username,
            )
            session.add(row)
            session.flush()
            target = store.region_dir(row.id) / "sources"
            target.mkdir(parents=True, exist_ok=True)
            for filename in files.values():
                shutil.move(tmp / filename, target / filename)
        return region_out(session, row)

    @api.delete("/regions/{region_id}", status_code=204, tags=["regions"])
    def remove_region(region_id: int, me: Planner, session: DB) -> Response:
        region = get(session, Region, region_id, "region")
        used = session.scalars(select(Scenario.name).where(Scenario.region_id == region_id)).all()
        if used:
            raise HTTPException(409, f"scenarios {list(used)} use this region; change them first.")
        job = session.get(Job, region.job_id) if region.job_id else None
        if job is not None and job.status in OPEN:
            raise HTTPException(409, "the region is being built; cancel its job first.")
        session.delete(region)
        session.flush()  # the region first: it points to its job
        if job is not None:
            session.delete(job)
            session.flush()
        shutil.rmtree(store.region_dir(region_id), ignore_errors=True)
        return Response(status_code=204)

    @api.get("/regions/{region_id}/layers", tags=["regions"])
    def region_layers(region_id: int, me: Viewer, session: DB) -> list[LayerInfo]:
        """The region's own map layers (settlements, facilities, roads)."""
        gpkg = ready_region(session, region_id)
        return [LayerInfo.model_validate(x) for x in results.layers(gpkg)]

    @api.get(
        "/regions/{region_id}/layers/{layer}",
        tags=["regions"],
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}}},
    )
    def region_layer(
        region_id: int, layer: str, request: Request, me: Viewer, session: DB
    ) -> Response:
        gpkg = ready_region(session, region_id)
        return _send(request, results.geojson(gpkg, layer), GEOJSON)

    # ------------------------------------------------------------------ scenarios
    @api.get("/scenarios", tags=["scenarios"])
    def list_scenarios(me: Viewer, session: DB) -> list[ScenarioOut]:
        rows = session.scalars(select(Scenario).order_by(Scenario.id))
        return [scenario_out(session, s) for s in rows]

    @api.get("/scenarios/{scenario_id}", tags=["scenarios"])
    def get_scenario(scenario_id: int, me: Viewer, session: DB) -> ScenarioOut:
        return scenario_out(session, get(session, Scenario, scenario_id, "scenario"))

    @api.post("/scenarios", status_code=201, tags=["scenarios"])
    def add_scenario(body: ScenarioIn, me: Planner, session: DB) -> ScenarioOut:
        """A new scenario, checked as `accessplan run` checks a scenario file (a scenario
        without steps is kept as a draft, to upload its files first)."""
        check_scenario(session, body, None)
        row = Scenario(
            name=body.name,
            region_id=body.region_id,
            seed=body.seed,
            lang=body.lang,
            steps=[s.model_dump(exclude_none=True) for s in body.steps],
            created_by=me.username,
        )
        session.add(row)
        session.flush()
        return scenario_out(session, row)

    @api.put("/scenarios/{scenario_id}", tags=["scenarios"])
    def change_scenario(
        scenario_id: int, body: ScenarioIn, me: Planner, session: DB
    ) -> ScenarioOut:
        row = get(session, Scenario, scenario_id, "scenario")
        check_scenario(session, body, scenario_id)
        row.name, row.region_id, row.seed = body.name, body.region_id, body.seed
        row.lang = body.lang
        row.steps = [s.model_dump(exclude_none=True) for s in body.steps]
        row.updated_at = utcnow()
        return scenario_out(session, row)

    @api.delete("/scenarios/{scenario_id}", status_code=204, tags=["scenarios"])
    def remove_scenario(scenario_id: int, me: Planner, session: DB) -> Response:
        """Delete a scenario with its files and its runs (refused while one of them runs)."""
        get(session, Scenario, scenario_id, "scenario")
        runs = session.scalars(select(Run).where(Run.scenario_id == scenario_id)).all()
        job_ids = [r.job_id for r in runs]
        busy = session.scalars(select(Job.id).where(Job.id.in_(job_ids), Job.status.in_(OPEN)))
        if busy.first() is not None:
            raise HTTPException(409, "a run of this scenario is queued or running; cancel it.")
        session.execute(delete(Run).where(Run.scenario_id == scenario_id))
        session.execute(delete(Job).where(Job.id.in_(job_ids)))
        session.execute(delete(InputFile).where(InputFile.scenario_id == scenario_id))
        session.execute(delete(Scenario).where(Scenario.id == scenario_id))
        session.flush()
        for run in runs:
            _remove_run_files(store, run.id)
        shutil.rmtree(store.inputs_dir(scenario_id), ignore_errors=True)
        return Response(status_code=204)

    @api.post("/scenarios/{scenario_id}/files", status_code=201, tags=["scenarios"])
    def upload_input(
        scenario_id: int,
        me: Planner,
        session: DB,
        file: Annotated[Upload, File(description="An input file of a step (DEM, table...).")],
    ) -> InputOut:
        """Add or replace an input file; steps name it by its file name."""
        get(session, Scenario, scenario_id, "scenario")
        with uploads.receiving(store.tmp_dir) as tmp:
            filename = uploads.safe_name(file.filename)
            path = uploads.save(file.file, tmp, filename, settings.max_upload_bytes)
            uploads.check_file(path, "the uploaded file")
            row = session.scalar(
                select(InputFile).where(
                    InputFile.scenario_id == scenario_id, InputFile.name == filename
                )
            )
            if row is None:
                row = InputFile(scenario_id=scenario_id, name=filename)
                session.add(row)
            row.size, row.sha256 = path.stat().st_size, sha256(path)
            row.uploaded_by, row.uploaded_at = me.username, utcnow()
            session.flush()
            folder = store.inputs_dir(scenario_id)
            folder.mkdir(parents=True, exist_ok=True)
            path.replace(folder / filename)  # a new file: runs keep their own links
        return InputOut.model_validate(row)

    @api.delete("/scenarios/{scenario_id}/files/{name}", status_code=204, tags=["scenarios"])
    def remove_input(scenario_id: int, name: str, me: Planner, session: DB) -> Response:
        row = session.scalar(
            select(InputFile).where(InputFile.scenario_id == scenario_id, InputFile.name == name)
        )
        if row is None:
            raise HTTPException(404, f"no file {name!r} in scenario {scenario_id}")
        session.delete(row)
        session.flush()
        (store.inputs_dir(scenario_id) / row.name).unlink(missing_ok=True)
        return Response(status_code=204)

    @api.post("/scenarios/{scenario_id}/runs", status_code=202, tags=["runs"])
    def start_run(scenario_id: int, me: Planner, session: DB) -> RunOut:
        """Run the scenario as a background job; its run folder is what `accessplan run`
        writes. Poll GET /api/runs/{id} (or /api/jobs/{id}) for its progress."""
        scenario = get(session, Scenario, scenario_id, "scenario")
        spec = definition(scenario)
        checked = scenarios.check(store, spec, store.inputs_dir(scenario_id))
        job = jobs.enqueue(store, session, "run", me.username)
        run = Run(
            scenario_id=scenario_id,
            name=scenario.name,
            definition=spec,
            job_id=job.id,
            created_by=me.username,
        )
        session.add(run)
        session.flush()
        target = store.run_inputs_dir(run.id)
        try:
            scenarios.snapshot(store.inputs_dir(scenario_id), target)
            run.inputs = {
                key: sha256(target / path.name)
                for key, path in checked.files().items()
                if key != "region.path"
            }
            session.flush()
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return run_out(session, run)

    # ------------------------------------------------------------------ runs and jobs
    @api.get("/runs", tags=["runs"])
    def list_runs(me: Viewer, session: DB, scenario_id: int | None = None) -> list[RunOut]:
        query = select(Run).order_by(Run.id.desc())
        if scenario_id is not None:
            query = query.where(Run.scenario_id == scenario_id)
        return [run_out(session, r) for r in session.scalars(query)]

    @api.get("/runs/{run_id}", tags=["runs"])
    def get_run(run_id: int, me: Viewer, session: DB) -> RunOut:
        return run_out(session, get(session, Run, run_id, "run"))

    @api.delete("/runs/{run_id}", status_code=204, tags=["runs"])
    def remove_run(run_id: int, me: Planner, session: DB) -> Response:
        run = get(session, Run, run_id, "run")
        job = session.get_one(Job, run.job_id)
        if job.status in OPEN:
            raise HTTPException(409, f"run {run_id} is {job.status}; cancel it first.")
        session.delete(run)
        session.flush()  # the run first: it points to its job
        session.delete(job)
        session.flush()
        _remove_run_files(store, run_id)
        return Response(status_code=204)

    @api.get("/jobs", tags=["runs"])
    def list_jobs(
        me: Viewer, session: DB, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> list[JobOut]:
        rows = session.scalars(select(Job).order_by(Job.id.desc()).limit(limit))
        return [JobOut.model_validate(j) for j in rows]

    @api.get("/jobs/{job_id}", tags=["runs"])
    def get_job(job_id: int, me: Viewer, session: DB) -> JobOut:
        return JobOut.model_validate(get(session, Job, job_id, "job"))

    @api.post("/jobs/{job_id}/cancel", tags=["runs"])
    def cancel_job(job_id: int, me: Planner, session: DB) -> JobOut:
        """Cancel a queued job at once, a running one as soon as its worker is stopped."""
        job = get(session, Job, job_id, "job")
        if job.status not in OPEN:
            raise HTTPException(409, f"job {job_id} is {job.status} already.")
        if job.status == "queued":
            job.status, job.error, job.finished_at = "cancelled", "cancelled", utcnow()
        else:
            job.cancel_requested = True
        return JobOut.model_validate(job)

    # ------------------------------------------------------------------ results
    @api.get("/runs/{run_id}/layers", tags=["results"])
    def run_layers(run_id: int, me: Viewer, session: DB) -> list[LayerInfo]:
        folder = finished_run(session, run_id)
        return [LayerInfo.model_validate(x) for x in results.layers(folder / "results.gpkg")]

    @api.get(
        "/runs/{run_id}/layers/{layer}",
        tags=["results"],
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}}},
    )
    def run_layer(run_id: int, layer: str, request: Request, me: Viewer, session: DB) -> Response:
        """A layer of the run's results.gpkg as GeoJSON (EPSG:4326)."""
        folder = finished_run(session, run_id)
        return _send(request, results.geojson(folder / "results.gpkg", layer), GEOJSON)

    @api.get("/runs/{run_id}/rasters", tags=["results"])
    def run_rasters(run_id: int, me: Viewer, session: DB) -> list[RasterInfo]:
        """The run's rasters (GeoTIFFs) as the map draws them: corners and legend."""
        folder = finished_run(session, run_id)
        return [RasterInfo.model_validate(x) for x in results.rasters(folder)]

    @api.get(
        "/runs/{run_id}/raster/{name:path}",
        tags=["results"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}},
    )
    def run_raster(run_id: int, name: str, me: Viewer, session: DB) -> Response:
        """A raster of the run coloured as its legend says, a PNG in Web Mercator."""
        if not name.endswith(".tif"):
            raise HTTPException(404, f"no raster {name!r}")
        path = results.listed(finished_run(session, run_id), name)
        return Response(results.raster_png(path), media_type="image/png")

    @api.get("/runs/{run_id}/tables", tags=["results"])
    def run_tables(run_id: int, me: Viewer, session: DB) -> list[TableInfo]:
        return [TableInfo.model_validate(t) for t in results.tables(finished_run(session, run_id))]

    @api.get("/runs/{run_id}/table", tags=["results"])
    def run_table(
        run_id: int,
        name: str,
        me: Viewer,
        session: DB,
        where: Where = None,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=results.MAX_ROWS)] = results.MAX_ROWS,
    ) -> TableOut:
        """Rows of one CSV table of the run (``name`` as GET .../tables lists it)."""
        folder = finished_run(session, run_id)
        if not name.endswith(".csv"):
            raise HTTPException(404, f"no table {name!r}")
        path = results.listed(folder, name)
        return TableOut.model_validate(
            results.table(path, where=_where(where), offset=offset, limit=limit)
        )

    @api.get(
        "/runs/{run_id}/files/{name:path}",
        tags=["results"],
        response_class=FileResponse,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    def run_file(run_id: int, name: str, request: Request, me: Viewer, session: DB) -> Response:
        """A file of the run folder, as its manifest lists it: a table's CSV, tables.xlsx,
        results.gpkg, report.html, manifest.json, a raster."""
        path = results.listed(finished_run(session, run_id), name)
        headers = {"X-Content-Type-Options": "nosniff"}
        media = MEDIA.get(path.suffix.lower(), "application/octet-stream")
        if path.suffix == ".html":
            headers["Content-Security-Policy"] = REPORT_CSP
        else:
            headers["Content-Disposition"] = _attachment(path.name)
        text = results.text_file(path)
        if text is not None:
            return _send(request, text, media, **headers)
        return FileResponse(path, media_type=media, headers=headers)

    @api.get("/runs/{run_id}/report", tags=["results"], response_class=Response)
    def run_report(run_id: int, request: Request, me: Viewer, session: DB) -> Response:
        """The run's report (report.html), shown in the browser."""
        return run_file(run_id, "report.html", request, me, session)

    @api.get("/compare", tags=["results"])
    def compare(a: int, b: int, me: Viewer, session: DB) -> CompareOut:
        """Two runs side by side: every key figure of their steps with A, B and B - A, and
        the tables both hold (GET /api/compare/table for one of them)."""
        one, two = finished_run(session, a), finished_run(session, b)
        return CompareOut(
            a=run_out(session, session.get_one(Run, a)),
            b=run_out(session, session.get_one(Run, b)),
            summary=results.compare_summaries(one, two),  # type: ignore[arg-type]
            tables=results.common_tables(one, two),
        )

    @api.get("/compare/table", tags=["results"])
    def compare_table(
        a: int, b: int, name: str, me: Viewer, session: DB, where: Where = None
    ) -> CompareTableOut:
        """One table of two runs, rows matched on their key columns, numbers as A, B, B - A."""
        one, two = finished_run(session, a), finished_run(session, b)
        if not name.endswith(".csv"):
            raise HTTPException(404, f"no table {name!r}")
        left, right = results.listed(one, name), results.listed(two, name)
        return CompareTableOut.model_validate(
            results.compare_table(left, right, where=_where(where))
        )

    return api


def _remove_run_files(store: Store, run_id: int) -> None:
    shutil.rmtree(store.run_dir(run_id), ignore_errors=True)
    shutil.rmtree(store.run_inputs_dir(run_id), ignore_errors=True)


def _plain(value: Any) -> Any:
    """``value`` made JSON-plain (numpy numbers, paths as text)."""
    return json.loads(json.dumps(value, default=str))
