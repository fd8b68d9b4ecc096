import type { Hono, NotFoundHandler } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { problemResponse } from "../problem.ts";

/**
 * The methods `app` routes for `path`, in a stable order; `HEAD` joins `GET` since Hono answers
 * it from the GET handler. Middleware (`use`, method `ALL`) does not count.
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
  const router = new TrieRouter<string>();
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    router.add(route.method, route.path, route.method);
    methods.add(route.method);
  }
  const allowed = new Set<string>();
  for (const method of methods) {
    const [matches] = router.match(method, path);
    if (matches.length > 0) allowed.add(method);
  }
  if (allowed.has("GET")) allowed.add("HEAD");
  return [...allowed].sort();
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
    const allowed = allowedMethods(app, path);
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
