import { HttpProblem, hasScope, type Principal, rateLimit } from "@edge-async/http";
import { rateLimitPolicies } from "./config.ts";
import type { App } from "./env.ts";

/** Request rate of the write routes per API key: Cloudflare's rate limiting binding `WRITE_LIMITER`. */
export const writeLimit = rateLimit<App>({
  binding: (env) => env.WRITE_LIMITER,
  policy: (env) => rateLimitPolicies(env).writes,
});

/** Request rate of the read routes per API key: the rate limiting binding `READ_LIMITER`. */
export const readLimit = rateLimit<App>({
  binding: (env) => env.READ_LIMITER,
  policy: (env) => rateLimitPolicies(env).reads,
});

/**
 * Whose jobs `principal` reads: its own (`principal.id`), or every job (`undefined`) with
 * `jobs:admin`. Another key's job reads as missing, so a key learns nothing of others' jobs.
 */
export function visibleOwner(principal: Principal): string | undefined {
  return hasScope(principal, "jobs:admin") ? undefined : principal.id;
}

/**
 * Refuses (403, naming each `ingest` job) an enqueue of `ingest` jobs by a caller without
 * `feed:write`: such a job writes to paginated-feed with this worker's own feed key, so it needs
 * the right to write the feed as well as `jobs:write`.
 */
export function assertMayIngest(
  principal: Principal,
  types: readonly string[],
  pointer: (index: number) => string,
): void {
  if (hasScope(principal, "feed:write")) return;
  const ingest = types.flatMap((type, index) => (type === "ingest" ? [index] : []));
  if (ingest.length === 0) return;
  throw new HttpProblem(403, "insufficient-scope", "Forbidden", {
    detail:
      "An ingest job writes to paginated-feed, so enqueueing one needs the scope feed:write as well as jobs:write.",
    scope: "feed:write",
    errors: ingest.map((index) => ({
      pointer: `${pointer(index)}/type`,
      detail: "an ingest job needs the scope feed:write",
    })),
    headers: {
      "www-authenticate": 'Bearer error="insufficient_scope", scope="feed:write"',
      "cache-control": "no-store",
    },
  });
}
