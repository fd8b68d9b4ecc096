#!/usr/bin/env node
// `pnpm dev`: every worker's dev task through turbo, then, once every worker answers /healthz, one
// table of their URLs and the development key; Ctrl-C stops them all and exits 0.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { devApiKey, devEnv } from "./dev-worker.mjs";

const root = new URL("..", import.meta.url).pathname;
const started = performance.now();

/** Each app with a dev port in its wrangler.jsonc, and that port. */
const workers = readdirSync(join(root, "apps"))
  .map((name) => {
    const config = join(root, "apps", name, "wrangler.jsonc");
    if (!existsSync(config)) return null;
    const port = /"dev"\s*:\s*\{\s*"port"\s*:\s*(\d+)/.exec(readFileSync(config, "utf8"))?.[1];
    return port === undefined ? null : { name, url: `http://127.0.0.1:${port}` };
  })
  .filter((worker) => worker !== null)
  .sort((a, b) => a.url.localeCompare(b.url));

const turbo = spawn("turbo", ["run", "dev", "--ui=stream", ...process.argv.slice(2)], {
  stdio: ["inherit", "pipe", "pipe"],
  // npm_config_reporter=silent: pnpm does not echo each package's dev command.
  env: devEnv({
    EDGE_ASYNC_DEV_SUMMARY: "1",
    TURBO_TELEMETRY_DISABLED: "1",
    npm_config_reporter: "silent",
  }),
});
const width = Math.max(...workers.map((worker) => worker.name.length));

/** Turbo's own bookkeeping (header, cache notes, shutdown tally): nothing a worker said. */
const TURBO_CHROME =
  /^\s*(•|Tasks:|Cached:|Time:)|cache (bypass|miss|hit)|^Shutting down Turborepo tasks|tasks? shutting down/;
const lastBlank = new Map();
for (const stream of [turbo.stdout, turbo.stderr]) {
  createInterface({ input: stream }).on("line", (line) => {
    if (TURBO_CHROME.test(line)) return;
    const match = /^@edge-async\/([\w-]+):dev: ?(.*)$/.exec(line);
    const name = match?.[1] ?? "";
    const text = match ? match[2] : line;
    // One blank line at most in a row per worker, none before its first line.
    const blank = text.trim() === "";
    if (blank && lastBlank.get(name) !== false) return;
    lastBlank.set(name, blank);
    console.log(match ? `${name.padEnd(width)} │ ${text}` : text);
  });
}
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    turbo.kill(signal);
  });
}
turbo.on("exit", (code) => {
  if (stopping) console.log("\nedge-async: every worker stopped.");
  process.exit(stopping ? 0 : (code ?? 1));
});

/** One request at a time, without a timeout: wrangler holds it until the worker is ready. */
async function healthy(url) {
  try {
    const response = await fetch(new URL("/healthz", url));
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

await Promise.all(
  workers.map(async (worker) => {
    while (!stopping && turbo.exitCode === null && !(await healthy(worker.url)))
      await new Promise((resolve) => setTimeout(resolve, 500));
  }),
);
if (!stopping && turbo.exitCode === null) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const key = await devApiKey(join(root, "apps", "fetch-aggregator"));
  console.log(
    [
      "",
      `edge-async: ${workers.length} workers healthy in ${seconds} s`,
      ...workers.map((worker) => `  ${worker.name.padEnd(width)}  ${worker.url}`),
      "Development key (every scope; refused outside ENVIRONMENT=development):",
      `  Authorization: Bearer ${key}`,
      "Ctrl-C stops every worker.",
      "",
    ].join("\n"),
  );
}
