"""The monitor's tests run on SQLite and on PostgreSQL alike: one parametrised fixture.

PostgreSQL is the server at ``ACCESSPLAN_TEST_POSTGRES`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test session makes a fresh schema
there (``monitor_<pid>_<random>``), migrates it once, and drops it at the end; each test starts
from empty tables. Without a server the PostgreSQL half skips on a developer's machine and
fails in CI (``CI=true``), where the Makefile starts the server first.

A tiny county: province 53 > city 5301 > county 530102 > townships 530102001 (villages
530102001001 "East", 530102001002 "West") and 530102002 (village 530102002001 "Hill").
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from accessplan.monitor.db import Database
from accessplan.monitor.models import Base, Role
from accessplan.monitor.register import actor, create_user, load_areas
from accessplan.monitor.scope import Actor
from accessplan.monitor.security import Keyring, Passwords
from tests.conftest import absent

POSTGRES = os.environ.get(
    "ACCESSPLAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: A fixed test key (never a real one).
KEY = Keyring(bytes(range(32)))
#: Cheap Argon2 settings so that logins in tests take milliseconds.
FAST = Passwords(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"

AREAS = pd.DataFrame(
    [
        ("53", "Province", "province", ""),
        ("5301", "City", "city", "53"),
        ("530102", "County", "county", "5301"),
        ("530102001", "Riverside", "township", "530102"),
        ("530102002", "Uplands", "township", "530102"),
        ("530102001001", "East", "village", "530102001"),
        ("530102001002", "West", "village", "530102001"),
        ("530102002001", "Hill", "village", "530102002"),
    ],
    columns=["code", "name", "level", "parent"],
)
EAST, WEST, HILL = "530102001001", "530102001002", "530102002001"
USERS = {
    "admin": (Role.COUNTY_ADMIN, "530102"),
    "riverside": (Role.TOWNSHIP_OFFICER, "530102001"),
    "east": (Role.VILLAGE_WORKER, EAST),
    "west": (Role.VILLAGE_WORKER, WEST),
    "auditor": (Role.AUDITOR, "530102"),
}

# GB 11643-1999's check: weights 2^(17-i) mod 11, typed out; remainder -> check character.
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


def id_number(n: int, *, born: str = "19800101", area: str = "530102") -> str:
    """A valid identity number, different for each ``n`` (sequence code)."""
    body = f"{area}{born}{n % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated empty database per backend for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('monitor') / 'monitor.db'}"
        Database(url).upgrade()
        yield url
        return
    schema = f"monitor_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any failure to reach the server
        admin.dispose()
        absent(f"PostgreSQL at {POSTGRES} is not reachable ({type(exc).__name__})")
    url = make_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    database = Database(rendered)
    database.upgrade()
    database.dispose()
    try:
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The session's database emptied, with the tiny county's areas and users."""
    db = Database(database_url, keyring=KEY)
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    with db.session("setup") as session:
        load_areas(session, AREAS)
        for name, (role, area) in USERS.items():
            create_user(session, name, PASSWORD, role, area, passwords=FAST)
    yield db
    db.dispose()


@pytest.fixture
def actors(database: Database) -> dict[str, Actor]:
    with database.reader() as session:
        return {name: actor(session, name) for name in USERS}


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


#: The register of the tests: four households, seven people, with phones, accounts.
REGISTER = [
    # household E1 in East: formerly poor, three members
    dict(household_ref="E1", village_code=EAST, category="formerly_poor_unstable",
         id_number=id_number(1), name="张伟", relation="head", phone="13800000001",
         bank_account="6222020000000000001", weight="1"),
    dict(household_ref="E1", village_code=EAST, category="formerly_poor_unstable",
         id_number=id_number(2, born="19821212"), name="李娜", relation="spouse",
         phone="13800000002", bank_account="", weight="1"),
    dict(household_ref="E1", village_code=EAST, category="formerly_poor_unstable",
         id_number=id_number(3, born="20100505"), name="张小明", relation="child", phone="",
         bank_account="", weight="1"),
    # household E2 in East: marginal, one member
    dict(household_ref="E2", village_code=EAST, category="marginal_at_risk",
         id_number=id_number(4, born="19500303"), name="王芳", relation="head",
         phone="13900000004", bank_account="6222020000000000004", weight="1"),
    # household W1 in West: ordinary, two members
    dict(household_ref="W1", village_code=WEST, category="ordinary",
         id_number=id_number(5, born="19700707"), name="刘洋", relation="head",
         phone="13700000005", bank_account="6222020000000000005", weight="1"),
    dict(household_ref="W1", village_code=WEST, category="ordinary",
         id_number=id_number(6, born="19720808"), name="陈静", relation="spouse",
         phone="", bank_account="", weight="1"),
    # household H1 in Hill: sudden difficulty, one member
    dict(household_ref="H1", village_code=HILL, category="sudden_difficulty",
         id_number=id_number(7, born="19650606"), name="赵强", relation="head",
         phone="13600000007", bank_account="6222020000000000007", weight="1"),
]  # fmt: skip


def claim(
    n: int, member: int, date: str, total: float, oop: float, **extra: object
) -> dict[str, object]:
    """A claim of register member ``member`` (its ``id_number(member)`` by the register's
    birth dates) whose fund parts are basic insurance = total - oop."""
    born = {1: "19800101", 2: "19821212", 3: "20100505", 4: "19500303", 5: "19700707",
            6: "19720808", 7: "19650606"}[member]  # fmt: skip
    row: dict[str, object] = {
        "claim_no": f"C{n:05d}",
        "id_number": id_number(member, born=born),
        "service_date": date,
        "provider_code": "P1",
        "provider_tier": "county_hospital",
        "provider_county": "530102",
        "inpatient": "1",
        "diagnosis_code": "C34.9",
        "total_cost": f"{total:.2f}",
        "basic_insurance": f"{total - oop:.2f}",
        "critical_illness_insurance": "0",
        "medical_assistance": "0",
        "out_of_pocket": f"{oop:.2f}",
    }
    row.update({k: str(v) for k, v in extra.items()})
    return row


def member_id(n: int) -> str:
    """The identity number of register member ``n``."""
    return str(REGISTER[n - 1]["id_number"])


@pytest.fixture
def registered(database: Database, actors: dict[str, Actor], tmp_path: Path) -> Database:
    """The database with the test register imported by the county admin."""
    from accessplan.monitor.register import import_register

    report = import_register(
        database, write_csv(tmp_path / "register.csv", REGISTER), actors["admin"]
    )
    assert report.accepted == len(REGISTER), report.rejects
    return database
