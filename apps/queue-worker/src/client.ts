/**
 * A typed client for the queue-worker API: enqueue jobs, read them, walk the listing with an
 * async iterator, read the counts. Every call takes an `AbortSignal`, retries 429 and 503
 * answers after their `Retry-After`, and rejects with {@link ApiError} for any other failure.
 *
 * Its types are plain TypeScript, one file per resource (`jobs-client.ts`, `schedules-client.ts`,
 * `groups-client.ts`), re-exported here, so the packed client needs nothing else; the package's
 * tests prove each one equal to the schema the worker declares and validates with (the
 * resource's `*-contract.ts`).
 *
 * @module
 */
import { paginate } from "@edge-async/async-utils";
import {
  ApiError,
  type CallOptions,
  type ClientOptions,
  createCaller,
  type Problem,
} from "@edge-async/client";

import { type GroupMethods, groupMethods } from "./groups-client.ts";
import type {
  EnqueuedJob,
  Job,
  JobFilters,
  JobPage,
  JobRunList,
  JobStats,
  JobStatus,
  NewJob,
  RetryFilter,
  RetryManyResult,
} from "./jobs-client.ts";
import type { NewSchedule, Schedule, SchedulePage } from "./schedules-client.ts";

export { verifyCallbackSignature } from "./callback-signature.ts";
export type {
  CreatedGroup,
  Group,
  GroupMethods,
  GroupPage,
  GroupStatus,
  GroupStreamLine,
  NewGroup,
} from "./groups-client.ts";
export type * from "./jobs-client.ts";
export type * from "./schedules-client.ts";
export type { CallOptions, ClientOptions, Problem };
export { ApiError };

/**
 * The client {@link createQueueClient} returns. Every method rejects with {@link ApiError}
 * (400 with `problem.errors` naming each invalid field, 404, 409, ...) and aborts with its signal.
 *
 * @example
 * ```ts
 * const queue: QueueClient = createQueueClient({ baseUrl: "http://127.0.0.1:8789", headers: { authorization: `Bearer ${apiKey}` } });
 * ```
 */
export interface QueueClient extends GroupMethods {
  /** Enqueues one job (`POST /v1/jobs`, scope `jobs:write`; an `ingest` job also `feed:write`). */
  enqueue(job: NewJob, options?: CallOptions): Promise<EnqueuedJob>;
  /** Enqueues 1 to 100 jobs, all or nothing (`POST /v1/jobs/batch`); answers in request order. */
  enqueueBatch(jobs: NewJob[], options?: CallOptions): Promise<EnqueuedJob[]>;
  /** One of the key's jobs by id (`GET /v1/jobs/{id}`, scope `jobs:read`; another key's is a 404). */
  job(id: string, options?: CallOptions): Promise<Job>;
  /**
   * Cancels a job (`POST /v1/jobs/{id}/cancel`, scope `jobs:write`): one that waits to run is
   * answered `cancelled`; a running one is answered still `running`, its run aborted within a
   * heartbeat (it then ends `cancelled`); a finished job is a 409.
   */
  cancel(id: string, options?: CallOptions): Promise<Job>;
  /**
   * Retries a `dead` or `cancelled` job (`POST /v1/jobs/{id}/retry`, scope `jobs:write`): answers
   * it `queued` with fresh attempts, its old runs kept on the ledger; any other state is a 409.
   */
  retry(id: string, options?: CallOptions): Promise<Job>;
  /** A job's runs ledger (`GET /v1/jobs/{id}/runs`, scope `jobs:read`; another key's is a 404). */
  runs(id: string, options?: CallOptions): Promise<JobRunList>;
  /**
   * Retries the key's `dead`/`cancelled` jobs matching `filter` (`POST /v1/jobs/retry`, scope
   * `jobs:write`), at most `limit` (default 100, up to 1 000); call again while `hasMore`.
   */
  retryMany(filter: RetryFilter, options?: CallOptions): Promise<RetryManyResult>;
  /** Deletes a finished job and its runs (`DELETE /v1/jobs/{id}`); an unfinished one is a 409. */
  deleteJob(id: string, options?: CallOptions): Promise<void>;
  /** One page of the key's jobs (`GET /v1/jobs`, scope `jobs:read`); `limit` 1-100, default 20. */
  page(
    query?: JobFilters & { limit?: number; cursor?: string },
    options?: CallOptions,
  ): Promise<JobPage>;
  /**
   * Every job matching `filters`, newest first, fetched `pageSize` (default 100) at a time as the
   * loop reaches them: `break` stops the requests.
   */
  jobs(
    filters?: JobFilters,
    options?: CallOptions & { pageSize?: number },
  ): AsyncIterableIterator<Job>;
  /**
   * Creates a schedule (`POST /v1/schedules`, scope `jobs:write`; an `ingest` job also
   * `feed:write`): its job is enqueued once per due time by the cron trigger.
   */
  createSchedule(schedule: NewSchedule, options?: CallOptions): Promise<Schedule>;
  /** One of the key's schedules (`GET /v1/schedules/{id}`, scope `jobs:read`; another key's is a 404). */
  schedule(id: string, options?: CallOptions): Promise<Schedule>;
  /** One page of the key's schedules (`GET /v1/schedules`, scope `jobs:read`); `limit` 1-100, default 20. */
  schedulePage(
    query?: { limit?: number; cursor?: string },
    options?: CallOptions,
  ): Promise<SchedulePage>;
  /** Every schedule of the key, newest first, fetched `pageSize` (default 100) at a time. */
  schedules(options?: CallOptions & { pageSize?: number }): AsyncIterableIterator<Schedule>;
  /** Pauses a schedule (`POST /v1/schedules/{id}/pause`, scope `jobs:write`): no run until resumed. */
  pauseSchedule(id: string, options?: CallOptions): Promise<Schedule>;
  /** Resumes a paused schedule (`POST /v1/schedules/{id}/resume`): its next run is the first due time after now. */
  resumeSchedule(id: string, options?: CallOptions): Promise<Schedule>;
  /** Deletes a schedule (`DELETE /v1/schedules/{id}`, scope `jobs:write`); the jobs it enqueued stay. */
  deleteSchedule(id: string, options?: CallOptions): Promise<void>;
  /** Counts of the key's jobs (`GET /v1/stats`, scope `jobs:read`; every job with `jobs:admin`). */
  stats(options?: CallOptions): Promise<JobStats>;
}

/**
 * Creates a client for the queue-worker at `options.baseUrl`, or through a service binding.
 *
 * @param options where the worker answers, the `fetch` to use, `headers` for every call (the
 *   API key: `authorization: Bearer ea_…`), retries on 429/503
 * @throws nothing itself; its methods reject with {@link ApiError}
 * @example
 * ```ts
 * import { createQueueClient } from "@edge-async/queue-worker/client";
 * // Every route needs an API key (`pnpm dev` accepts the development key below).
 * const queue = createQueueClient({
 *   baseUrl: "http://127.0.0.1:8789",
 *   headers: { authorization: "Bearer ea_dev_local-development-only-never-deploy" },
 * });
 * const { id } = await queue.enqueue({ type: "simulate", payload: { durationMs: 100 } });
 * for await (const job of queue.jobs({ status: "dead" }, { signal: AbortSignal.timeout(10_000) })) {
 *   console.log(job.id, job.error);
 * }
 * // Inside another worker, through a service binding:
 * const bound = createQueueClient({
 *   baseUrl: "https://queue-worker",
 *   fetch: (request) => env.QUEUE.fetch(request),
 *   headers: { authorization: `Bearer ${env.QUEUE_API_KEY}` },
 * });
 * ```
 */
export function createQueueClient(options: ClientOptions): QueueClient {
  const caller = createCaller(options);
  const call = (callOptions: CallOptions = {}) => ({
    signal: callOptions.signal,
    headers: callOptions.headers,
  });

  const client: QueueClient = {
    ...groupMethods(caller, call),

    async enqueue(job, callOptions) {
      const response = await caller.send({
        method: "POST",
        path: "v1/jobs",
        body: job,
        ...call(callOptions),
      });
      // 202: `{ id, status }` of the new job; 200: the job an earlier call with this key created.
      const { id, status } = (await response.json()) as { id: string; status: JobStatus };
      return { id, status, created: response.status === 202 };
    },

    async enqueueBatch(jobs, callOptions) {
      const body = await caller.json<{ jobs: EnqueuedJob[] }>({
        method: "POST",
        path: "v1/jobs/batch",
        body: { jobs },
        ...call(callOptions),
      });
      return body.jobs;
    },

    job: (id, callOptions) =>
      caller.json<Job>({ path: `v1/jobs/${encodeURIComponent(id)}`, ...call(callOptions) }),

    cancel: (id, callOptions) =>
      caller.json<Job>({
        method: "POST",
        path: `v1/jobs/${encodeURIComponent(id)}/cancel`,
        ...call(callOptions),
      }),

    retry: (id, callOptions) =>
      caller.json<Job>({
        method: "POST",
        path: `v1/jobs/${encodeURIComponent(id)}/retry`,
        ...call(callOptions),
      }),

    runs: (id, callOptions) =>
      caller.json<JobRunList>({
        path: `v1/jobs/${encodeURIComponent(id)}/runs`,
        ...call(callOptions),
      }),

    retryMany: (filter, callOptions) =>
      caller.json<RetryManyResult>({
        method: "POST",
        path: "v1/jobs/retry",
        body: filter,
        ...call(callOptions),
      }),

    async deleteJob(id, callOptions) {
      await caller.send({
        method: "DELETE",
        path: `v1/jobs/${encodeURIComponent(id)}`,
        ...call(callOptions),
      });
    },

    page: (query = {}, callOptions) =>
      caller.json<JobPage>({ path: "v1/jobs", query: { ...query }, ...call(callOptions) }),

    jobs(filters = {}, callOptions = {}) {
      const { pageSize = 100, ...rest } = callOptions;
      return paginate<Job>(
        (cursor, signal) =>
          client.page({ ...filters, limit: pageSize, cursor }, { ...rest, signal }),
        { signal: rest.signal },
      );
    },

    createSchedule: (schedule, callOptions) =>
      caller.json<Schedule>({
        method: "POST",
        path: "v1/schedules",
        body: schedule,
        ...call(callOptions),
      }),

    schedule: (id, callOptions) =>
      caller.json<Schedule>({
        path: `v1/schedules/${encodeURIComponent(id)}`,
        ...call(callOptions),
      }),

    schedulePage: (query = {}, callOptions) =>
      caller.json<SchedulePage>({
        path: "v1/schedules",
        query: { ...query },
        ...call(callOptions),
      }),

    schedules(callOptions = {}) {
      const { pageSize = 100, ...rest } = callOptions;
      return paginate<Schedule>(
        (cursor, signal) => client.schedulePage({ limit: pageSize, cursor }, { ...rest, signal }),
        { signal: rest.signal },
      );
    },

    pauseSchedule: (id, callOptions) =>
      caller.json<Schedule>({
        method: "POST",
        path: `v1/schedules/${encodeURIComponent(id)}/pause`,
        ...call(callOptions),
      }),

    resumeSchedule: (id, callOptions) =>
      caller.json<Schedule>({
        method: "POST",
        path: `v1/schedules/${encodeURIComponent(id)}/resume`,
        ...call(callOptions),
      }),

    async deleteSchedule(id, callOptions) {
      await caller.send({
        method: "DELETE",
        path: `v1/schedules/${encodeURIComponent(id)}`,
        ...call(callOptions),
      });
    },

    stats: (callOptions) => caller.json<JobStats>({ path: "v1/stats", ...call(callOptions) }),
  };
  return client;
}
