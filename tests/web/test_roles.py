"""Over HTTP: who may do what. Every route of the OpenAPI schema is called, so a new route
that forgets its role fails here: an anonymous request reads nothing, a viewer changes
nothing, a session cookie without its CSRF token or from another site changes nothing, and
logins are slow to guess."""

from __future__ import annotations

import re

import pytest

from tests.web._server import PASSWORD
from tests.web.conftest import WALK, County, Site, build_county, run_scenario

#: Routes anyone may call: the health check, the session (who am I, log in), the schema.
PUBLIC = {("get", "/api/health"), ("get", "/api/session"), ("post", "/api/session")}
#: Changes a viewer may make: log out, and make or remove their own API tokens.
VIEWER_CHANGES = {
    ("delete", "/api/session"),
    ("post", "/api/tokens"),
    ("delete", "/api/tokens/{token_id}"),
}


def routes(site: Site) -> list[tuple[str, str]]:
    paths = site.app.openapi()["paths"]
    return [(method, path) for path, item in paths.items() for method in item]


def fill(path: str, county: County) -> str:
    """``path`` with its parameters set to records that exist."""
    values = {
        "region_id": county.region,
        "scenario_id": 1,
        "run_id": county.walk,
        "job_id": 1,
        "user_id": 1,
        "token_id": 1,
        "layer": "settlements",
        "name": "coverage.csv",
        "lang": "en",
    }
    filled = re.sub(r"\{(\w+)(:path)?\}", lambda m: str(values[m.group(1)]), path)
    query = {
        "/api/compare": f"?a={county.walk}&b={county.car}",
        "/api/compare/table": f"?a={county.walk}&b={county.car}&name=coverage.csv",
        "/api/runs/{run_id}/table": "?name=coverage.csv",
    }
    return filled + query.get(path, "")


def test_anonymous_reads_nothing(county: County) -> None:
    """Every route but the public ones answers an anonymous request 401, whatever its
    method: no data, no list, no file, no layer."""
    site = county.site
    anonymous = site.as_("anonymous")
    checked = 0
    for method, path in routes(site):
        if (method, path) in PUBLIC:
            continue
        answer = anonymous.request(method.upper(), fill(path, county))
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text[:200])
        checked += 1
    assert checked >= 30  # the schema was read (a broken enumeration would check nothing)
    session = anonymous.get("/api/session").json()
    assert session == {"user": None, "csrf": None}


def test_viewer_reads_but_changes_nothing(county: County) -> None:
    """A viewer reads every listing, result and file, and every change (start, change or
    delete a scenario, a run, a region, users) is refused with 403; the store is unchanged."""
    site = county.site
    viewer = site.as_("viewer")
    before = {k: viewer.get(f"/api/{k}").json() for k in ("regions", "scenarios", "runs")}
    refused = 0
    for method, path in routes(site):
        if (method, path) in PUBLIC or (method, path) in VIEWER_CHANGES:
            continue
        url = fill(path, county)
        if method == "get":
            answer = viewer.get(url)
            expected = 403 if path.startswith("/api/users") else 200
            if "/raster/" in path:  # the service circle has no raster: read, and not found
                expected = 404
            assert answer.status_code == expected, (path, answer.text[:200])
            continue
        answer = viewer.request(method.upper(), url, headers=site.headers("viewer"))
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text[:200])
        assert "viewer" in answer.json()["detail"]
        refused += 1
    assert refused >= 12
    after = {k: viewer.get(f"/api/{k}").json() for k in ("regions", "scenarios", "runs")}
    assert after == before


def test_planner_is_no_admin(county: County) -> None:
    """Planners create and run; users are for admins only."""
    site = county.site
    assert site.as_("planner").get("/api/users").status_code == 403
    answer = site.post(
        "planner", "/api/users", json={"username": "x", "password": "12345678", "role": "admin"}
    )
    assert answer.status_code == 403
    assert site.as_("admin").get("/api/users").status_code == 200


def test_changes_need_the_csrf_token_and_this_origin(county: County) -> None:
    """With a planner's session cookie, a change without the X-CSRF-Token header, with
    another session's token, or sent from another site (Origin) is refused; an API token
    (no cookie, no ambient authority) needs no CSRF token."""
    site = county.site
    planner = site.as_("planner")
    body = {"name": "csrf", "region_id": county.region, "steps": []}
    assert planner.post("/api/scenarios", json=body).status_code == 403
    wrong = {"X-CSRF-Token": site.csrf["viewer"]}
    assert planner.post("/api/scenarios", json=body, headers=wrong).status_code == 403
    foreign = {**site.headers("planner"), "Origin": "http://evil.example"}
    answer = planner.post("/api/scenarios", json=body, headers=foreign)
    assert answer.status_code == 403 and "another site" in answer.json()["detail"]
    names = [s["name"] for s in planner.get("/api/scenarios").json()]
    assert "csrf" not in names
    token = site.post("planner", "/api/tokens", json={"label": "gis", "days": 1}).json()["token"]
    anonymous = site.as_("anonymous")
    bearer = {"Authorization": f"Bearer {token}"}
    made = anonymous.post("/api/scenarios", json=body, headers=bearer)
    assert made.status_code == 201, made.text
    assert (
        anonymous.delete(f"/api/scenarios/{made.json()['id']}", headers=bearer).status_code == 204
    )
    forged = {"Authorization": "Bearer " + "x" * 43}
    assert anonymous.get("/api/regions", headers=forged).status_code == 401


def test_sessions_end(sqlite_site: Site) -> None:
    """A tampered cookie is refused; logging out ends the session, and so does a new role
    given by an admin: the old cookie, replayed, still verifies but the user's epoch moved."""
    site = sqlite_site
    anonymous = site.as_("anonymous")

    def with_cookie(value: str) -> int:
        headers = {"Cookie": f"accessplan_session={value}"}
        return anonymous.get("/api/regions", headers=headers).status_code

    viewer = site.as_("viewer").cookies.get("accessplan_session") or ""
    assert with_cookie(viewer) == 200
    tampered = viewer[:-2] + ("A" if viewer[-2] != "A" else "B") + viewer[-1]
    assert with_cookie(tampered) == 401
    users = {u["username"]: u["id"] for u in site.as_("admin").get("/api/users").json()}
    changed = site.as_("admin").patch(
        f"/api/users/{users['viewer']}", json={"role": "planner"}, headers=site.headers("admin")
    )
    assert changed.status_code == 200
    assert with_cookie(viewer) == 401
    planner = site.as_("planner").cookies.get("accessplan_session") or ""
    assert with_cookie(planner) == 200
    assert site.delete("planner", "/api/session").status_code == 200
    assert with_cookie(planner) == 401


def test_logins(sqlite_site: Site) -> None:
    """Wrong passwords and unknown users are 401 with the same message; five failures lock
    the name for a minute (429, even with the right password); a login is JSON only."""
    anonymous = sqlite_site.as_("anonymous")
    wrong = anonymous.post("/api/session", json={"username": "viewer", "password": "nope-nope"})
    ghost = anonymous.post("/api/session", json={"username": "ghost", "password": PASSWORD})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json() == ghost.json()
    form = anonymous.post("/api/session", data={"username": "viewer", "password": PASSWORD})
    assert form.status_code == 422
    for _ in range(4):
        anonymous.post("/api/session", json={"username": "viewer", "password": "nope-nope"})
    locked = anonymous.post("/api/session", json={"username": "viewer", "password": PASSWORD})
    assert locked.status_code == 429
    other = anonymous.post("/api/session", json={"username": "planner", "password": PASSWORD})
    assert other.status_code == 200


def test_last_admin_stays(sqlite_site: Site) -> None:
    """The last admin can be neither demoted nor disabled (409): someone must manage users."""
    site = sqlite_site
    admin = site.as_("admin")
    me = next(u for u in admin.get("/api/users").json() if u["username"] == "admin")
    for change in ({"role": "viewer"}, {"active": False}):
        answer = admin.patch(f"/api/users/{me['id']}", json=change, headers=site.headers("admin"))
        assert answer.status_code == 409, answer.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_roles_on_postgresql(site: Site) -> None:
    """The same rules with the store on PostgreSQL (the county-based tests run on SQLite): a
    viewer cannot start, change or delete a scenario a planner made and ran there."""
    region = build_county(site)
    run = run_scenario(site, "walk", region, WALK)
    scenario = site.as_("viewer").get(f"/api/runs/{run}").json()["scenario_id"]
    assert site.post("viewer", f"/api/scenarios/{scenario}/runs").status_code == 403
    body = {"name": "changed", "region_id": region, "steps": WALK}
    assert site.put("viewer", f"/api/scenarios/{scenario}", json=body).status_code == 403
    assert site.delete("viewer", f"/api/scenarios/{scenario}").status_code == 403
    assert site.delete("viewer", f"/api/runs/{run}").status_code == 403
    assert site.as_("viewer").get(f"/api/scenarios/{scenario}").json()["name"] == "walk"
    assert site.as_("viewer").get(f"/api/runs/{run}").json()["job"]["status"] == "done"
