// Tables under the map: a run's CSV tables with filters on their few-valued columns, and the
// comparison of two runs. Headers sort the rows shown; numbers are right-aligned.

import { get } from "./api.js";
import { fill, h } from "./dom.js";
import { columnName, formatValue, t, tableName, valueName } from "./i18n.js";

const SHOWN = 500;

/** A grid of `columns` and `rows` (lists); `classes(column, value)` adds cell classes. */
export function grid(columns, rows, { classes = () => "", format = formatValue } = {}) {
  let order = null;
  const body = h("tbody");
  const draw = () => {
    const shown = order ? [...rows].sort(order) : rows;
    fill(body, shown.slice(0, SHOWN).map((row) =>
      h("tr", {}, row.map((value, i) =>
        h("td", { class: `${typeof value === "number" ? "num" : ""} ${classes(columns[i], value)}` }, format(columns[i], value, row))))));
  };
  const head = h("tr", {}, columns.map((column, i) => h("th", {
    title: column,
    onclick: () => {
      const sign = order?.column === i && order.sign === 1 ? -1 : 1;
      order = (a, b) => sign * compare(a[i], b[i]);
      order.column = i;
      order.sign = sign;
      draw();
    },
  }, columnName(column))));
  draw();
  return h("table", { "data-test": "grid" }, h("thead", {}, head), body);
}

function compare(a, b) {
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
}

/** The table to open first: of the tables by administrative level, one with the share of
 *  people reached (coverage) or else the most figures, showing its townships (the township
 *  table); otherwise the first table. */
export async function firstTable(runId, tables) {
  const heads = await Promise.all(tables.map((table) =>
    get(`/runs/${runId}/table?name=${encodeURIComponent(table.name)}&limit=1`).catch(() => null)));
  const figures = (head) =>
    (head.columns.includes("share") ? 1000 : 0) + (head.rows[0] ?? []).filter((v) => typeof v === "number").length;
  let best = null;
  for (let i = 0; i < tables.length; i++) {
    const head = heads[i];
    if (head?.choices?.level?.includes("township") && (best === null || figures(head) > figures(heads[best]))) best = i;
  }
  if (best !== null) return { name: tables[best].name, where: { level: "township" } };
  return tables.length ? { name: tables[0].name, where: {} } : null;
}

function query(where) {
  return Object.entries(where).filter(([, v]) => v !== "").map(([k, v]) => `&where=${encodeURIComponent(`${k}:${v}`)}`).join("");
}

function filters(choices, where, onchange) {
  return Object.entries(choices).map(([column, values]) =>
    h("label", { class: "inline" }, h("span", {}, columnName(column)),
      h("select", { "data-column": column, onchange: (e) => onchange(column, e.target.value) },
        h("option", { value: "" }, t("all")),
        values.map((v) => h("option", { value: v, selected: where[column] === v }, valueName(column, v))))));
}

/** The run's tables in `node`: a chooser, filters, the rows and a CSV download. `state`
 *  ({name, where}) is the table and filters shown, kept by the caller across redraws. */
export async function runTables(node, runId, tables, state) {
  if (!tables.length || !state) {
    fill(node);
    return;
  }
  const draw = async () => {
    const data = await get(`/runs/${runId}/table?name=${encodeURIComponent(state.name)}${query(state.where)}`);
    const chooser = h("select", { "data-test": "table-choice", onchange: (e) => { state.name = e.target.value; state.where = {}; draw(); } },
      tables.map((table) => h("option", { value: table.name, selected: table.name === state.name }, tableName(table.name))));
    const bar = h("div", { class: "bar" },
      h("strong", {}, t("chooseTable")), chooser,
      filters(data.choices, state.where, (column, value) => { state.where[column] = value; draw(); }),
      h("span", { class: "muted", "data-test": "row-count" }, `${t("rows", { n: data.total })}${data.total > SHOWN ? `, ${t("showing", { n: SHOWN })}` : ""}`),
      h("a", { href: `/api/runs/${runId}/files/${state.name}`, download: "" }, t("download")));
    fill(node, bar, h("div", { class: "grid" }, grid(data.columns, data.rows)));
  };
  await draw();
}

/** Two runs compared: their key figures, then one table of both, row by row. */
export async function comparison(node, a, b, data) {
  const kpiColumns = ["step", "key", "a", "b", "diff"];
  const kpiRows = data.summary.map((r) => [r.step, r.key, r.a, r.b, r.diff]);
  const headings = { step: t("step"), key: t("figure"), a: `A: ${t("ranAt", { id: a })}`, b: `B: ${t("ranAt", { id: b })}`, diff: t("difference") };
  const kpi = grid(kpiColumns, kpiRows, {
    format: (column, value, row) => {
      if (value === null || value === undefined) return "—";
      return column === "step" || column === "key" ? String(value) : formatValue(row[1], value);
    },
    classes: (column, value) => (column === "diff" && typeof value === "number" ? (value > 0 ? "up" : value < 0 ? "down" : "") : ""),
  });
  kpi.classList.add("kpi");
  kpi.querySelectorAll("th").forEach((th, i) => (th.textContent = headings[kpiColumns[i]]));
  kpi.dataset.test = "kpi";
  const holder = h("div", { class: "grid" }, h("h4", {}, t("keyFigures")), kpi);
  const state = { name: data.tables[0] ?? null, where: {} };
  const tableBox = h("div");
  const drawTable = async () => {
    if (!state.name) return;
    const head = await get(`/runs/${a}/table?name=${encodeURIComponent(state.name)}&limit=1`);
    const levels = head.choices?.level;
    if (levels && state.where.level === undefined) state.where.level = levels.includes("region") ? "region" : levels[0];
    const rows = await get(`/compare/table?a=${a}&b=${b}&name=${encodeURIComponent(state.name)}${query(state.where)}`);
    fill(tableBox,
      h("div", { class: "bar" }, h("strong", {}, t("chooseTable")),
        h("select", { "data-test": "compare-table", onchange: (e) => { state.name = e.target.value; state.where = {}; drawTable(); } },
          data.tables.map((name) => h("option", { value: name, selected: name === state.name }, tableName(name)))),
        filters(head.choices, state.where, (column, value) => { state.where[column] = value; drawTable(); }),
        h("span", { class: "muted" }, t("rows", { n: rows.total }))),
      grid(rows.columns, rows.rows, {
        classes: (column, value) => (column.endsWith(" Δ") && typeof value === "number" ? (value > 0 ? "up" : value < 0 ? "down" : "") : ""),
      }));
  };
  holder.append(tableBox);
  fill(node, holder);
  await drawTable().catch((error) => fill(tableBox, h("p", { class: "error" }, error.message)));
}
