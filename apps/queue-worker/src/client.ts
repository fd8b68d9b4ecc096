/**
 * A typed client for the queue-worker API: enqueue jobs, read them, walk the listing with an
 * async iterator, read the counts. Every call takes an `AbortSignal`, retries 429 and 503
 * answers after their `Retry-After`, and rejects with {@link ApiError} for any other failure.
 *
 * The types below are plain TypeScript so the packed client needs nothing else; the package's
 * tests prove each one equal to the schema the worker declares and validates with
 * (`src/contract.ts`).
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

export type {
  CreatedGroup,
  Group,
  GroupMethods,
  GroupPage,
  GroupStatus,
  GroupStreamLine,
  NewGroup,
} from "./groups-client.ts";
export type { CallOptions, ClientOptions, Problem };
export { ApiError };

/**
 * Every state a job can be in: `failed` will be retried; `succeeded`, `dead` and `cancelled` are
 * final (a `dead` or `cancelled` job can be retried).
 *
 * @example
 * ```ts
 * const finished = (status: JobStatus) => ["succeeded", "dead", "cancelled"].includes(status);
 * ```
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "dead" | "cancelled";

/**
 * The job types this worker runs.
 *
 * @example
 * ```ts
 * const type: JobTypeName = "fetch";
 * ```
 */
export type JobTypeName = "fetch" | "ingest" | "simulate";

/**
 * Payload of a `fetch` job: GETs or HEADs `url`, recording status, size and SHA-256 of the body.
 * Defaults: `GET`, `timeoutMs` 10 000 per try, `retries` 2, `maxBytes` 10 MiB.
 *
 * @example
 * ```ts
 * const payload: FetchPayload = { url: "https://example.com/", retries: 0 };
 * ```
 */
export interface FetchPayload {
  url: string;
  method?: "GET" | "HEAD";
  timeoutMs?: number;
  retries?: number;
  maxBytes?: number;
}

/**
 * Payload of an `ingest` job: reads a JSON Feed and posts its items to paginated-feed under
 * `topic` (a lowercase slug). Defaults: `maxItems` 1 000, `timeoutMs` 15 000.
 *
 * @example
 * ```ts
 * const payload: IngestPayload = { feedUrl: "https://example.com/feed.json", topic: "news" };
 * ```
 */
export interface IngestPayload {
  feedUrl: string;
  topic: string;
  maxItems?: number;
  timeoutMs?: number;
}

/**
 * Payload of a `simulate` job: sleeps `durationMs`, then fails with probability `failureRate`.
 *
 * @example
 * ```ts
 * const payload: SimulatePayload = { durationMs: 100, failureRate: 0.3 };
 * ```
 */
export interface SimulatePayload {
  durationMs?: number;
  failureRate?: number;
}

/**
 * Options every job takes: `idempotencyKey` (printable ASCII, at most 200 characters; a replay
 * answers the job it created), `delaySeconds` (0-86 400) before the first run or `runAt` (an
 * RFC 3339 time, any distance ahead; not both), `callbackUrl` (POSTed the final job view, signed:
 * see {@link verifyCallbackSignature}), `timeoutMs` (100-900 000) per run.
 *
 * @example
 * ```ts
 * const options: JobOptions = { idempotencyKey: "order-42", runAt: "2026-12-24T09:00:00Z" };
 * ```
 */
export interface JobOptions {
  idempotencyKey?: string;
  delaySeconds?: number;
  runAt?: string;
  callbackUrl?: string;
  timeoutMs?: number;
  /** At most the key's limit of jobs with this key (1-200 characters) run at once. */
  concurrencyKey?: string;
}

/**
 * A job to enqueue: its type, that type's payload and the {@link JobOptions}.
 *
 * @example
 * ```ts
 * const job: NewJob = { type: "fetch", payload: { url: "https://example.com/" }, idempotencyKey: "home-1" };
 * ```
 */
export type NewJob = (
  | { type: "fetch"; payload: FetchPayload }
  | { type: "ingest"; payload: IngestPayload }
  | { type: "simulate"; payload: SimulatePayload }
) &
  JobOptions;

/**
 * A job as the worker shows it. Times are ISO-8601 UTC strings; `result` is what a succeeded
 * run returned, `error` the last run's error.
 *
 * @example
 * ```ts
 * const job: Job = await queue.job(id);
 * if (job.status === "dead") console.log(job.error);
 * ```
 */
export interface Job {
  id: string;
  type: string;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  payload: Record<string, unknown>;
  result?: unknown;
  error?: string;
  idempotencyKey?: string;
  concurrencyKey?: string;
  /** The group (`/v1/groups`) the job is a child of. */
  groupId?: string;
  timeoutMs: number;
  runAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** The last progress its run reported (0..1), written at most once a second. */
  progress?: { fraction: number; message?: string; updatedAt: string };
  /** The completion callback asked for at enqueue, and how its delivery stands. */
  callback?: {
    url: string;
    status: "pending" | "delivered" | "failed";
    attempts: number;
    error?: string;
    updatedAt?: string;
  };
}

/**
 * An enqueued job: its id, its status, and whether this call created it (`false`: an idempotent
 * replay of an earlier call, whose job may have run already).
 *
 * @example
 * ```ts
 * const { id, created }: EnqueuedJob = await queue.enqueue(job);
 * ```
 */
export interface EnqueuedJob {
  id: string;
  status: JobStatus;
  created: boolean;
}

/**
 * Filters of the listing, each optional.
 *
 * @example
 * ```ts
 * const deadFetches: JobFilters = { status: "dead", type: "fetch" };
 * ```
 */
export interface JobFilters {
  status?: JobStatus;
  type?: JobTypeName;
}

/**
 * One page of the listing, newest first; pass `nextCursor` back (with the same filters) for the
 * next one.
 *
 * @example
 * ```ts
 * const page: JobPage = await queue.page({ limit: 10 });
 * if (page.hasMore) await queue.page({ limit: 10, cursor: page.nextCursor! });
 * ```
 */
export interface JobPage {
  items: Job[];
  nextCursor: string | null;
  hasMore: boolean;
}

/**
 * Job counts by status, and by status per type; every status appears, zero or not.
 *
 * @example
 * ```ts
 * const { byStatus }: JobStats = await queue.stats();
 * console.log(byStatus.dead);
 * ```
 */
export interface JobStats {
  total: number;
  byStatus: Record<JobStatus, number>;
  byType: Record<string, Record<JobStatus, number>>;
}

/**
 * One run (attempt) of a job from its runs ledger: `running` until it reports, `lost` when its
 * runner stopped reporting and the job moved on. Times are ISO-8601 UTC; `durationMs` once it ended.
 *
 * @example
 * ```ts
 * const { items }: JobRunList = await queue.runs(id);
 * for (const run of items) console.log(run.attempt, run.outcome, run.durationMs, run.error);
 * ```
 */
export interface JobRun {
  /** The run's place among the job's runs, from 1 (after a retry `attempt` starts at 1 again). */
  run: number;
  attempt: number;
  outcome: "running" | "succeeded" | "failed" | "dead" | "cancelled" | "lost";
  error?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
}

/**
 * Which `dead`/`cancelled` jobs {@link QueueClient.retryMany} puts back: `error` is a
 * case-sensitive substring of the last error; `from` (inclusive) and `to` (exclusive) are RFC 3339
 * times bounding `finishedAt`; `status` defaults to both; `limit` 1-1 000, default 100.
 *
 * @example
 * ```ts
 * const filter: RetryFilter = { type: "fetch", error: "503", from: "2026-11-29T00:00:00Z" };
 * ```
 */
export interface RetryFilter {
  type?: JobTypeName;
  error?: string;
  from?: string;
  to?: string;
  status?: ("dead" | "cancelled")[];
  limit?: number;
}

/**
 * What {@link QueueClient.retryMany} put back: how many, their ids, and whether more match (the
 * same call again takes them).
 *
 * @example
 * ```ts
 * let result: RetryManyResult;
 * do result = await queue.retryMany({ status: ["dead"] }); while (result.hasMore);
 * ```
 */
export interface RetryManyResult {
  retried: number;
  ids: string[];
  hasMore: boolean;
}

/**
 * Verifies the `Webhook-Signature` header of a completion callback: `t=<unix seconds>,v1=<hex>`,
 * where `v1` is the HMAC-SHA256 of `"<t>.<body>"` under the worker's `CALLBACK_SECRET` (Stripe's
 * scheme). Uses WebCrypto (`crypto.subtle.verify`, which compares in constant time), so it runs
 * in Workers, browsers, Deno and Node 20+. Resolves `false`, never throws, for a malformed header,
 * a timestamp more than `toleranceSeconds` from `now` (a replay), or a wrong signature; any of
 * several `v1` entries may match (secret rotation).
 *
 * @param body the raw request body, exactly as received (verify before parsing it)
 * @param header the `Webhook-Signature` header's value (`null` when absent)
 * @param secret the worker's `CALLBACK_SECRET`
 * @param options `toleranceSeconds` (default 300); `now` in epoch milliseconds (default now)
 * @returns whether the body was signed with `secret` within the tolerance
 * @example
 * ```ts
 * import { verifyCallbackSignature } from "@edge-async/queue-worker/client";
 * export default {
 *   async fetch(request: Request, env: { CALLBACK_SECRET: string }) {
 *     const body = await request.text();
 *     const header = request.headers.get("webhook-signature");
 *     if (!(await verifyCallbackSignature(body, header, env.CALLBACK_SECRET))) {
 *       return new Response("bad signature", { status: 400 });
 *     }
 *     const job = JSON.parse(body) as Job;
 *     console.log(job.id, job.status);
 *     return new Response(null, { status: 204 });
 *   },
 * };
 * ```
 */
export async function verifyCallbackSignature(
  body: string,
  header: string | null | undefined,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): Promise<boolean> {
  const parts = (header ?? "").split(",").map((part) => part.trim().split("="));
  const timestamps = parts.filter(([name]) => name === "t").map(([, value]) => value ?? "");
  const signatures = parts.filter(([name]) => name === "v1").map(([, value]) => value ?? "");
  const [t] = timestamps;
  if (timestamps.length !== 1 || t === undefined || !/^\d{1,12}$/.test(t)) return false;
  const nowSeconds = (options.now ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - Number(t)) > (options.toleranceSeconds ?? 300)) return false;
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const signed = encoder.encode(`${t}.${body}`);
  for (const signature of signatures) {
    if (!/^[0-9a-f]{64}$/.test(signature)) continue;
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i += 1)
      bytes[i] = Number.parseInt(signature.slice(i * 2, i * 2 + 2), 16);
    if (await crypto.subtle.verify("HMAC", key, bytes, signed)) return true;
  }
  return false;
}

/**
 * Every run of a job, oldest first; a retried job keeps its old runs.
 *
 * @example
 * ```ts
 * const attempts = (await queue.runs(id)).items.length;
 * ```
 */
export interface JobRunList {
  items: JobRun[];
}

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
