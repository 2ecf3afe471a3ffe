"""The page in headless Chromium (Debian's, driven by Playwright; no browser is downloaded)
against a real server with its worker process, on a 1366 x 768 laptop screen: log in, build
the demo county, run the service circle, see the layers and the township table, click a
village and read its times, switch to Chinese, reload during a run, compare two scenarios.
Screenshots are kept in test-output/web/. What the page shows is checked against the run
folder's own files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pandas as pd
import pyogrio
import pytest

from tests.web._server import PASSWORD
from tests.web.conftest import Server, screenshot

LAPTOP = {"width": 1366, "height": 768}
LONG = 120_000  # ms: a job on a loaded machine


@pytest.fixture
def page(chromium: Any, server: Server) -> Iterator[Any]:
    context = chromium.new_context(viewport=LAPTOP, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url)
    yield page
    context.close()
    # no script error, no failed request but the one wrong login (401), nothing the page's
    # content security policy refused
    assert [e for e in errors if "401 (Unauthorized)" not in e] == [], errors


def log_in(page: Any, user: str) -> None:
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("[data-tab=regions]")


def new_scenario(page: Any, name: str, profile: str) -> None:
    page.click("[data-tab=scenarios]")
    page.click("[data-test=new-scenario]")
    page.fill("[data-test=scenario-name]", name)
    page.select_option("[data-test=step-kind]", "access")
    page.click("[data-test=add-step]")
    page.fill("[data-step=access] [data-option=profiles]", profile)
    page.fill("[data-step=access] [data-option=thresholds]", "15,30,60")
    page.click("[data-test=run-scenario]")
    page.wait_for_selector("[data-tab=runs].on")


def clear_village(folder: Path) -> str:
    """The most populous village more than 300 m from every other place (at zoom 15 a click on
    it cannot land on another dot)."""
    points = pyogrio.read_dataframe(folder / "results.gpkg", layer="settlements")
    facilities = pyogrio.read_dataframe(folder / "results.gpkg", layer="facilities")
    others = pd.concat([points.geometry, facilities.geometry])

    def alone(point: Any) -> bool:
        distances = others.distance(point)
        return bool(distances[distances > 0].min() > 300)

    clear = points[points.geometry.apply(alone)]
    return str(clear.sort_values("population").iloc[-1]["id"])


def one_decimal(value: float) -> str:
    """As the page writes a number: at most one decimal, no trailing zero."""
    return f"{value:,.1f}".removesuffix(".0")


def until(page: Any, expression: str, timeout_s: float = 60) -> None:
    """Wait until ``expression`` is true in the page (Playwright's wait_for_function would
    evaluate a string, which the page's content security policy rightly refuses)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.1)


def map_layers(page: Any) -> list[str]:
    return list(page.evaluate("window.__accessplan.maps()[0].entries.map((e) => e.id)"))


def test_a_planners_day(page: Any, server: Server) -> None:
    # log in; a wrong password first
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", "not the password")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:has-text('Wrong username or password')")
    log_in(page, "planner")
    assert page.text_content("[data-test=who]") == "planner · planner"
    assert page.evaluate("window.innerWidth") == 1366

    # build the demo county and show it
    page.click("[data-test=build-demo]")
    page.click("[data-region] button:has-text('Show')", timeout=LONG)
    until(page, "window.__accessplan.maps()[0].entries.length >= 3")
    assert {"region:settlements", "region:facilities", "region:road_edges"} <= set(map_layers(page))
    assert "Xishiling County" in page.text_content("[data-region]")

    # run the service circle on foot; the run shows itself when done
    new_scenario(page, "Walking", "walk")
    page.wait_for_selector("[data-run] [data-test=status]:has-text('done')", timeout=LONG)
    until(page, "window.__accessplan.maps()[0].entries.some((e) => e.id === 'run:settlements')")
    layers = set(map_layers(page))
    assert {"run:settlements", "run:facilities", "run:isochrones", "region:road_edges"} <= layers
    legend = page.text_content("[data-test=legend]")
    assert "< 15 min" in legend and "unreachable" in legend
    run_id = page.evaluate("window.__accessplan.state.shown.id")
    folder = server.data / "runs" / str(run_id)

    # the township table: coverage by township, as in the run folder's coverage.csv
    page.wait_for_selector("[data-test=grid] tbody tr")
    assert page.input_value("[data-test=table-choice]") == "coverage.csv"
    assert page.input_value("[data-column=level]") == "township"
    coverage = pd.read_csv(folder / "coverage.csv", dtype={"admin_code": str})
    townships = coverage[coverage["level"] == "township"]
    assert page.text_content("[data-test=row-count]") == f"{len(townships)} rows"
    first = page.locator("[data-test=grid] tbody tr").first.locator("td")
    assert first.nth(0).text_content() == townships["admin_code"].iloc[0]
    screenshot(page, "1-service-circle-en")

    # click a village on the map: its times, as settlements.csv has them
    settlements = pd.read_csv(folder / "settlements.csv")
    village = settlements[settlements["id"] == clear_village(folder)].iloc[0]
    pixel = page.evaluate(
        """(id) => {
            const view = window.__accessplan.maps()[0];
            const places = view.entry('run:settlements').data.features;
            const feature = places.find((f) => f.properties.id === id);
            view.map.jumpTo({ center: feature.geometry.coordinates, zoom: 15 });
            return view.pixelOf('run:settlements', (p) => p.id === id);
        }""",
        village["id"],
    )
    time.sleep(0.5)  # the tiles of the new view drawn
    box = page.locator("[data-test=map]").bounding_box()
    page.mouse.click(box["x"] + pixel["x"], box["y"] + pixel["y"])
    popup = page.wait_for_selector("[data-test=popup]")
    text = popup.text_content()
    assert village["id"] in text and village["name"] in text
    minutes = village["minutes_to_township_health_center"]
    row = page.locator("[data-test=popup] tr", has_text="Township health centre")
    assert row.locator("td").text_content() == one_decimal(minutes)
    screenshot(page, "2-village")

    # Chinese: the page, the layers, the table and the popup's names
    page.click("[data-test=lang-zh]")
    page.wait_for_selector("[data-tab=regions]:has-text('区域')")
    assert page.text_content("[data-tab=compare]") == "对比"
    page.wait_for_selector("[data-column=level] option:has-text('乡镇')", state="attached")
    assert page.input_value("[data-column=level]") == "township"
    assert "分钟" in page.text_content("[data-test=legend]")
    screenshot(page, "3-service-circle-zh")
    page.click("[data-test=lang-en]")
    page.wait_for_selector("[data-tab=regions]:has-text('Regions')")

    # a second scenario by car; the page is reloaded while it runs and finds it again
    new_scenario(page, "By car", "car")
    page.reload()
    page.wait_for_selector("[data-tab=regions]")
    page.click("[data-tab=runs]")
    car = page.locator("[data-run]", has_text="By car")
    car.locator("[data-test=status]:has-text('done')").wait_for(timeout=LONG)
    car_id = int(car.get_attribute("data-run"))

    # compare: two maps side by side and the key figures, as the summaries give them
    page.click("[data-tab=compare]")
    page.select_option("[data-test=compare-a]", str(run_id))
    page.select_option("[data-test=compare-b]", str(car_id))
    page.click("[data-test=compare-runs]")
    page.wait_for_selector("[data-test=kpi] tbody tr")
    until(page, "window.__accessplan.maps().length === 2")
    until(page, "window.__accessplan.maps()[1].entries.length > 3")
    assert page.is_visible("#map-b")
    walk = json.loads((folder / "summary.json").read_text())
    by_car = json.loads((server.data / "runs" / str(car_id) / "summary.json").read_text())
    row = page.locator("[data-test=kpi] tr", has_text="share_within_15").locator("td")
    assert row.nth(2).text_content() == one_decimal(100 * walk["share_within_15"]) + "%"
    assert row.nth(3).text_content() == one_decimal(100 * by_car["share_within_15"]) + "%"
    page.wait_for_selector("[data-test=compare-table]")
    screenshot(page, "4-compare")


def test_a_viewer_reads_only(page: Any) -> None:
    """A viewer's page offers no way to change anything: no building, no new scenario, no
    run, no users tab."""
    log_in(page, "viewer")
    assert page.text_content("[data-test=who]") == "viewer · viewer"
    assert page.locator("[data-test=build-demo]").count() == 0
    assert page.locator("[data-tab=users]").count() == 0
    page.click("[data-tab=scenarios]")
    assert page.locator("[data-test=new-scenario]").count() == 0
    page.click("[data-tab=runs]")
    assert page.locator("[data-run] button.danger").count() == 0


def test_a_raster_on_the_map(page: Any, server: Server) -> None:
    """A raster run (AccessMod's demo, uploaded through the API) shows its travel-time grid
    on the map under its legend, for a viewer too."""
    from tests.conftest import shared_file

    demo = Path(shared_file("accessmod-demo"))
    files = [
        demo / "DEM" / "dem__dem.GeoTIFF",
        demo / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        demo / "table_model__demo" / "table_model__demo.xlsx",
        *sorted((demo / "health_facilities__demo" / "health_facilities__demo").iterdir()),
    ]
    with httpx.Client(base_url=server.url, timeout=60) as api:
        login = api.post("/api/session", json={"username": "planner", "password": PASSWORD})
        api.headers["X-CSRF-Token"] = login.json()["csrf"]
        draft = api.post("/api/scenarios", json={"name": "Raster", "steps": []}).json()
        for path in files:
            sent = api.post(
                f"/api/scenarios/{draft['id']}/files",
                files={"file": (path.name, path.read_bytes())},
            )
            assert sent.status_code == 201, sent.text
        options = {
            "dem": files[0].name,
            "landcover": files[1].name,
            "scenario_table": files[2].name,
            "facilities": "health_facilities__demo.shp",
            "max_minutes": 60,
        }
        step = {"kind": "surface", "options": options}
        saved = api.put(f"/api/scenarios/{draft['id']}", json={"name": "Raster", "steps": [step]})
        assert saved.status_code == 200, saved.text
        run = api.post(f"/api/scenarios/{draft['id']}/runs").json()
    log_in(page, "viewer")
    page.click("[data-tab=runs]")
    card = page.locator(f"[data-run='{run['id']}']")
    card.locator("[data-test=status]:has-text('done')").wait_for(timeout=LONG)
    card.locator("[data-test=show-run]").click()
    until(page, "window.__accessplan.maps()[0].entries.some((e) => e.kind === 'raster')")
    assert "raster:travel_time.tif" in map_layers(page)
    legend = page.text_content("[data-test=legend]")
    assert "travel time" in legend and "15–30" in legend
    screenshot(page, "5-raster")
