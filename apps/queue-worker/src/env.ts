import type { JobMessage } from "./messages.ts";

/** Bindings and vars from wrangler.jsonc; vars arrive as strings, parsed in one place by `readConfig`. */
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
