// Job control costs: how long a cancel takes to stop a running job, and what the consumer's
// heartbeat (one statement per beat renewing the leases of, and reading the cancels of, all the
// running jobs of an invocation) costs D1.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { withTimeout } from "@edge-async/async-utils";
import { drizzle } from "drizzle-orm/d1";
import { AUTHORIZATION, migratedState, startBenchWorker } from "./worker.ts";

const { getPlatformProxy } = await import("wrangler");

/** The bits of a D1 binding used here (this file is typed without the Workers runtime types). */
interface D1 {
  exec(sql: string): Promise<unknown>;
  prepare(sql: string): {
    bind(...values: unknown[]): {
      run(): Promise<{ meta: { rows_read?: number; rows_written?: number } }>;
    };
  };
}

// The consumer's own heartbeat statement. Imported by a computed name so the Node-side type check
// does not walk the worker's modules (their types need the Workers runtime's).
const heartbeatModule = "../src/heartbeat.ts";
const { HEARTBEAT_MS, heartbeatStatement } = (await import(heartbeatModule)) as {
  HEARTBEAT_MS: number;
  heartbeatStatement(
    db: unknown,
    runTokens: string[],
    leaseUntil: number,
  ): { toSQL(): { sql: string; params: unknown[] } };
};

export { HEARTBEAT_MS };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cancels `samples` running jobs, each at a random moment of the heartbeat's period, and measures
 * from the cancel request to the end of the run in the ledger (its signal aborted, the outcome
 * written): milliseconds, one per job.
 */
export async function cancelLatency(root: string, samples: number): Promise<number[]> {
  const persist = migratedState(root);
  const worker = await startBenchWorker(root, persist, "batched");
  try {
    await withTimeout(() => worker.ready, 60_000, { message: "the worker did not start in 60 s" });
    const base = await worker.url;
    const call = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(new URL(path, base), {
        ...init,
        headers: { "content-type": "application/json", authorization: AUTHORIZATION },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const jobs = Array.from({ length: samples + 10 }, () => ({
      type: "simulate",
      payload: { durationMs: 120_000 },
      timeoutMs: 180_000,
    }));
    const enqueued = await call("/v1/jobs/batch", {
      method: "POST",
      body: JSON.stringify({ jobs }),
    });
    if (enqueued.status !== 202) throw new Error(`enqueue: ${enqueued.status}`);
    const asked = new Map<string, number>();
    const started = performance.now();
    while (asked.size < samples) {
      if (performance.now() - started > 120_000) throw new Error("cancel bench: jobs did not run");
      const running = (await call("/v1/jobs?status=running&limit=100")).body.items as {
        id: string;
      }[];
      const fresh = running.filter(({ id }) => !asked.has(id)).slice(0, samples - asked.size);
      await Promise.all(
        fresh.map(async ({ id }) => {
          // A random phase of the heartbeat, so the samples cover its whole period.
          await sleep(Math.random() * HEARTBEAT_MS);
          asked.set(id, Date.now());
          const cancel = await call(`/v1/jobs/${id}/cancel`, { method: "POST" });
          if (cancel.status !== 202) throw new Error(`cancel of a running job: ${cancel.status}`);
        }),
      );
      await sleep(100);
    }
    const latencies: number[] = [];
    for (const [id, at] of asked) {
      for (;;) {
        const runs = (await call(`/v1/jobs/${id}/runs`)).body.items as {
          outcome: string;
          finishedAt?: string;
        }[];
        const run = runs.at(-1);
        if (run?.outcome === "cancelled" && run.finishedAt !== undefined) {
          latencies.push(Date.parse(run.finishedAt) - at);
          break;
        }
        await sleep(100);
      }
    }
    // Cancel the jobs left, so the consumer's invocation ends and the worker can stop.
    const left = (await call("/v1/jobs?limit=100")).body.items as { id: string; status: string }[];
    await Promise.all(
      left
        .filter((job) => job.status === "queued" || job.status === "running")
        .map((job) => call(`/v1/jobs/${job.id}/cancel`, { method: "POST" })),
    );
    return latencies;
  } finally {
    await worker.dispose();
    rmSync(persist, { recursive: true, force: true });
  }
}

/** One heartbeat's D1 cost: statements, and rows read and written as D1 reports them. */
export interface BeatCost {
  running: number;
  others: number;
  statements: number;
  rowsRead: number;
  rowsWritten: number;
}

/**
 * Runs the heartbeat's statement (the one the consumer sends, built by `heartbeatStatement`) for
 * an invocation with `running` jobs while `others` jobs run in other invocations, on a local D1,
 * and reads its cost from D1's `meta`.
 */
export async function heartbeatCost(
  root: string,
  cases: { running: number; others: number }[],
): Promise<BeatCost[]> {
  const persist = migratedState(root);
  const proxy = await getPlatformProxy<{ DB: D1 }>({
    configPath: join(root, "wrangler.jsonc"),
    // wrangler keeps local state under `<persist-to>/v3`.
    persist: { path: join(persist, "v3") },
  });
  try {
    const d1 = proxy.env.DB;
    const db = drizzle(d1 as never);
    const costs: BeatCost[] = [];
    for (const { running, others } of cases) {
      await d1.exec("delete from jobs");
      const tokens = Array.from({ length: running + others }, () => crypto.randomUUID());
      const rows = JSON.stringify(tokens.map((token, i) => [`job-${i}`, token]));
      await d1
        .prepare(
          `insert into jobs (id, type, payload, status, attempts, timeout_ms, run_at, created_at, updated_at, run_token, lease_expires_at)
           select json_extract(value, '$[0]'), 'simulate', '{}', 'running', 1, 30000, 0, 0, 0, json_extract(value, '$[1]'), 1
           from json_each(?)`,
        )
        .bind(rows)
        .run();
      const query = heartbeatStatement(db, tokens.slice(0, running), Date.now()).toSQL();
      const result = await d1
        .prepare(query.sql)
        .bind(...query.params)
        .run();
      costs.push({
        running,
        others,
        statements: 1,
        rowsRead: result.meta.rows_read ?? Number.NaN,
        rowsWritten: result.meta.rows_written ?? Number.NaN,
      });
    }
    return costs;
  } finally {
    await proxy.dispose();
    rmSync(persist, { recursive: true, force: true });
  }
}
