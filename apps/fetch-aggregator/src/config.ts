import { ConfigError, flagVar, hostListVar } from "@edge-async/http";
import * as z from "zod";
import type { Env } from "./env.ts";

/**
 * The vars as they may arrive: wrangler.jsonc gives JSON values (as `Env` types them), while
 * `--var NAME:value`, the dashboard and `.dev.vars` give strings; {@link parseConfig} takes both.
 */
export type Vars = { readonly [Name in keyof Env]?: unknown };

/** The answer every /v1 route declares for a var that does not parse (see {@link parseConfig}). */
export const NOT_CONFIGURED = {
  503: "The worker is misconfigured: a var does not parse, or outside development no API_KEYS (nor JWT issuer) is set (type not-configured, naming it)",
} as const;

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
  REQUESTS_PER_KEY_PER_MINUTE: count(1, 10_000_000).default(600),
  MAX_SUBREQUESTS_PER_KEY_PER_MINUTE: count(1, 100_000_000).default(6_000),
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
  /** Calls one API key may make per 60 s: REQUEST_LIMITER's limit, repeated for the headers. */
  requestsPerKeyPerMinute: number;
  /** Upstream requests one API key may cause per 60 s: SUBREQUEST_LIMITER's limit, repeated. */
  subrequestsPerKeyPerMinute: number;
  views: Readonly<Record<string, ViewConfig>>;
}

/**
 * Parses the worker's vars into a {@link Config} (pure; `withConfig` runs it once per isolate).
 * A var that does not parse is an operator mistake: it throws {@link ConfigError} naming the var,
 * so every route answers 503 `not-configured` rather than falling back silently to a default.
 */
export function parseConfig(env: Vars): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) throw configError(result.error.issues);
  const vars = result.data;
  return {
    allowedHosts: vars.ALLOWED_HOSTS,
    allowPrivateNetworks: vars.ALLOW_PRIVATE_NETWORKS,
    // Every request's first attempt must fit in the call's subrequest budget, and a call must fit
    // in a key's whole minute, or it could never run however long the caller waited.
    maxRequests: Math.min(
      vars.MAX_REQUESTS,
      vars.MAX_SUBREQUESTS,
      vars.MAX_SUBREQUESTS_PER_KEY_PER_MINUTE,
    ),
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
    requestsPerKeyPerMinute: vars.REQUESTS_PER_KEY_PER_MINUTE,
    subrequestsPerKeyPerMinute: vars.MAX_SUBREQUESTS_PER_KEY_PER_MINUTE,
    views: vars.VIEWS,
  };
}

/** Names the first var that does not parse and what is wrong with it; the others are listed too. */
function configError(issues: z.ZodError["issues"]): ConfigError {
  const found = issues.map((issue) => {
    const [setting = "configuration", ...inside] = issue.path.map(String);
    const where = inside.length > 0 ? ` at ${inside.join(".")}` : "";
    return { setting, problem: `is invalid${where}: ${issue.message}` };
  });
  console.error("fetch-aggregator: invalid configuration", found);
  const [first = { setting: "configuration", problem: "is invalid" }] = found;
  const others = [...new Set(found.map((issue) => issue.setting))].filter(
    (setting) => setting !== first.setting,
  );
  const also = others.length > 0 ? `; so is ${others.join(", ")}` : "";
  return new ConfigError(first.setting, `${first.problem}${also}`);
}
