// Jobs per second through the local queue and consumer, with every claim and outcome written to
// a local D1: batched (a queue batch's claims in one db.batch, its outcomes in another) against
// per-message (one claim and one outcome write per message).
//
//   pnpm --filter @edge-async/queue-worker bench          (BENCH_JOBS=2000 BENCH_ROUNDS=3 by default)
//
// Each round starts this worker with wrangler's unstable_startWorker on a fresh, migrated local D1,
// enqueues BENCH_JOBS `simulate` jobs (no sleep, no failure: the cost measured is the job system's,
// not the handler's) over HTTP in batches of 100, then polls /v1/stats until all have succeeded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withTimeout } from "@edge-async/async-utils";

// wrangler reads its log level when it loads: keep its per-batch lines out of the table.
process.env.WRANGLER_LOG ??= "error";
const { unstable_startWorker } = await import("wrangler");

type Mode = "batched" | "per-message";

const JOBS = Number(process.env.BENCH_JOBS ?? 2_000);
// DEV_API_KEY of @edge-async/http (not imported: this Node-side file is typed without the Workers
// runtime types that package needs); the development environment accepts it.
const AUTHORIZATION = "Bearer ea_dev_local-development-only-never-deploy";
// The benchmark measures the job system, not its abuse limits: raised far past what it sends.
const UNLIMITED = 1_000_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEADLINE_MS = 60_000;
const root = new URL("..", import.meta.url).pathname;

async function runRound(mode: Mode): Promise<number> {
  const persist = mkdtempSync(join(tmpdir(), "queue-worker-bench-"));
  try {
    execFileSync(
      "pnpm",
      ["exec", "wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
      { cwd: root, stdio: "ignore", env: { ...process.env, CI: "true" } },
    );
    const worker = await unstable_startWorker({
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
      },
      dev: {
        persist,
        server: { hostname: "127.0.0.1", port: 0 },
        inspector: false,
        watch: false,
      },
    });
    try {
      await withTimeout(() => worker.ready, 60_000, {
        message: "the worker did not start in 60 s",
      });
      const base = await worker.url;
      const started = performance.now();
      const posts: Promise<void>[] = [];
      for (let offset = 0; offset < JOBS; offset += 100) {
        const jobs = Array.from({ length: Math.min(100, JOBS - offset) }, () => ({
          type: "simulate",
          payload: { durationMs: 0, failureRate: 0 },
        }));
        posts.push(
          fetch(new URL("/v1/jobs/batch", base), {
            method: "POST",
            headers: { "content-type": "application/json", authorization: AUTHORIZATION },
            body: JSON.stringify({ jobs }),
          }).then(async (response) => {
            if (response.status !== 202)
              throw new Error(`enqueue: ${response.status} ${await response.text()}`);
            await response.body?.cancel();
          }),
        );
        // At most 4 enqueue requests in flight.
        if (posts.length >= 4) await Promise.all(posts.splice(0));
      }
      await Promise.all(posts);
      for (;;) {
        const stats = (await (
          await fetch(new URL("/v1/stats", base), { headers: { authorization: AUTHORIZATION } })
        ).json()) as {
          byStatus: Record<string, number>;
        };
        if ((stats.byStatus.succeeded ?? 0) >= JOBS) break;
        if (performance.now() - started > DEADLINE_MS) {
          throw new Error(
            `${mode}: not done after ${DEADLINE_MS} ms: ${JSON.stringify(stats.byStatus)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return JOBS / ((performance.now() - started) / 1000);
    } finally {
      await worker.dispose();
    }
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
}

const results: Record<Mode, number[]> = { batched: [], "per-message": [] };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so neither mode always runs on a warmer machine.
  const order: Mode[] = round % 2 === 0 ? ["batched", "per-message"] : ["per-message", "batched"];
  for (const mode of order) {
    const rate = await runRound(mode);
    results[mode].push(rate);
    console.error(`round ${round + 1}: ${mode} ${rate.toFixed(0)} jobs/s`);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const batched = median(results.batched);
const perMessage = median(results["per-message"]);
const rows = [
  ["STATUS_WRITES", "jobs/s (median)", "runs", "vs per-message"],
  [
    "batched (claims: 1 db.batch, outcomes: 1 db.batch)",
    batched.toFixed(0),
    results.batched.map((r) => r.toFixed(0)).join(", "),
    `${(batched / perMessage).toFixed(2)}x`,
  ],
  [
    "per-message (a claim + a write per job)",
    perMessage.toFixed(0),
    results["per-message"].map((r) => r.toFixed(0)).join(", "),
    "1.00x",
  ],
];
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\nqueue-worker: ${JOBS} simulate jobs through the local queue + D1, ${ROUNDS} round(s) per mode (node ${process.version})\n`,
);
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows.slice(1)) console.log(line(row));
