import { HttpProblem, type InvalidParam, invalidInput } from "@edge-async/http";
import type { Config } from "./config.ts";
import { type Database, runBatch } from "./db/database.ts";
import { deleteUnsentJobs, findByIdempotencyKeys, insertJobStatement } from "./db/jobs.ts";
import type { JobRow, NewJobRow } from "./db/schema.ts";
import type { Env } from "./env.ts";
import { jobTypes } from "./job-types/registry.ts";
import { refusedTargets } from "./outbound.ts";
import type { EnqueueRequest } from "./routes/schemas.ts";

/**
 * One enqueued job and whether this call created it (`false`: an idempotent replay).
 *
 * @example
 * ```ts
 * import { type Enqueued, enqueueJobs } from "./producer.ts";
 * const [first]: Enqueued[] = await enqueueJobs(env, db, config, [request]);
 * ```
 */
export interface Enqueued {
  job: JobRow;
  created: boolean;
}

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
 *
 * @example
 * ```ts
 * import { enqueueJobs } from "./producer.ts";
 * const [{ job, created }] = await enqueueJobs(env, db, config, [{ type: "simulate", payload: { durationMs: 5, failureRate: 0 } }]);
 * ```
 */
export async function enqueueJobs(
  env: Env,
  db: Database,
  config: Config,
  requests: EnqueueRequest[],
  options: { pointerPrefix?: (index: number) => string } = {},
): Promise<Enqueued[]> {
  const refused = requests.flatMap((request, index) =>
    refusedTargets(
      jobTypes[request.type],
      request.payload,
      `${options.pointerPrefix?.(index) ?? ""}/payload`,
      config.outbound,
    ),
  );
  if (refused.length > 0) throw invalidInput(refused);
  const now = Date.now();
  const rows: NewJobRow[] = requests.map((request) => ({
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
  const inserted = (await runBatch(
    db,
    rows.map((row) => insertJobStatement(db, row)),
  )) as JobRow[][];

  const outcome: (Enqueued | undefined)[] = inserted.map((result) =>
    result[0] === undefined ? undefined : { job: result[0], created: true },
  );
  const replayKeys = rows.flatMap((row, index) =>
    outcome[index] === undefined && row.idempotencyKey ? [row.idempotencyKey] : [],
  );
  const existing = new Map(
    (await findByIdempotencyKeys(db, replayKeys)).map((job) => [job.idempotencyKey, job]),
  );
  const conflicts: InvalidParam[] = [];
  rows.forEach((row, index) => {
    if (outcome[index] !== undefined) return;
    const job = existing.get(row.idempotencyKey ?? null);
    const prefix = options.pointerPrefix?.(index) ?? "";
    if (job === undefined) {
      // Inserted by nobody and found by nobody: only possible if the row vanished in between.
      conflicts.push({
        pointer: `${prefix}/idempotencyKey`,
        detail: "could not be resolved; retry",
      });
    } else if (job.type !== row.type || job.payload !== row.payload) {
      conflicts.push({
        pointer: `${prefix}/idempotencyKey`,
        detail: `already used by job ${job.id} with a different type or payload`,
      });
    } else {
      outcome[index] = { job, created: false };
    }
  });
  const created = outcome.flatMap((entry) => (entry?.created ? [entry.job] : []));
  if (conflicts.length > 0) {
    await deleteUnsentJobs(
      db,
      created.map((job) => job.id),
    );
    throw new HttpProblem(409, "idempotency-key-conflict", "Idempotency key conflict", {
      detail: "An idempotencyKey was reused for a different job; nothing was enqueued.",
      errors: conflicts,
    });
  }

  const toSend = (outcome as Enqueued[]).filter(
    (entry) => entry.created || (entry.job.status === "queued" && entry.job.attempts === 0),
  );
  if (toSend.length > 0) {
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
      await deleteUnsentJobs(
        db,
        created.map((job) => job.id),
      ).catch((cleanup) => console.error("could not delete unsent jobs", cleanup));
      throw new HttpProblem(503, "queue-unavailable", "Queue unavailable", {
        detail: "The jobs could not be handed to the queue; nothing was enqueued. Try again.",
        headers: { "retry-after": "1" },
      });
    }
  }
  return outcome as Enqueued[];
}
