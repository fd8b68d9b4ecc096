import {
  ConfigError,
  DEV_API_KEY,
  flagVar,
  hostListVar,
  type RateLimitPolicy,
  type TargetPolicy,
} from "@edge-async/http";
import * as z from "zod";
import type { Env } from "./env.ts";

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const configSchema = z.object({
  MAX_ATTEMPTS: count(1, 100),
  RETRY_BASE_DELAY_SECONDS: count(0, 86_400),
  RETRY_MAX_DELAY_SECONDS: count(0, 86_400),
  JOB_TIMEOUT_MS: count(1, 900_000),
  LEASE_MARGIN_MS: count(0, 900_000),
  CONSUMER_CONCURRENCY: count(1, 100),
  STATUS_WRITES: z.enum(["batched", "per-message"]),
  DEAD_LETTER_QUEUE: z.string().min(1),
  ENVIRONMENT: z.string().default("production"),
  CURSOR_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  // Closed unless listed: a deployment names the hosts its jobs may fetch.
  ALLOWED_HOSTS: hostListVar.default([]),
  ALLOW_PRIVATE_NETWORKS: flagVar.default(false),
  MAX_JOBS_PER_KEY_PER_MINUTE: count(1, 1_000_000),
  MAX_QUEUED_JOBS_PER_KEY: count(1, 10_000_000),
  WRITE_REQUESTS_PER_MINUTE: count(1, 1_000_000),
  READ_REQUESTS_PER_MINUTE: count(1, 1_000_000),
  FEED_API_KEY: z.string().min(1).optional(),
  CALLBACK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  JOB_RETENTION_DAYS: count(1, 3650).default(7),
});

const DEVELOPMENT_CURSOR_SECRET = "queue-worker-development-only-cursor-secret";
/** Signs completion callbacks in development when CALLBACK_SECRET is not set (README says so). */
export const DEVELOPMENT_CALLBACK_SECRET = "queue-worker-development-only-callback-secret";

/** The worker's settings, parsed from its vars so the rest of the code reads typed values. */
export interface Config {
  /** Runs a job gets before it is dead-lettered; equals the consumer's `max_retries + 1`. */
  maxAttempts: number;
  retryBaseDelaySeconds: number;
  retryMaxDelaySeconds: number;
  /** Default deadline of one run; a job may ask for its own `timeoutMs`. */
  jobTimeoutMs: number;
  /** How long past its deadline a claim stays exclusive before another delivery may take it over. */
  leaseMarginMs: number;
  /** Jobs of one batch run at the same time. */
  consumerConcurrency: number;
  /** `batched`: one D1 batch for a queue batch's outcomes; `per-message`: one write per job. */
  statusWrites: "batched" | "per-message";
  deadLetterQueue: string;
  /** Signs listing cursors; `undefined` outside development until the secret is set. */
  cursorSecret: string | undefined;
  /** Which URLs `fetch` and `ingest` jobs may fetch: checked at enqueue and before every hop. */
  outbound: TargetPolicy;
  /** Jobs one principal may enqueue per sliding minute, and may have open (not finished) at once. */
  caps: { jobsPerMinute: number; openJobs: number };
  /** The key `ingest` jobs post to paginated-feed with; `undefined` outside development until set. */
  feedApiKey: string | undefined;
  /** Signs completion callbacks; `undefined` outside development until the secret is set. */
  callbackSecret: string | undefined;
  /** Finished jobs older than this many days are purged by the cron handler. */
  retentionDays: number;
}

/**
 * Parses the vars (pure; `withConfig` runs it once per isolate for the routes, the consumers once
 * per batch). A var that is missing or wrong throws {@link ConfigError} naming it, so every route
 * answers 503 `not-configured` instead of running on a guess.
 */
export function parseConfig(env: Env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const setting = String(issue?.path[0] ?? "configuration");
    const missing = (env as unknown as Record<string, unknown>)[setting] === undefined;
    throw new ConfigError(setting, missing ? "is not set" : `is invalid: ${issue?.message}`);
  }
  const vars = parsed.data;
  return {
    maxAttempts: vars.MAX_ATTEMPTS,
    retryBaseDelaySeconds: vars.RETRY_BASE_DELAY_SECONDS,
    retryMaxDelaySeconds: Math.max(vars.RETRY_BASE_DELAY_SECONDS, vars.RETRY_MAX_DELAY_SECONDS),
    jobTimeoutMs: vars.JOB_TIMEOUT_MS,
    leaseMarginMs: vars.LEASE_MARGIN_MS,
    consumerConcurrency: vars.CONSUMER_CONCURRENCY,
    statusWrites: vars.STATUS_WRITES,
    deadLetterQueue: vars.DEAD_LETTER_QUEUE,
    cursorSecret:
      vars.CURSOR_SECRET ??
      (vars.ENVIRONMENT === "development" ? DEVELOPMENT_CURSOR_SECRET : undefined),
    outbound: {
      allowedHosts: vars.ALLOWED_HOSTS,
      allowPrivateNetworks: vars.ALLOW_PRIVATE_NETWORKS,
    },
    caps: {
      jobsPerMinute: vars.MAX_JOBS_PER_KEY_PER_MINUTE,
      openJobs: vars.MAX_QUEUED_JOBS_PER_KEY,
    },
    feedApiKey: feedApiKeyOf(vars),
    callbackSecret:
      vars.CALLBACK_SECRET ??
      (vars.ENVIRONMENT === "development" ? DEVELOPMENT_CALLBACK_SECRET : undefined),
    retentionDays: vars.JOB_RETENTION_DAYS,
  };
}

/**
 * The key `ingest` jobs post to paginated-feed with: the `FEED_API_KEY` secret, or in development
 * the development key (which a development paginated-feed accepts); `undefined` otherwise.
 */
export function feedApiKeyOf(vars: {
  FEED_API_KEY?: string | undefined;
  ENVIRONMENT?: string | undefined;
}): string | undefined {
  const key = vars.FEED_API_KEY?.trim();
  if (key) return key;
  return vars.ENVIRONMENT === "development" ? DEV_API_KEY : undefined;
}

/**
 * The policies the rate limiting bindings enforce per principal (`WRITE_LIMITER`, `READ_LIMITER`
 * in wrangler.jsonc), as their vars repeat them for the headers. Read per request from the vars
 * (`parseConfig` has already refused a bad value with 503 by then).
 */
export function rateLimitPolicies(env: Env): { writes: RateLimitPolicy; reads: RateLimitPolicy } {
  return {
    writes: {
      name: "job-writes",
      limit: Number(env.WRITE_REQUESTS_PER_MINUTE),
      periodSeconds: 60,
    },
    reads: { name: "job-reads", limit: Number(env.READ_REQUESTS_PER_MINUTE), periodSeconds: 60 },
  };
}
