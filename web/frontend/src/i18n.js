// The page's own words in English and Chinese, and the names of data (tiers, profiles, levels,
// columns) from the report's catalogue (GET /api/labels/{lang}), so that the page and the
// report call everything alike. A name the catalogue does not know is shown as it is.

const UI = {
  en: {
    tagline: "Rural service access planning",
    username: "Username", password: "Password", login: "Log in", logout: "Log out",
    wrongLogin: "Wrong username or password.",
    regions: "Regions", scenarios: "Scenarios", runs: "Runs", compare: "Compare", users: "Users",
    demoCounty: "Demo county", buildDemo: "Build the demo county", seed: "Seed",
    uploadRegion: "Upload a region (.gpkg)", upload: "Upload", name: "Name",
    buildOsm: "Build from OpenStreetMap", osmFile: "OSM extract (.osm.pbf)", demFile: "DEM (optional)",
    populationFile: "Population (optional)", build: "Build",
    show: "Show", delete: "Delete", cancel: "Cancel", report: "Report", downloads: "Downloads",
    newScenario: "New scenario", save: "Save", run: "Run", region: "Region", noRegion: "(none)",
    language: "Report language", steps: "Steps", addStep: "Add a step", stepName: "Step name (optional)",
    removeStep: "Remove", files: "Input files", uploadFile: "Upload a file", required: "required",
    notGiven: "(default)", yes: "yes", no: "no",
    saved: "Saved.", queued: "Queued.", deleted: "Deleted.",
    status_queued: "queued", status_running: "running", status_done: "done",
    status_failed: "failed", status_cancelled: "cancelled", ready: "ready",
    settlements: "settlements", population: "people", facilities: "facilities",
    noRuns: "No runs yet: run a scenario.", noScenarios: "No scenarios yet.", noRegions: "No regions yet.",
    mapLayers: "Layers", colourBy: "Colour by", none: "(one colour)",
    table: "Table", rows: "{n} rows", showing: "showing {n}", download: "Download CSV", all: "all",
    unreachable: "unreachable", minutesTo: "minutes to", minutes: "min",
    runA: "Run A (before)", runB: "Run B (after)", compareRuns: "Compare",
    keyFigures: "Key figures", step: "Step", figure: "Figure", difference: "B − A",
    pickTwo: "Choose two finished runs.", role: "Role", active: "active", addUser: "Add a user",
    changeRole: "Change role", disable: "Disable", enable: "Enable",
    layer_region: "region", chooseTable: "Table", pageTitle: "accessplan",
    viewer: "viewer", planner: "planner", admin: "admin", progress: "Progress",
    ranAt: "run {id}", by: "by", edit: "Edit",
  },
  zh: {
    tagline: "农村基本公共服务可及性规划",
    username: "用户名", password: "密码", login: "登录", logout: "退出",
    wrongLogin: "用户名或密码错误。",
    regions: "区域", scenarios: "方案", runs: "运行", compare: "对比", users: "用户",
    demoCounty: "示范县", buildDemo: "生成示范县", seed: "随机种子",
    uploadRegion: "上传区域文件（.gpkg）", upload: "上传", name: "名称",
    buildOsm: "由 OpenStreetMap 生成", osmFile: "OSM 数据（.osm.pbf）", demFile: "高程（可选）",
    populationFile: "人口（可选）", build: "生成",
    show: "显示", delete: "删除", cancel: "取消", report: "报告", downloads: "下载",
    newScenario: "新建方案", save: "保存", run: "运行", region: "区域", noRegion: "（无）",
    language: "报告语言", steps: "分析步骤", addStep: "添加步骤", stepName: "步骤名称（可选）",
    removeStep: "移除", files: "输入文件", uploadFile: "上传文件", required: "必填",
    notGiven: "（默认）", yes: "是", no: "否",
    saved: "已保存。", queued: "已排队。", deleted: "已删除。",
    status_queued: "排队中", status_running: "运行中", status_done: "完成",
    status_failed: "失败", status_cancelled: "已取消", ready: "就绪",
    settlements: "个居民点", population: "人", facilities: "个机构",
    noRuns: "还没有运行：请运行一个方案。", noScenarios: "还没有方案。", noRegions: "还没有区域。",
    mapLayers: "图层", colourBy: "着色依据", none: "（单色）",
    table: "统计表", rows: "共 {n} 行", showing: "显示 {n} 行", download: "下载 CSV", all: "全部",
    unreachable: "无法到达", minutesTo: "到达用时：", minutes: "分钟",
    runA: "运行 A（之前）", runB: "运行 B（之后）", compareRuns: "对比",
    keyFigures: "主要指标", step: "步骤", figure: "指标", difference: "B − A",
    pickTwo: "请选择两个已完成的运行。", role: "角色", active: "启用", addUser: "添加用户",
    changeRole: "修改角色", disable: "停用", enable: "启用",
    layer_region: "区域", chooseTable: "统计表", pageTitle: "accessplan",
    viewer: "查看者", planner: "规划人员", admin: "管理员", progress: "进度",
    ranAt: "运行 {id}", by: "由", edit: "编辑",
  },
};

let lang = localStorage.getItem("accessplan.lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
let labels = {};
const listeners = [];

export function currentLang() {
  return lang;
}

/** The page's word for `key`, with {fields} filled in. */
export function t(key, fields = {}) {
  const text = UI[lang][key] ?? UI.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(fields[k] ?? ""));
}

/** The report catalogue's label for `key`, or undefined. */
export function label(key) {
  return labels[key];
}

/** The name of a value of a data column: tier.village_clinic -> 村卫生室; else the value. */
export function valueName(column, value) {
  if (value === null || value === undefined) return "";
  return labels[`${column}.${value}`] ?? String(value);
}

/** A column's heading: col.<name> from the catalogue, minutes_to_<tier>__<profile> spelt out,
 *  else the name with spaces. */
export function columnName(column) {
  const known = labels[`col.${column}`];
  if (known) return known;
  const suffix = column.match(/^(.*) (A|B|Δ)$/);
  if (suffix) return `${columnName(suffix[1])} ${suffix[2]}`;
  const minutes = column.match(/^minutes_to_(.+?)(?:__(.+))?$/);
  if (minutes) {
    const profile = minutes[2] ? ` · ${valueName("profile", minutes[2])}` : "";
    return `${t("minutesTo")} ${valueName("tier", minutes[1])}${profile}`;
  }
  const qualified = column.match(/^(.+)__(.+)$/);
  if (qualified) return `${columnName(qualified[1])} · ${valueName("profile", qualified[2])}`;
  return column.replace(/_/g, " ");
}

/** A table's title from the catalogue (table.<name>) or its file name. */
export function tableName(name) {
  const table = name.replace(/\.csv$/, "").split("/").pop();
  const step = name.includes("/") ? `${name.split("/")[0]} · ` : "";
  return step + (labels[`table.${table}`] ?? table.replace(/_/g, " "));
}

/** Load the catalogue of `next` (when logged in) and re-label the page. */
export async function setLang(next, fetchLabels) {
  lang = next === "zh" ? "zh" : "en";
  localStorage.setItem("accessplan.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  if (fetchLabels) {
    try {
      labels = await fetchLabels(lang);
    } catch {
      labels = {};
    }
  }
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-lang]")) node.classList.toggle("on", node.dataset.lang === lang);
  for (const listener of listeners) listener(lang);
}

export function onLangChange(listener) {
  listeners.push(listener);
}

/** Numbers as planners read them: minutes to one decimal, shares as %, counts grouped. */
export function formatValue(column, value) {
  if (value === null || value === undefined || value === "") {
    return /minute/.test(column) ? t("unreachable") : "—";
  }
  if (typeof value !== "number") return valueName(column, value);
  const locale = lang === "zh" ? "zh-CN" : "en";
  if (/share|_pct$/.test(column) && Math.abs(value) <= 1.5) {
    return `${(value * 100).toLocaleString(locale, { maximumFractionDigits: 1 })}%`;
  }
  if (/minute|_min$|^minutes/.test(column)) return value.toLocaleString(locale, { maximumFractionDigits: 1 });
  if (Number.isInteger(value)) return value.toLocaleString(locale);
  return value.toLocaleString(locale, { maximumFractionDigits: Math.abs(value) < 10 ? 3 : 1 });
}
