"""The monitor over HTTP (FastAPI's TestClient): logins, the area scope, the auditor's
read-only role, imports, cases and a notice checked against the raw records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accessplan.monitor.api import router
from accessplan.monitor.db import Database
from accessplan.monitor.rules import RuleSet, store_rules
from accessplan.monitor.scope import Actor
from tests.monitor.conftest import EAST, FAST, PASSWORD, REGISTER, WEST, claim
from tests.monitor.test_rules_workflow import CLAIMS, RULES

TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def client(registered: Database) -> TestClient:
    app = FastAPI()
    app.include_router(router(registered, passwords=FAST, today=lambda: TODAY), prefix="/monitor")
    return TestClient(app)


def login(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post("/monitor/token", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def ids_of(client: TestClient, who: dict[str, str]) -> dict[str, int]:
    answer = client.get("/monitor/households", headers=who)
    assert answer.status_code == 200
    return {h["ref"]: h["id"] for h in answer.json()}


def test_login(client: TestClient) -> None:
    """A wrong password, an unknown user and a missing or made-up token are all 401."""
    wrong = client.post("/monitor/token", json={"username": "east", "password": "nope-nope"})
    assert wrong.status_code == 401
    nobody = client.post("/monitor/token", json={"username": "ghost", "password": PASSWORD})
    assert nobody.status_code == 401
    assert client.get("/monitor/households").status_code == 401
    fake = {"Authorization": "Bearer made-up"}
    assert client.get("/monitor/households", headers=fake).status_code == 401


def test_village_worker_sees_and_changes_only_own_village(client: TestClient) -> None:
    """East's worker lists E1 and E2 only; West's household W1 can be neither read nor
    changed (404, as if it did not exist); East's own household can be changed."""
    east, admin = login(client, "east"), login(client, "admin")
    everyone = ids_of(client, admin)
    assert set(ids_of(client, east)) == {"E1", "E2"}
    w1 = everyone["W1"]
    assert client.get(f"/monitor/households/{w1}", headers=east).status_code == 404
    answer = client.patch(f"/monitor/households/{w1}", json={"weight": 2}, headers=east)
    assert answer.status_code == 404
    assert client.get(f"/monitor/households/{w1}", headers=admin).json()["weight"] == 1
    assert client.get(f"/monitor/households/{w1}/contacts", headers=east).status_code == 404
    assert client.get(f"/monitor/notices/{WEST}", headers=east).status_code == 404
    own = client.patch(f"/monitor/households/{everyone['E2']}", json={"weight": 2}, headers=east)
    assert own.status_code == 200 and own.json()["weight"] == 2


def test_auditor_reads_but_cannot_write(client: TestClient, registered: Database) -> None:
    """The auditor reads every household and the audit log; each write is 403 and changes
    nothing."""
    auditor = login(client, "auditor")
    households = ids_of(client, auditor)
    assert set(households) == {"E1", "E2", "W1", "H1"}
    e1 = households["E1"]
    assert (
        client.patch(f"/monitor/households/{e1}", json={"weight": 3}, headers=auditor).status_code
        == 403
    )
    case = {"household_id": e1, "source": "visit", "on": "2025-06-01"}
    assert client.post("/monitor/cases", json=case, headers=auditor).status_code == 403
    upload = client.post("/monitor/imports/claims", content=b"x", headers=auditor)
    assert upload.status_code == 403
    assert (
        client.post("/monitor/evaluate", json={"as_of": "2025-06-30"}, headers=auditor).status_code
        == 403
    )
    assert client.get(f"/monitor/households/{e1}/contacts", headers=auditor).status_code == 403
    assert client.get(f"/monitor/households/{e1}", headers=auditor).json()["weight"] == 1
    audit = client.get("/monitor/audit", headers=auditor)
    assert audit.status_code == 200 and audit.json()
    assert client.get("/monitor/audit", headers=login(client, "east")).status_code == 403


def test_changes_are_audited_over_http(client: TestClient) -> None:
    """A change by East's worker shows in the audit log with its before and after."""
    east = login(client, "east")
    e2 = ids_of(client, east)["E2"]
    client.patch(f"/monitor/households/{e2}", json={"category": "sudden_difficulty"}, headers=east)
    entries = client.get("/monitor/audit?table=households", headers=login(client, "auditor")).json()
    change = next(e for e in entries if e["action"] == "update" and e["row_id"] == str(e2))
    assert change["actor"] == "east"
    assert change["before"]["category"] == "marginal_at_risk"
    assert change["after"]["category"] == "sudden_difficulty"


def test_import_evaluate_case_and_notice_over_http(
    client: TestClient, registered: Database, actors: dict[str, Actor]
) -> None:
    """The county imports claims (a bad row reported by line), evaluates, East's worker takes
    E1's warning through verification to the village notice, and the notice holds none of the
    raw records' identity numbers, phones, bank accounts or diagnoses."""
    admin, east = login(client, "admin"), login(client, "east")
    rows = [*CLAIMS, claim(99, 1, "2025-01-01", 100, -1)]
    header = ",".join(rows[0])
    body = "\n".join([header, *(",".join(str(r[k]) for k in rows[0]) for r in rows)]) + "\n"
    answer = client.post("/monitor/imports/claims", content=body.encode(), headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["accepted"] == len(CLAIMS)
    assert {r["line"] for r in report["rejects"]} == {len(rows) + 1}
    with registered.session("admin") as session:
        store_rules(session, RuleSet.from_dict(RULES), actors["admin"])
    evaluation = client.post("/monitor/evaluate", json={"as_of": "2025-06-30"}, headers=admin)
    assert evaluation.json()["new_warnings"] == 4  # no incomes imported: no income warning
    warnings = client.get("/monitor/warnings", headers=east).json()
    assert {w["household_ref"] for w in warnings} == {"E1"}  # East sees East's only
    e1 = warnings[0]
    new = {"household_id": e1["household_id"], "source": "department_data", "on": "2025-06-30",
           "warning_id": e1["warning_id"]}  # fmt: skip
    case = client.post("/monitor/cases", json=new, headers=east).json()
    for step, day in (("verified", "2025-07-01"), ("village_review", "2025-07-02")):
        moved = client.post(
            f"/monitor/cases/{case['id']}/transitions", json={"to": step, "on": day}, headers=east
        )
        assert moved.status_code == 200, moved.text
    early = client.post(
        f"/monitor/cases/{case['id']}/transitions",
        json={"to": "township_review", "on": "2025-07-03"},
        headers=east,
    )
    assert early.status_code == 409 and "2025-07-07" in early.json()["detail"]
    illegal = client.post(
        f"/monitor/cases/{case['id']}/transitions",
        json={"to": "risk_eliminated", "on": "2025-07-03"},
        headers=east,
    )
    assert illegal.status_code == 409
    board = client.get(f"/monitor/notices/{EAST}", headers=east)
    assert board.status_code == 200
    assert [(r["household_ref"], r["reason"]) for r in board.json()] == [("E1", "medical_costs")]
    text = board.text + json.dumps(board.json(), ensure_ascii=False)
    raw = [str(r[f]) for r in REGISTER for f in ("id_number", "phone", "bank_account") if r[f]]
    raw += [str(c[f]) for c in CLAIMS for f in ("id_number", "diagnosis_code")]
    assert [value for value in raw if value in text] == []


def test_contacts_are_decrypted_for_workers_of_the_area(client: TestClient) -> None:
    """East's worker reads E1's phones (decrypted from the database's ciphertext)."""
    east = login(client, "east")
    e1 = ids_of(client, east)["E1"]
    phones = {
        c["name"]: c["phone"]
        for c in client.get(f"/monitor/households/{e1}/contacts", headers=east).json()
    }
    assert phones == {"张伟": "13800000001", "李娜": "13800000002", "张小明": None}
