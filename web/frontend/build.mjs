// Builds the page into src/accessplan/web/static (what `accessplan serve` serves): the bundle
// of src/main.js with MapLibre GL JS, MapLibre's worker and stylesheet, index.html and
// style.css. `node build.mjs` builds; `node build.mjs --check` only bundles in memory.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "src", "accessplan", "web", "static");
const check = process.argv.includes("--check");

const result = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: ["chrome110", "firefox110", "safari16"],
  outfile: join(out, "app.js"),
  write: !check,
  legalComments: "linked",
  logLevel: "warning",
});
if (result.errors.length) process.exit(1);
if (!check) {
  mkdirSync(out, { recursive: true });
  const maplibre = join(here, "node_modules", "maplibre-gl", "dist");
  copyFileSync(join(maplibre, "maplibre-gl-worker.mjs"), join(out, "maplibre-gl-worker.mjs"));
  copyFileSync(join(maplibre, "maplibre-gl.css"), join(out, "maplibre-gl.css"));
  copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));
  copyFileSync(join(here, "src", "style.css"), join(out, "style.css"));
  console.log(`built the page into ${out}`);
}
