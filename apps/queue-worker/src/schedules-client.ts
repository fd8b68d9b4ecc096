/**
 * The schedule wire shapes of the queue-worker client (`/v1/schedules`): plain TypeScript, so the
 * packed client's .d.ts carries them as they are; `client.ts` re-exports them, and the package's
 * tests prove each equal to the schema the worker declares (`schedules-contract.ts`).
 *
 * @module
 */
import type { FetchPayload, IngestPayload, SimulatePayload } from "./jobs-client.ts";

/**
 * A schedule to create: a `name`, a five-field `cron` (or a nickname such as `@hourly`; at most
 * once a minute) read in the IANA `timezone` (default `UTC`), and the job enqueued each time it
 * fires: its type, that type's payload and an optional `timeoutMs`.
 *
 * @example
 * ```ts
 * const nightly: NewSchedule = { name: "nightly", cron: "30 2 * * *", timezone: "Europe/Berlin", job: { type: "fetch", payload: { url: "https://example.com/" } } };
 * ```
 */
export interface NewSchedule {
  name: string;
  cron: string;
  timezone?: string;
  job: (
    | { type: "fetch"; payload: FetchPayload }
    | { type: "ingest"; payload: IngestPayload }
    | { type: "simulate"; payload: SimulatePayload }
  ) & { timeoutMs?: number };
}

/**
 * A schedule as the worker shows it. Times are ISO-8601 UTC; `nextRunAt` is `null` while paused,
 * `lastRunAt` (the due time of the last run enqueued) and `lastJobId` until a run was enqueued.
 *
 * @example
 * ```ts
 * const schedule: Schedule = await queue.schedule(id);
 * console.log(schedule.nextRunAt, schedule.lastJobId);
 * ```
 */
export interface Schedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  job: { type: string; payload: Record<string, unknown>; timeoutMs?: number };
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastJobId: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * One page of schedules, newest first; pass `nextCursor` back for the next one.
 *
 * @example
 * ```ts
 * const page: SchedulePage = await queue.schedulePage({ limit: 10 });
 * ```
 */
export interface SchedulePage {
  items: Schedule[];
  nextCursor: string | null;
  hasMore: boolean;
}
