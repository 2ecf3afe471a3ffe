"""The API against independent references: the CLI's run folder and messages, the run folder's
own files read with pandas and pyogrio, coordinates transformed with pyproj, and an analysis
that did not exist when the web was written."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from affine import Affine
from pyproj import CRS, Transformer
from typer.testing import CliRunner

from accessplan import synth
from accessplan._result import Raster
from accessplan.analyses import ANALYSES, Analysis
from accessplan.analyses import _options as o
from accessplan.cli import app as cli
from accessplan.region import Region
from accessplan.report.blocks import Part, Section, Text
from accessplan.web.scenarios import STEP_KEYS
from tests.web.conftest import WALK, County, Site, build_county, run_scenario


def cli_error(folder: Path, *args: str) -> str:
    """The one-line error the CLI prints for ``accessplan *args`` run in ``folder``."""
    import os

    here = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(here)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith("error: "), text
    return text.removeprefix("error: ")


def run_folder(county: County, run: int) -> Path:
    return county.site.store.run_dir(run)


# ---------------------------------------------------------------------- runs and results
def test_the_web_writes_the_clis_run_folder(county: County, tmp_path: Path) -> None:
    """A run from the page and `accessplan run` on the same region and step give tables of
    the same SHA-256 (the run folder's contract: same inputs, same bytes), and the same file
    list; the run records its inputs' hashes."""
    site = county.site
    region_file = site.store.region_file(county.region)
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'name = "Walking"\n[region]\npath = "{region_file}"\n'
        '[[steps]]\nkind = "access"\nprofiles = "walk"\nthresholds = "15,30"\n'
    )
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    cli_manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    web_manifest = json.loads((run_folder(county, county.walk) / "manifest.json").read_text())
    assert web_manifest["outputs"] == cli_manifest["outputs"]
    assert set(web_manifest["files"]) == set(cli_manifest["files"])
    run = site.as_("viewer").get(f"/api/runs/{county.walk}").json()
    assert run["inputs"] == {"region.path": cli_manifest["inputs"]["region.path"]["sha256"]}
    assert run["summary"][0]["summary"] == web_manifest["steps"][0]["summary"]


def test_the_demo_county_is_synths(county: County) -> None:
    """The region built by the page is accessplan.synth's county of the same seed."""
    built = Region.read(county.site.store.region_file(county.region))
    assert built.summary() == synth.mountain_county(1).summary()


def test_layers_as_geojson(county: County) -> None:
    """Every layer of results.gpkg comes as GeoJSON: coordinates are the gpkg's transformed
    to EPSG:4326 by pyproj (to 1e-6 degrees), properties equal, unknown or unreachable null."""
    viewer = county.site.as_("viewer")
    gpkg = run_folder(county, county.walk) / "results.gpkg"
    listed = viewer.get(f"/api/runs/{county.walk}/layers").json()
    assert {x["name"] for x in listed} == {n for n, g in pyogrio.list_layers(gpkg) if g}
    frame = pyogrio.read_dataframe(gpkg, layer="settlements")
    answer = viewer.get(f"/api/runs/{county.walk}/layers/settlements")
    assert answer.headers["content-type"] == "application/geo+json"
    features = answer.json()["features"]
    assert len(features) == len(frame)
    to_wgs84 = Transformer.from_crs(frame.crs, 4326, always_xy=True)
    lon, lat = to_wgs84.transform(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    for i, feature in enumerate(features):
        x, y = feature["geometry"]["coordinates"]
        assert abs(x - lon[i]) <= 1e-6 and abs(y - lat[i]) <= 1e-6
        for column in frame.columns.drop("geometry"):
            expected, got = frame[column].iloc[i], feature["properties"][column]
            if isinstance(expected, float) and not math.isfinite(expected):
                assert got is None
            else:
                assert got == expected, (column, got, expected)
    region = viewer.get(f"/api/regions/{county.region}/layers").json()
    assert {x["name"] for x in region} >= {"settlements", "facilities", "road_edges"}
    assert viewer.get(f"/api/runs/{county.walk}/layers/nothing").status_code == 404


def test_the_township_table(county: County) -> None:
    """The table endpoint filters as pandas does: coverage by township, codes kept as text,
    empty cells (unreachable) as null."""
    viewer = county.site.as_("viewer")
    url = f"/api/runs/{county.walk}/table?name=coverage.csv&where=level:township"
    data = viewer.get(url).json()
    csv = pd.read_csv(run_folder(county, county.walk) / "coverage.csv", dtype={"admin_code": str})
    township = csv[csv["level"] == "township"]
    assert data["total"] == len(township) > 0
    assert data["columns"] == list(csv.columns)
    assert [r[0] for r in data["rows"]] == township["admin_code"].tolist()
    share = data["columns"].index("share")
    assert [r[share] for r in data["rows"]] == pytest.approx(township["share"].tolist())
    assert "township" in data["choices"]["level"]
    bad = viewer.get(f"/api/runs/{county.walk}/table?name=coverage.csv&where=nope:1")
    assert bad.status_code == 422


def test_downloads(county: County) -> None:
    """CSV, XLSX, results.gpkg and the report come byte for byte from the run folder; the
    report may run no script; a name the manifest does not list is 404, paths included."""
    viewer = county.site.as_("viewer")
    folder = run_folder(county, county.walk)
    for name in ("coverage.csv", "tables.xlsx", "results.gpkg", "manifest.json"):
        answer = viewer.get(f"/api/runs/{county.walk}/files/{name}")
        assert answer.status_code == 200 and answer.content == (folder / name).read_bytes()
    report = viewer.get(f"/api/runs/{county.walk}/report")
    assert report.content == (folder / "report.html").read_bytes()
    assert "default-src 'none'" in report.headers["content-security-policy"]
    for name in ("..%2F..%2Fweb.db", "%2e%2e/%2e%2e/web.db", "%2Fetc%2Fpasswd", "x", "%2e%2e"):
        answer = viewer.get(f"/api/runs/{county.walk}/files/{name}")
        assert answer.status_code == 404, (name, answer.status_code)
    # the client resolves a plain ../ itself: the request reaches another route, never a file
    answer = viewer.get(f"/api/runs/{county.walk}/files/../../web.db")
    assert answer.status_code == 422 and b"SQLite" not in answer.content


def test_compare(county: County) -> None:
    """Two runs side by side: each key figure with B - A as the summaries give them, and the
    coverage of the whole region row by row, on foot (A) against by car (B)."""
    viewer = county.site.as_("viewer")
    a, b = county.walk, county.car
    data = viewer.get(f"/api/compare?a={a}&b={b}").json()
    one = json.loads((run_folder(county, a) / "summary.json").read_text())
    two = json.loads((run_folder(county, b) / "summary.json").read_text())
    rows = {r["key"]: r for r in data["summary"]}
    assert set(rows) == set(one) | set(two)
    assert rows["share_within_15"]["diff"] == pytest.approx(
        two["share_within_15"] - one["share_within_15"]
    )
    assert rows["profile"]["a"] == "walk" and rows["profile"]["b"] == "car"
    assert rows["profile"]["diff"] is None
    assert "coverage.csv" in data["tables"]
    url = f"/api/compare/table?a={a}&b={b}&name=coverage.csv&where=level:region"
    table = viewer.get(url).json()
    assert "profile" not in table["keys"]  # it names the runs, not the rows
    assert {"service", "tier", "threshold_min"} <= set(table["keys"])
    reference = {}
    for run, side in ((a, "A"), (b, "B")):
        csv = pd.read_csv(run_folder(county, run) / "coverage.csv")
        csv = csv[csv["level"] == "region"]
        reference[side] = {(r.service, r.tier, r.threshold_min): r.share for r in csv.itertuples()}
    at = {name: table["columns"].index(name) for name in ("service", "tier", "threshold_min")}
    share_a, share_b = table["columns"].index("share A"), table["columns"].index("share B")
    for row in table["rows"]:
        key = tuple(row[i] for i in at.values())
        assert row[share_a] == pytest.approx(reference["A"][key])
        assert row[share_b] == pytest.approx(reference["B"][key])
    assert len(table["rows"]) == len(reference["A"])


# ---------------------------------------------------------------------- analyses and forms
def test_every_analysis_has_a_form(county: County) -> None:
    """The forms list every analysis kind with its options; each choice the form offers is
    accepted by the option's own parser and a made-up one is refused."""
    specs = county.site.as_("viewer").get("/api/analyses").json()
    assert [s["kind"] for s in specs] == list(ANALYSES)
    for spec in specs:
        analysis = ANALYSES[spec["kind"]]
        keys = [opt.key for opt in analysis.options if opt.key not in STEP_KEYS]
        assert [x["key"] for x in spec["options"]] == keys
        for x in spec["options"]:
            option = analysis.option(x["key"])
            assert x["flag"] == option.flag and x["required"] == option.required
            if x["input"] == "choice":
                for value in x["choices"]:
                    option.parse(value, o.Where("x"))
                with pytest.raises(o.OptionError):
                    option.parse("no such choice", o.Where("x"))


#: A 4 x 5 grid of minutes in UTM zone 48N, 1 km cells: each service-circle class, and
#: unreachable (inf) and unknown (NaN) cells.
MINUTES = np.array(
    [
        [5.0, 20.0, 45.0, 90.0, np.inf],
        [5.0, 20.0, 45.0, 90.0, np.nan],
        [10.0, 25.0, 50.0, 120.0, 14.9],
        [1.0, 29.0, 59.0, 61.0, 15.0],
    ]
)
GRID = Affine(1000.0, 0.0, 500_000.0, 0.0, -1000.0, 2_800_000.0)
CRS_UTM = CRS.from_epsg(32648)


@dataclass(frozen=True)
class Greeting:
    """The result of an analysis the web has never heard of."""

    count: int

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"greetings": pd.DataFrame({"n": range(self.count), "word": "hello"})}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        points = gpd.points_from_xy(range(self.count), [0] * self.count, crs=4326)
        return {"places": gpd.GeoDataFrame({"n": range(self.count)}, geometry=points)}

    def rasters(self) -> dict[str, Any]:
        return {"minutes": Raster(MINUTES, GRID, CRS_UTM, "minutes")} if self.count > 1 else {}

    def summary(self) -> dict[str, Any]:
        return {"greetings": self.count}

    def parameters(self) -> dict[str, Any]:
        return {"count": self.count}


def test_a_new_analysis_appears_without_web_code(
    sqlite_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An analysis added to accessplan.analyses (here in the test) gets a form, is checked
    with its own parser's message, runs, and shows its table, layer and summary: the web has
    no code for any analysis."""
    section = Section("Hello", [Part("hello", "Hello", [Text(["hello"])])])
    greeting = Analysis(
        kind="greeting",
        options=(o.Option("count", o.count, "--count", required=True),),
        run=lambda context, options: Greeting(options["count"]),
        section=lambda result, tr: section,
        needs_region=False,
    )
    monkeypatch.setitem(ANALYSES, "greeting", greeting)
    site = sqlite_site
    kinds = [s["kind"] for s in site.as_("viewer").get("/api/analyses").json()]
    assert "greeting" in kinds
    bad = {"name": "hi", "steps": [{"kind": "greeting", "options": {"count": "zero"}}]}
    answer = site.post("planner", "/api/scenarios", json=bad)
    assert answer.status_code == 422
    expected = "scenario: [[steps]] 1 (greeting) count must be a whole number >= 1, got 'zero'."
    assert answer.json()["detail"] == expected
    good = {"name": "hi", "steps": [{"kind": "greeting", "options": {"count": 3}}]}
    scenario = site.post("planner", "/api/scenarios", json=good).json()["id"]
    run = site.post("planner", f"/api/scenarios/{scenario}/runs").json()["id"]
    assert site.run_jobs() == 1
    viewer = site.as_("viewer")
    assert viewer.get(f"/api/runs/{run}").json()["summary"][0]["summary"] == {"greetings": 3}
    table = viewer.get(f"/api/runs/{run}/table?name=greetings.csv").json()
    assert table["rows"] == [[0, "hello"], [1, "hello"], [2, "hello"]]
    places = viewer.get(f"/api/runs/{run}/layers/places").json()
    assert [f["geometry"]["coordinates"] for f in places["features"]] == [[0, 0], [1, 0], [2, 0]]
    check_raster(viewer, run)


def check_raster(viewer: Any, run: int) -> None:
    """The raster on the map: each cell's centre, placed by pyproj within the image's
    corners, has its class's colour; unreachable and unknown cells are transparent."""
    import io

    from PIL import Image

    [info] = viewer.get(f"/api/runs/{run}/rasters").json()
    assert info["name"] == "minutes.tif" and info["units"] == "minutes"
    assert [x["colour"] for x in info["legend"]] == ["#1a9850", "#a6d96a", "#fdae61", "#d73027"]
    png = Image.open(io.BytesIO(viewer.get(f"/api/runs/{run}/raster/minutes.tif").content))
    pixels = np.asarray(png.convert("RGBA"))
    mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    (x0, y0), (x1, _), (_, y1) = (mercator.transform(*c) for c in info["corners"][:3])
    to_mercator = Transformer.from_crs(CRS_UTM, 3857, always_xy=True)
    height, width = pixels.shape[:2]
    for (row, col), minutes in np.ndenumerate(MINUTES):
        x, y = to_mercator.transform(*(GRID * (col + 0.5, row + 0.5)))
        pixel = pixels[int((y0 - y) / (y0 - y1) * height), int((x - x0) / (x1 - x0) * width)]
        if not np.isfinite(minutes):
            assert pixel[3] == 0, (row, col)
            continue
        expected = info["legend"][int(np.digitize(minutes, [15, 30, 60]))]["colour"]
        assert "#" + "".join(f"{v:02x}" for v in pixel[:3]) == expected, (row, col, minutes)


# ---------------------------------------------------------------------- the CLI's messages
@pytest.mark.parametrize(
    ("step", "cli_args"),
    [
        (
            {"kind": "access", "options": {"thresholds": "15,abc"}},
            'kind = "access"\nthresholds = "15,abc"\n',
        ),
        (
            {"kind": "site", "options": {"tier": "township_health_center", "p": 1000}},
            'kind = "site"\ntier = "township_health_center"\np = 1000\n',
        ),
        (
            {"kind": "site", "options": {"tier": "castle", "p": 1, "threshold": 15}},
            'kind = "site"\ntier = "castle"\np = 1\nthreshold = 15\n',
        ),
        ({"kind": "access", "options": {"speed": 3}}, 'kind = "access"\nspeed = 3\n'),
        ({"kind": "nothing", "options": {}}, 'kind = "nothing"\n'),
    ],
)
def test_scenario_errors_are_the_clis(
    county: County, tmp_path: Path, step: dict[str, Any], cli_args: str
) -> None:
    """A scenario the page sends is refused with the message `accessplan run` prints for the
    same scenario file (its name in place of the file's), and nothing is stored."""
    site = county.site
    region_file = site.store.region_file(county.region)
    (tmp_path / "s.toml").write_text(f'[region]\npath = "{region_file}"\n[[steps]]\n{cli_args}')
    expected = cli_error(tmp_path, "run", "s.toml", "--out", "out").replace("s.toml", "scenario")
    before = site.as_("viewer").get("/api/scenarios").json()
    body = {"name": "bad", "region_id": county.region, "steps": [step]}
    answer = site.post("planner", "/api/scenarios", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == expected
    assert site.as_("viewer").get("/api/scenarios").json() == before


def test_options_name_no_path(sqlite_site: Site) -> None:
    """An option value naming a path is refused before any file is looked at; uploads keep
    their bare name inside the scenario's folder, whatever name they came with."""
    site = sqlite_site
    draft = site.post("planner", "/api/scenarios", json={"name": "files", "steps": []}).json()
    url = f"/api/scenarios/{draft['id']}/files"
    for given, kept in (("../../evil.csv", "evil.csv"), ("..\\x\\.hidden.csv", "hidden.csv")):
        answer = site.post("planner", url, files={"file": (given, b"id,population\nV1,3\n")})
        assert answer.status_code == 201, answer.text
        assert answer.json()["name"] == kept
    inside = site.store.inputs_dir(draft["id"])
    assert sorted(p.name for p in inside.iterdir()) == ["evil.csv", "hidden.csv"]
    assert not (site.store.data_dir / "evil.csv").exists()
    assert site.post("planner", url, files={"file": ("noending", b"x")}).status_code == 422
    for value in ("../evil.csv", "/etc/passwd", "..", "a\\b.csv"):
        step = {"kind": "access", "options": {"profiles_file": value}}
        body = {"name": "files", "steps": [step]}
        answer = site.put("planner", f"/api/scenarios/{draft['id']}", json=body)
        assert answer.status_code == 422
        assert "names a path" in answer.json()["detail"]


# ---------------------------------------------------------------------- uploads
def broken_regions(folder: Path) -> dict[str, bytes]:
    """Region files broken in the ways a planner's files are: not a GeoPackage, empty, a
    GeoPackage of something else, a region whose settlements repeat an id."""
    other = folder / "other.gpkg"
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=gpd.points_from_xy([0], [0]), crs=4326)
    pyogrio.write_dataframe(frame, other, layer="points", driver="GPKG")
    repeated = synth.mountain_county(1).write(folder / "repeated.gpkg")
    settlements = pyogrio.read_dataframe(repeated, layer="settlements")
    settlements.loc[1, "id"] = settlements.loc[0, "id"]
    pyogrio.write_dataframe(settlements, repeated, layer="settlements", driver="GPKG")
    return {
        "notes.gpkg": b"these are my notes, not a region\n",
        "empty.gpkg": b"",
        "other.gpkg": other.read_bytes(),
        "repeated.gpkg": repeated.read_bytes(),
    }


def stored(site: Site) -> tuple[Any, ...]:
    data = site.store.data_dir
    return (
        site.as_("viewer").get("/api/regions").json(),
        sorted(p.name for p in (data / "regions").iterdir()),
        sorted(p.name for p in (data / "tmp").iterdir()),
    )


def test_broken_region_uploads(sqlite_site: Site, tmp_path: Path) -> None:
    """Each broken region file is refused with 422 and the message `accessplan region info`
    gives for the same file, and nothing is kept: no region, no folder, no temporary."""
    site = sqlite_site
    made = tmp_path / "made"
    made.mkdir()
    before = stored(site)
    assert before[2] == []
    for name, content in broken_regions(made).items():
        (tmp_path / name).write_bytes(content)
        expected = cli_error(tmp_path, "region", "info", name)
        answer = site.post("planner", "/api/regions", files={"file": (name, content)})
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["detail"] == expected, name
        assert stored(site) == before
    good = synth.mountain_county(2).write(tmp_path / "good.gpkg").read_bytes()
    answer = site.post("planner", "/api/regions", files={"file": ("good.gpkg", good)})
    assert answer.status_code == 201, answer.text
    assert answer.json()["summary"] == synth.mountain_county(2).summary()


def test_uploads_over_the_limit(tmp_path: Path) -> None:
    """A file over the upload limit is refused with 413 and nothing is kept, whether the
    request says its length or not."""
    from tests.web.conftest import open_site

    for site in open_site(tmp_path / "data", max_upload_bytes=2000):
        before = stored(site)
        answer = site.post("planner", "/api/regions", files={"file": ("big.gpkg", b"x" * 5000)})
        assert answer.status_code == 413, answer.text
        assert stored(site) == before
        draft = site.post("planner", "/api/scenarios", json={"name": "d", "steps": []}).json()

        def chunks() -> Any:
            yield b"--b\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\n"
            for _ in range(1000):
                yield b"0123456789"
            yield b"\r\n--b--\r\n"

        headers = {**site.headers("planner"), "Content-Type": "multipart/form-data; boundary=b"}
        answer = site.as_("planner").post(
            f"/api/scenarios/{draft['id']}/files", content=chunks(), headers=headers
        )
        assert answer.status_code == 413
        assert site.as_("viewer").get(f"/api/scenarios/{draft['id']}").json()["files"] == []
        assert stored(site) == before


# ---------------------------------------------------------------------- records
def test_deleting(sqlite_site: Site) -> None:
    """A region in use cannot be deleted (409); deleting a scenario removes its runs and
    their folders; then the region can go."""
    site = sqlite_site
    region = build_county(site)
    run = run_scenario(site, "walk", region, WALK)
    folder = site.store.run_dir(run)
    assert (folder / "manifest.json").is_file()
    assert site.delete("planner", f"/api/regions/{region}").status_code == 409
    scenario = site.as_("viewer").get(f"/api/runs/{run}").json()["scenario_id"]
    assert site.delete("planner", f"/api/scenarios/{scenario}").status_code == 204
    assert not folder.exists() and not site.store.run_inputs_dir(run).exists()
    assert site.as_("viewer").get(f"/api/runs/{run}").status_code == 404
    assert site.delete("planner", f"/api/regions/{region}").status_code == 204
    assert not site.store.region_dir(region).exists()


def test_results_wait_for_the_run(sqlite_site: Site) -> None:
    """A queued run's results are 409, not an error, and cancelling it leaves no folder."""
    site = sqlite_site
    body = {"name": "later", "steps": [{"kind": "access"}], "region_id": None}
    answer = site.post("planner", "/api/scenarios", json=body)
    assert answer.status_code == 422  # the service circle needs a region
    assert "missing [region] table" in answer.json()["detail"]
    region = build_county(site)
    body["region_id"] = region
    scenario = site.post("planner", "/api/scenarios", json=body).json()["id"]
    run = site.post("planner", f"/api/scenarios/{scenario}/runs").json()
    assert site.as_("viewer").get(f"/api/runs/{run['id']}/tables").status_code == 409
    cancelled = site.post("planner", f"/api/jobs/{run['job']['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert site.run_jobs() == 0
    assert not site.store.run_dir(run["id"]).exists()


def test_an_answer_is_sent_after_its_commit(sqlite_site: Site) -> None:
    """When the answer to a change starts, the change is stored: another connection sees it
    (a regression: by default FastAPI closes a dependency's transaction only after the
    answer is sent, so a client could ask for the new record before it existed)."""
    from sqlalchemy import func, select

    from accessplan.web.models import Scenario

    site = sqlite_site
    seen: list[int] = []
    inner = site.app.middleware_stack
    assert inner is not None

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                with site.store.session() as session:
                    seen.append(int(session.scalar(select(func.count(Scenario.id))) or 0))
            await send(message)

        await inner(scope, receive, sending)

    site.app.middleware_stack = watching  # type: ignore[assignment]
    try:
        answer = site.post("planner", "/api/scenarios", json={"name": "x", "steps": []})
    finally:
        site.app.middleware_stack = inner
    assert answer.status_code == 201
    assert seen == [1]


def test_security_headers(county: County) -> None:
    """The page runs only its own scripts and may not be framed; nothing is sniffed."""
    anonymous = county.site.as_("anonymous")
    page = anonymous.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src" not in policy  # falls back to 'self'
    api = anonymous.get("/api/health")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers


def test_a_region_from_openstreetmap(
    sqlite_site: Site, andorra_pbf: Path, andorra_dem: Path, tmp_path: Path
) -> None:
    """A region built from an uploaded OSM extract and DEM (a job) is the one
    `accessplan region build` makes of the same files; a broken extract fails the job with
    the message the CLI prints for it."""
    site = sqlite_site
    files = {
        "osm": ("andorra.osm.pbf", andorra_pbf.read_bytes()),
        "dem": ("N42E001.hgt.zip", andorra_dem.read_bytes()),
    }
    answer = site.post("planner", "/api/regions/osm", files=files, data={"seed": "0"})
    assert answer.status_code == 202, answer.text
    assert site.run_jobs() == 1
    region = site.as_("viewer").get(f"/api/regions/{answer.json()['id']}").json()
    assert region["status"] == "ready", region["job"]
    result = CliRunner().invoke(
        cli,
        ["region", "build", "--osm", str(andorra_pbf), "--dem", str(andorra_dem), "--out",
         str(tmp_path / "andorra.gpkg")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert region["summary"] == Region.read(tmp_path / "andorra.gpkg").summary()

    broken = b"not an extract at all\n"
    (tmp_path / "broken.osm.pbf").write_bytes(broken)
    expected = cli_error(tmp_path, "region", "build", "--osm", "broken.osm.pbf", "--out", "b.gpkg")
    answer = site.post("planner", "/api/regions/osm", files={"osm": ("broken.osm.pbf", broken)})
    assert answer.status_code == 202
    site.run_jobs()
    job = site.as_("viewer").get(f"/api/regions/{answer.json()['id']}").json()["job"]
    assert job["status"] == "failed"
    assert job["error"] == expected
    assert not site.store.region_file(answer.json()["id"]).exists()


def test_the_monitor_mounted_beside(tmp_path: Path) -> None:
    """With a monitor database the app also serves the monitor's API under /monitor, with
    the monitor's own users: a planner of the page is no user there, the monitor's admin is."""
    import pandas as pd_

    from accessplan.monitor.db import init
    from accessplan.monitor.register import create_user, load_areas
    from tests.web._server import FAST, PASSWORD
    from tests.web.conftest import open_site

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    areas = pd_.DataFrame(
        [
            ("53", "P", "province", ""),
            ("5301", "C", "city", "53"),
            ("530102", "X", "county", "5301"),
        ],
        columns=["code", "name", "level", "parent"],
    )
    monitor = init(url)
    with monitor.session("setup") as session:
        load_areas(session, areas)
        create_user(session, "officer", PASSWORD, "county_admin", "530102", passwords=FAST)
    monitor.dispose()
    for site in open_site(tmp_path / "data", monitor_database=url):
        anonymous = site.as_("anonymous")
        planner = anonymous.post(
            "/monitor/token", json={"username": "planner", "password": PASSWORD}
        )
        assert planner.status_code == 401
        officer = anonymous.post(
            "/monitor/token", json={"username": "officer", "password": PASSWORD}
        )
        assert officer.status_code == 200
        bearer = {"Authorization": f"Bearer {officer.json()['access_token']}"}
        assert anonymous.get("/monitor/households", headers=bearer).json() == []
        assert anonymous.get("/monitor/households").status_code == 401
        assert "/monitor/households" in site.app.openapi()["paths"]


def test_a_json_body_is_small(sqlite_site: Site) -> None:
    """A request that is no upload may carry at most 1 MiB (a scenario is a few kB): a huge
    JSON body is refused before it is parsed, and nothing is stored."""
    site = sqlite_site
    huge = {"name": "x", "steps": [{"kind": "access", "options": {"x": "y" * 2_000_000}}]}
    answer = site.post("planner", "/api/scenarios", json=huge)
    assert answer.status_code == 413
    assert site.as_("viewer").get("/api/scenarios").json() == []


def test_a_raster_surface_from_uploaded_files(sqlite_site: Site, tmp_path: Path) -> None:
    """AccessMod's demo uploaded to a scenario and run as a raster step: the run's tables are
    `accessplan surface`'s for the same files, and its travel-time raster is on the map in the
    service-circle colours, cell by cell (a sample of cells, placed by pyproj)."""
    import io

    import rasterio
    from PIL import Image

    from tests.conftest import shared_file

    demo = Path(shared_file("accessmod-demo"))
    files = {
        "dem": demo / "DEM" / "dem__dem.GeoTIFF",
        "landcover": demo / "land_cover__demo" / "land_cover__demo.GeoTIFF",
        "scenario_table": demo / "table_model__demo" / "table_model__demo.xlsx",
    }
    shapefile = demo / "health_facilities__demo" / "health_facilities__demo"
    site = sqlite_site
    draft = site.post("planner", "/api/scenarios", json={"name": "raster", "steps": []}).json()
    for path in [*files.values(), *sorted(shapefile.iterdir())]:
        upload = site.post(
            "planner",
            f"/api/scenarios/{draft['id']}/files",
            files={"file": (path.name, path.read_bytes())},
        )
        assert upload.status_code == 201, upload.text
    options = {key: path.name for key, path in files.items()}
    # anisotropy given on both sides: the CLI's default (isotropic) is not the step's
    options |= {"facilities": "health_facilities__demo.shp", "max_minutes": 60, "anisotropic": True}
    body = {"name": "raster", "steps": [{"kind": "surface", "options": options}]}
    assert site.put("planner", f"/api/scenarios/{draft['id']}", json=body).status_code == 200
    run = site.post("planner", f"/api/scenarios/{draft['id']}/runs").json()["id"]
    site.run_jobs()
    viewer = site.as_("viewer")
    assert viewer.get(f"/api/runs/{run}").json()["job"]["status"] == "done"

    cli_run = CliRunner().invoke(
        cli,
        ["surface", "--dem", str(files["dem"]), "--landcover", str(files["landcover"]),
         "--scenario", str(files["scenario_table"]), "--facilities",
         str(shapefile / "health_facilities__demo.shp"), "--max-minutes", "60",
         "--anisotropic", "--out", str(tmp_path / "cli")],
    )  # fmt: skip
    assert cli_run.exit_code == 0, cli_run.output
    web = json.loads((site.store.run_dir(run) / "manifest.json").read_text())["outputs"]
    assert web == json.loads((tmp_path / "cli" / "manifest.json").read_text())["outputs"]

    rasters = {r["name"]: r for r in viewer.get(f"/api/runs/{run}/rasters").json()}
    assert rasters["travel_time.tif"]["units"] == "minutes"
    assert rasters["land_cover_merged.tif"]["units"] == "class"
    info = rasters["travel_time.tif"]
    png = viewer.get(f"/api/runs/{run}/raster/travel_time.tif").content
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    (x0, y0), (x1, _), (_, y1) = (mercator.transform(*c) for c in info["corners"][:3])
    with rasterio.open(site.store.run_dir(run) / "travel_time.tif") as src:
        values = src.read(1, masked=True).filled(np.nan)
        to_mercator = Transformer.from_crs(src.crs, 3857, always_xy=True)
        transform = src.transform
    height, width = pixels.shape[:2]
    cells = np.random.default_rng(0).integers(0, values.shape, size=(300, 2))
    checked = 0
    for row, col in cells:
        x, y = to_mercator.transform(*(transform * (col + 0.5, row + 0.5)))
        i, j = (y0 - y) / (y0 - y1) * height, (x - x0) / (x1 - x0) * width
        if min(i % 1, 1 - i % 1, j % 1, 1 - j % 1) < 0.2:  # near a pixel's edge: either side
            continue
        pixel = pixels[int(i), int(j)]
        minutes = values[row, col]
        if not np.isfinite(minutes):
            assert pixel[3] == 0
        else:
            expected = info["legend"][int(np.digitize(minutes, [15, 30, 60]))]["colour"]
            assert "#" + "".join(f"{v:02x}" for v in pixel[:3]) == expected, (row, col)
        checked += 1
    assert checked > 100


def test_a_local_basemap(tmp_path: Path) -> None:
    """With a basemap folder, the page is told its style's address and the style is served
    from this server (no tile server on the internet)."""
    from tests.web.conftest import open_site

    folder = tmp_path / "basemap"
    folder.mkdir()
    style = {"version": 8, "sources": {}, "layers": []}
    (folder / "style.json").write_text(json.dumps(style))
    for site in open_site(tmp_path / "data", basemap_dir=folder):
        viewer = site.as_("viewer")
        assert viewer.get("/api/config").json()["basemap"] == "/basemap/style.json"
        assert viewer.get("/basemap/style.json").json() == style
    for site in open_site(tmp_path / "other"):
        assert site.as_("viewer").get("/api/config").json()["basemap"] is None
