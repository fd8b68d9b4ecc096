import { and, count, eq, getTableColumns, gt, inArray, min, type SQL, sql } from "drizzle-orm";
import { type Database, runBatch, type Statement } from "./database.ts";
import { type JobRow, jobs, type NewJobRow } from "./schema.ts";

/** Statuses of a job that is not finished: it holds one of its owner's open-job slots. */
export const OPEN_STATUSES = ["queued", "running", "failed"] as const;

/** How far back the jobs-per-minute cap counts, in milliseconds. */
export const CAP_WINDOW_MS = 60_000;

/** The caps one enqueue is checked against, for one owner, at one instant. */
export interface EnqueueLimits {
  owner: string;
  now: number;
  jobsPerMinute: number;
  openJobs: number;
}

// D1 refuses a string or BLOB over 2,000,000 bytes, bound parameters included; the rows travel as
// JSON (payloads escaped once more), so they are split into parts well under that.
const MAX_PART_BYTES = 900_000;

function jsonParts(rows: readonly object[]): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  const encoder = new TextEncoder();
  for (const row of rows) {
    const text = JSON.stringify(row);
    const size = encoder.encode(text).byteLength + 1;
    if (current.length > 0 && bytes + size > MAX_PART_BYTES) {
      parts.push(`[${current.join(",")}]`);
      current = [];
      bytes = 2;
    }
    current.push(text);
    bytes += size;
  }
  parts.push(`[${current.join(",")}]`);
  return parts;
}

/** A row as the JSON the insert reads, keyed by column name (absent columns read as NULL). */
function asColumns(row: NewJobRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(getTableColumns(jobs))) {
    const value = row[field as keyof NewJobRow];
    if (value !== undefined && value !== null) out[column.name] = value;
  }
  return out;
}

/**
 * The owner's jobs counted by a cap, bounded so a count reads at most `limit + 1` index entries.
 */
function countUpTo(where: SQL | undefined, limit: number): SQL {
  return sql`(select count(*) from (select 1 from ${jobs} where ${where} limit ${limit + 1}))`;
}

/**
 * ONE statement that records the new jobs of an enqueue, all of them or none:
 *
 * - a row whose idempotency key its owner already holds is not inserted (the caller answers the
 *   existing job), nor is anything when one of those keys belongs to a different job (409);
 * - nothing is inserted when the new rows would take the owner past `jobsPerMinute` (jobs created
 *   in the last 60 s) or `openJobs` (jobs queued, running or awaiting a retry).
 *
 * The counts and the conflict check are uncorrelated subqueries, evaluated once for the whole
 * statement, and D1 runs a statement alone, so two requests racing at a cap's edge cannot both get
 * through: the caps are exact. Returns the inserted rows.
 */
export function insertNewJobsStatement(
  db: Database,
  rows: NewJobRow[],
  limits: EnqueueLimits,
  /** A further condition on the whole insert (a schedule's claim: see db/schedules.ts). */
  onlyIf?: SQL,
) {
  const { owner } = limits;
  const input = sql.join(
    jsonParts(rows.map(asColumns)).map((part) => sql`select value from json_each(${part})`),
    sql` union all `,
  );
  const columns = Object.values(getTableColumns(jobs)).map(
    // Column names are this schema's own: inlined, so the statement binds few parameters.
    (column) => sql.raw(`json_extract(value, '$.${column.name}')`),
  );
  const ownKey = sql`${jobs.owner} = ${owner} and ${jobs.idempotencyKey} = json_extract(input.value, '$.idempotency_key')`;
  const recent = countUpTo(
    and(eq(jobs.owner, owner), gt(jobs.createdAt, limits.now - CAP_WINDOW_MS)),
    limits.jobsPerMinute,
  );
  const open = countUpTo(
    and(eq(jobs.owner, owner), inArray(jobs.status, [...OPEN_STATUSES])),
    limits.openJobs,
  );
  const select = sql`with input as (${input}),
    fresh as (select value from input where not exists (select 1 from ${jobs} where ${ownKey}))
    select ${sql.join(columns, sql`, `)} from fresh
    where not exists (
        select 1 from input join ${jobs} on ${ownKey}
        where ${jobs.type} is not json_extract(input.value, '$.type')
           or ${jobs.payload} is not json_extract(input.value, '$.payload'))
      and ${recent} + (select count(*) from fresh) <= ${limits.jobsPerMinute}
      and ${open} + (select count(*) from fresh) <= ${limits.openJobs}
      ${onlyIf === undefined ? sql`` : sql`and ${onlyIf}`}`;
  return db.insert(jobs).select(select).onConflictDoNothing().returning();
}

/** The owner's jobs holding `keys`, read in the same batch as the insert (so after it). */
export function ownJobsByKeys(db: Database, owner: string, keys: string[]) {
  return db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.owner, owner),
        inArray(jobs.idempotencyKey, sql`(select value from json_each(${JSON.stringify(keys)}))`),
      ),
    );
}

/** What an enqueue left: the rows it inserted (by id), and the owner's rows holding its keys. */
export interface EnqueueWrite {
  inserted: Map<string, JobRow>;
  byKey: Map<string, JobRow>;
}

function asWrite(inserted: JobRow[], found: JobRow[]): EnqueueWrite {
  return {
    inserted: new Map(inserted.map((job) => [job.id, job])),
    byKey: new Map(found.map((job) => [job.idempotencyKey as string, job])),
  };
}

/**
 * Records `rows` (see {@link insertNewJobsStatement}) and reads back the owner's jobs by key, in
 * ONE D1 batch: one transaction, so nothing commits without the read that answers for it.
 */
export async function recordJobs(
  db: Database,
  rows: NewJobRow[],
  limits: EnqueueLimits,
  /** Statements that commit with the jobs, after their insert (a group's row: see db/groups.ts). */
  after: Statement[] = [],
): Promise<EnqueueWrite> {
  const keys = rows.flatMap((row) => (row.idempotencyKey ? [row.idempotencyKey] : []));
  const [inserted, found] = (await runBatch(db, [
    insertNewJobsStatement(db, rows, limits),
    ownJobsByKeys(db, limits.owner, keys),
    ...after,
  ])) as [JobRow[], JobRow[]];
  return asWrite(inserted, found);
}

/**
 * What a {@link recordJobs} that failed left behind, for when D1 failed to answer but may have
 * committed: the rows found by their own ids (fresh UUIDs, so only this call's) count as inserted.
 */
export async function readBackJobs(
  db: Database,
  rows: NewJobRow[],
  owner: string,
): Promise<EnqueueWrite> {
  const ids = JSON.stringify(rows.map((row) => row.id));
  const keys = rows.flatMap((row) => (row.idempotencyKey ? [row.idempotencyKey] : []));
  const [mine, found] = await db.batch([
    db
      .select()
      .from(jobs)
      .where(inArray(jobs.id, sql`(select value from json_each(${ids}))`)),
    ownJobsByKeys(db, owner, keys),
  ]);
  return asWrite(mine, found);
}

/** Where the owner stands against the caps, to say which one refused and when to retry. */
export interface CapUsage {
  /** Jobs created in the last 60 s. */
  recent: number;
  /** `createdAt` of the owner's jobs in the window, oldest first (at most `jobsPerMinute`). */
  recentCreatedAt: number[];
  /** Jobs queued, running or awaiting a retry. */
  open: number;
  /** The earliest `runAt` of the owner's queued jobs, if any. */
  nextRunAt: number | undefined;
}

/** Reads {@link CapUsage} (one D1 batch); only after a refusal, so the common path pays nothing. */
export async function capUsage(db: Database, limits: EnqueueLimits): Promise<CapUsage> {
  const { owner } = limits;
  const inWindow = and(eq(jobs.owner, owner), gt(jobs.createdAt, limits.now - CAP_WINDOW_MS));
  const [recentRows, openRows, next] = await db.batch([
    db
      .select({ createdAt: jobs.createdAt })
      .from(jobs)
      .where(inWindow)
      .orderBy(jobs.createdAt)
      .limit(limits.jobsPerMinute + 1),
    db
      .select({ n: count() })
      .from(jobs)
      .where(and(eq(jobs.owner, owner), inArray(jobs.status, [...OPEN_STATUSES]))),
    db
      .select({ at: min(jobs.runAt) })
      .from(jobs)
      .where(and(eq(jobs.owner, owner), eq(jobs.status, "queued"))),
  ]);
  return {
    recent: recentRows.length,
    recentCreatedAt: recentRows.map((row) => row.createdAt),
    open: Number(openRows[0]?.n ?? 0),
    nextRunAt: next[0]?.at ?? undefined,
  };
}
