import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it, vi } from "vitest";
import { startHeartbeat } from "../src/heartbeat.ts";
import { countingD1 } from "./fixtures/counting-d1.ts";
import { getJob, insertJob } from "./fixtures/jobs.ts";

// The consumer's heartbeat: one statement per beat renews the leases of ALL the running jobs of
// the invocation and reads their cancels.

async function runningJob(leaseExpiresAt: number) {
  const runToken = crypto.randomUUID();
  const id = await insertJob({
    type: "simulate",
    payload: {},
    status: "running",
    attempts: 1,
    runToken,
    leaseExpiresAt,
  });
  return { id, runToken };
}

describe("heartbeat", () => {
  it("renews the leases of every running job in one statement per beat", async () => {
    const soon = Date.now() + 1_000;
    const runs = await Promise.all([runningJob(soon), runningJob(soon), runningJob(soon)]);
    const other = await runningJob(soon);
    const d1 = countingD1(env.DB);
    const heartbeat = startHeartbeat(drizzle(d1.binding), { intervalMs: 100, renewMs: 60_000 });
    const watches = runs.map((run) => heartbeat.watch(run.runToken));
    try {
      await vi.waitUntil(async () => d1.heartbeats.length >= 2, { timeout: 10_000, interval: 20 });
    } finally {
      heartbeat.stop();
    }
    for (const run of runs) {
      expect((await getJob(run.id)).leaseExpiresAt).toBeGreaterThan(Date.now() + 50_000);
    }
    // A job the invocation does not run keeps its lease.
    expect((await getJob(other.id)).leaseExpiresAt).toBe(soon);
    // Every D1 trip of the heartbeat was its one statement: none per job.
    expect(d1.roundTrips).toEqual([]);
    for (const watch of watches) expect(watch.signal.aborted).toBe(false);
  });

  it("never shortens a lease, and aborts only the runs whose cancel was asked", async () => {
    const far = Date.now() + 600_000;
    const [kept, cancelled] = await Promise.all([runningJob(far), runningJob(far)]);
    await env.DB.prepare("update jobs set cancel_requested_at = ? where id = ?")
      .bind(Date.now(), cancelled!.id)
      .run();
    const heartbeat = startHeartbeat(drizzle(env.DB), { intervalMs: 50, renewMs: 1_000 });
    const keptWatch = heartbeat.watch(kept!.runToken);
    const cancelWatch = heartbeat.watch(cancelled!.runToken);
    try {
      await vi.waitUntil(() => cancelWatch.signal.aborted, { timeout: 10_000, interval: 20 });
    } finally {
      heartbeat.stop();
    }
    expect(String(cancelWatch.signal.reason)).toContain("cancelled while it ran");
    expect(keptWatch.signal.aborted).toBe(false);
    expect((await getJob(kept!.id)).leaseExpiresAt).toBe(far);
  });
});
