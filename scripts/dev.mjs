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
/** The /healthz polls of this script and of queue-worker's dev-schedules: not the user's calls. */
const HEALTH_POLL = /GET \/healthz 200 OK|"route":"\/healthz","status":200/;
/**
 * wrangler's notice that crons do not fire locally: queue-worker's dev-schedules fires them every
 * minute, so under `pnpm dev` the notice is wrong. It runs from its first line to the docs link.
 */
const CRON_NOTICE = /Scheduled Workers are not automatically triggered/;
const CRON_NOTICE_END = /cron-triggers\/#test-cron-triggers-locally/;

/** Per worker: the last bindings table shown, one being read, and what else is held back. */
const workerState = new Map();
function stateOf(name) {
  if (!workerState.has(name))
    workerState.set(name, { blank: true, shown: null, table: null, held: [], notice: false });
  return workerState.get(name);
}

/** Set on Ctrl-C (or SIGTERM): from then on worker output is dropped. */
let stopping = false;

function print(name, text, state) {
  // One blank line at most in a row per worker, none before its first line.
  const blank = text.trim() === "";
  if (blank && state.blank) return;
  state.blank = blank;
  console.log(name ? `${name.padEnd(width)} │ ${text}` : text);
}

/**
 * Shows a worker's line unless it is noise: wrangler reprints the whole bindings table each time
 * the dev registry changes ("Connection status updated"), so a table is shown again only when a
 * binding's status changed.
 */
function show(name, text) {
  // After Ctrl-C the workers stop one by one and the others reprint their bindings as "not
  // connected": teardown chatter, not news.
  if (stopping) return;
  const state = stateOf(name);
  if (state.notice) {
    if (CRON_NOTICE_END.test(text)) state.notice = false;
    return;
  }
  if (CRON_NOTICE.test(text)) {
    state.notice = true;
    return;
  }
  if (HEALTH_POLL.test(text)) return;
  if (text.includes("Connection status updated")) {
    state.held.push(text);
    return;
  }
  if (text.includes("Your Worker has access to the following bindings")) state.table = [];
  if (state.table === null) {
    for (const line of state.held.splice(0)) print(name, line, state);
    print(name, text, state);
    return;
  }
  if (text.trim() !== "") {
    state.table.push(text);
    return;
  }
  const table = state.table.join("\n");
  const lines = [...state.held.splice(0), ...state.table, text];
  state.table = null;
  if (table === state.shown) return;
  state.shown = table;
  for (const line of lines) print(name, line, state);
}

for (const stream of [turbo.stdout, turbo.stderr]) {
  createInterface({ input: stream }).on("line", (line) => {
    if (TURBO_CHROME.test(line)) return;
    const match = /^@edge-async\/([\w-]+):dev: ?(.*)$/.exec(line);
    if (match) show(match[1], match[2]);
    else print("", line, stateOf(""));
  });
}
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
