import { keysetAfter } from "@edge-async/pagination";
import { and, count, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { JobStats } from "../contract.ts";
import { type Database, runBatch, type Statement } from "./database.ts";
import { JOB_STATUSES, type JobRow, type JobStatus, jobs, type NewJobRow } from "./schema.ts";

/**
 * INSERT of a new job that does nothing when its idempotency key is taken; returns the inserted
 * row, or no row for a replay, so one batch both inserts and tells replays apart.
 */
export function insertJobStatement(db: Database, row: NewJobRow) {
  return db.insert(jobs).values(row).onConflictDoNothing().returning();
}

/**
 * Jobs by idempotency key. At most 100 keys (one bound parameter each, D1's limit per statement);
 * throws a `RangeError` past that.
 */
export async function findByIdempotencyKeys(db: Database, keys: string[]): Promise<JobRow[]> {
  if (keys.length === 0) return [];
  if (keys.length > 100) throw new RangeError("at most 100 keys per query (D1 parameter limit)");
  return db.select().from(jobs).where(inArray(jobs.idempotencyKey, keys));
}

/** One job by id; `undefined` when there is none. */
export async function findJob(db: Database, id: string): Promise<JobRow | undefined> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id)).limit(1);
  return row;
}

/**
 * What a job looked like when a claim or a dead-letter mark of it missed: enough to decide whether
 * its message is acked (finished) or retried (and when).
 */
export type JobState = Pick<JobRow, "id" | "status" | "leaseExpiresAt">;

/**
 * Look-ups of the {@link JobState} of `ids` (duplicates once), at most 100 ids per statement so
 * each stays within D1's 100 bound parameters; for a caller that puts them in its own batch.
 */
export function jobStateLookups(db: Database, ids: string[]) {
  const distinct = [...new Set(ids)];
  const groups = Array.from({ length: Math.ceil(distinct.length / 100) }, (_, index) =>
    distinct.slice(index * 100, index * 100 + 100),
  );
  return groups.map((group) =>
    db
      .select({ id: jobs.id, status: jobs.status, leaseExpiresAt: jobs.leaseExpiresAt })
      .from(jobs)
      .where(inArray(jobs.id, group)),
  );
}

/** The states of the jobs `ids` that exist, in one round trip; missing jobs are left out. */
export async function findJobStates(db: Database, ids: string[]): Promise<JobState[]> {
  const [first, ...rest] = jobStateLookups(db, ids);
  if (first === undefined) return [];
  if (rest.length === 0) return first;
  return (await db.batch([first, ...rest])).flat();
}

/**
 * Deletes jobs that were recorded but never handed to the queue (their send failed). Only rows
 * still untouched (`queued`, no attempt) go, so a job that somehow started is never lost.
 */
export async function deleteUnsentJobs(db: Database, ids: string[]): Promise<void> {
  // Each statement binds its ids plus two more values: stay under D1's 100 bound parameters.
  const statements: Statement[] = [];
  for (let start = 0; start < ids.length; start += 50) {
    const group = ids.slice(start, start + 50);
    statements.push(
      db
        .delete(jobs)
        .where(and(inArray(jobs.id, group), eq(jobs.status, "queued"), eq(jobs.attempts, 0))),
    );
  }
  await runBatch(db, statements);
}

/** Filters of the listing; an absent filter matches every job. */
export interface ListFilters {
  status?: JobStatus | undefined;
  type?: string | undefined;
}

/** Position of a row in the listing order (newest first): `[createdAt, id]`. */
export type ListPosition = [number, string];

/**
 * One page of jobs, newest first, strictly after `after`; fetches `limit + 1` rows so the caller
 * knows whether another page exists.
 */
export async function listJobs(
  db: Database,
  filters: ListFilters,
  limit: number,
  after: ListPosition | undefined,
): Promise<JobRow[]> {
  const conditions: (SQL | undefined)[] = [
    filters.status === undefined ? undefined : eq(jobs.status, filters.status),
    filters.type === undefined ? undefined : eq(jobs.type, filters.type),
    after === undefined
      ? undefined
      : keysetAfter(
          [
            { column: jobs.createdAt, direction: "desc" },
            { column: jobs.id, direction: "desc" },
          ],
          after,
        ),
  ];
  return db
    .select()
    .from(jobs)
    .where(and(...conditions))
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(limit + 1);
}

/** Counts of jobs by status and by type, in one grouped query. */
export async function countJobs(db: Database): Promise<JobStats> {
  const rows = await db
    .select({ type: jobs.type, status: jobs.status, count: count() })
    .from(jobs)
    .groupBy(jobs.type, jobs.status);
  const zero = () =>
    Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  const stats: JobStats = { total: 0, byStatus: zero(), byType: {} };
  for (const row of rows) {
    stats.total += row.count;
    stats.byStatus[row.status] += row.count;
    stats.byType[row.type] ??= zero();
    (stats.byType[row.type] as Record<JobStatus, number>)[row.status] += row.count;
  }
  return stats;
}
