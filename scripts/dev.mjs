#!/usr/bin/env node
// `pnpm dev`: every worker's dev task through turbo, then, once every worker answers /healthz, one
// table of their URLs and the development key; Ctrl-C stops them all and exits 0.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
  stdio: "inherit",
  env: devEnv({ EDGE_ASYNC_DEV_SUMMARY: "1", TURBO_TELEMETRY_DISABLED: "1" }),
});
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

async function healthy(url) {
  try {
    const response = await fetch(new URL("/healthz", url), { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

const waiting = new Set(workers);
while (waiting.size > 0 && !stopping && turbo.exitCode === null) {
  for (const worker of [...waiting]) if (await healthy(worker.url)) waiting.delete(worker);
  if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 500));
}
if (!stopping && turbo.exitCode === null) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const width = Math.max(...workers.map((worker) => worker.name.length));
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
