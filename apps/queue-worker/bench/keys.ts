// Per-key concurrency: the throughput of 1,000 jobs spread over 10 concurrency keys with a limit of
// 2 each, against the same jobs without keys, and the peak number of runs of one key at once (from
// the runs ledger: every run's start and end, swept in time order).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { withTimeout } from "@edge-async/async-utils";
import { AUTHORIZATION, migratedState, startBenchWorker } from "./worker.ts";

const { getPlatformProxy } = await import("wrangler");

/** The bits of a D1 binding used here (this file is typed without the Workers runtime types). */
interface D1 {
  prepare(sql: string): { all<T>(): Promise<{ results: T[] }> };
}

/** One round: jobs per second to the last success, and the most runs of one key at once. */
export interface KeyRound {
  jobsPerSecond: number;
  peakPerKey: number;
}

const DEADLINE_MS = 240_000;

async function enqueue(base: URL, jobs: object[]): Promise<void> {
  for (let offset = 0; offset < jobs.length; offset += 100) {
    const response = await fetch(new URL("/v1/jobs/batch", base), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: AUTHORIZATION },
      body: JSON.stringify({ jobs: jobs.slice(offset, offset + 100) }),
    });
    if (response.status !== 202)
      throw new Error(`enqueue: ${response.status} ${await response.text()}`);
    await response.body?.cancel();
  }
}

async function untilSucceeded(base: URL, count: number, started: number): Promise<void> {
  for (;;) {
    const response = await fetch(new URL("/v1/stats", base), {
      headers: { authorization: AUTHORIZATION },
    });
    const stats = (await response.json()) as { byStatus: Record<string, number> };
    if ((stats.byStatus.succeeded ?? 0) >= count) return;
    if (performance.now() - started > DEADLINE_MS) {
      throw new Error(`not done after ${DEADLINE_MS} ms: ${JSON.stringify(stats.byStatus)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The most runs of one key overlapping in time, from the ledger of `persist`'s D1. */
async function peakPerKey(root: string, persist: string): Promise<number> {
  const proxy = await getPlatformProxy<{ DB: D1 }>({
    configPath: join(root, "wrangler.jsonc"),
    persist: { path: join(persist, "v3") },
  });
  try {
    const { results } = await proxy.env.DB.prepare(
      `select coalesce(j.concurrency_key, '') as key, r.started_at as start, r.finished_at as end
         from job_runs r join jobs j on j.id = r.job_id`,
    ).all<{ key: string; start: number; end: number }>();
    const events = new Map<string, [number, number][]>();
    for (const run of results) {
      const list = events.get(run.key) ?? [];
      // An end sorts before a start at the same millisecond: those runs did not overlap.
      list.push([run.start, 1], [run.end, -1]);
      events.set(run.key, list);
    }
    let peak = 0;
    for (const list of events.values()) {
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let running = 0;
      for (const [, delta] of list) {
        running += delta;
        peak = Math.max(peak, running);
      }
    }
    return peak;
  } finally {
    await proxy.dispose();
  }
}

/**
 * Runs `jobs` simulate jobs of `durationMs` through a fresh worker: spread over `keys` concurrency
 * keys with DEFAULT_KEY_CONCURRENCY `limit`, or with no key when `keys` is 0.
 */
export async function keyRound(
  root: string,
  options: { jobs: number; durationMs: number; keys: number; limit: number },
): Promise<KeyRound> {
  const persist = migratedState(root);
  try {
    const vars: Record<string, string> =
      options.keys > 0 ? { DEFAULT_KEY_CONCURRENCY: String(options.limit) } : {};
    const worker = await startBenchWorker(root, persist, "batched", vars);
    let jobsPerSecond: number;
    try {
      await withTimeout(() => worker.ready, 60_000, {
        message: "the worker did not start in 60 s",
      });
      const base = await worker.url;
      const jobs = Array.from({ length: options.jobs }, (_, i) => ({
        type: "simulate",
        payload: { durationMs: options.durationMs },
        ...(options.keys > 0 ? { concurrencyKey: `host-${i % options.keys}.example` } : {}),
      }));
      const started = performance.now();
      await enqueue(base, jobs);
      await untilSucceeded(base, options.jobs, started);
      jobsPerSecond = options.jobs / ((performance.now() - started) / 1000);
    } finally {
      await worker.dispose();
    }
    return { jobsPerSecond, peakPerKey: await peakPerKey(root, persist) };
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
}
