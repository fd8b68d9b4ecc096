import type { JobRow, StoredJobRun } from "./db/schema.ts";
import type { JobView } from "./jobs-contract.ts";
import type { JobRunView } from "./runs-contract.ts";

/** Shapes a row for the API: ISO timestamps, parsed JSON, absent fields left out. */
export function toJobView(row: JobRow, maxAttempts: number): JobView {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    maxAttempts,
    payload: JSON.parse(row.payload),
    ...(row.result === null ? {} : { result: JSON.parse(row.result) }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.idempotencyKey === null ? {} : { idempotencyKey: row.idempotencyKey }),
    ...(row.concurrencyKey === null ? {} : { concurrencyKey: row.concurrencyKey }),
    ...(row.groupId === null ? {} : { groupId: row.groupId }),
    timeoutMs: row.timeoutMs,
    runAt: new Date(row.runAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    ...(row.finishedAt === null ? {} : { finishedAt: new Date(row.finishedAt).toISOString() }),
    ...progressView(row),
    ...callbackView(row),
  };
}

function progressView(row: JobRow): Pick<JobView, "progress"> {
  if (row.progressFraction === null || row.progressUpdatedAt === null) return {};
  return {
    progress: {
      fraction: row.progressFraction,
      ...(row.progressMessage === null ? {} : { message: row.progressMessage }),
      updatedAt: new Date(row.progressUpdatedAt).toISOString(),
    },
  };
}

function callbackView(row: JobRow): Pick<JobView, "callback"> {
  if (row.callbackUrl === null) return {};
  return {
    callback: {
      url: row.callbackUrl,
      // Not finished yet: the callback waits for the end.
      status: row.callbackStatus ?? "pending",
      attempts: row.callbackAttempts,
      ...(row.callbackError === null ? {} : { error: row.callbackError }),
      ...(row.callbackUpdatedAt === null
        ? {}
        : { updatedAt: new Date(row.callbackUpdatedAt).toISOString() }),
    },
  };
}

/**
 * Shapes a ledger line for the API. A `running` line that no longer holds its job's claim is
 * `lost`: its runner stopped reporting, and the job moved on without it. `run` is its place in
 * the ledger, oldest first, since a retry starts `attempt` at 1 again.
 */
export function toJobRunView(run: StoredJobRun, job: JobRow, place: number): JobRunView {
  const lost = run.outcome === "running" && run.runToken !== job.runToken;
  return {
    run: place,
    attempt: run.attempt,
    outcome: lost ? "lost" : run.outcome,
    ...(run.error === null ? {} : { error: run.error }),
    startedAt: new Date(run.startedAt).toISOString(),
    ...(run.finishedAt === null
      ? {}
      : {
          finishedAt: new Date(run.finishedAt).toISOString(),
          durationMs: Math.max(0, run.finishedAt - run.startedAt),
        }),
  };
}
