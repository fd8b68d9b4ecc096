import { rateLimit } from "@edge-async/http";
import { rateLimitPolicies } from "./config.ts";
import type { App } from "./env.ts";

// Each counts per API key (or JWT subject) when the route authenticated the caller, else per
// client address (public reads). Placed after the access check, so refused callers never count.

/** The read routes' limit: `READ_LIMITER`, `READ_REQUESTS_PER_MINUTE`. */
export const readLimit = rateLimit<App>({
  binding: (env) => env.READ_LIMITER,
  policy: (env) => rateLimitPolicies(env).reads,
});

/** The ingest route's limit: `WRITE_LIMITER`, `WRITE_REQUESTS_PER_MINUTE`. */
export const writeLimit = rateLimit<App>({
  binding: (env) => env.WRITE_LIMITER,
  policy: (env) => rateLimitPolicies(env).writes,
});
