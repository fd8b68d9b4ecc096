import type { Context, Env, Hono, MiddlewareHandler } from "hono";
import { ConfigError, notConfigured } from "../config.ts";
import { allowedMethods, routingPath } from "../openapi/method-not-allowed.ts";

/** What {@link cors} allows; every list is exact and case-insensitive where HTTP says so. */
export interface CorsOptions<E extends Env> {
  /**
   * Origins allowed to read answers (`https://app.example.com`, no path, no `*`). Default: the
   * `CORS_ORIGINS` variable, origins separated by commas or spaces; unset means none.
   */
  origins?: readonly string[] | ((env: E["Bindings"]) => readonly string[]);
  /** Request headers a preflight allows. */
  allowHeaders?: readonly string[];
  /** Answer headers scripts may read beyond the CORS-safelisted ones. */
  exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight, in seconds; default 600. */
  maxAgeSeconds?: number;
}

const ALLOW_HEADERS = [
  "authorization",
  "content-type",
  "content-encoding",
  "idempotency-key",
  "if-match",
  "if-none-match",
  "request-timeout-ms",
  "traceparent",
  // paginated-feed's D1 session bookmark: a browser sends it back to read its own writes.
  "x-d1-bookmark",
];
const EXPOSE_HEADERS = [
  "etag",
  "link",
  "location",
  "ratelimit",
  "ratelimit-policy",
  "retry-after",
  "traceparent",
  "www-authenticate",
  "x-d1-bookmark",
];
const PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

const parsedOrigins = new Map<string, ReadonlySet<string> | ConfigError>();

/**
 * The origins of a `CORS_ORIGINS` value, each checked to be a bare origin.
 *
 * @throws {HttpProblem} 503 `not-configured` naming `CORS_ORIGINS` for an entry that is not an origin
 * @example
 * ```ts
 * import { parseCorsOrigins } from "@edge-async/http";
 * console.assert(parseCorsOrigins("https://a.example, http://localhost:5173").size === 2);
 * ```
 */
export function parseCorsOrigins(value: string | undefined): ReadonlySet<string> {
  const text = value ?? "";
  let parsed = parsedOrigins.get(text);
  if (parsed === undefined) {
    parsed = checkedOrigins(text.split(/[\s,]+/).filter(Boolean), "CORS_ORIGINS");
    parsedOrigins.set(text, parsed);
  }
  if (parsed instanceof ConfigError)
    throw notConfigured(parsed.setting, parsed.message.slice(parsed.setting.length + 1));
  return parsed;
}

function checkedOrigins(
  origins: readonly string[],
  setting: string,
): ReadonlySet<string> | ConfigError {
  for (const origin of origins) {
    const url = URL.parse(origin);
    if (url === null || url.origin === "null" || url.origin !== origin) {
      return new ConfigError(
        setting,
        "must list origins like https://app.example.com (scheme, host and port only)",
      );
    }
  }
  return new Set(origins);
}

/**
 * CORS for `app` with an allowlist of origins (closed by default). A listed origin gets
 * `Access-Control-Allow-Origin: <origin>` and the exposed headers; an origin not listed gets no
 * CORS headers at all; every answer carries `Vary: Origin`. `OPTIONS` on a path the app routes
 * answers 204 with `Allow` (the app's methods for the path, never a 405), and for a preflight from
 * a listed origin the allowed methods, headers and max-age. Credentials travel in
 * `Authorization`, so no `Access-Control-Allow-Credentials` is sent. Register it with `app.use`
 * before the routes.
 *
 * @example
 * ```ts
 * import { cors, createApi } from "@edge-async/http";
 * const app = createApi();
 * app.use(cors(app, { origins: ["https://app.example.com"] }));
 * ```
 */
export function cors<E extends Env>(
  // biome-ignore lint/suspicious/noExplicitAny: any app's routes will do.
  app: Hono<any, any, any>,
  options: CorsOptions<E> = {},
): MiddlewareHandler<E> {
  const allowHeaders = (options.allowHeaders ?? ALLOW_HEADERS).join(", ");
  const exposeHeaders = (options.exposeHeaders ?? EXPOSE_HEADERS).join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 600);
  const fixed = Array.isArray(options.origins)
    ? checkedOrigins(options.origins, "cors origins")
    : undefined;
  if (fixed instanceof ConfigError) throw fixed;
  const originsOf = (c: Context<E>): ReadonlySet<string> => {
    if (fixed !== undefined) return fixed;
    if (typeof options.origins === "function") {
      const listed = checkedOrigins(options.origins(c.env), "CORS_ORIGINS");
      if (listed instanceof ConfigError)
        throw notConfigured(listed.setting, listed.message.slice(listed.setting.length + 1));
      return listed;
    }
    return parseCorsOrigins((c.env as { CORS_ORIGINS?: string } | undefined)?.CORS_ORIGINS);
  };
  return async (c, next) => {
    const origin = c.req.header("origin");
    const listed = origin !== undefined && originsOf(c).has(origin);
    if (c.req.method === "OPTIONS") {
      const methods = allowedMethods(app, routingPath(app, c));
      if (methods.length === 0 || methods.includes("OPTIONS")) return next();
      const headers = new Headers({
        allow: [...methods, "OPTIONS"].join(", "),
        vary: PREFLIGHT_VARY,
      });
      if (listed && c.req.header("access-control-request-method") !== undefined) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-allow-methods", methods.join(", "));
        headers.set("access-control-allow-headers", allowHeaders);
        headers.set("access-control-max-age", maxAge);
      }
      return new Response(null, { status: 204, headers });
    }
    await next();
    c.header("vary", "Origin", { append: true });
    if (listed) {
      c.header("access-control-allow-origin", origin);
      c.header("access-control-expose-headers", exposeHeaders);
    }
  };
}
