import {
  HttpProblem,
  notConfigured,
  type RateLimitPolicy,
  rateLimit,
  rateLimitKey,
  rateLimitPolicyHeader,
} from "@edge-async/http";
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "./config.ts";
import type { App } from "./env.ts";

// Limits per API key, both counted by Cloudflare's rate limiting binding (wrangler.jsonc
// `ratelimits`): calls to the /v1 routes, and the upstream requests those calls cause. The
// binding is a ceiling per Cloudflare location, eventually consistent, not an exact count.

/** The refusals of a route that needs the `aggregate` scope, as the OpenAPI document states them. */
export const ACCESS_REFUSALS = {
  401: "No credentials, or an API key or JWT this worker does not accept (unauthorized, with WWW-Authenticate: Bearer)",
  403: "The credentials do not grant the aggregate scope (insufficient-scope, naming it)",
} as const;

/** The 429 of a route that counts only calls. */
export const REQUEST_LIMITS = {
  429: "This API key's calls per minute are spent (REQUESTS_PER_KEY_PER_MINUTE): rate-limited, with Retry-After, RateLimit and RateLimit-Policy",
} as const;

/** The 429 of a route that fans out: calls, and the upstream requests they would make. */
export const FAN_OUT_LIMITS = {
  429: "This API key's calls per minute (REQUESTS_PER_KEY_PER_MINUTE) or upstream requests per minute (MAX_SUBREQUESTS_PER_KEY_PER_MINUTE) are spent; in the second case no upstream was contacted: rate-limited, with Retry-After, RateLimit and RateLimit-Policy",
} as const;

/** The request-rate policy: REQUEST_LIMITER's limit per 60 s, as the headers state it. */
export function requestPolicy(config: Config): RateLimitPolicy {
  return { name: "requests", limit: config.requestsPerKeyPerMinute, periodSeconds: 60 };
}

/** The subrequest policy: SUBREQUEST_LIMITER's limit per 60 s, as the headers state it. */
export function subrequestPolicy(config: Config): RateLimitPolicy {
  return { name: "subrequests", limit: config.subrequestsPerKeyPerMinute, periodSeconds: 60 };
}

/** Counts every call of a key; the limit comes from the parsed vars, so it is built per call. */
export const requestLimit: MiddlewareHandler<App> = (c, next) =>
  rateLimit<App>({
    binding: (env) => env.REQUEST_LIMITER,
    policy: requestPolicy(c.var.config),
  })(c, next);

/**
 * States the subrequest policy on the answers of the routes that fan out (the handler counts
 * with {@link reserveSubrequests} once it knows how many upstream requests the call needs).
 */
export const subrequestBudget: MiddlewareHandler<App> = async (c, next) => {
  await next();
  const header = rateLimitPolicyHeader(subrequestPolicy(c.var.config));
  // A refusal of this budget already carries it.
  if (!(c.res.headers.get("ratelimit-policy") ?? "").includes(header)) {
    c.header("ratelimit-policy", header, { append: true });
  }
};

/**
 * Counts `count` upstream requests against the caller's key before any of them goes out: one
 * `limit()` per request, all at once, since the binding counts one per call (Miniflare's refuses
 * a `delta`). If any is refused the call is refused with 429 and no upstream is contacted; the
 * requests already counted stay spent, so the ceiling holds.
 *
 * @throws {HttpProblem} 429 when the key's minute is spent; 503 when a call can never fit in it
 */
export async function reserveSubrequests<E extends App>(
  c: Context<E>,
  count: number,
): Promise<void> {
  if (count === 0) return;
  const policy = subrequestPolicy(c.var.config);
  if (count > policy.limit) {
    // Only a view can get here (a call's size is capped by it): no wait would ever let it run.
    throw notConfigured(
      "MAX_SUBREQUESTS_PER_KEY_PER_MINUTE",
      `is below the ${count} upstream requests this call needs`,
    );
  }
  const take = keyCounter(c);
  const outcomes = await Promise.all(Array.from({ length: count }, take));
  if (outcomes.includes(false)) throw budgetSpent(policy, count);
}

/**
 * One more upstream request for the caller's key (a retry): `true` when it may go out. Redirect
 * hops are not counted here (the call's own MAX_SUBREQUESTS caps them).
 */
export function keyCounter<E extends App>(c: Context<E>): () => Promise<boolean> {
  const binding = c.env.SUBREQUEST_LIMITER as RateLimit | undefined;
  if (binding === undefined) {
    throw notConfigured(
      'the rate limiting binding of "subrequests"',
      "is not bound to this worker (SUBREQUEST_LIMITER)",
    );
  }
  const key = `subrequests:${rateLimitKey(c)}`;
  return async () => {
    try {
      return (await binding.limit({ key })).success;
    } catch (error) {
      // As for the request limit: the limiter guards capacity, not access.
      console.error(
        "rate limiter failed; request let through",
        "subrequests",
        error instanceof Error ? error.name : "",
      );
      return true;
    }
  };
}

function budgetSpent(policy: RateLimitPolicy, count: number): HttpProblem {
  const seconds = policy.periodSeconds;
  return new HttpProblem(429, "rate-limited", "Too Many Requests", {
    detail: `This call needs ${count} upstream requests, more than this API key has left of its ${policy.limit} per ${seconds} s under the "${policy.name}" limit; no upstream was contacted. Retry after ${seconds} s.`,
    headers: {
      "retry-after": String(seconds),
      "ratelimit-policy": rateLimitPolicyHeader(policy),
      ratelimit: `"${policy.name}";r=0;t=${seconds}`,
      "cache-control": "no-store",
    },
  });
}
