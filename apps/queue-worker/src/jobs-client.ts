// The job wire shapes of the queue-worker client (`/v1/jobs`, its runs, bulk retry and
// `/v1/stats`): plain TypeScript, so the packed client's .d.ts carries them as they are;
// `client.ts` re-exports them, and the package's tests prove each equal to the schema the worker
// declares (`jobs-contract.ts`, `runs-contract.ts`, `bulk-retry-contract.ts`). A line comment, not
// TSDoc: with no import after it, a doc comment would ride into the packed .d.ts on its own.

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
 * Defaults: `GET`, `timeoutMs` 10 000 per try, `retries` 2, `maxBytes` 10 MiB. A `url` holding a
 * user name or password, a control character or space at either end, or a tab or line break is
 * refused (400 at `/payload/url`): fetch would not send it as given.
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
 * see {@link verifyCallbackSignature}; refused like a fetch job's `url` when it holds what would
 * not be sent), `timeoutMs` (100-900 000) per run.
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
  /** The jobs put back, oldest finished first (ties by id). */
  ids: string[];
  hasMore: boolean;
}
