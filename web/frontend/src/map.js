// The map: MapLibre GL JS with no tile server. The background is plain (or a local basemap
// style when the server has one); the region's own layers and a run's layers come as GeoJSON
// from the API. Layers are styled by what their columns hold, not by which analysis made them:
// a column of minutes gets the service-circle colours (15 / 30 / 60 min, unreachable dark),
// other numbers a sequential ramp, text (tier, status, vehicle) a palette; points with a
// population are sized by it. No text is drawn on the map, so no glyphs are needed offline.

import * as maplibregl from "maplibre-gl";
import { h } from "./dom.js";
import { columnName, formatValue, t, valueName } from "./i18n.js";

maplibregl.setWorkerUrl(new URL("maplibre-gl-worker.mjs", document.baseURI).href);

const BLANK = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1ee" } }],
};
export const MINUTE_BREAKS = [15, 30, 60];
const MINUTE_COLOURS = ["#1a9850", "#a6d96a", "#fdae61", "#d73027"];
const UNREACHABLE = "#3b3b3b";
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
const RAMP = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const OTHER = "#b0b0b0";
/** Text columns preferred for colouring, in order. */
const CATEGORIES = ["status", "tier", "vehicle", "day", "profile", "service", "kind"];

const isMinutes = (column) => /minute/.test(column);

function kindOf(geometry) {
  if (/Polygon/i.test(geometry)) return "polygon";
  if (/Line/i.test(geometry)) return "line";
  return "point";
}

/** What a column holds in `features`: "number", "text" or "empty". */
function columnType(features, column) {
  for (const feature of features) {
    const value = feature.properties[column];
    if (value === null || value === undefined) continue;
    return typeof value === "number" ? "number" : "text";
  }
  return "empty";
}

/** The column a layer is coloured by at first: minutes, else a known category. */
function defaultColour(columns, features, kind) {
  if (kind === "polygon" && columns.includes("minutes")) return "minutes";
  const minutes = columns.find((c) => isMinutes(c) && columnType(features, c) === "number");
  if (minutes && kind === "point") return minutes;
  return CATEGORIES.find((c) => columns.includes(c)) ?? null;
}

function quantiles(values, classes) {
  const sorted = [...values].sort((a, b) => a - b);
  const breaks = [];
  for (let i = 1; i < classes; i++) {
    const value = sorted[Math.floor((i * sorted.length) / classes)];
    if (breaks.length === 0 || value > breaks[breaks.length - 1]) breaks.push(value);
  }
  return breaks;
}

/** The colour expression and the legend of `entry` coloured by `column`. */
function colouring(entry, column, fallback) {
  if (!column) return { colour: fallback, legend: [{ colour: fallback, text: entry.title }] };
  const get = ["get", column];
  const type = columnType(entry.data.features, column);
  if (type === "number" && isMinutes(column)) {
    const [a, b, c] = MINUTE_BREAKS;
    const colour = ["case", ["==", ["typeof", get], "number"],
      ["step", get, MINUTE_COLOURS[0], a, MINUTE_COLOURS[1], b, MINUTE_COLOURS[2], c, MINUTE_COLOURS[3]], UNREACHABLE];
    const legend = [
      { colour: MINUTE_COLOURS[0], text: `< ${a} ${t("minutes")}` },
      { colour: MINUTE_COLOURS[1], text: `${a}–${b} ${t("minutes")}` },
      { colour: MINUTE_COLOURS[2], text: `${b}–${c} ${t("minutes")}` },
      { colour: MINUTE_COLOURS[3], text: `> ${c} ${t("minutes")}` },
      { colour: UNREACHABLE, text: t("unreachable") },
    ];
    return { colour, legend };
  }
  if (type === "number") {
    const values = entry.data.features.map((f) => f.properties[column]).filter((v) => typeof v === "number");
    const breaks = quantiles(values, RAMP.length);
    const colour = ["case", ["==", ["typeof", get], "number"], ["step", get, RAMP[0], ...breaks.flatMap((b, i) => [b, RAMP[i + 1]])], OTHER];
    const edges = [Math.min(...values), ...breaks];
    const legend = edges.map((low, i) => ({ colour: RAMP[i], text: `≥ ${formatValue(column, low)}` }));
    return { colour, legend };
  }
  const counts = new Map();
  for (const feature of entry.data.features) {
    const value = feature.properties[column];
    if (value !== null && value !== undefined) counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
  }
  const values = [...counts.keys()].sort().slice(0, PALETTE.length);
  if (values.length === 0) return { colour: fallback, legend: [] };
  const colour = ["match", ["to-string", get], ...values.flatMap((v, i) => [v, PALETTE[i]]), OTHER];
  const legend = values.map((v, i) => ({ colour: PALETTE[i], text: valueName(column, v) }));
  if (counts.size > values.length) legend.push({ colour: OTHER, text: "…" });
  return { colour, legend };
}

export class MapView {
  constructor(container, { basemap = null, onpick = null } = {}) {
    this.map = new maplibregl.Map({
      container,
      style: basemap || BLANK,
      center: [105, 30],
      zoom: 3,
      attributionControl: false,
      preserveDrawingBuffer: true, // screenshots of the map
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new maplibregl.ScaleControl(), "bottom-right");
    this.loaded = new Promise((resolve) => this.map.once("load", resolve));
    this.entries = [];
    this.generation = 0;
    this.popup = null;
    this.onpick = onpick;
    this.map.on("click", (event) => this.pick(event.point));
  }

  /** Remove every layer added by `add`. */
  clear() {
    this.generation += 1;
    this.popup?.remove();
    for (const entry of this.entries) {
      for (const id of entry.layerIds) if (this.map.getLayer(id)) this.map.removeLayer(id);
      if (this.map.getSource(entry.id)) this.map.removeSource(entry.id);
    }
    this.entries = [];
  }

  /** Add a layer from GeoJSON `data`; `info` is the API's LayerInfo. */
  async add(id, title, info, data, { visible = true, group = "" } = {}) {
    const generation = this.generation;
    await this.loaded;
    if (generation !== this.generation) return null; // cleared meanwhile
    const kind = kindOf(info.geometry);
    const entry = {
      id, title, info, data, kind, group, visible,
      columns: info.columns,
      colourBy: defaultColour(info.columns, data.features, kind),
      fallback: kind === "line" && group === "region" ? "#8a8f98" : PALETTE[this.entries.length % PALETTE.length],
      layerIds: [],
      legend: [],
    };
    if (group === "region" && kind === "point") entry.fallback = id.endsWith("facilities") ? "#6a3d9a" : "#607080";
    this.map.addSource(id, { type: "geojson", data });
    const before = this.firstAbove(kind);
    const layout = { visibility: visible ? "visible" : "none" };
    if (kind === "polygon") {
      this.map.addLayer({ id: `${id}-fill`, type: "fill", source: id, layout, paint: { "fill-opacity": 0.22 } }, before);
      this.map.addLayer({ id: `${id}-edge`, type: "line", source: id, layout, paint: { "line-width": 1 } }, before);
      entry.layerIds = [`${id}-fill`, `${id}-edge`];
    } else if (kind === "line") {
      const width = group === "region" ? 1 : 2.5;
      this.map.addLayer({ id: `${id}-line`, type: "line", source: id, layout, paint: { "line-width": width, "line-opacity": 0.85 } }, before);
      entry.layerIds = [`${id}-line`];
    } else {
      const sized = info.columns.includes("population");
      const radius = sized
        ? ["interpolate", ["linear"], ["sqrt", ["max", 0, ["to-number", ["get", "population"], 0]]], 0, 2.5, 100, 12]
        : group === "region" ? 3.5 : 4;
      this.map.addLayer({
        id: `${id}-point`, type: "circle", source: id, layout,
        paint: { "circle-radius": radius, "circle-stroke-color": sized ? "#ffffff" : "#222222", "circle-stroke-width": sized ? 0.6 : 1 },
      }, before);
      entry.layerIds = [`${id}-point`];
    }
    entry.order = { polygon: 0, line: 1, point: 2 }[kind];
    this.entries.push(entry);
    this.colour(id, entry.colourBy);
    return entry;
  }

  /** Add a raster of a run (GET .../rasters): a PNG placed by its corners, under every
   *  other layer, with the legend the server made for it. */
  async addRaster(id, title, info, url, { visible = true } = {}) {
    const generation = this.generation;
    await this.loaded;
    if (generation !== this.generation) return null;
    const entry = {
      id, title, info, kind: "raster", group: "run", visible, columns: [], colourBy: null, order: -1,
      data: { features: [] }, layerIds: [`${id}-raster`],
      legend: info.legend.map((item) => ({
        colour: item.colour,
        text: item.to === null ? `> ${formatValue(info.units, item.from)}` : item.from === item.to
          ? valueName(info.units, item.from) : `${formatValue(info.units, item.from)}–${formatValue(info.units, item.to)}`,
      })),
    };
    this.map.addSource(id, { type: "image", url, coordinates: info.corners });
    const layout = { visibility: visible ? "visible" : "none" };
    this.map.addLayer({ id: `${id}-raster`, type: "raster", source: id, layout, paint: { "raster-opacity": 0.8 } }, this.firstAbove("raster"));
    this.entries.push(entry);
    return entry;
  }

  /** The first layer drawn above layers of `kind` (rasters under polygons under lines under
   *  points). */
  firstAbove(kind) {
    const order = { raster: -1, polygon: 0, line: 1, point: 2 }[kind];
    const above = this.entries.find((e) => e.order > order);
    return above ? above.layerIds[0] : undefined;
  }

  entry(id) {
    return this.entries.find((e) => e.id === id);
  }

  /** Colour layer `id` by `column` (null: one colour). */
  colour(id, column) {
    const entry = this.entry(id);
    if (!entry || entry.kind === "raster") return;
    entry.colourBy = column || null;
    const { colour, legend } = colouring(entry, entry.colourBy, entry.fallback);
    entry.legend = legend;
    for (const layerId of entry.layerIds) {
      const type = this.map.getLayer(layerId).type;
      const property = { fill: "fill-color", line: "line-color", circle: "circle-color" }[type];
      this.map.setPaintProperty(layerId, property, colour);
    }
  }

  visible(id, shown) {
    const entry = this.entry(id);
    if (!entry) return;
    entry.visible = shown;
    for (const layerId of entry.layerIds) this.map.setLayoutProperty(layerId, "visibility", shown ? "visible" : "none");
  }

  /** Show the whole of what is on the map. */
  fit() {
    let west = Infinity, south = Infinity, east = -Infinity, north = -Infinity;
    const visit = (c) => {
      if (typeof c[0] === "number") {
        west = Math.min(west, c[0]); east = Math.max(east, c[0]);
        south = Math.min(south, c[1]); north = Math.max(north, c[1]);
      } else for (const x of c) visit(x);
    };
    for (const entry of this.entries) {
      for (const f of entry.data.features) if (f.geometry) visit(f.geometry.coordinates);
      if (entry.kind === "raster") visit(entry.info.corners);
    }
    if (west < east) this.map.fitBounds([[west, south], [east, north]], { padding: 30, duration: 0 });
  }

  /** Show the attributes of the topmost feature near `point` (pixels). */
  pick(point) {
    const layers = this.entries.filter((e) => e.visible && e.kind !== "raster").flatMap((e) => e.layerIds);
    if (!layers.length) return;
    const box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
    const [feature] = this.map.queryRenderedFeatures(box, { layers });
    if (!feature) return;
    const entry = this.entries.find((e) => e.layerIds.includes(feature.layer.id));
    const props = feature.properties;
    const rank = (c) => (c === "id" || c === "name" ? 0 : /minute/.test(c) ? 1 : 2); // times first
    const columns = Object.keys(props).sort((a, b) => rank(a) - rank(b));
    const rows = columns.slice(0, 60).map((column) =>
      h("tr", {}, h("th", {}, columnName(column)), h("td", {}, formatValue(column, props[column]))));
    const node = h("div", { class: "popup", "data-test": "popup" },
      h("h4", {}, props.name ? `${props.name}${props.id ? ` (${props.id})` : ""}` : (props.id ?? entry.title)),
      h("div", { class: "muted" }, entry.title),
      h("table", {}, h("tbody", {}, rows)));
    this.popup?.remove();
    this.popup = new maplibregl.Popup({ maxWidth: "360px" }).setLngLat(this.map.unproject(point)).setDOMContent(node).addTo(this.map);
    this.onpick?.(entry, props);
  }

  /** The pixel of the first feature of layer `id` matching `test` (for tests and links). */
  pixelOf(id, test = () => true) {
    const entry = this.entry(id);
    const feature = entry?.data.features.find((f) => test(f.properties));
    if (!feature) return null;
    const point = this.map.project(feature.geometry.coordinates);
    return { x: point.x, y: point.y };
  }
}

/** Keep the views of `a` and `b` together. */
export function sync(a, b) {
  let busy = false;
  const follow = (from, to) => () => {
    if (busy) return;
    busy = true;
    to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(), pitch: from.getPitch() });
    busy = false;
  };
  a.on("move", follow(a, b));
  b.on("move", follow(b, a));
}
