import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.ts";
import { database } from "../src/db/database.ts";
import { purgeFinishedJobs } from "../src/db/retention.ts";
import { jobRuns } from "../src/db/schema.ts";
import { api, db, deliver, enqueueLater, expectIdChecks, insertJob } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// Retention: the cron purges finished jobs older than JOB_RETENTION_DAYS (and their runs) in
// bounded batches; DELETE /v1/jobs/:id removes one finished job.

const DAY_MS = 86_400_000;

async function exists(id: string) {
  const row = await env.DB.prepare("select id from jobs where id = ?").bind(id).first();
  return row !== null;
}

async function runCount(id: string) {
  const row = await env.DB.prepare("select count(*) as n from job_runs where job_id = ?")
    .bind(id)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("purge", () => {
  it("deletes old finished jobs and their runs in bounded batches, oldest first", async () => {
    // A far-future "now", so only this test's jobs are old enough.
    const now = Date.now() + 1_000 * DAY_MS;
    const old = now - 8 * DAY_MS;
    const olds: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const status = (["succeeded", "dead", "cancelled"] as const)[i % 3]!;
      const id = await insertJob({ type: "simulate", payload: {}, status, finishedAt: old + i });
      await db.insert(jobRuns).values({
        runToken: crypto.randomUUID(),
        jobId: id,
        attempt: 1,
        outcome: status,
        startedAt: old + i - 5,
        finishedAt: old + i,
      });
      olds.push(id);
    }
    const recent = await insertJob({
      type: "simulate",
      payload: {},
      status: "succeeded",
      finishedAt: now - 6 * DAY_MS,
    });
    const waiting = await insertJob({ type: "simulate", payload: {}, createdAt: old });
    const pendingCallback = await insertJob({
      type: "simulate",
      payload: {},
      status: "succeeded",
      finishedAt: old - 1_000,
      callbackUrl: "https://upstream.test/callback",
      callbackStatus: "pending",
    });

    const first = await purgeFinishedJobs(database(env.DB), {
      now,
      retentionDays: 7,
      batchSize: 5,
      maxBatches: 2,
    });
    // Two batches of five, the oldest ten; the two newest wait for the next cron run.
    expect(first).toEqual({ deleted: 10, batches: 2 });
    for (const id of olds.slice(0, 10)) {
      expect(await exists(id)).toBe(false);
      expect(await runCount(id)).toBe(0);
    }
    for (const id of olds.slice(10)) {
      expect(await exists(id)).toBe(true);
      expect(await runCount(id)).toBe(1);
    }
    const second = await purgeFinishedJobs(database(env.DB), {
      now,
      retentionDays: 7,
      batchSize: 5,
      maxBatches: 2,
    });
    expect(second).toEqual({ deleted: 2, batches: 1 });
    expect(await exists(recent)).toBe(true);
    expect(await exists(waiting)).toBe(true);
    expect(await exists(pendingCallback)).toBe(true);
  });

  it("reads JOB_RETENTION_DAYS, 7 by default", () => {
    expect(parseConfig(env).retentionDays).toBe(7);
    expect(parseConfig({ ...env, JOB_RETENTION_DAYS: "30" }).retentionDays).toBe(30);
    expect(() => parseConfig({ ...env, JOB_RETENTION_DAYS: "0" })).toThrow(/JOB_RETENTION_DAYS/);
  });
});

describe("DELETE /v1/jobs/:id", () => {
  const remove = (id: string) => api(`/v1/jobs/${id}`, { method: "DELETE" });

  it("deletes a finished job and its runs (204), then reads it as missing", async () => {
    const id = await enqueueLater();
    await deliver([id]);
    expect(await runCount(id)).toBe(1);
    const response = await remove(id);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(await exists(id)).toBe(false);
    expect(await runCount(id)).toBe(0);
    expect((await api(`/v1/jobs/${id}`)).status).toBe(404);
    expect((await remove(id)).status).toBe(404);
  });

  it.each(["queued", "running", "failed"] as const)(
    "answers 409 for a %s job and keeps it",
    async (status) => {
      const id = await insertJob({ type: "simulate", payload: {}, status, attempts: 1 });
      const response = await remove(id);
      expect(response.status).toBe(409);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        type: "https://edge-async.dev/problems/job-not-finished",
        jobStatus: status,
      });
      expect(await exists(id)).toBe(true);
    },
  );

  it("answers 409 for a finished job whose completion callback is still pending, and keeps it", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: {},
      status: "succeeded",
      attempts: 1,
      finishedAt: Date.now(),
      callbackUrl: "https://hooks.example.com/done",
      callbackStatus: "pending",
      callbackAttempts: 0,
      callbackNextAt: Date.now() + 3_600_000,
    });
    const response = await remove(id);
    expect(response.status).toBe(409);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({
      type: "https://edge-async.dev/problems/callback-pending",
      jobStatus: "succeeded",
    });
    expect(await exists(id)).toBe(true);
  });

  it("reads another key's job as missing; an admin may delete it", async () => {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:write"],
      bob: ["jobs:write"],
      admin: ["jobs:admin"],
    });
    const id = await insertJob({
      type: "simulate",
      payload: {},
      status: "succeeded",
      finishedAt: Date.now(),
      // A key's id (`ea_<id>_<secret>`) is the owner of the jobs it enqueues.
      owner: keys.alice!.split("_")[1]!,
    });
    const as = (who: keyof typeof keys) =>
      callWith({ API_KEYS: apiKeys }, `/v1/jobs/${id}`, { key: keys[who], method: "DELETE" });
    expect((await as("bob")).status).toBe(404);
    expect(await exists(id)).toBe(true);
    expect((await as("admin")).status).toBe(204);
    expect(await exists(id)).toBe(false);
  });

  it("answers a bad or unknown id with problem+json", async () => {
    await expectIdChecks(remove);
  });
});
