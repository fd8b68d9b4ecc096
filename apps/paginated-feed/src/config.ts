import { ConfigError, type RateLimitPolicy } from "@edge-async/http";

/**
 * The secret local development signs cursors with. It is public (it is in this file), so any
 * environment other than "development" must set CURSOR_SECRET as a secret.
 */
export const DEV_CURSOR_SECRET = "dev-only-cursor-secret";

/** What the handlers need from the bindings, parsed once per isolate by `withConfig`. */
export interface Config {
  /**
   * HMAC key for cursors; `undefined` outside development without CURSOR_SECRET, where only the
   * routes that sign or read cursors refuse (503 not-configured): ingest, item and export still
   * serve, so producers are not stopped by a missing listing secret.
   */
  cursorSecret: string | undefined;
  /** Whether the benchmark's routes under /__bench answer (ENABLE_BENCH_ROUTES = "true"). */
  benchRoutes: boolean;
}

/** The policy of each route class: reads (`READ_LIMITER`) and writes (`WRITE_LIMITER`). */
export interface RateLimitPolicies {
  reads: RateLimitPolicy;
  writes: RateLimitPolicy;
}

function perMinute(
  env: Cloudflare.Env,
  name: "READ_REQUESTS_PER_MINUTE" | "WRITE_REQUESTS_PER_MINUTE",
) {
  const value = env[name];
  const count = Number(value);
  if (!/^[1-9][0-9]{0,8}$/.test(value ?? "") || !Number.isSafeInteger(count)) {
    throw new ConfigError(name, "must be a whole number of requests from 1 to 999999999");
  }
  return count;
}

/**
 * The rate limit policies of the route classes, from the vars that repeat the `ratelimits`
 * bindings of wrangler.jsonc (the bindings enforce; the vars only feed the headers).
 *
 * @throws {ConfigError} naming the var that is not a positive whole number
 */
export function rateLimitPolicies(env: Cloudflare.Env): RateLimitPolicies {
  return {
    reads: {
      name: "feed-reads",
      limit: perMinute(env, "READ_REQUESTS_PER_MINUTE"),
      periodSeconds: 60,
    },
    writes: {
      name: "feed-writes",
      limit: perMinute(env, "WRITE_REQUESTS_PER_MINUTE"),
      periodSeconds: 60,
    },
  };
}

/** Reads the worker's settings from its bindings; pure, so `withConfig` can keep the result. */
export function parseConfig(env: Cloudflare.Env): Config {
  // Checked here so a bad limit answers 503 naming its var before any limiter reads it.
  rateLimitPolicies(env);
  const secret = env.CURSOR_SECRET;
  return {
    cursorSecret:
      secret !== undefined && secret !== ""
        ? secret
        : env.ENVIRONMENT === "development"
          ? DEV_CURSOR_SECRET
          : undefined,
    benchRoutes: env.ENABLE_BENCH_ROUTES === "true",
  };
}
