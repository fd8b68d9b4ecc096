import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, like } from "drizzle-orm";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../src/config.ts";
import { jobs, type ScheduleRow, schedules } from "../src/db/schema.ts";
import worker from "../src/index.ts";
import { nextRunAfter } from "../src/schedules.ts";
import { runDueSchedules, runIdempotencyKey, runOnce } from "../src/schedules-run.ts";
import { api, db, insertJob } from "./fixtures/jobs.ts";

// The cron trigger's side of schedules: each due run enqueued exactly once, missed runs caught
// up by the documented policy (one run, then the next future time), nothing while paused.

const config = parseConfig(env);
/** Whom the development key authenticates as: the owner of what the tests create. */
const DEV_PRINCIPAL_ID = "dev";
const MINUTE = 60_000;

/** Creates an every-minute `simulate` schedule through the API; its stored row. */
async function createSchedule(cron = "* * * * *"): Promise<ScheduleRow> {
  const response = await api("/v1/schedules", {
    method: "POST",
    json: { name: "tick", cron, job: { type: "simulate", payload: { durationMs: 1 } } },
  });
  expect(response.status).toBe(201);
  return stored(((await response.json()) as { id: string }).id);
}

async function stored(id: string): Promise<ScheduleRow> {
  const [row] = await db.select().from(schedules).where(eq(schedules.id, id));
  if (row === undefined) throw new Error(`no schedule ${id}`);
  return row;
}

/** Makes the schedule due at `dueAt` (as if its trigger had not run since). */
async function dueAt(id: string, at: number): Promise<ScheduleRow> {
  await db.update(schedules).set({ nextRunAt: at }).where(eq(schedules.id, id));
  return stored(id);
}

/** The jobs the schedule enqueued, by their idempotency keys. */
function jobsOf(id: string) {
  return db
    .select()
    .from(jobs)
    .where(like(jobs.idempotencyKey, `schedule:${id}:%`));
}

/** Counts the messages sent, and keeps the local consumer from running them meanwhile. */
function sentMessages(): { jobId: string }[] {
  const sent: { jobId: string }[] = [];
  vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) sent.push(message.body as { jobId: string });
    return undefined as never;
  });
  return sent;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a due run", () => {
  it("is enqueued exactly once by two overlapping scheduled() invocations", async () => {
    const sent = sentMessages();
    const schedule = await createSchedule();
    const due = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
    await dueAt(schedule.id, due);
    const controller = () => createScheduledController({ cron: "* * * * *" });
    await Promise.all([
      worker.scheduled(controller(), env, createExecutionContext()),
      worker.scheduled(controller(), env, createExecutionContext()),
    ]);
    const made = await jobsOf(schedule.id);
    expect(made.map((job) => job.idempotencyKey)).toEqual([runIdempotencyKey(schedule.id, due)]);
    const [job] = made;
    expect(job).toMatchObject({ type: "simulate", owner: DEV_PRINCIPAL_ID, status: "queued" });
    expect(sent.filter((message) => message.jobId === job!.id)).toHaveLength(1);
    const after = await stored(schedule.id);
    expect(after).toMatchObject({ lastRunAt: due, lastJobId: job!.id });
    expect(after.nextRunAt).toBeGreaterThan(Date.now() - MINUTE);
  });

  it("is claimed by one of two invocations that both read it before either claimed", async () => {
    sentMessages();
    const schedule = await createSchedule();
    const now = Date.now();
    const stale = await dueAt(schedule.id, now - MINUTE);
    // Both hold the same read of the row; their batches run one after the other.
    const outcomes = await Promise.all([
      runOnce(db, config, stale, now),
      runOnce(db, config, stale, now),
    ]);
    expect(outcomes.map((outcome) => outcome.claimed).sort()).toEqual([false, true]);
    expect(outcomes.filter((outcome) => outcome.inserted !== undefined)).toHaveLength(1);
    // A third, later replay of the same read claims and inserts nothing.
    expect(await runOnce(db, config, stale, now)).toEqual({ claimed: false, inserted: undefined });
    expect(await jobsOf(schedule.id)).toHaveLength(1);
  });

  it("never takes a job it did not enqueue as its run, though that job holds the run's key", async () => {
    sentMessages();
    const schedule = await createSchedule();
    const now = Date.now();
    const due = now - MINUTE;
    // A job of the owner's that holds this run's key (one written before POST /v1/jobs refused
    // the schedule: key space): the run is skipped, and the schedule does not point at that job.
    const existing = await insertJob({
      type: "simulate",
      payload: { durationMs: 1, failureRate: 0 },
      owner: DEV_PRINCIPAL_ID,
      idempotencyKey: runIdempotencyKey(schedule.id, due),
      timeoutMs: config.jobTimeoutMs,
    });
    const row = await dueAt(schedule.id, due);
    expect(await runOnce(db, config, row, now)).toEqual({ claimed: true, inserted: undefined });
    expect((await jobsOf(schedule.id)).map((job) => job.id)).toEqual([existing]);
    expect(await stored(schedule.id)).toMatchObject({ lastRunAt: null, lastJobId: null });
  });

  it("keeps its key space to itself: POST /v1/jobs and batches refuse a schedule: key", async () => {
    const schedule = await createSchedule();
    const key = runIdempotencyKey(schedule.id, Date.now() + MINUTE);
    const job = { type: "simulate", payload: {}, idempotencyKey: key, delaySeconds: 3600 };
    const single = await api("/v1/jobs", { method: "POST", json: job });
    expect(single.status).toBe(400);
    expect(((await single.json()) as { errors: object[] }).errors).toEqual([
      { pointer: "/idempotencyKey", detail: expect.stringMatching(/schedule:.*reserved/) },
    ]);
    const batch = await api("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: [{ ...job, idempotencyKey: "mine" }, job] },
    });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { errors: object[] }).errors).toEqual([
      { pointer: "/jobs/1/idempotencyKey", detail: expect.stringMatching(/reserved/) },
    ]);
    expect(await jobsOf(schedule.id)).toEqual([]);
  });

  it("skipped logs one structured JSON line naming the schedule, the due time and why", async () => {
    sentMessages();
    const schedule = await createSchedule();
    const now = Date.now();
    const due = now - MINUTE;
    await insertJob({ type: "simulate", payload: {}, owner: DEV_PRINCIPAL_ID });
    const row = await dueAt(schedule.id, due);
    const capped = { ...config, caps: { jobsPerMinute: 1_000_000, openJobs: 1 } };
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await runOnce(db, capped, row, now);
    const lines = log.mock.calls.map(([line]) => JSON.parse(String(line)) as { event?: string });
    expect(lines.filter((line) => line.event === "schedule-run-skipped")).toEqual([
      expect.objectContaining({
        event: "schedule-run-skipped",
        scheduleId: schedule.id,
        dueAt: new Date(due).toISOString(),
        reason: expect.stringMatching(/caps/),
      }),
    ]);
    expect(warn).not.toHaveBeenCalled();
  });

  it("goes through the owner's caps: a run past them is skipped, and the schedule moves on", async () => {
    sentMessages();
    const schedule = await createSchedule();
    const now = Date.now();
    await insertJob({ type: "simulate", payload: {}, owner: DEV_PRINCIPAL_ID });
    const row = await dueAt(schedule.id, now - MINUTE);
    const capped = { ...config, caps: { jobsPerMinute: 1_000_000, openJobs: 1 } };
    expect(await runOnce(db, capped, row, now)).toEqual({ claimed: true, inserted: undefined });
    expect(await jobsOf(schedule.id)).toEqual([]);
    expect((await stored(schedule.id)).nextRunAt).toBe(nextRunAfter("* * * * *", "UTC", now));
  });

  it("of a fetch job whose URL the outbound policy now refuses is skipped, and the schedule moves on", async () => {
    sentMessages();
    const response = await api("/v1/schedules", {
      method: "POST",
      json: {
        name: "fetch",
        cron: "* * * * *",
        job: { type: "fetch", payload: { url: "https://upstream.test/hello" } },
      },
    });
    const { id } = (await response.json()) as { id: string };
    const now = Date.now();
    const row = await dueAt(id, now - MINUTE);
    const closed = { ...config, outbound: { allowedHosts: [], allowPrivateNetworks: false } };
    expect(await runOnce(db, closed, row, now)).toEqual({ claimed: true, inserted: undefined });
    expect(await jobsOf(id)).toEqual([]);
    expect((await stored(id)).nextRunAt).toBeGreaterThan(now);
  });
});

describe("exactly once, whatever the interleaving", () => {
  it("enqueues one job for a due time under any mix of overlapping ticks and stale replays", async () => {
    sentMessages();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("tick", "stale replay"), { minLength: 2, maxLength: 6 }),
        async (callers) => {
          const schedule = await createSchedule();
          const now = Date.now();
          const due = now - MINUTE;
          const stale = await dueAt(schedule.id, due);
          await Promise.all(
            callers.map((caller) =>
              caller === "tick"
                ? runDueSchedules(env, db, config, { now })
                : runOnce(db, config, stale, now),
            ),
          );
          const made = await jobsOf(schedule.id);
          expect(made.map((job) => job.idempotencyKey)).toEqual([
            runIdempotencyKey(schedule.id, due),
          ]);
          expect(await stored(schedule.id)).toMatchObject({
            lastRunAt: due,
            lastJobId: made[0]!.id,
            nextRunAt: nextRunAfter("* * * * *", "UTC", now),
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("catch-up", () => {
  it("enqueues one run for all the due times missed, then moves to the next future one", async () => {
    const sent = sentMessages();
    const schedule = await createSchedule();
    const now = Math.floor(Date.now() / MINUTE) * MINUTE + 20_000;
    const oldest = now - 20_000 - 10 * MINUTE; // ten missed minutes
    await dueAt(schedule.id, oldest);
    const report = await runDueSchedules(env, db, config, { now });
    expect(report.claimed).toBeGreaterThanOrEqual(1);
    const made = await jobsOf(schedule.id);
    expect(made.map((job) => job.idempotencyKey)).toEqual([runIdempotencyKey(schedule.id, oldest)]);
    expect(sent.map((message) => message.jobId)).toContain(made[0]!.id);
    expect(await stored(schedule.id)).toMatchObject({
      nextRunAt: now - 20_000 + MINUTE,
      lastRunAt: oldest,
      lastJobId: made[0]!.id,
    });
    // Nothing more is due until then.
    await runDueSchedules(env, db, config, { now: now + 30_000 });
    expect(await jobsOf(schedule.id)).toHaveLength(1);
    await runDueSchedules(env, db, config, { now: now + 40_000 });
    expect(await jobsOf(schedule.id)).toHaveLength(2);
  });

  it("leaves a schedule not yet due alone", async () => {
    sentMessages();
    const schedule = await createSchedule("0 0 1 1 *");
    await runDueSchedules(env, db, config);
    expect(await jobsOf(schedule.id)).toEqual([]);
    expect((await stored(schedule.id)).nextRunAt).toBe(schedule.nextRunAt);
  });
});

describe("pause and resume", () => {
  it("a paused schedule enqueues nothing, even for a tick that read it due before the pause", async () => {
    sentMessages();
    const schedule = await createSchedule();
    const now = Date.now();
    const stale = await dueAt(schedule.id, now - MINUTE);
    const paused = await api(`/v1/schedules/${schedule.id}/pause`, { method: "POST" });
    expect(await paused.json()).toMatchObject({ paused: true, nextRunAt: null });
    expect(await runOnce(db, config, stale, now)).toEqual({ claimed: false, inserted: undefined });
    await runDueSchedules(env, db, config, { now: now + 10 * MINUTE });
    expect(await jobsOf(schedule.id)).toEqual([]);
    expect(await stored(schedule.id)).toMatchObject({ paused: true, nextRunAt: null });
  });

  it("resume computes the next run from now: the runs missed while paused are not enqueued", async () => {
    sentMessages();
    const schedule = await createSchedule();
    await api(`/v1/schedules/${schedule.id}/pause`, { method: "POST" });
    const before = Date.now();
    const resumed = await api(`/v1/schedules/${schedule.id}/resume`, { method: "POST" });
    expect(resumed.status).toBe(200);
    const view = (await resumed.json()) as { paused: boolean; nextRunAt: string };
    expect(view.paused).toBe(false);
    const next = Date.parse(view.nextRunAt);
    expect(next).toBeGreaterThan(before);
    expect(next).toBeLessThanOrEqual(Date.now() + MINUTE);
    expect(next % MINUTE).toBe(0);
    await runDueSchedules(env, db, config, { now: next - 1 });
    expect(await jobsOf(schedule.id)).toEqual([]);
    await runDueSchedules(env, db, config, { now: next });
    expect((await jobsOf(schedule.id)).map((job) => job.idempotencyKey)).toEqual([
      runIdempotencyKey(schedule.id, next),
    ]);
  });

  it("a deleted schedule enqueues nothing; the jobs it enqueued stay", async () => {
    sentMessages();
    const schedule = await createSchedule();
    const now = Date.now();
    await dueAt(schedule.id, now - MINUTE);
    await runDueSchedules(env, db, config, { now });
    const stale = await dueAt(schedule.id, now);
    expect((await api(`/v1/schedules/${schedule.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await runOnce(db, config, stale, now + MINUTE)).toEqual({
      claimed: false,
      inserted: undefined,
    });
    expect(await jobsOf(schedule.id)).toHaveLength(1);
    const [gone] = await db
      .select()
      .from(schedules)
      .where(and(eq(schedules.id, schedule.id)));
    expect(gone).toBeUndefined();
  });
});
