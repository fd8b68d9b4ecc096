import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Principal } from "../access/scopes.ts";
import { formatTraceparent, newObservation, observe } from "./context.ts";
import { logEvent } from "./log.ts";

/**
 * The route pattern that answered, as registered (`/v1/items/:id`, a parameter's regular
 * expression left out), never the raw path: log lines then group by route and carry no ids or
 * query strings. Null when no route matched (404, 405). Read it after `await next()`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { routePattern } from "@edge-async/http";
 * const app = new Hono().use(async (c, next) => {
 *   await next();
 *   console.log(routePattern(c)); // "/items/:id" for GET /items/42
 * });
 * app.get("/items/:id", (c) => c.text("ok"));
 * ```
 */
export function routePattern(c: Context): string | null {
  const route = matchedRoutes(c).at(-1);
  if (route === undefined || (route.method === "ALL" && route.path.endsWith("*"))) return null;
  return stripParameterPatterns(route.path);
}

/** `/:id{(?!export$)[^/]+}` → `/:id`: drops each `{…}` (nested braces counted). */
function stripParameterPatterns(path: string): string {
  let result = "";
  let depth = 0;
  for (const char of path) {
    if (char === "{") depth++;
    else if (char === "}" && depth > 0) depth--;
    else if (depth === 0) result += char;
  }
  return result;
}

/**
 * Middleware that observes every request: it takes the request id from a valid `traceparent`
 * (W3C Trace Context; a malformed one is ignored and a new trace started, never refused) or
 * makes one, runs the rest of the chain with it as the current observation (so outgoing calls,
 * log lines and metrics carry it), answers with `traceparent` naming this worker's span, and
 * writes one `request` log line when the answer is ready:
 *
 * `{"event":"request","requestId","method","route","status","durationMs","keyId","country"}`
 *
 * `route` is the route pattern ({@link routePattern}), `keyId` the caller's key id (or
 * `jwt:<sub>`) once authenticated, never the key; `country` is Cloudflare's `request.cf.country`
 * when present. `durationMs` runs to the response's headers: a streamed body may go on after.
 * Metrics go to the `METRICS` binding (Analytics Engine), when the worker has one.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { requestObservability } from "@edge-async/http";
 * const app = new Hono().use(requestObservability()).get("/", (c) => c.text("ok"));
 * ```
 */
export function requestObservability(): MiddlewareHandler {
  return async (c, next) => {
    const started = Date.now();
    const metrics = (c.env as { METRICS?: AnalyticsEngineDataset } | undefined)?.METRICS;
    const observation = newObservation(c.req.header("traceparent"), metrics);
    let failed = true;
    try {
      await observe(observation, next);
      failed = false;
    } finally {
      if (!failed) c.header("traceparent", formatTraceparent(observation));
      observe(observation, () =>
        logEvent("request", {
          method: c.req.method,
          route: routePattern(c),
          status: failed ? 500 : c.res.status,
          durationMs: Date.now() - started,
          keyId: (c.get("principal" as never) as Principal | undefined)?.id,
          country: (c.req.raw as { cf?: { country?: unknown } }).cf?.country,
        }),
      );
    }
  };
}
