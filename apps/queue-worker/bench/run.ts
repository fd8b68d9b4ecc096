// Jobs per second through the local queue and consumer, with every claim and outcome written to
// a local D1: batched (a queue batch's claims in one db.batch, its outcomes coalesced as runs end)
// against per-message (one claim and one outcome write per message). Then job control: the
// latency of a cancel of a running job, and the D1 cost of the consumer's heartbeat.
// Then per-key concurrency (bench/keys.ts): 1,000 jobs over 10 keys of limit 2 against no keys.
//
//   pnpm --filter @edge-async/queue-worker bench
//   (BENCH_JOBS=2000 BENCH_ROUNDS=3 BENCH_CANCELS=18 BENCH_KEY_JOBS=1000 by default)
//
// Each round starts this worker with wrangler's unstable_startWorker on a fresh, migrated local D1,
// enqueues BENCH_JOBS `simulate` jobs (no sleep, no failure: the cost measured is the job system's,
// not the handler's) over HTTP in batches of 100, then polls /v1/stats until all have succeeded.
import { rmSync } from "node:fs";
import { withTimeout } from "@edge-async/async-utils";
import { cancelLatency, HEARTBEAT_MS, heartbeatCost } from "./control.ts";
import { keyRound } from "./keys.ts";
import { AUTHORIZATION, type Mode, migratedState, startBenchWorker } from "./worker.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEADLINE_MS = 60_000;
const root = new URL("..", import.meta.url).pathname;

async function runRound(mode: Mode): Promise<number> {
  const persist = migratedState(root);
  try {
    const worker = await startBenchWorker(root, persist, mode);
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
    "batched (claims: 1 db.batch, outcomes: coalesced db.batch)",
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

// Cancel latency: from the cancel request to the run's end in the ledger.
const cancels = await cancelLatency(root, Number(process.env.BENCH_CANCELS ?? 18));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const p95 = percentile(cancels, 95);
console.log(
  `\ncancel of a running job, request -> signal aborted and outcome recorded (${cancels.length} jobs, heartbeat ${HEARTBEAT_MS} ms)\n`,
);
console.log("| p50 ms | p95 ms | max ms | target p95 | met |");
console.log("|--------|--------|--------|------------|-----|");
console.log(
  `| ${percentile(cancels, 50)} | ${p95} | ${Math.max(...cancels)} | < ${2 * HEARTBEAT_MS} (two heartbeats) | ${p95 < 2 * HEARTBEAT_MS ? "yes" : "no"} |`,
);

// The heartbeat's D1 cost per beat of one invocation, as D1 reports it.
const beats = await heartbeatCost(root, [
  { running: 6, others: 0 },
  { running: 6, others: 1_000 },
  { running: 100, others: 1_000 },
]);
console.log("\nheartbeat: one statement per beat per invocation (lease renewal + cancel read)\n");
console.log(
  "| running jobs (this invocation) | running elsewhere | statements | rows read | rows written |",
);
console.log(
  "|--------------------------------|-------------------|------------|-----------|--------------|",
);
for (const beat of beats) {
  console.log(
    `| ${beat.running} | ${beat.others} | ${beat.statements} | ${beat.rowsRead} | ${beat.rowsWritten} |`,
  );
}

// Per-key concurrency: the same 1,000 jobs of 100 ms with no key, then over 10 keys of limit 2.
const KEY_JOBS = Number(process.env.BENCH_KEY_JOBS ?? 1_000);
const keyCase = { jobs: KEY_JOBS, durationMs: 100, limit: 2 };
const unkeyed = await keyRound(root, { ...keyCase, keys: 0 });
const keyed = await keyRound(root, { ...keyCase, keys: 10 });
console.log(
  `\nper-key concurrency: ${KEY_JOBS} simulate jobs of ${keyCase.durationMs} ms, batched claims (peak from the runs ledger)\n`,
);
console.log("| jobs | jobs/s | peak runs of one key at once | vs no keys |");
console.log("|------|--------|------------------------------|------------|");
console.log(
  `| no concurrencyKey | ${unkeyed.jobsPerSecond.toFixed(0)} | ${unkeyed.peakPerKey} (all jobs) | 1.00x |`,
);
console.log(
  `| 10 keys, limit 2 each | ${keyed.jobsPerSecond.toFixed(0)} | ${keyed.peakPerKey} | ${(keyed.jobsPerSecond / unkeyed.jobsPerSecond).toFixed(2)}x |`,
);
