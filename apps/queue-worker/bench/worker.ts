// The benchmark's worker: this app started with wrangler's unstable_startWorker on a fresh,
// migrated local D1, in development, with its abuse limits raised out of the way.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// wrangler reads its log level when it loads: keep its per-batch lines out of the tables.
process.env.WRANGLER_LOG ??= "error";
const { unstable_startWorker } = await import("wrangler");

export type Mode = "batched" | "per-message";

// DEV_API_KEY of @edge-async/http (not imported: this Node-side file is typed without the Workers
// runtime types that package needs); the development environment accepts it.
export const AUTHORIZATION = "Bearer ea_dev_local-development-only-never-deploy";
// The benchmark measures the job system, not its abuse limits: raised far past what it sends.
const UNLIMITED = 1_000_000;

/** A fresh local state directory with the app's D1 migrations applied. */
export function migratedState(root: string): string {
  const persist = mkdtempSync(join(tmpdir(), "queue-worker-bench-"));
  execFileSync(
    "pnpm",
    ["exec", "wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
    { cwd: root, stdio: "ignore", env: { ...process.env, CI: "true" } },
  );
  return persist;
}

/** Starts the worker on `persist` with STATUS_WRITES `mode`, and `vars` over wrangler.jsonc's. */
export function startBenchWorker(
  root: string,
  persist: string,
  mode: Mode,
  vars: Record<string, string> = {},
) {
  return unstable_startWorker({
    config: join(root, "wrangler.jsonc"),
    bindings: {
      STATUS_WRITES: { type: "plain_text", value: mode },
      ENVIRONMENT: { type: "plain_text", value: "development" },
      MAX_JOBS_PER_KEY_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      MAX_QUEUED_JOBS_PER_KEY: { type: "plain_text", value: String(UNLIMITED) },
      WRITE_REQUESTS_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      READ_REQUESTS_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      WRITE_LIMITER: {
        type: "ratelimit",
        namespace_id: "3101",
        simple: { limit: UNLIMITED, period: 60 },
      },
      READ_LIMITER: {
        type: "ratelimit",
        namespace_id: "3102",
        simple: { limit: UNLIMITED, period: 60 },
      },
      // Only `simulate` jobs run here; without this the FEED service binding would need
      // paginated-feed running beside the benchmark.
      FEED: { type: "plain_text", value: "unused by simulate jobs" },
      ...Object.fromEntries(
        Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }]),
      ),
    },
    dev: {
      persist,
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
    },
  });
}
