import { keysetAfter } from "@edge-async/pagination";
import { and, asc, count, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { JobStats } from "../jobs-contract.ts";
import type { Database } from "./database.ts";
import {
  JOB_STATUSES,
  type JobRow,
  type JobStatus,
  jobRuns,
  jobs,
  type StoredJobRun,
} from "./schema.ts";

/**
 * One job by id; `undefined` when there is none, or when `owner` is given and the job is not
 * theirs (a caller cannot tell another key's job from a missing one).
 */
export async function findJob(
  db: Database,
  id: string,
  owner?: string,
): Promise<JobRow | undefined> {
  const [row] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, id), owner === undefined ? undefined : eq(jobs.owner, owner)))
    .limit(1);
  return row;
}

/**
 * What a job looked like when a claim or a dead-letter mark of it missed: enough to decide whether
 * its message is acked (finished) or retried (and when).
 */
export type JobState = Pick<JobRow, "id" | "status" | "leaseExpiresAt" | "concurrencyKey">;

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
      .select({
        id: jobs.id,
        status: jobs.status,
        leaseExpiresAt: jobs.leaseExpiresAt,
        concurrencyKey: jobs.concurrencyKey,
      })
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
 * Deletes the jobs `ids` that were recorded but never handed to the queue (their send failed):
 * all of them, or none when one has started meanwhile (its message got through after all) or is
 * gone. One statement, so the answer is whole: `true` when every row was deleted and nothing of
 * the enqueue is left.
 */
export async function deleteUnsentJobs(db: Database, ids: string[]): Promise<boolean> {
  if (ids.length === 0) return true;
  const list = sql`(select value from json_each(${JSON.stringify(ids)}))`;
  const untouched = sql`(select count(*) from ${jobs} where ${inArray(jobs.id, list)}
      and ${jobs.status} = 'queued' and ${jobs.attempts} = 0) = ${ids.length}`;
  const deleted = await db
    .delete(jobs)
    .where(and(inArray(jobs.id, list), untouched))
    .returning({ id: jobs.id });
  return deleted.length === ids.length;
}

/** Filters of the listing; an absent filter matches every job. */
export interface ListFilters {
  status?: JobStatus | undefined;
  type?: string | undefined;
  /** Only this principal's jobs; absent for an admin, who sees every job. */
  owner?: string | undefined;
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
    filters.owner === undefined ? undefined : eq(jobs.owner, filters.owner),
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

/** Counts of jobs by status and by type, in one grouped query; only `owner`'s when given. */
export async function countJobs(db: Database, owner?: string): Promise<JobStats> {
  const rows = await db
    .select({ type: jobs.type, status: jobs.status, count: count() })
    .from(jobs)
    .where(owner === undefined ? undefined : eq(jobs.owner, owner))
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

/**
 * Job `id` and its runs ledger, oldest run first, in one round trip; `undefined` when there is no
 * such job, or when `owner` is given and the job is not theirs.
 */
export async function findJobRuns(
  db: Database,
  id: string,
  owner?: string,
): Promise<{ job: JobRow; runs: StoredJobRun[] } | undefined> {
  const [found, runs] = await db.batch([
    db
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, id), owner === undefined ? undefined : eq(jobs.owner, owner)))
      .limit(1),
    db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.jobId, id))
      .orderBy(asc(jobRuns.startedAt), asc(jobRuns.runToken)),
  ]);
  const [job] = found;
  return job === undefined ? undefined : { job, runs };
}
