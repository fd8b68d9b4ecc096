import type { Context, Env, MiddlewareHandler } from "hono";
import { notConfigured } from "../config.ts";
import { HttpProblem } from "../problem.ts";
import type { Principal } from "./scopes.ts";

/**
 * A rate limit as the IETF `RateLimit-Policy` header states it: at most `limit` requests per
 * `periodSeconds` per key. It must repeat what the binding is configured with in
 * wrangler.jsonc (`ratelimits[].simple`); the binding enforces, the policy only speaks.
 */
export interface RateLimitPolicy {
  /** The policy's name in the headers, e.g. `writes`: a token of letters, digits, `-` or `_`. */
  name: string;
  /** Requests allowed per period and key. */
  limit: number;
  /** The binding's period: Cloudflare's rate limiting binding offers 10 or 60 seconds. */
  periodSeconds: 10 | 60;
}

/** Where {@link rateLimit} finds its binding, its policy and the key of a request. */
export interface RateLimitOptions<E extends Env> {
  /** The binding, e.g. `(env) => env.WRITE_LIMITER`. */
  binding: (env: E["Bindings"]) => RateLimit | undefined;
  /** The policy, fixed or read from the worker's vars. */
  policy: RateLimitPolicy | ((env: E["Bindings"]) => RateLimitPolicy);
  /** The counter a request counts against; default {@link rateLimitKey}. */
  key?: (c: Context<E>) => string;
}

/**
 * The default counter of a request: its API key or JWT subject when the route authenticated
 * the caller, else the client address Cloudflare reports in `CF-Connecting-IP`.
 *
 * @example
 * ```ts
 * import { rateLimitKey } from "@edge-async/http";
 * const key = rateLimitKey(c); // "principal:ci" or "ip:203.0.113.7"
 * ```
 */
export function rateLimitKey<E extends Env>(c: Context<E>): string {
  const principal = c.get("principal" as never) as Principal | undefined;
  if (principal !== undefined) return `principal:${principal.id}`;
  return `ip:${c.req.header("cf-connecting-ip") ?? "unknown"}`;
}

/**
 * `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) for `policy`, e.g.
 * `"writes";q=60;w=60`.
 *
 * @example
 * ```ts
 * import { rateLimitPolicyHeader } from "@edge-async/http";
 * console.assert(rateLimitPolicyHeader({ name: "writes", limit: 60, periodSeconds: 60 }) === '"writes";q=60;w=60');
 * ```
 */
export function rateLimitPolicyHeader(policy: RateLimitPolicy): string {
  return `"${policy.name}";q=${policy.limit};w=${policy.periodSeconds}`;
}

/**
 * Middleware that counts each request with Cloudflare's rate limiting binding and refuses one
 * past the limit: 429 problem+json with `Retry-After`, `RateLimit-Policy` and
 * `RateLimit: "<name>";r=0;t=<seconds>`. Allowed answers carry `RateLimit-Policy` (the binding
 * does not say how many requests remain, so no `RateLimit` is claimed for them).
 *
 * The binding counts per Cloudflare location and is eventually consistent; it does not say when
 * its window ends. `Retry-After` is therefore a whole period: the longest a fixed window can still
 * hold the caller back, so a retry after it is counted afresh. A missing binding answers 503
 * `not-configured`; a binding that fails lets the request through (the limiter guards capacity,
 * not access, which the route's access rule has already decided) and logs the policy's name.
 *
 * @example
 * ```ts
 * import { rateLimit, secureRoute } from "@edge-async/http";
 * const writes = rateLimit<App>({ binding: (env) => env.WRITE_LIMITER, policy: { name: "writes", limit: 60, periodSeconds: 60 } });
 * const route = secureRoute({ access: { scope: "jobs:write" }, middleware: [writes], method: "post", path: "/v1/jobs", responses: {} });
 * ```
 */
export function rateLimit<E extends Env = Env>(options: RateLimitOptions<E>): MiddlewareHandler<E> {
  const keyOf = options.key ?? rateLimitKey<E>;
  return async (c, next) => {
    const policy = checkedPolicy(
      typeof options.policy === "function" ? options.policy(c.env) : options.policy,
    );
    const binding = options.binding(c.env);
    if (binding === undefined) {
      throw notConfigured(
        `the rate limiting binding of "${policy.name}"`,
        "is not bound to this worker",
      );
    }
    const policyHeader = rateLimitPolicyHeader(policy);
    let allowed = true;
    try {
      ({ success: allowed } = await binding.limit({ key: `${policy.name}:${keyOf(c)}` }));
    } catch (error) {
      console.error(
        "rate limiter failed; request let through",
        policy.name,
        error instanceof Error ? error.name : "",
      );
    }
    if (!allowed) throw tooManyRequests(policy);
    await next();
    c.header("ratelimit-policy", policyHeader, { append: true });
  };
}

function tooManyRequests(policy: RateLimitPolicy): HttpProblem {
  const seconds = policy.periodSeconds;
  return new HttpProblem(429, "rate-limited", "Too Many Requests", {
    detail: `More than ${policy.limit} requests in ${seconds} s under the "${policy.name}" limit; retry after ${seconds} s.`,
    headers: {
      "retry-after": String(seconds),
      "ratelimit-policy": rateLimitPolicyHeader(policy),
      ratelimit: `"${policy.name}";r=0;t=${seconds}`,
      "cache-control": "no-store",
    },
  });
}

function checkedPolicy(policy: RateLimitPolicy): RateLimitPolicy {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(policy.name)) {
    throw notConfigured("rate limit policy name", "must be 1-64 letters, digits, - or _");
  }
  if (!Number.isSafeInteger(policy.limit) || policy.limit < 1) {
    throw notConfigured(
      `rate limit "${policy.name}"`,
      "must allow a whole number of requests, at least 1",
    );
  }
  if (policy.periodSeconds !== 10 && policy.periodSeconds !== 60) {
    throw notConfigured(`rate limit "${policy.name}"`, "must have a period of 10 or 60 seconds");
  }
  return policy;
}
