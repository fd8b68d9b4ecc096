import { and, asc, eq, gte, inArray, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import { callbackDueOnFinish } from "../callbacks.ts";
import type { Database } from "./database.ts";
import { FINISHED_STATUSES, type JobRow, type JobStatus, jobRuns, jobs } from "./schema.ts";

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
        ...callbackDueOnFinish(now),
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
  return changeJob(db, id, owner, RETRYABLE_STATUSES, requeued(now));
}

/** What a retry sets: a fresh start, its progress and callback cleared for the new runs. */
function requeued(now: number) {
  return {
    status: "queued" as const,
    attempts: 0,
    result: null,
    error: null,
    runToken: null,
    leaseExpiresAt: null,
    runAt: now,
    updatedAt: now,
    finishedAt: null,
    cancelRequestedAt: null,
    parked: false,
    progressFraction: null,
    progressMessage: null,
    progressUpdatedAt: null,
    callbackStatus: null,
    callbackAttempts: 0,
    callbackNextAt: null,
    callbackError: null,
    callbackUpdatedAt: null,
  };
}

/** Which `dead`/`cancelled` jobs a bulk retry takes; absent fields match every job. */
export interface RetryFilter {
  statuses: readonly (typeof RETRYABLE_STATUSES)[number][];
  type?: string | undefined;
  /** A case-sensitive substring of the job's last error. */
  error?: string | undefined;
  /** `finishedAt` at or after (epoch ms). */
  from?: number | undefined;
  /** `finishedAt` before (epoch ms). */
  to?: number | undefined;
  /** Only this principal's jobs; absent for an admin. */
  owner?: string | undefined;
}

function matching(filter: RetryFilter): SQL | undefined {
  return and(
    filter.owner === undefined ? undefined : eq(jobs.owner, filter.owner),
    inArray(jobs.status, [...filter.statuses]),
    filter.type === undefined ? undefined : eq(jobs.type, filter.type),
    filter.error === undefined ? undefined : sql`instr(${jobs.error}, ${filter.error}) > 0`,
    filter.from === undefined ? undefined : gte(jobs.finishedAt, filter.from),
    filter.to === undefined ? undefined : lt(jobs.finishedAt, filter.to),
  );
}

/**
 * Puts back `queued` up to `limit` (at most 100) jobs matching `filter`, oldest finished first, in
 * ONE D1 batch: the pick in that order, the conditional UPDATE (only from `dead` or `cancelled`,
 * so a job retried meanwhile is not taken twice) and a look for one more match. Returns the ids
 * requeued oldest finished first (ties by id) and whether more match; since requeued jobs no
 * longer match, the same filter again goes on.
 */
export async function requeueMatching(
  db: Database,
  filter: RetryFilter,
  limit: number,
  now: number,
): Promise<{ ids: string[]; hasMore: boolean }> {
  const where = matching(filter);
  const picked = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(where)
    .orderBy(asc(jobs.finishedAt), asc(jobs.id))
    .limit(Math.min(limit, 100));
  // UPDATE … RETURNING answers rows in no promised order (SQLite's is storage order), so the
  // same pick is read first, in the batch's one transaction, to put the ids in finishing order.
  const [order, updated, more] = await db.batch([
    picked,
    db
      .update(jobs)
      .set(requeued(now))
      .where(and(inArray(jobs.id, picked), inArray(jobs.status, [...filter.statuses])))
      .returning({ id: jobs.id }),
    db.select({ id: jobs.id }).from(jobs).where(where).limit(1),
  ]);
  const rank = new Map(order.map((row, index) => [row.id, index]));
  const ids = updated
    .map((row) => row.id)
    .sort((a, b) => (rank.get(a) ?? rank.size) - (rank.get(b) ?? rank.size));
  return { ids, hasMore: more.length > 0 };
}

/**
 * What a delete found: `deleted`, `unfinished` (the job exists, not finished), `callbackPending`
 * (finished, its completion callback not yet delivered or given up), or `missing`.
 */
export type DeleteOutcome = "deleted" | "unfinished" | "callbackPending" | "missing";

/**
 * Deletes finished job `id` (only `owner`'s when given) and its runs in one D1 batch (one
 * transaction): the runs only when the job goes too. A job whose callback is still `pending` is
 * kept, as retention keeps it: the delivery reads the job to send it.
 */
export async function deleteFinishedJob(
  db: Database,
  id: string,
  owner: string | undefined,
): Promise<DeleteOutcome> {
  const mine = and(eq(jobs.id, id), owner === undefined ? undefined : eq(jobs.owner, owner));
  const finished = and(
    mine,
    inArray(jobs.status, [...FINISHED_STATUSES]),
    or(isNull(jobs.callbackStatus), ne(jobs.callbackStatus, "pending")),
  );
  const [, deleted, [left]] = await db.batch([
    db
      .delete(jobRuns)
      .where(and(eq(jobRuns.jobId, id), sql`exists (select 1 from ${jobs} where ${finished})`)),
    db.delete(jobs).where(finished).returning({ id: jobs.id }),
    db
      .select({ status: jobs.status, callbackStatus: jobs.callbackStatus })
      .from(jobs)
      .where(mine)
      .limit(1),
  ]);
  if (deleted.length > 0) return "deleted";
  if (left === undefined) return "missing";
  const done = (FINISHED_STATUSES as readonly string[]).includes(left.status);
  return done && left.callbackStatus === "pending" ? "callbackPending" : "unfinished";
}
