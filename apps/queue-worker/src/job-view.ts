import type { JobRow } from "./db/schema.ts";

/** A job as the API shows it (`GET /v1/jobs/:id`, listing items, idempotent replays). */
export interface JobView {
  id: string;
  type: string;
  status: JobRow["status"];
  attempts: number;
  maxAttempts: number;
  payload: unknown;
  result?: unknown;
  error?: string;
  idempotencyKey?: string;
  timeoutMs: number;
  runAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

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
