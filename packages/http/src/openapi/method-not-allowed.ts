import type { Context, Hono, NotFoundHandler } from "hono";
import { problemResponse } from "../problem.ts";

/**
 * The methods `app` routes for `path`, in a stable order; `HEAD` joins `GET` since Hono answers
 * it from the GET handler. Middleware (`use`, method `ALL`) does not count. `path` is the path as
 * the router matches it, percent-decoded as Hono decodes it (`/v1/%6aobs` is `/v1/jobs`, while
 * `%2F` and `%25` stay encoded): pass {@link routingPath}'s value for a request. The app's own
 * router answers, so a pattern's constraint (`{id{(?!retry$)[^/]+}}`) is judged exactly as
 * dispatch judges it.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { allowedMethods } from "@edge-async/http";
 * const app = new Hono().get("/items", (c) => c.text("")).post("/items", (c) => c.text(""));
 * console.assert(allowedMethods(app, "/items").join() === "GET,HEAD,POST");
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: any app's routes will do.
export function allowedMethods(app: Hono<any, any, any>, path: string): string[] {
  const methods = new Set(app.routes.map((route) => route.method).filter((m) => m !== "ALL"));
  const allowed = new Set<string>();
  for (const method of methods) {
    const [matches] = app.router.match(method, path);
    if (matches.some(([[, route]]) => route.method !== "ALL")) allowed.add(method);
  }
  if (allowed.has("GET")) allowed.add("HEAD");
  return [...allowed].sort();
}

/**
 * The path of `c`'s request as `app` routes it: `app.getPath`, which percent-decodes it (keeping
 * `%2F` and `%25` encoded) and honours the app's `strict` and `getPath` options. Compare it with
 * route patterns, never the raw `URL.pathname`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { routingPath } from "@edge-async/http";
 * const app = new Hono();
 * app.get("/*", (c) => c.text(routingPath(app, c))); // GET /v1/%6aobs → "/v1/jobs"
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: any app's routes will do.
export function routingPath(app: Hono<any, any, any>, c: Context): string {
  return app.getPath(c.req.raw, { env: c.env });
}

/**
 * A `notFound` handler that tells the two misses apart: a path no route knows answers 404, a
 * known path asked with another method answers 405 with an `Allow` header (RFC 9110 §15.5.6),
 * both as problem+json.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { methodNotAllowed } from "@edge-async/http";
 * const app = new Hono().post("/v1/aggregate", (c) => c.json({}));
 * app.notFound(methodNotAllowed(app));
 * const response = await app.request("/v1/aggregate"); // 405, Allow: POST
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: any app's routes will do.
export function methodNotAllowed(app: Hono<any, any, any>): NotFoundHandler {
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = allowedMethods(app, routingPath(app, c));
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return problemResponse(
        {
          type: "about:blank",
          title: "Method Not Allowed",
          status: 405,
          detail: `${path} accepts ${allowed.join(", ")}, not ${c.req.method}`,
          instance: path,
        },
        { allow: allowed.join(", ") },
      );
    }
    return problemResponse({
      type: "about:blank",
      title: "Not Found",
      status: 404,
      detail: `No route for ${c.req.method} ${path}`,
      instance: path,
    });
  };
}
