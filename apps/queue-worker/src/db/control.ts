import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "./database.ts";
import { type JobRow, type JobStatus, jobs } from "./schema.ts";

/** States a cancel takes a job from: waiting for its first run, or for its next one. */
export const CANCELLABLE_STATUSES = ["queued", "failed"] as const satisfies readonly JobStatus[];

/** States a retry takes a job from: the final states no run of its own will leave. */
export const RETRYABLE_STATUSES = ["dead", "cancelled"] as const satisfies readonly JobStatus[];

/**
 * What a conditional change of one job found: `changed` when the job was in a state the change
 * takes it from (and `job` is the row after it), otherwise the row as it stands.
 */
export interface JobChange {
  changed: boolean;
  job: JobRow;
}

/**
 * Runs a conditional UPDATE of job `id` (only `owner`'s when given, only from `from`) and reads
 * the row back, in one D1 batch (one round trip, one transaction). `undefined` when there is no
 * such job of `owner`.
 */
async function changeJob(
  db: Database,
  id: string,
  owner: string | undefined,
  from: readonly JobStatus[],
  set: Partial<JobRow>,
): Promise<JobChange | undefined> {
  const mine = and(eq(jobs.id, id), owner === undefined ? undefined : eq(jobs.owner, owner));
  const [updated, [job]] = await db.batch([
    db
      .update(jobs)
      .set(set)
      .where(and(mine, inArray(jobs.status, [...from])))
      .returning({ id: jobs.id }),
    db.select().from(jobs).where(mine).limit(1),
  ]);
  return job === undefined ? undefined : { changed: updated.length > 0, job };
}

/** What a cancel did: cancelled a waiting job, asked a running one to stop, or nothing. */
export type CancelOutcome = "cancelled" | "requested" | "refused";

/**
 * Cancels job `id` in one D1 batch: a job waiting to run ({@link CANCELLABLE_STATUSES}) becomes
 * `cancelled` and finished, so the claim of any message for it misses and the message is acked
 * unrun; a `running` job gets `cancelRequestedAt`, which its consumer's heartbeat reads to abort
 * the run. `undefined` when there is no such job of `owner`.
 */
export async function cancelJob(
  db: Database,
  id: string,
  owner: string | undefined,
  now: number,
): Promise<{ outcome: CancelOutcome; job: JobRow } | undefined> {
  const mine = and(eq(jobs.id, id), owner === undefined ? undefined : eq(jobs.owner, owner));
  const [cancelled, requested, [job]] = await db.batch([
    db
      .update(jobs)
      .set({
        status: "cancelled",
        runToken: null,
        leaseExpiresAt: null,
        updatedAt: now,
        finishedAt: now,
      })
      .where(and(mine, inArray(jobs.status, [...CANCELLABLE_STATUSES])))
      .returning({ id: jobs.id }),
    // After the first statement: a job it cancelled is no longer running.
    db
      .update(jobs)
      .set({ cancelRequestedAt: sql`coalesce(${jobs.cancelRequestedAt}, ${now})`, updatedAt: now })
      .where(and(mine, eq(jobs.status, "running")))
      .returning({ id: jobs.id }),
    db.select().from(jobs).where(mine).limit(1),
  ]);
  if (job === undefined) return undefined;
  const outcome =
    cancelled.length > 0 ? "cancelled" : requested.length > 0 ? "requested" : "refused";
  return { outcome, job };
}

/**
 * Puts job `id` back `queued` with fresh attempts if it is `dead` or `cancelled`; the caller then
 * sends its message. Its runs stay on the ledger.
 */
export function requeueJob(db: Database, id: string, owner: string | undefined, now: number) {
  return changeJob(db, id, owner, RETRYABLE_STATUSES, {
    status: "queued",
    attempts: 0,
    result: null,
    error: null,
    runToken: null,
    leaseExpiresAt: null,
    runAt: now,
    updatedAt: now,
    finishedAt: null,
    cancelRequestedAt: null,
  });
}
