#!/usr/bin/env node
// Copies the docs page's script (Scalar's standalone bundle) into a worker's static assets, so
// GET /docs works with no CDN: `node ../../packages/http/scripts/docs-assets.ts [public-dir]`.
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const source = new URL(
  "../node_modules/@scalar/api-reference/dist/browser/standalone.js",
  import.meta.url,
).pathname;
const target = join(resolve(process.argv[2] ?? "public"), "_docs", "scalar.js");
const fresh = (() => {
  try {
    return statSync(target).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    return false;
  }
})();
if (!fresh) {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
}
