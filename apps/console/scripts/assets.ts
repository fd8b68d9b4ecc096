// Fills ./public (Workers Static Assets) with the browser files: htmx and uPlot from
// node_modules, and the console's own script and styles from ./client. Run by dev, build and test.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const root = join(import.meta.dirname, "..");
const require = createRequire(join(root, "package.json"));
const out = join(root, "public", "assets");
mkdirSync(out, { recursive: true });

const htmx = dirname(require.resolve("htmx.org/package.json"));
const uplot = dirname(require.resolve("uplot/package.json"));
copyFileSync(join(htmx, "dist", "htmx.min.js"), join(out, "htmx.min.js"));
copyFileSync(join(uplot, "dist", "uPlot.iife.min.js"), join(out, "uPlot.iife.min.js"));
copyFileSync(join(uplot, "dist", "uPlot.min.css"), join(out, "uPlot.min.css"));
for (const name of readdirSync(join(root, "client"))) {
  copyFileSync(join(root, "client", name), join(out, name));
}
