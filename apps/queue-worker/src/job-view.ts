import type { JobView } from "./contract.ts";
import type { JobRow } from "./db/schema.ts";

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
    timeoutMs: row.timeoutMs,
    runAt: new Date(row.runAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    ...(row.finishedAt === null ? {} : { finishedAt: new Date(row.finishedAt).toISOString() }),
  };
}
