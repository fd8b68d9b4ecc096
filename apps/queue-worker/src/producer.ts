import { HttpProblem, type InvalidParam, invalidInput } from "@edge-async/http";
import type { Config } from "./config.ts";
import type { EnqueueRequest } from "./contract.ts";
import { type Database, runBatch } from "./db/database.ts";
import { deleteUnsentJobs, findByIdempotencyKeys, insertJobStatement } from "./db/jobs.ts";
import type { JobRow, NewJobRow } from "./db/schema.ts";
import type { Env } from "./env.ts";
import { jobTypes } from "./job-types/registry.ts";
import { refusedTargets } from "./outbound.ts";

/** One enqueued job and whether this call created it (`false`: an idempotent replay). */
export interface Enqueued {
  job: JobRow;
  created: boolean;
}

/** JSON Pointer prefix of request `index` in the caller's body (`""` for a single job). */
type Pointer = (index: number) => string;

/**
 * Records jobs in D1 (one batch) and then hands them to the queue (one `sendBatch`).
 *
 * The row goes first: a message always finds its job, and if the send fails the rows that were
 * just written are deleted and the caller gets a 503 to retry, so no job is left that nothing
 * will run. (Sending first could run a job whose row is missing.) A replay of an idempotency key
 * answers with the existing job; if that job is still `queued` and never ran, its message is sent
 * again, which covers the rare case of a send that failed and a delete that failed too; the
 * consumer's claim makes the duplicate harmless. Before anything is written, every URL a job
 * would fetch is checked against the outbound policy; one refused URL refuses the whole call (400).
 */
export async function enqueueJobs(
  env: Env,
  db: Database,
  config: Config,
  requests: EnqueueRequest[],
  options: { pointerPrefix?: Pointer } = {},
): Promise<Enqueued[]> {
  const pointer: Pointer = (index) => options.pointerPrefix?.(index) ?? "";
  checkTargets(requests, config, pointer);
  const now = Date.now();
  const rows = buildRows(requests, config, now);
  const inserted = await insertRows(db, rows);
  const createdIds = inserted.flatMap((job) => (job === undefined ? [] : [job.id]));
  const { entries, conflicts } = await resolveReplays(db, rows, inserted, pointer);
  if (conflicts.length > 0) {
    await deleteUnsentJobs(db, createdIds);
    throw new HttpProblem(409, "idempotency-key-conflict", "Idempotency key conflict", {
      detail: "An idempotencyKey was reused for a different job; nothing was enqueued.",
      errors: conflicts,
    });
  }
  await sendJobs(env, db, entries, createdIds, now);
  return entries;
}

/** Refuses the whole call (400) if any job would fetch a URL the outbound policy refuses. */
function checkTargets(requests: EnqueueRequest[], config: Config, pointer: Pointer): void {
  const refused = requests.flatMap((request, index) =>
    refusedTargets(
      jobTypes[request.type],
      request.payload,
      `${pointer(index)}/payload`,
      config.outbound,
    ),
  );
  if (refused.length > 0) throw invalidInput(refused);
}

/** The rows of new `queued` jobs, one per request, created at `now`. */
function buildRows(requests: EnqueueRequest[], config: Config, now: number): NewJobRow[] {
  return requests.map((request) => ({
    id: crypto.randomUUID(),
    type: request.type,
    payload: JSON.stringify(request.payload),
    status: "queued",
    idempotencyKey: request.idempotencyKey ?? null,
    attempts: 0,
    timeoutMs: request.timeoutMs ?? config.jobTimeoutMs,
    runAt: now + (request.delaySeconds ?? 0) * 1000,
    createdAt: now,
    updatedAt: now,
  }));
}

/** Inserts the rows in one D1 batch; per row, the inserted job or `undefined` for a taken key. */
async function insertRows(db: Database, rows: NewJobRow[]): Promise<(JobRow | undefined)[]> {
  const results = (await runBatch(
    db,
    rows.map((row) => insertJobStatement(db, row)),
  )) as JobRow[][];
  return results.map((result) => result[0]);
}

/**
 * Resolves the rows that were not inserted to the jobs holding their idempotency keys. A key held
 * by a different type or payload, or one that cannot be found, is a conflict at its pointer.
 */
async function resolveReplays(
  db: Database,
  rows: NewJobRow[],
  inserted: (JobRow | undefined)[],
  pointer: Pointer,
): Promise<{ entries: Enqueued[]; conflicts: InvalidParam[] }> {
  const replayKeys = rows.flatMap((row, index) =>
    inserted[index] === undefined && row.idempotencyKey ? [row.idempotencyKey] : [],
  );
  const existing = new Map(
    (await findByIdempotencyKeys(db, replayKeys)).map((job) => [job.idempotencyKey, job]),
  );
  const entries: Enqueued[] = [];
  const conflicts: InvalidParam[] = [];
  rows.forEach((row, index) => {
    const created = inserted[index];
    if (created !== undefined) {
      entries.push({ job: created, created: true });
      return;
    }
    const job = existing.get(row.idempotencyKey ?? null);
    const at = `${pointer(index)}/idempotencyKey`;
    if (job === undefined) {
      // Inserted by nobody and found by nobody: only possible if the row vanished in between.
      conflicts.push({ pointer: at, detail: "could not be resolved; retry" });
    } else if (job.type !== row.type || job.payload !== row.payload) {
      conflicts.push({
        pointer: at,
        detail: `already used by job ${job.id} with a different type or payload`,
      });
    } else {
      entries.push({ job, created: false });
    }
  });
  return { entries, conflicts };
}

/**
 * Sends the created jobs, and replayed ones that are still `queued` and never ran, in one
 * `sendBatch`. If the send fails, the created rows are deleted (best effort) and the caller gets
 * a 503 saying nothing was enqueued.
 */
async function sendJobs(
  env: Env,
  db: Database,
  entries: Enqueued[],
  createdIds: string[],
  now: number,
): Promise<void> {
  const toSend = entries.filter(
    (entry) => entry.created || (entry.job.status === "queued" && entry.job.attempts === 0),
  );
  if (toSend.length === 0) return;
  try {
    await env.JOBS.sendBatch(
      toSend.map(({ job }) => ({
        body: { jobId: job.id },
        contentType: "json" as const,
        delaySeconds: Math.max(0, Math.ceil((job.runAt - now) / 1000)),
      })),
    );
  } catch (error) {
    console.error("sending jobs to the queue failed", error);
    await deleteUnsentJobs(db, createdIds).catch((cleanup) =>
      console.error("could not delete unsent jobs", cleanup),
    );
    throw new HttpProblem(503, "queue-unavailable", "Queue unavailable", {
      detail: "The jobs could not be handed to the queue; nothing was enqueued. Try again.",
      headers: { "retry-after": "1" },
    });
  }
}
