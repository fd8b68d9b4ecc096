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
 * The claim of one job as a statement: a conditional UPDATE that succeeds for exactly one caller
 * when the job is `queued` or `failed`, or `running` with an expired lease (its runner died), and
 * returns the claimed row (no row otherwise). The lease covers the job's own deadline plus
 * `leaseMarginMs`, computed from the row itself.
 *
 * @example
 * ```ts
 * const [row] = await claimStatement(db, id, { now: Date.now(), leaseMarginMs: 15_000, runToken });
 * ```
 */
export function claimStatement(
  db: Database,
  id: string,
  options: { now: number; leaseMarginMs: number; runToken: string },
) {
  const { now, runToken } = options;
  return db
    .update(jobs)
    .set({
      status: "running",
      runToken,
      leaseExpiresAt: sql`${now} + ${jobs.timeoutMs} + ${options.leaseMarginMs}`,
      attempts: sql`${jobs.attempts} + 1`,
      updatedAt: now,
    })
    .where(claimable(id, now))
    .returning();
}

/**
 * Claims a job for one run with {@link claimStatement} (one D1 round trip). Returns the claim, or
 * `undefined` when someone else holds it or it is finished.
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
  const [row] = await claimStatement(db, id, { ...options, runToken });
  return row === undefined ? undefined : { job: row, runToken, startedAt: options.now };
}

/**
 * What a job looked like right after a claim of it missed: enough to decide whether its message
 * is acked (finished), or retried (and when).
 *
 * @example
 * ```ts
 * import type { JobState } from "./repository.ts";
 * const state: JobState = { id, status: "running", leaseExpiresAt: Date.now() + 30_000 };
 * ```
 */
export type JobState = Pick<JobRow, "id" | "status" | "leaseExpiresAt">;

/**
 * One delivery's claim from {@link claimJobs}: the claim, or (missed) the job's state after every
 * claim of the batch, `undefined` when there is no such job.
 *
 * @example
 * ```ts
 * import type { ClaimAttempt } from "./repository.ts";
 * const attempt: ClaimAttempt = { claimed: false, job: undefined };
 * ```
 */
export type ClaimAttempt =
  | { claimed: true; claim: Claim }
  | { claimed: false; job: JobState | undefined };

/**
 * Claims the jobs of a whole queue batch in ONE D1 batch (one round trip, one transaction): one
 * {@link claimStatement} per delivery, in order, so of two deliveries of the same job only the
 * first claims it; then one statement that lengthens the leases of the jobs that will wait for a
 * run slot (see below); then a look at the jobs whose claim may have missed.
 *
 * The jobs run `concurrency` at a time in `jobIds` order, so a claim made up front starts ticking
 * before its run. A claimed job that has `concurrency` or more claimed jobs ahead of it starts no
 * later than the sum of their timeouts divided by `concurrency` (until it starts, every slot is busy
 * with one of them, and none runs past its timeout), so its lease is lengthened by that much: the
 * first `concurrency` jobs get exactly the lease of {@link claimJob}.
 *
 * @example
 * ```ts
 * const attempts = await claimJobs(db, ["a", "b", "a"], {
 *   now: Date.now(), leaseMarginMs: 15_000, concurrency: 6,
 * });
 * attempts[2]; // { claimed: false, job: { id: "a", status: "running", leaseExpiresAt } }
 * ```
 */
export async function claimJobs(
  db: Database,
  jobIds: string[],
  options: { now: number; leaseMarginMs: number; concurrency: number },
): Promise<ClaimAttempt[]> {
  if (jobIds.length === 0) return [];
  const { now } = options;
  const tokens = jobIds.map(() => crypto.randomUUID());
  const statements = claimBatchStatements(db, jobIds, tokens, options);
  const results = await runBatch(db, statements);
  const claimedRows = results.slice(0, jobIds.length) as JobRow[][];
  const extended = new Map(
    (results[jobIds.length] as { id: string; leaseExpiresAt: number | null }[]).map((row) => [
      row.id,
      row.leaseExpiresAt,
    ]),
  );
  const states = new Map(
    (results.slice(jobIds.length + 1) as JobState[][]).flat().map((row) => [row.id, row]),
  );
  return jobIds.map((id, index): ClaimAttempt => {
    const [row] = claimedRows[index] ?? [];
    if (row === undefined) return { claimed: false, job: states.get(id) };
    const job = extended.has(id) ? { ...row, leaseExpiresAt: extended.get(id) ?? null } : row;
    return {
      claimed: true,
      claim: { job, runToken: tokens[index] as string, startedAt: now },
    };
  });
}

/**
 * The statements of {@link claimJobs}, in order: one claim per delivery (`runTokens[i]` for
 * `jobIds[i]`), the lease extension for queued runs, then the look-ups (at most 100 ids each).
 * Every statement binds a fixed handful of parameters, or at most 100 ids: within D1's limit of
 * 100 bound parameters per statement, whatever the batch size.
 *
 * @example
 * ```ts
 * const statements = claimBatchStatements(db, ids, tokens, { now, leaseMarginMs: 15_000, concurrency: 6 });
 * const results = await runBatch(db, statements);
 * ```
 */
export function claimBatchStatements(
  db: Database,
  jobIds: string[],
  runTokens: string[],
  options: { now: number; leaseMarginMs: number; concurrency: number },
): Statement[] {
  const { now, leaseMarginMs, concurrency } = options;
  const claims: Statement[] = jobIds.map((id, index) =>
    claimStatement(db, id, { now, leaseMarginMs, runToken: runTokens[index] as string }),
  );
  const distinct = [...new Set(jobIds)];
  const lookups: Statement[] = [];
  for (let start = 0; start < distinct.length; start += 100) {
    lookups.push(
      db
        .select({ id: jobs.id, status: jobs.status, leaseExpiresAt: jobs.leaseExpiresAt })
        .from(jobs)
        .where(inArray(jobs.id, distinct.slice(start, start + 100))),
    );
  }
  const order = JSON.stringify(jobIds.map((id, index) => [id, runTokens[index]]));
  return [...claims, queueWaitStatement(db, order, concurrency), ...lookups];
}

/**
 * Lengthens the leases just taken by a batch's claims by how long each run may wait for a slot.
 * `order` is the JSON array of `[jobId, runToken]` in run order (one bound parameter whatever its
 * length); only rows that hold their token (claimed by this batch) count, so a duplicate delivery
 * or a finished job adds no wait. Returns the lengthened rows' ids and leases.
 */
function queueWaitStatement(db: Database, order: string, concurrency: number) {
  // Claimed runs in run order with the sum of the timeouts of the claimed runs ahead of each.
  const ahead = sql`select j.id as id,
      row_number() over run_order - 1 as runs_ahead,
      coalesce(sum(j.timeout_ms) over (run_order rows between unbounded preceding and 1 preceding), 0) as queued_ms
    from json_each(${order}) as e
    join ${jobs} as j
      on j.id = json_extract(e.value, '$[0]') and j.run_token = json_extract(e.value, '$[1]')
    window run_order as (order by e.key)`;
  // Whole milliseconds, rounded up (D1 may bind the numbers as reals).
  const waits = sql`(select id, cast((queued_ms + ${concurrency} - 1) / ${concurrency} as integer) as wait_ms
    from (${ahead}) where runs_ahead >= ${concurrency}) as waits`;
  return db
    .update(jobs)
    .set({ leaseExpiresAt: sql`${jobs.leaseExpiresAt} + waits.wait_ms` })
    .from(waits)
    .where(sql`${jobs.id} = waits.id`)
    .returning({ id: jobs.id, leaseExpiresAt: jobs.leaseExpiresAt });
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
