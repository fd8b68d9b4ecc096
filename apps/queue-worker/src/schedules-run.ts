import { logEvent } from "@edge-async/http";
import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import { claimDueRun, dueSchedules } from "./db/schedules.ts";
import type { NewJobRow, ScheduleRow } from "./db/schema.ts";
import type { Env } from "./env.ts";
import type { EnqueueRequest } from "./jobs-contract.ts";
import type { JobMessage } from "./messages.ts";
import { buildRows, checkTargets } from "./producer.ts";
import { nextRunAfter } from "./schedules.ts";

/** Schedules one page of the scan claims; a tick reads up to {@link MAX_PAGES} pages. */
const PAGE = 50;
const MAX_PAGES = 10;

/** The idempotency key of a schedule's run due at `dueAt`: a retried claim cannot enqueue it twice. */
export function runIdempotencyKey(scheduleId: string, dueAt: number): string {
  return `schedule:${scheduleId}:${dueAt}`;
}

/** What one tick did. */
export interface TickReport {
  /** Runs whose claim this tick took. */
  claimed: number;
  /** Jobs it enqueued (a claimed run refused by a cap or the outbound policy enqueues none). */
  enqueued: number;
}

/**
 * Enqueues each due run of every running schedule, exactly once: the run's claim (a conditional
 * UPDATE of `next_run_at` from the due time) and the job insert go in one D1 batch, so of two
 * overlapping ticks only one enqueues it, and a retry finds the run's idempotency key taken.
 *
 * Catch-up policy: however many due times were missed (the trigger did not run, or the
 * schedule was paused), a tick enqueues ONE run for the oldest missed due time and moves the
 * schedule to its first due time after now. The job goes through the producer's path (outbound
 * policy, the owner's caps, idempotency); a run that it refuses is skipped and logged, not
 * retried. The created jobs' messages go in one `sendBatch` per 100; if that send fails the jobs
 * stay `queued`, and the sweep sends them. Runs from the cron trigger; stops between schedules
 * when `signal` aborts.
 */
export async function runDueSchedules(
  env: Env,
  db: Database,
  config: Config,
  options: { now?: number; signal?: AbortSignal } = {},
): Promise<TickReport> {
  const now = options.now ?? Date.now();
  const report: TickReport = { claimed: 0, enqueued: 0 };
  const created: NewJobRow[] = [];
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page += 1) {
    options.signal?.throwIfAborted();
    const due = (await dueSchedules(db, now, PAGE)).filter((row) => !seen.has(row.id));
    for (const schedule of due) {
      options.signal?.throwIfAborted();
      seen.add(schedule.id);
      const outcome = await runOnce(db, config, schedule, now).catch((error: unknown) => {
        console.error(`schedule ${schedule.id}: the run due could not be claimed`, error);
        return undefined;
      });
      if (outcome?.claimed) report.claimed += 1;
      if (outcome?.inserted) created.push(outcome.inserted);
    }
    if (due.length < PAGE) break;
  }
  report.enqueued = created.length;
  await sendCreated(env, created, now);
  return report;
}

/**
 * Claims the run of `schedule` due at its stored `nextRunAt` (as read by the caller, possibly
 * stale) and records its job. Exported for the tests that replay a stale read.
 */
export async function runOnce(
  db: Database,
  config: Config,
  schedule: ScheduleRow,
  now: number,
): Promise<{ claimed: boolean; inserted: NewJobRow | undefined }> {
  const dueAt = schedule.nextRunAt;
  if (dueAt === null) return { claimed: false, inserted: undefined };
  const nextRunAt = nextRunAfter(schedule.cron, schedule.timezone, Math.max(now, dueAt));
  const made = jobOf(schedule, config, dueAt, now);
  const job = typeof made === "string" ? undefined : made;
  if (typeof made === "string") skipped(schedule, dueAt, "refused by the producer", made);
  const limits = { owner: schedule.owner, now, ...config.caps };
  const outcome = await claimDueRun(db, { schedule, dueAt, nextRunAt, now, job, limits });
  if (outcome.claimed && job !== undefined && outcome.inserted === undefined) {
    skipped(
      schedule,
      dueAt,
      "refused by its owner's caps, or its idempotency key holds a job the schedule did not enqueue",
    );
  }
  return outcome;
}

/** One structured `schedule-run-skipped` log line: a run the schedule moved past without a job. */
function skipped(schedule: ScheduleRow, dueAt: number, reason: string, error?: string): void {
  logEvent("schedule-run-skipped", {
    scheduleId: schedule.id,
    owner: schedule.owner,
    dueAt: new Date(dueAt).toISOString(),
    reason,
    ...(error === undefined ? {} : { error }),
  });
}

/** The job row of the run due at `dueAt`, or why the producer would refuse it. */
function jobOf(
  schedule: ScheduleRow,
  config: Config,
  dueAt: number,
  now: number,
): NewJobRow | string {
  const request = {
    type: schedule.jobType,
    payload: JSON.parse(schedule.jobPayload),
    idempotencyKey: runIdempotencyKey(schedule.id, dueAt),
    ...(schedule.jobTimeoutMs === null ? {} : { timeoutMs: schedule.jobTimeoutMs }),
  } as EnqueueRequest;
  try {
    checkTargets([request], config, () => "/job");
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return buildRows([request], config, schedule.owner, now)[0] as NewJobRow;
}

async function sendCreated(env: Env, created: NewJobRow[], now: number): Promise<void> {
  for (let start = 0; start < created.length; start += 100) {
    const chunk = created.slice(start, start + 100);
    try {
      await env.JOBS.sendBatch(
        chunk.map((job) => ({
          body: { jobId: job.id as string } satisfies JobMessage,
          contentType: "json" as const,
          delaySeconds: Math.max(0, Math.ceil((job.runAt - now) / 1000)),
        })),
      );
    } catch (error) {
      console.error(
        "sending scheduled jobs failed; they stay queued and the sweep sends them",
        error,
      );
    }
  }
}
