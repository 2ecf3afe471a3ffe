"""The API's request and response bodies (pydantic): what the OpenAPI schema documents."""

# No ``from __future__ import annotations``: pydantic reads these annotations at run time.
import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(value: dt.datetime) -> dt.datetime:
    """A time in UTC (SQLite gives stored times back without their zone)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


Time = Annotated[dt.datetime, AfterValidator(_utc)]
RoleName = Literal["viewer", "planner", "admin"]
Lang = Literal["en", "zh"]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: RoleName
    active: bool


class SessionOut(BaseModel):
    user: UserOut | None
    csrf: str | None = Field(description="Send it as X-CSRF-Token with every change.")


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=8, max_length=200)
    role: RoleName


class UserChange(BaseModel):
    role: RoleName | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class NewToken(BaseModel):
    label: str = Field(default="", max_length=100)
    days: float = Field(default=30.0, gt=0, le=366)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    created_at: Time
    expires_at: Time


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once: send it as Authorization: Bearer <token>.")


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    stage: str
    progress: float
    error: str | None
    created_by: str
    created_at: Time
    started_at: Time | None
    finished_at: Time | None


class RegionOut(BaseModel):
    id: int
    name: str
    source: str
    status: str = Field(description="ready, or the status of the job building it.")
    options: dict[str, Any]
    sha256: str | None
    summary: dict[str, Any] | None
    job: JobOut | None
    created_by: str
    created_at: Time


class SyntheticRegion(BaseModel):
    name: str = Field(default="", max_length=200)
    synthetic: Literal["mountain_county"] = "mountain_county"
    seed: int = Field(default=0, ge=0, lt=2**32)


class Step(BaseModel):
    kind: str = Field(max_length=40, description="An analysis kind (GET /api/analyses).")
    name: str | None = Field(default=None, max_length=31)
    options: dict[str, Any] = Field(
        default_factory=dict, description="Options by scenario key, as in a scenario file."
    )


class ScenarioIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    region_id: int | None = None
    seed: int = Field(default=0, ge=0, lt=2**32)
    lang: Lang = "en"
    steps: list[Step] = Field(default_factory=list, max_length=20)


class InputOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: Time


class ScenarioOut(BaseModel):
    id: int
    name: str
    region_id: int | None
    seed: int
    lang: str
    steps: list[Step]
    files: list[InputOut]
    created_by: str
    created_at: Time
    updated_at: Time


class RunOut(BaseModel):
    id: int
    scenario_id: int | None
    name: str
    definition: dict[str, Any]
    inputs: dict[str, str] = Field(description="SHA-256 of every input, by key.")
    summary: list[dict[str, Any]] | None
    job: JobOut
    created_by: str
    created_at: Time


class OptionSpec(BaseModel):
    key: str
    flag: str
    required: bool
    input: str
    choices: list[str] | None


class AnalysisSpec(BaseModel):
    kind: str
    needs_region: bool
    options: list[OptionSpec]


class LayerInfo(BaseModel):
    name: str
    geometry: str
    features: int
    columns: list[str]


class RasterInfo(BaseModel):
    name: str = Field(description="The GeoTIFF of the run folder.")
    units: str
    corners: list[list[float]] = Field(
        description="Longitude and latitude of the image's top left, top right, bottom right "
        "and bottom left corners (GET .../rasters/{name}.png)."
    )
    legend: list[dict[str, Any]]


class TableInfo(BaseModel):
    name: str
    step: str
    table: str


class TableOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    total: int
    offset: int
    choices: dict[str, list[str]]


class SummaryRow(BaseModel):
    step: str
    kind: str | None
    key: str
    a: Any
    b: Any
    diff: float | None


class CompareOut(BaseModel):
    a: RunOut
    b: RunOut
    summary: list[SummaryRow]
    tables: list[str]


class CompareTableOut(BaseModel):
    keys: list[str]
    values: list[str]
    columns: list[str]
    rows: list[list[Any]]
    total: int


class ConfigOut(BaseModel):
    basemap: str | None
    max_upload_bytes: int
    languages: list[str]
    version: str


class Problem(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What is wrong and how to fix it (the CLI's message), or the fields a "
        "request got wrong."
    )


#: The answers any route may give besides its own.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A body that cannot be read (not JSON, not UTF-8)."},
    401: {"model": Problem, "description": "Not logged in, or the session or token ended."},
    403: {"model": Problem, "description": "The role does not allow it, or the CSRF check."},
    404: {"model": Problem, "description": "No such record or file."},
    409: {"model": Problem, "description": "Not now: a job is open, or a record is in use."},
    413: {"model": Problem, "description": "Larger than the upload limit."},
    422: {"model": Problem, "description": "Bad input; the message says what and how to fix."},
    429: {"model": Problem, "description": "Too many failed logins for this name."},
}
