import { flagVar, HttpProblem, hostListVar } from "@edge-async/http";
import type { MiddlewareHandler } from "hono";
import * as z from "zod";

/**
 * Bindings of the worker. Every var is optional and may arrive as a JSON value (wrangler.jsonc
 * `vars`) or as a string (`--var NAME:value`, dashboard, `.dev.vars`); {@link readConfig} accepts both.
 */
export interface Env {
  ALLOWED_HOSTS?: unknown;
  ALLOW_PRIVATE_NETWORKS?: unknown;
  MAX_REQUESTS?: unknown;
  MAX_SUBREQUESTS?: unknown;
  DEFAULT_CONCURRENCY?: unknown;
  MAX_CONCURRENCY?: unknown;
  DEFAULT_TIMEOUT_MS?: unknown;
  DEFAULT_DEADLINE_MS?: unknown;
  MAX_DEADLINE_MS?: unknown;
  DEFAULT_RETRIES?: unknown;
  MAX_RETRIES?: unknown;
  RETRY_BASE_DELAY_MS?: unknown;
  RETRY_MAX_DELAY_MS?: unknown;
  MAX_BODY_BYTES?: unknown;
  MAX_REQUEST_BYTES?: unknown;
  MAX_REDIRECTS?: unknown;
  BREAKER_FAILURE_THRESHOLD?: unknown;
  BREAKER_RESET_MS?: unknown;
  CACHE_TTL_SECONDS?: unknown;
  VIEWS?: unknown;
}

/** Hono environment type of every route of this worker; `config` is parsed once per request. */
export interface AggregatorApp {
  Bindings: Env;
  Variables: { config: Config };
}

const jsonText = (value: unknown): unknown => {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (!trimmed.startsWith("[") && !trimmed.startsWith("{")) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
};

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A view's part: a URL template whose `{name}` placeholders come from the query string. */
const viewSchema = z.object({
  description: z.string().optional(),
  parts: z
    .record(z.string().regex(/^[A-Za-z_][\w-]{0,63}$/), z.string().min(1))
    .refine((parts) => Object.keys(parts).length > 0, "a view needs at least one part"),
  deadlineMs: count(1, 60_000).optional(),
  timeoutMs: count(1, 60_000).optional(),
  concurrency: count(1, 100).optional(),
  cacheTtlSeconds: count(0, 86_400).optional(),
});

/** Shape of one named view in the `VIEWS` var. */
export type ViewConfig = z.output<typeof viewSchema>;

const envSchema = z.object({
  ALLOWED_HOSTS: hostListVar.default([]),
  ALLOW_PRIVATE_NETWORKS: flagVar.default(false),
  MAX_REQUESTS: count(1, 1_000).default(50),
  MAX_SUBREQUESTS: count(1, 10_000).default(1_000),
  DEFAULT_CONCURRENCY: count(1, 100).default(6),
  MAX_CONCURRENCY: count(1, 100).default(20),
  DEFAULT_TIMEOUT_MS: count(1, 60_000).default(5_000),
  DEFAULT_DEADLINE_MS: count(1, 60_000).default(10_000),
  MAX_DEADLINE_MS: count(1, 300_000).default(30_000),
  DEFAULT_RETRIES: count(0, 10).default(2),
  MAX_RETRIES: count(0, 10).default(5),
  RETRY_BASE_DELAY_MS: count(0, 60_000).default(100),
  RETRY_MAX_DELAY_MS: count(0, 60_000).default(5_000),
  MAX_BODY_BYTES: count(1, 100 * 1024 * 1024).default(1024 * 1024),
  MAX_REQUEST_BYTES: count(1, 100 * 1024 * 1024).default(1024 * 1024),
  MAX_REDIRECTS: count(0, 20).default(5),
  BREAKER_FAILURE_THRESHOLD: count(1, 1_000).default(5),
  BREAKER_RESET_MS: count(0, 3_600_000).default(30_000),
  CACHE_TTL_SECONDS: count(0, 86_400).default(0),
  VIEWS: z.preprocess(jsonText, z.record(z.string(), viewSchema)).default({}),
});

/** The worker's settings, parsed from its vars with defaults filled in. */
export interface Config {
  /** Hosts (`host`, `host:port`, `*.suffix`) that may be fetched; `*` allows any. */
  allowedHosts: readonly string[];
  /** Whether loopback, private and link-local targets may be fetched (local development). */
  allowPrivateNetworks: boolean;
  maxRequests: number;
  /** Subrequests one call may make in total: first attempts, retries and redirects. */
  maxSubrequests: number;
  defaultConcurrency: number;
  maxConcurrency: number;
  defaultTimeoutMs: number;
  defaultDeadlineMs: number;
  maxDeadlineMs: number;
  defaultRetries: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  maxBodyBytes: number;
  maxRequestBytes: number;
  maxRedirects: number;
  breakerFailureThreshold: number;
  breakerResetMs: number;
  cacheTtlSeconds: number;
  views: Readonly<Record<string, ViewConfig>>;
}

/**
 * Parses the worker's vars into a {@link Config}. A var that does not parse is an operator
 * mistake, so it answers 500 naming the var (never a silent default).
 */
export function readConfig(env: Env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      parameter: issue.path.map(String).join("."),
      detail: issue.message,
    }));
    console.error("fetch-aggregator: invalid configuration", issues);
    throw new HttpProblem(500, "misconfigured", "Gateway misconfigured", {
      detail: `The worker's configuration is invalid (${issues.map((issue) => issue.parameter).join(", ")}); see the logs.`,
    });
  }
  const vars = result.data;
  return {
    allowedHosts: vars.ALLOWED_HOSTS,
    allowPrivateNetworks: vars.ALLOW_PRIVATE_NETWORKS,
    // Every request's first attempt must fit in the subrequest budget.
    maxRequests: Math.min(vars.MAX_REQUESTS, vars.MAX_SUBREQUESTS),
    maxSubrequests: vars.MAX_SUBREQUESTS,
    defaultConcurrency: Math.min(vars.DEFAULT_CONCURRENCY, vars.MAX_CONCURRENCY),
    maxConcurrency: vars.MAX_CONCURRENCY,
    defaultTimeoutMs: vars.DEFAULT_TIMEOUT_MS,
    defaultDeadlineMs: Math.min(vars.DEFAULT_DEADLINE_MS, vars.MAX_DEADLINE_MS),
    maxDeadlineMs: vars.MAX_DEADLINE_MS,
    defaultRetries: Math.min(vars.DEFAULT_RETRIES, vars.MAX_RETRIES),
    maxRetries: vars.MAX_RETRIES,
    retryBaseDelayMs: vars.RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: vars.RETRY_MAX_DELAY_MS,
    maxBodyBytes: vars.MAX_BODY_BYTES,
    maxRequestBytes: vars.MAX_REQUEST_BYTES,
    maxRedirects: vars.MAX_REDIRECTS,
    breakerFailureThreshold: vars.BREAKER_FAILURE_THRESHOLD,
    breakerResetMs: vars.BREAKER_RESET_MS,
    cacheTtlSeconds: vars.CACHE_TTL_SECONDS,
    views: vars.VIEWS,
  };
}

/** Middleware that parses the vars once per request and exposes them as `c.var.config`. */
export const withConfig: MiddlewareHandler<AggregatorApp> = async (c, next) => {
  c.set("config", readConfig(c.env ?? {}));
  await next();
};
