// The planner's page: log in; regions, scenarios, runs, comparisons and users in the side
// panel; the map with its layers and legend; the tables below. Jobs are followed by polling
// the API, so a reload finds them where they are.

import { api, ApiError, del, get, post, setCsrf, upload } from "./api.js";
import { fill, h, toast } from "./dom.js";
import { columnName, currentLang, onLangChange, setLang, t, tableName } from "./i18n.js";
import { MapView, sync } from "./map.js";
import { scenarioEditor } from "./scenario.js";
import { comparison, firstTable, runTables } from "./table.js";

const POLL_MS = 1500;
const OPEN = new Set(["queued", "running"]);
const $ = (id) => document.getElementById(id);

const state = {
  user: null, config: null, analyses: [], regions: [], scenarios: [], runs: [],
  tab: "regions", editing: undefined, shown: null, compare: { a: null, b: null, on: false },
  following: new Set(),
};
let mapA = null;
let mapB = null;

const may = (role) => ["viewer", "planner", "admin"].indexOf(state.user?.role) >= ["viewer", "planner", "admin"].indexOf(role);
const labels = (lang) => get(`/labels/${lang}`);
const fail = (error) => toast(error instanceof ApiError ? error.message : String(error), true);

// ------------------------------------------------------------------ login
async function start() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLang(button.dataset.lang, state.user ? labels : null));
  }
  onLangChange(() => state.user && redraw());
  await setLang(currentLang(), null);
  $("login-form").addEventListener("submit", login);
  $("legend").addEventListener("click", () => $("legend").classList.toggle("folded"));
  $("logout").addEventListener("click", async () => {
    await del("/session").catch(() => null);
    location.reload();
  });
  const session = await get("/session");
  if (session.user) await enter(session);
  else $("login").hidden = false;
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    await enter(await post("/session", { username: form.get("username"), password: form.get("password") }));
  } catch (error) {
    $("login-error").textContent = error.status === 401 ? t("wrongLogin") : error.message;
  }
}

async function enter(session) {
  setCsrf(session.csrf);
  state.user = session.user;
  $("login").hidden = true;
  $("app").hidden = false;
  await setLang(currentLang(), labels);
  [state.config, state.analyses] = await Promise.all([get("/config"), get("/analyses")]);
  mapA = new MapView($("map"), { basemap: state.config.basemap });
  window.__accessplan = { state, maps: () => [mapA, mapB].filter(Boolean) };
  await refresh();
  redraw();
  setInterval(poll, POLL_MS);
}

// ------------------------------------------------------------------ data and polling
let refreshes = 0;
let seen = "";
let ticks = 0;

/** Read the lists again; whether they changed. An answer overtaken by a later request is
 *  dropped, so an old list never replaces a newer one. */
async function refresh() {
  const mine = ++refreshes;
  const lists = await Promise.all([get("/regions"), get("/scenarios"), get("/runs")]);
  if (mine !== refreshes) return false;
  [state.regions, state.scenarios, state.runs] = lists;
  const text = JSON.stringify(lists);
  const changed = text !== seen;
  seen = text;
  return changed;
}

const openJobs = () => [...state.regions.map((r) => r.job), ...state.runs.map((r) => r.job)].filter((j) => j && OPEN.has(j.status));

/** Follow the jobs: every tick while one is open, every fifth tick otherwise (other users'
 *  work shows up too); draw the side panel when something changed. */
async function poll() {
  ticks += 1;
  if (!openJobs().length && !state.following.size && ticks % 5) return;
  let changed;
  try {
    changed = await refresh();
  } catch (error) {
    if (error.status === 401) location.reload();
    return;
  }
  for (const run of state.runs) {
    if (state.following.has(run.id) && !OPEN.has(run.job.status)) {
      state.following.delete(run.id);
      if (run.job.status === "done") await showRun(run.id);
      else toast(`${t("ranAt", { id: run.id })}: ${run.job.error ?? run.job.status}`, true);
    }
  }
  if (changed && state.tab !== "scenarios" && state.tab !== "users") drawPanel();
}

// ------------------------------------------------------------------ frame
function redraw() {
  fill($("who"), `${state.user.username} · ${t(state.user.role)}`);
  for (const view of [mapA, mapB]) {
    for (const entry of view?.entries ?? []) {
      if (entry.kind !== "raster") entry.title = layerTitle(entry.info.name, entry.group); // in the language now chosen
      view.colour(entry.id, entry.colourBy); // legends too
    }
  }
  const tabs = ["regions", "scenarios", "runs", "compare", ...(may("admin") ? ["users"] : [])];
  fill($("tabs"), tabs.map((tab) => h("button", {
    type: "button", role: "tab", class: tab === state.tab ? "on" : "", "data-tab": tab,
    onclick: () => { state.tab = tab; state.editing = undefined; redraw(); },
  }, t(tab))));
  drawPanel();
  drawLayers();
  if (state.shown?.type === "run" && !state.compare.on) drawTables();
  if (state.compare.on) drawComparison();
  context();
}

function context() {
  const shown = state.compare.on
    ? `${t("compare")}: ${t("ranAt", { id: state.compare.a })} ↔ ${t("ranAt", { id: state.compare.b })}`
    : state.shown?.type === "run" ? `${state.runs.find((r) => r.id === state.shown.id)?.name ?? ""} · ${t("ranAt", { id: state.shown.id })}`
    : state.shown?.type === "region" ? state.regions.find((r) => r.id === state.shown.id)?.name ?? "" : "";
  fill($("context"), shown);
}

function drawPanel() {
  const panel = $("panel");
  const views = { regions: regionsPanel, scenarios: scenariosPanel, runs: runsPanel, compare: comparePanel, users: usersPanel };
  views[state.tab](panel);
}

function status(job) {
  if (!job) return h("span", { class: "status-done" }, t("ready"));
  const text = h("span", { class: `status-${job.status}`, "data-test": "status" }, t(`status_${job.status}`));
  if (job.status === "running" || job.status === "queued") {
    return h("div", {}, text, job.stage ? h("span", { class: "muted" }, ` · ${job.stage}`) : null,
      h("div", { class: "progress" }, h("div", { style: `width:${Math.round(job.progress * 100)}%` })));
  }
  return h("div", {}, text, job.error ? h("div", { class: "error" }, job.error) : null);
}

// ------------------------------------------------------------------ regions
function regionsPanel(panel) {
  const cards = state.regions.map((region) => {
    const s = region.summary;
    const facilities = s ? Object.values(s.facilities ?? {}).reduce((a, b) => a + b, 0) : 0;
    return h("div", { class: `card ${state.shown?.type === "region" && state.shown.id === region.id ? "active" : ""}`, "data-region": region.id },
      h("div", { class: "title" }, region.name),
      h("div", { class: "meta" }, s ? `${s.settlements.toLocaleString()} ${t("settlements")} · ${Math.round(s.population).toLocaleString()} ${t("population")} · ${facilities} ${t("facilities")}` : region.source),
      status(region.job && region.job.status !== "done" ? region.job : null),
      h("div", { class: "row" },
        region.status === "ready" ? h("button", { type: "button", onclick: () => showRegion(region.id) }, t("show")) : null,
        region.job && OPEN.has(region.job.status) && may("planner") ? h("button", { type: "button", onclick: () => post(`/jobs/${region.job.id}/cancel`).then(refreshAndDraw, fail) }, t("cancel")) : null,
        may("planner") ? h("button", { type: "button", class: "danger", onclick: () => del(`/regions/${region.id}`).then(refreshAndDraw, fail) }, t("delete")) : null));
  });
  const seed = h("input", { value: "1", size: 8, "data-test": "demo-seed" });
  const regionName = h("input", { placeholder: t("name") });
  const regionFile = h("input", { type: "file", accept: ".gpkg", "data-test": "region-file" });
  const osm = { osm: h("input", { type: "file" }), dem: h("input", { type: "file" }), population: h("input", { type: "file" }) };
  const error = h("p", { class: "error", role: "alert", "data-test": "region-error" });
  fill(panel,
    h("h2", {}, t("regions")),
    cards.length ? cards : h("p", { class: "muted" }, t("noRegions")),
    may("planner") ? [
      h("h3", {}, t("demoCounty")),
      h("div", { class: "row" }, h("span", {}, t("seed")), seed,
        h("button", { type: "button", class: "primary", "data-test": "build-demo", onclick: () => post("/regions/synthetic", { seed: Number(seed.value) || 0 }).then(refreshAndDraw, (e) => (error.textContent = e.message)) }, t("buildDemo"))),
      h("h3", {}, t("uploadRegion")),
      regionName, regionFile,
      h("div", { class: "row" }, h("button", {
        type: "button", "data-test": "upload-region",
        onclick: async () => {
          if (!regionFile.files.length) return;
          const form = new FormData();
          form.append("file", regionFile.files[0]);
          form.append("name", regionName.value);
          try {
            await upload("/regions", form);
            error.textContent = "";
            await refreshAndDraw();
          } catch (e) {
            error.textContent = e.message;
          }
        },
      }, t("upload"))),
      h("h3", {}, t("buildOsm")),
      h("label", {}, h("span", {}, t("osmFile")), osm.osm),
      h("label", {}, h("span", {}, t("demFile")), osm.dem),
      h("label", {}, h("span", {}, t("populationFile")), osm.population),
      h("button", {
        type: "button",
        onclick: async () => {
          const form = new FormData();
          for (const [key, input] of Object.entries(osm)) if (input.files.length) form.append(key, input.files[0]);
          try {
            await upload("/regions/osm", form);
            error.textContent = "";
            await refreshAndDraw();
          } catch (e) {
            error.textContent = e.message;
          }
        },
      }, t("build")),
    ] : null,
    error);
}

async function refreshAndDraw() {
  await refresh();
  drawPanel();
}

// ------------------------------------------------------------------ scenarios
function scenariosPanel(panel) {
  if (state.editing !== undefined) {
    scenarioEditor(panel, {
      scenario: state.scenarios.find((s) => s.id === state.editing) ?? null,
      regions: state.regions,
      analyses: state.analyses,
      canEdit: may("planner"),
      onsaved: (saved) => {
        state.editing = saved.id;
        state.scenarios = [...state.scenarios.filter((s) => s.id !== saved.id), saved];
      },
      onrun: async (saved, error) => {
        try {
          const run = await post(`/scenarios/${saved.id}/runs`);
          state.following.add(run.id);
          toast(t("queued"));
          state.tab = "runs";
          state.editing = undefined;
          await refresh();
          redraw();
        } catch (e) {
          error.textContent = e.message;
        }
      },
      onclose: async (changed) => {
        state.editing = undefined;
        if (changed) await refresh();
        drawPanel();
      },
    });
    return;
  }
  const regionName = (id) => state.regions.find((r) => r.id === id)?.name ?? t("noRegion");
  fill(panel,
    h("h2", {}, t("scenarios")),
    state.scenarios.length ? state.scenarios.map((s) => h("div", { class: "card", "data-scenario": s.name },
      h("div", { class: "title" }, s.name),
      h("div", { class: "meta" }, `${regionName(s.region_id)} · ${s.steps.map((x) => x.name || x.kind).join(", ") || "—"}`),
      h("div", { class: "row" }, h("button", { type: "button", onclick: () => { state.editing = s.id; drawPanel(); } }, may("planner") ? t("edit") : t("show"))))) : h("p", { class: "muted" }, t("noScenarios")),
    may("planner") ? h("button", { type: "button", class: "primary", "data-test": "new-scenario", onclick: () => { state.editing = null; drawPanel(); } }, t("newScenario")) : null);
}

// ------------------------------------------------------------------ runs
function runsPanel(panel) {
  fill(panel,
    h("h2", {}, t("runs")),
    state.runs.length ? state.runs.map((run) => h("div", { class: `card ${state.shown?.type === "run" && state.shown.id === run.id ? "active" : ""}`, "data-run": run.id },
      h("div", { class: "title" }, `#${run.id} ${run.name}`),
      h("div", { class: "meta" }, `${(run.summary ?? run.definition.steps).map((s) => s.name || s.kind).join(", ")} · ${t("by")} ${run.created_by} · ${new Date(run.created_at).toLocaleString()}`),
      status(run.job),
      h("div", { class: "row" },
        run.job.status === "done" ? [
          h("button", { type: "button", "data-test": "show-run", onclick: () => showRun(run.id) }, t("show")),
          h("a", { href: `/api/runs/${run.id}/report`, target: "_blank", rel: "noopener" }, t("report")),
          h("a", { href: `/api/runs/${run.id}/files/tables.xlsx`, download: "" }, "XLSX"),
          h("a", { href: `/api/runs/${run.id}/files/results.gpkg`, download: "" }, "GPKG"),
        ] : null,
        OPEN.has(run.job.status) && may("planner") ? h("button", { type: "button", onclick: () => post(`/jobs/${run.job.id}/cancel`).then(refreshAndDraw, fail) }, t("cancel")) : null,
        !OPEN.has(run.job.status) && may("planner") ? h("button", { type: "button", class: "danger", onclick: () => del(`/runs/${run.id}`).then(refreshAndDraw, fail) }, t("delete")) : null))) : h("p", { class: "muted" }, t("noRuns")));
}

// ------------------------------------------------------------------ the map
function layerTitle(name, group) {
  return group === "region" ? `${t("layer_region")}: ${tableName(name)}` : tableName(name);
}

async function addLayers(map, base, layers, group, visible = () => true) {
  const order = { Polygon: 0, MultiPolygon: 0, LineString: 1, MultiLineString: 1 };
  const sorted = [...layers].sort((a, b) => (order[a.geometry] ?? 2) - (order[b.geometry] ?? 2));
  const data = await Promise.all(sorted.map((layer) => get(`${base}/layers/${encodeURIComponent(layer.name)}`)));
  for (let i = 0; i < sorted.length; i++) {
    await map.add(`${group}:${sorted[i].name}`, layerTitle(sorted[i].name, group), sorted[i], data[i], { group, visible: visible(sorted[i]) });
  }
}

async function drawRunOn(map, runId) {
  const run = state.runs.find((r) => r.id === runId);
  map.clear();
  const regionId = run?.definition.region_id;
  if (regionId) {
    const regionLayers = await get(`/regions/${regionId}/layers`);
    await addLayers(map, `/regions/${regionId}`, regionLayers.filter((l) => /Line/.test(l.geometry)), "region");
  }
  await addLayers(map, `/runs/${runId}`, await get(`/runs/${runId}/layers`), "run");
  const rasters = await get(`/runs/${runId}/rasters`);
  // one shown (a grid of minutes when there is one), the others ticked on demand
  const shown = Math.max(0, rasters.findIndex((r) => r.units === "minutes"));
  for (const [i, raster] of rasters.entries()) {
    const url = `/api/runs/${runId}/raster/${raster.name}`;
    await map.addRaster(`raster:${raster.name}`, tableName(raster.name.replace(/\.tif$/, "")), raster, url, { visible: i === shown });
  }
  map.fit();
}

async function showRun(runId) {
  leaveCompare();
  state.shown = { type: "run", id: runId };
  try {
    await drawRunOn(mapA, runId);
  } catch (error) {
    fail(error);
  }
  drawLayers();
  drawPanel();
  context();
  await drawTables();
  mapA.map.resize(); // the tables took their room below the map
  mapA.fit();
}

async function showRegion(regionId) {
  leaveCompare();
  state.shown = { type: "region", id: regionId };
  mapA.clear();
  const layers = await get(`/regions/${regionId}/layers`);
  await addLayers(mapA, `/regions/${regionId}`, layers.filter((l) => !/road_nodes/.test(l.name)), "region");
  mapA.fit();
  fill($("bottom"));
  drawLayers();
  drawPanel();
  context();
}

async function drawTables() {
  const runId = state.shown.id;
  const tables = await get(`/runs/${runId}/tables`);
  if (state.table?.run !== runId) state.table = { run: runId, ...(await firstTable(runId, tables)) };
  await runTables($("bottom"), runId, tables, state.table);
}

function drawLayers() {
  const maps = [mapA, mapB].filter((m) => m && (m === mapA || state.compare.on));
  const entries = mapA?.entries ?? [];
  if (!entries.length) {
    fill($("layers"));
    fill($("legend"));
    return;
  }
  fill($("layers"), h("strong", { class: "fold", onclick: () => $("layers").classList.toggle("folded") }, t("mapLayers")), entries.map((entry) => h("div", { class: "layer", "data-layer": entry.id },
    h("label", {}, h("input", {
      type: "checkbox", checked: entry.visible,
      onchange: (e) => { for (const m of maps) m.visible(entry.id, e.target.checked); drawLegend(); },
    }), ` ${entry.title}`),
    entry.kind !== "raster" && (entry.group === "run" || entry.kind === "point") ? h("select", {
      "data-test": "colour-by", title: t("colourBy"),
      onchange: (e) => { for (const m of maps) m.colour(entry.id, alike(m, entry.id, e.target.value)); drawLegend(); },
    }, h("option", { value: "" }, t("none")), entry.columns.map((c) => h("option", { value: c, selected: c === entry.colourBy }, columnName(c)))) : null)));
  drawLegend();
}

/** The column of layer `id` on `view` to colour by when `column` was chosen on map A: the
 *  same column, or one measuring the same for another profile (`<measure>__<profile>`). */
function alike(view, id, column) {
  const columns = view.entry(id)?.columns ?? [];
  if (!column || columns.includes(column)) return column;
  const measure = column.split("__")[0];
  return columns.find((c) => c.split("__")[0] === measure) ?? null;
}

function drawLegend() {
  const shown = (mapA?.entries ?? []).filter((e) => e.visible && (e.colourBy || e.kind === "raster")).reverse().slice(0, 2);
  fill($("legend"), shown.map((entry) => h("div", {},
    h("strong", {}, entry.colourBy ? `${entry.title}: ${columnName(entry.colourBy)}` : entry.title),
    entry.legend.map((item) => h("div", { class: "item" }, h("span", { class: "swatch", style: `background:${item.colour}` }), item.text)))));
}

// ------------------------------------------------------------------ compare
function comparePanel(panel) {
  const done = state.runs.filter((r) => r.job.status === "done");
  const choose = (which) => h("select", { "data-test": `compare-${which}`, onchange: (e) => (state.compare[which] = Number(e.target.value) || null) },
    h("option", { value: "" }, "—"),
    done.map((run) => h("option", { value: run.id, selected: state.compare[which] === run.id }, `#${run.id} ${run.name}`)));
  const error = h("p", { class: "error" });
  fill(panel,
    h("h2", {}, t("compare")),
    h("label", {}, h("span", {}, t("runA")), choose("a")),
    h("label", {}, h("span", {}, t("runB")), choose("b")),
    h("button", {
      type: "button", class: "primary", "data-test": "compare-runs",
      onclick: () => {
        if (!state.compare.a || !state.compare.b) {
          error.textContent = t("pickTwo");
          return;
        }
        enterCompare().catch(fail);
      },
    }, t("compareRuns")),
    error);
}

async function enterCompare() {
  state.compare.on = true;
  $("map-b-wrap").hidden = false;
  if (!mapB) {
    mapB = new MapView($("map-b"), { basemap: state.config.basemap });
    sync(mapA.map, mapB.map);
  }
  mapA.map.resize();
  mapB.map.resize();
  await Promise.all([drawRunOn(mapA, state.compare.a), drawRunOn(mapB, state.compare.b)]);
  for (const entry of mapA.entries) if (mapB.entry(entry.id)) mapB.colour(entry.id, alike(mapB, entry.id, entry.colourBy));
  drawLayers();
  context();
  await drawComparison();
  for (const view of [mapA, mapB]) view.map.resize(); // the key figures took their room
  mapA.fit();
}

async function drawComparison() {
  const { a, b } = state.compare;
  fill($("map-title-a"), `A · #${a}`);
  fill($("map-title-b"), `B · #${b}`);
  await comparison($("bottom"), a, b, await get(`/compare?a=${a}&b=${b}`));
}

function leaveCompare() {
  if (!state.compare.on) return;
  state.compare.on = false;
  $("map-b-wrap").hidden = true;
  fill($("map-title-a"));
  mapA.map.resize();
}

// ------------------------------------------------------------------ users
async function usersPanel(panel) {
  const users = await get("/users");
  const name = h("input", { placeholder: t("username"), "data-test": "new-username" });
  const password = h("input", { type: "password", placeholder: t("password"), "data-test": "new-password" });
  const role = h("select", { "data-test": "new-role" }, ["viewer", "planner", "admin"].map((r) => h("option", { value: r }, t(r))));
  const error = h("p", { class: "error", role: "alert" });
  const change = (user, body) => api("PATCH", `/users/${user.id}`, { body }).then(() => usersPanel(panel), (e) => (error.textContent = e.message));
  fill(panel,
    h("h2", {}, t("users")),
    users.map((user) => h("div", { class: "card", "data-user": user.username },
      h("div", { class: "title" }, user.username),
      h("div", { class: "row" },
        h("select", { onchange: (e) => change(user, { role: e.target.value }) },
          ["viewer", "planner", "admin"].map((r) => h("option", { value: r, selected: r === user.role }, t(r)))),
        h("button", { type: "button", onclick: () => change(user, { active: !user.active }) }, user.active ? t("disable") : t("enable"))))),
    h("h3", {}, t("addUser")), name, password, role,
    h("button", {
      type: "button", class: "primary",
      onclick: () => post("/users", { username: name.value, password: password.value, role: role.value }).then(() => usersPanel(panel), (e) => (error.textContent = e.message)),
    }, t("addUser")),
    error);
}
start().catch(fail);
