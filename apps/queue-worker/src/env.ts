/**
 * Body of every message on the `jobs` and `jobs-dlq` queues: the job lives in D1, not in the message.
 *
 * @example
 * ```ts
 * import type { JobMessage } from "./env.ts";
 * await env.JOBS.send({ jobId: row.id } satisfies JobMessage);
 * ```
 */
export interface JobMessage {
  jobId: string;
}

/**
 * Bindings and vars from wrangler.jsonc. Vars arrive as strings; `readConfig` parses them.
 *
 * @example
 * ```ts
 * import type { Env } from "./env.ts";
 * const app = new Hono<{ Bindings: Env }>();
 * ```
 */
export interface Env {
  DB: D1Database;
  JOBS: Queue<JobMessage>;
  FEED: Fetcher;
  MAX_ATTEMPTS: string;
  RETRY_BASE_DELAY_SECONDS: string;
  RETRY_MAX_DELAY_SECONDS: string;
  JOB_TIMEOUT_MS: string;
  LEASE_MARGIN_MS: string;
  CONSUMER_CONCURRENCY: string;
  STATUS_WRITES: string;
  DEAD_LETTER_QUEUE: string;
  ENVIRONMENT: string;
  /** `true` lets jobs fetch loopback, private and link-local addresses (local development only). */
  ALLOW_PRIVATE_NETWORKS?: boolean | string;
  /** Hosts jobs may fetch (`host`, `host:port`, `*.suffix`; JSON array or comma-separated); default `*`. */
  ALLOWED_HOSTS?: string | string[];
  /** Secret (`wrangler secret put CURSOR_SECRET`); absent in development, where a fixed one is used. */
  CURSOR_SECRET?: string;
}
