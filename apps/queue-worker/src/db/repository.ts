import { keysetAfter } from "@edge-async/pagination";
import { and, count, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import {
  JOB_STATUSES,
  type JobRow,
  type JobRunRow,
  type JobStatus,
  jobRuns,
  jobs,
  type NewJobRow,
} from "./schema.ts";

/** The drizzle handle every query takes. @example `const db: Database = database(env.DB);` */
export type Database = DrizzleD1Database<Record<string, never>>;

/**
 * A drizzle handle on the worker's D1 database.
 *
 * @example
 * ```ts
 * import { database } from "./repository.ts";
 * const db = database(env.DB);
 * ```
 */
export function database(d1: D1Database): Database {
  return drizzle(d1);
}

/**
 * A statement for one `db.batch()`: one D1 round trip, applied atomically.
 *
 * @example
 * ```ts
 * import type { Statement } from "./repository.ts";
 * const statements: Statement[] = [insertJobStatement(db, row)];
 * ```
 */
export type Statement = BatchItem<"sqlite">;

/**
 * Runs statements as one D1 batch (one round trip, one transaction); no-op when empty.
 *
 * @example
 * ```ts
 * import { runBatch, insertJobStatement } from "./repository.ts";
 * await runBatch(db, rows.map((row) => insertJobStatement(db, row)));
 * ```
 */
export async function runBatch(db: Database, statements: Statement[]): Promise<unknown[]> {
  const [first, ...rest] = statements;
  if (first === undefined) return [];
  return db.batch([first, ...rest]);
}

/**
 * INSERT of a new job that does nothing when its idempotency key is taken; returns the inserted
 * row, or no row for a replay.
 *
 * @example
 * ```ts
 * const [inserted] = await insertJobStatement(db, row);
 * ```
 */
export function insertJobStatement(db: Database, row: NewJobRow) {
  return db.insert(jobs).values(row).onConflictDoNothing().returning();
}

/**
 * Jobs by idempotency key (at most 100 keys: one bound parameter each).
 *
 * @example
 * ```ts
 * const existing = await findByIdempotencyKeys(db, ["order-42"]);
 * ```
 */
export async function findByIdempotencyKeys(db: Database, keys: string[]): Promise<JobRow[]> {
  if (keys.length === 0) return [];
  if (keys.length > 100) throw new RangeError("at most 100 keys per query (D1 parameter limit)");
  return db.select().from(jobs).where(inArray(jobs.idempotencyKey, keys));
}

/**
 * One job by id.
 *
 * @example
 * ```ts
 * const job = await findJob(db, id);
 * ```
 */
export async function findJob(db: Database, id: string): Promise<JobRow | undefined> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id)).limit(1);
  return row;
}

/**
 * Deletes jobs that were recorded but never handed to the queue (their send failed). Only rows
 * still untouched (`queued`, no attempt) go, so a job that somehow started is never lost.
 *
 * @example
 * ```ts
 * await deleteUnsentJobs(db, ids);
 * ```
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

/** Filters of the listing. @example `const filters: ListFilters = { status: "dead" };` */
export interface ListFilters {
  status?: JobStatus | undefined;
  type?: string | undefined;
}

/**
 * Position of a row in the listing order (newest first): `[createdAt, id]`.
 *
 * @example
 * ```ts
 * import type { ListPosition } from "./repository.ts";
 * const after: ListPosition = [last.createdAt, last.id];
 * ```
 */
export type ListPosition = [number, string];

/**
 * One page of jobs, newest first, strictly after `after`; fetches `limit + 1` rows so the caller
 * knows whether another page exists.
 *
 * @example
 * ```ts
 * const rows = await listJobs(db, { status: "dead" }, 20, undefined);
 * ```
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

/** Counts answered by `GET /v1/stats`. @example `const { total, byStatus }: JobStats = await jobStats(db);` */
export interface JobStats {
  total: number;
  byStatus: Record<JobStatus, number>;
  byType: Record<string, Record<JobStatus, number>>;
}

/**
 * Counts of jobs by status and by type, in one grouped query.
 *
 * @example
 * ```ts
 * const { byStatus } = await jobStats(db);
 * ```
 */
export async function jobStats(db: Database): Promise<JobStats> {
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

/**
 * A job claimed for one run: the row as the claim left it, the run's token and its start.
 *
 * @example
 * ```ts
 * import { type Claim, claimJob } from "./repository.ts";
 * const claim: Claim | undefined = await claimJob(db, id, { now: Date.now(), leaseMarginMs: 15_000 });
 * ```
 */
export interface Claim {
  job: JobRow;
  runToken: string;
  startedAt: number;
}

/**
 * Job `id` when no live run holds it: `queued` or `failed`, or `running` with an expired lease
 * (its runner died). Claiming and dead-lettering both take a job only in this state.
 */
function claimable(id: string, now: number): SQL | undefined {
  return and(
    eq(jobs.id, id),
    or(
      inArray(jobs.status, ["queued", "failed"]),
      and(eq(jobs.status, "running"), lt(jobs.leaseExpiresAt, now)),
    ),
  );
}

/**
 * Claims a job for one run: a conditional UPDATE that succeeds for exactly one caller when the job
 * is `queued` or `failed`, or `running` with an expired lease (its runner died). Returns the claim,
 * or `undefined` when someone else holds it or it is finished.
 *
 * @example
 * ```ts
 * const claim = await claimJob(db, id, { now: Date.now(), leaseMarginMs: 15_000 });
 * if (claim) await run(claim);
 * ```
 */
export async function claimJob(
  db: Database,
  id: string,
  options: { now: number; leaseMarginMs: number; runToken?: string },
): Promise<Claim | undefined> {
  const runToken = options.runToken ?? crypto.randomUUID();
  const { now } = options;
  const [row] = await db
    .update(jobs)
    .set({
      status: "running",
      runToken,
      // The lease covers the job's own deadline plus a margin, computed from the row itself.
      leaseExpiresAt: sql`${now} + ${jobs.timeoutMs} + ${options.leaseMarginMs}`,
      attempts: sql`${jobs.attempts} + 1`,
      updatedAt: now,
    })
    .where(claimable(id, now))
    .returning();
  return row === undefined ? undefined : { job: row, runToken, startedAt: now };
}

/**
 * How one run ended, ready to be written.
 *
 * @example
 * ```ts
 * import type { RunOutcomeWrite } from "./repository.ts";
 * const outcome: RunOutcomeWrite = { kind: "failed", error: "Error: upstream answered 503" };
 * ```
 */
export type RunOutcomeWrite =
  | { kind: "succeeded"; result: unknown }
  | { kind: "failed"; error: string }
  | { kind: "dead"; error: string };

/**
 * The statements recording a run's outcome: the job's status (only if this run still holds the
 * claim, matched by run token) and the run's line in the ledger.
 *
 * @example
 * ```ts
 * await runBatch(db, outcomeStatements(db, claim, { kind: "succeeded", result }, Date.now()));
 * ```
 */
export function outcomeStatements(
  db: Database,
  claim: Claim,
  outcome: RunOutcomeWrite,
  now: number,
): [Statement, Statement] {
  const finished = outcome.kind !== "failed";
  const update = db
    .update(jobs)
    .set({
      status: outcome.kind,
      result: outcome.kind === "succeeded" ? JSON.stringify(outcome.result ?? null) : null,
      error: outcome.kind === "succeeded" ? null : outcome.error,
      runToken: null,
      leaseExpiresAt: null,
      updatedAt: now,
      finishedAt: finished ? now : null,
    })
    .where(and(eq(jobs.id, claim.job.id), eq(jobs.runToken, claim.runToken)))
    .returning({ id: jobs.id });
  const run: JobRunRow = {
    runToken: claim.runToken,
    jobId: claim.job.id,
    attempt: claim.job.attempts,
    outcome: outcome.kind,
    error: outcome.kind === "succeeded" ? null : outcome.error,
    startedAt: claim.startedAt,
    finishedAt: now,
  };
  return [update, db.insert(jobRuns).values(run)];
}

/**
 * Marks a dead-lettered job `dead`, keeping its last error, unless it finished or is running under
 * a live lease. Returns the id when it was marked.
 *
 * @example
 * ```ts
 * await runBatch(db, ids.map((id) => markDeadStatement(db, id, Date.now())));
 * ```
 */
export function markDeadStatement(db: Database, id: string, now: number) {
  return db
    .update(jobs)
    .set({
      status: "dead",
      error: sql`'gave up after ' || ${jobs.attempts} || ' attempt(s); last error: ' || coalesce(${jobs.error}, 'none recorded (no run finished)')`,
      runToken: null,
      leaseExpiresAt: null,
      updatedAt: now,
      finishedAt: now,
    })
    .where(claimable(id, now))
    .returning({ id: jobs.id });
}
