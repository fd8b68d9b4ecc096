import { keysetAfter } from "@edge-async/pagination";
import { and, asc, desc, eq, lte, type SQL, sql } from "drizzle-orm";
import type { Database } from "./database.ts";
import { type EnqueueLimits, insertNewJobsStatement } from "./enqueue.ts";
import { jobs, type NewJobRow, type ScheduleRow, schedules } from "./schema.ts";

/** A schedule to insert. */
export type NewScheduleRow = typeof schedules.$inferInsert;

/** Position of a schedule in the listing order (newest first): `[createdAt, id]`. */
export type SchedulePosition = [number, string];

const ownedBy = (owner: string | undefined): SQL | undefined =>
  owner === undefined ? undefined : eq(schedules.owner, owner);

/** Stores a new schedule and answers it as stored. */
export async function insertSchedule(db: Database, row: NewScheduleRow): Promise<ScheduleRow> {
  const [stored] = await db.insert(schedules).values(row).returning();
  return stored as ScheduleRow;
}

/** One schedule by id; `undefined` when there is none, or when `owner` is given and it is not theirs. */
export async function findSchedule(
  db: Database,
  id: string,
  owner?: string,
): Promise<ScheduleRow | undefined> {
  const [row] = await db
    .select()
    .from(schedules)
    .where(and(eq(schedules.id, id), ownedBy(owner)))
    .limit(1);
  return row;
}

/** One page of schedules, newest first, strictly after `after`; `limit + 1` rows to tell if more exist. */
export function listSchedules(
  db: Database,
  owner: string | undefined,
  limit: number,
  after: SchedulePosition | undefined,
): Promise<ScheduleRow[]> {
  const seek =
    after === undefined
      ? undefined
      : keysetAfter(
          [
            { column: schedules.createdAt, direction: "desc" },
            { column: schedules.id, direction: "desc" },
          ],
          after,
        );
  return db
    .select()
    .from(schedules)
    .where(and(ownedBy(owner), seek))
    .orderBy(desc(schedules.createdAt), desc(schedules.id))
    .limit(limit + 1);
}

/**
 * Pauses a schedule (already paused: unchanged but for `updatedAt`): no next run until resumed.
 * One conditional UPDATE, so a cron trigger's claim of the old due time fails after it.
 */
export async function pauseSchedule(
  db: Database,
  id: string,
  owner: string | undefined,
  now: number,
): Promise<ScheduleRow | undefined> {
  const [row] = await db
    .update(schedules)
    .set({ paused: true, nextRunAt: null, updatedAt: now })
    .where(and(eq(schedules.id, id), ownedBy(owner)))
    .returning();
  return row;
}

/** Resumes a paused schedule with its next run at `nextRunAt`; a schedule that runs is left alone. */
export async function resumeSchedule(
  db: Database,
  id: string,
  owner: string | undefined,
  nextRunAt: number | null,
  now: number,
): Promise<ScheduleRow | undefined> {
  const [row] = await db
    .update(schedules)
    .set({ paused: false, nextRunAt, updatedAt: now })
    .where(and(eq(schedules.id, id), ownedBy(owner), eq(schedules.paused, true)))
    .returning();
  return row;
}

/** Deletes a schedule; `false` when there was none (of `owner`'s). Jobs it enqueued stay. */
export async function deleteSchedule(
  db: Database,
  id: string,
  owner: string | undefined,
): Promise<boolean> {
  const deleted = await db
    .delete(schedules)
    .where(and(eq(schedules.id, id), ownedBy(owner)))
    .returning({ id: schedules.id });
  return deleted.length > 0;
}

/** Up to `limit` running schedules due at `now`, the most overdue first. */
export function dueSchedules(db: Database, now: number, limit: number): Promise<ScheduleRow[]> {
  return db
    .select()
    .from(schedules)
    .where(and(eq(schedules.paused, false), lte(schedules.nextRunAt, now)))
    .orderBy(asc(schedules.nextRunAt), asc(schedules.id))
    .limit(limit);
}

/** One due run of a schedule: the due time it claims, where it moves the claim, and its job. */
export interface DueRun {
  schedule: ScheduleRow;
  /** The `nextRunAt` the caller read: the claim holds only if it is still the stored one. */
  dueAt: number;
  /** Where the claim moves `nextRunAt` (`null`: the cron never fires again). */
  nextRunAt: number | null;
  now: number;
  /** The job row to enqueue, its idempotency key derived from the schedule and `dueAt`; none to only advance. */
  job: NewJobRow | undefined;
  limits: EnqueueLimits;
}

/**
 * Claims one due run and records its job in ONE D1 batch (one transaction):
 *
 * 1. `UPDATE schedules SET next_run_at = <next>, claim_token = <token> WHERE id = ? AND
 *    next_run_at = <due> AND paused = 0`: of two invocations that read the same due time, one
 *    moves it; the other's UPDATE matches nothing. A pause committed in between fails it too.
 * 2. the producer's insert (`insertNewJobsStatement`: caps, owner, idempotency key), only while
 *    the schedule holds this claim's token, so a lost claim inserts nothing;
 * 3. `last_run_at`/`last_job_id` set to the job step 2 inserted, when it did.
 *
 * @returns whether this call took the claim, and the job row it inserted (none when the claim was
 *   lost, or a cap or the idempotency key held it back)
 */
export async function claimDueRun(
  db: Database,
  run: DueRun,
): Promise<{ claimed: boolean; inserted: NewJobRow | undefined }> {
  const { schedule, dueAt, job } = run;
  const token = crypto.randomUUID();
  const claim = db
    .update(schedules)
    .set({ nextRunAt: run.nextRunAt, claimToken: token, updatedAt: run.now })
    .where(
      and(
        eq(schedules.id, schedule.id),
        eq(schedules.nextRunAt, dueAt),
        eq(schedules.paused, false),
      ),
    )
    .returning({ id: schedules.id });
  if (job === undefined) {
    const [claimed] = await db.batch([claim]);
    return { claimed: claimed.length > 0, inserted: undefined };
  }
  const holdsClaim = sql`exists (select 1 from ${schedules} where ${schedules.id} = ${schedule.id} and ${schedules.claimToken} = ${token})`;
  // Only the job this claim inserted: a job of the owner's holding the run's key without being
  // the schedule's (written before POST /v1/jobs refused the `schedule:` prefix) is never its run.
  const jobOfRun = sql`(select ${jobs.id} from ${jobs} where ${jobs.id} = ${job.id as string})`;
  const [claimed, inserted] = await db.batch([
    claim,
    insertNewJobsStatement(db, [job], run.limits, holdsClaim),
    db
      .update(schedules)
      .set({ lastRunAt: dueAt, lastJobId: jobOfRun })
      .where(
        and(
          eq(schedules.id, schedule.id),
          eq(schedules.claimToken, token),
          sql`${jobOfRun} is not null`,
        ),
      ),
  ]);
  return { claimed: claimed.length > 0, inserted: inserted[0] };
}
