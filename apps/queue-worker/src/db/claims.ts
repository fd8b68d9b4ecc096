import { and, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { type KeyLimits, keyHasRoom } from "../concurrency-keys.ts";
import { type Database, runBatch, type Statement } from "./database.ts";
import { type JobState, jobStateLookups } from "./jobs.ts";
import { type JobRow, jobRuns, jobs } from "./schema.ts";

/**
 * A job claimed for one run: the row as the claim left it, the run's token (only its holder may
 * write the outcome) and its start, for the ledger.
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
export function claimable(id: string, now: number): SQL | undefined {
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
 * when the job is {@link claimable}, and returns the claimed row (no row otherwise). The lease
 * covers the job's own deadline plus `leaseMarginMs`, computed from the row itself. With
 * `keyLimits`, a job with a `concurrencyKey` is claimed only while its key has room.
 */
function claimStatement(
  db: Database,
  id: string,
  options: { now: number; leaseMarginMs: number; runToken: string; keyLimits?: KeyLimits },
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
    .where(and(claimable(id, now), keyHasRoom(options.keyLimits, now)))
    .returning();
}

/**
 * The runs ledger's `running` line of each claim in `order` (the JSON array of `[jobId, runToken]`,
 * one bound parameter) that holds its job: run after the claims in their batch, so a claim that
 * missed starts no run.
 */
function runStartStatement(db: Database, order: string, now: number) {
  // Columns in the table's order: run_token, job_id, attempt, outcome, error, started_at, finished_at.
  const started = sql`select j.run_token, j.id, j.attempts, 'running', null, ${now}, null
    from json_each(${order}) as e
    join ${jobs} as j
      on j.id = json_extract(e.value, '$[0]') and j.run_token = json_extract(e.value, '$[1]')`;
  return db.insert(jobRuns).select(started).onConflictDoNothing();
}

/**
 * Claims a job for one run (one D1 round trip: the claim and its ledger line) so that no other
 * delivery runs it meanwhile. Returns the claim, or `undefined` when someone else holds it or it
 * is finished.
 */
export async function claimJob(
  db: Database,
  id: string,
  options: { now: number; leaseMarginMs: number; runToken?: string; keyLimits?: KeyLimits },
): Promise<Claim | undefined> {
  const runToken = options.runToken ?? crypto.randomUUID();
  const [claimed] = await db.batch([
    claimStatement(db, id, { ...options, runToken }),
    runStartStatement(db, JSON.stringify([[id, runToken]]), options.now),
  ]);
  const [row] = claimed;
  return row === undefined ? undefined : { job: row, runToken, startedAt: options.now };
}

/**
 * One delivery's claim from {@link claimJobs}: the claim, or (missed) the job's state after every
 * claim of the batch, `undefined` when there is no such job.
 */
export type ClaimAttempt =
  | { claimed: true; claim: Claim }
  | { claimed: false; job: JobState | undefined };

/**
 * Claims the jobs of a whole queue batch in ONE D1 batch (one round trip, one transaction): one
 * claim per delivery, in order, so of two deliveries of the same job only the first claims it;
 * then one statement that lengthens the leases of the jobs that will wait for a run slot (see
 * below); then a look at the jobs whose claim may have missed.
 *
 * The jobs run `concurrency` at a time in `jobIds` order, so a claim made up front starts ticking
 * before its run. A claimed job that has `concurrency` or more claimed jobs ahead of it starts no
 * later than the sum of their timeouts divided by `concurrency` (until it starts, every slot is busy
 * with one of them, and none runs past its timeout), so its lease is lengthened by that much: the
 * first `concurrency` jobs get exactly the lease of {@link claimJob}.
 */
export async function claimJobs(
  db: Database,
  jobIds: string[],
  options: { now: number; leaseMarginMs: number; concurrency: number; keyLimits?: KeyLimits },
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
    (results.slice(jobIds.length + 2) as JobState[][]).flat().map((row) => [row.id, row]),
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
 * `jobIds[i]`), the lease extension for queued runs, the runs ledger's lines of the claims that
 * held, then the look-ups (at most 100 ids each).
 * Every statement binds a fixed handful of parameters, or at most 100 ids: within D1's limit of
 * 100 bound parameters per statement, whatever the batch size.
 */
export function claimBatchStatements(
  db: Database,
  jobIds: string[],
  runTokens: string[],
  options: { now: number; leaseMarginMs: number; concurrency: number; keyLimits?: KeyLimits },
): Statement[] {
  const { now, leaseMarginMs, concurrency, keyLimits } = options;
  // In order, each claim sees the ones before it: two jobs of one key in a batch count each other.
  const claims: Statement[] = jobIds.map((id, index) =>
    claimStatement(db, id, {
      now,
      leaseMarginMs,
      runToken: runTokens[index] as string,
      ...(keyLimits === undefined ? {} : { keyLimits }),
    }),
  );
  const order = JSON.stringify(jobIds.map((id, index) => [id, runTokens[index]]));
  return [
    ...claims,
    queueWaitStatement(db, order, concurrency),
    runStartStatement(db, order, now),
    ...jobStateLookups(db, jobIds),
  ];
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
