import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { Env, MiddlewareHandler } from "hono";
import * as z from "zod";
import { cors } from "../access/cors.ts";
import { securityHeaders } from "../access/security-headers.ts";
import { withConfig } from "../config.ts";
import { type RequestDeadlineOptions, requestDeadline } from "../deadline.ts";
import { problemErrorHandler } from "../errors.ts";
import { requestObservability } from "../observability/request-log.ts";
import { invalidInput } from "../problem.ts";
import {
  checkQuery,
  decodeQuery,
  type InputSource,
  issuesToParams,
  type JsonBodyOptions,
  jsonBody,
  malformedParams,
  toPointer,
} from "../validation.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

const SOURCES: Record<string, InputSource> = {
  json: "body",
  form: "body",
  query: "query",
  param: "param",
  header: "header",
  cookie: "header",
};

/**
 * The validation hook of every route declared with `createRoute`: a request that fails its
 * schema is refused with 400 problem+json listing every issue, with a JSON pointer for body
 * fields and the parameter name for query, path and header fields. Query and path parameters
 * must also be valid percent-encoded UTF-8 (Hono's own parser passes `%FF` on as literal text):
 * one that is not is refused naming it, before its schema is consulted. A query parameter given
 * more than once is refused saying so, unless the schema takes a list there (see `checkQuery`).
 *
 * @example
 * ```ts
 * import { OpenAPIHono } from "@hono/zod-openapi";
 * import { validationHook } from "@edge-async/http";
 * const app = new OpenAPIHono({ defaultHook: validationHook });
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves routes of every shape.
export const validationHook: Hook<any, any, any, any> = (result, c) => {
  if (result.target === "query") {
    const { errors } = decodeQuery(c.req.url);
    if (errors.length > 0) throw invalidInput(errors);
    checkQuery(c.req.url, result);
  } else if (result.target === "param") {
    const errors = malformedParams(c, Object.keys(c.req.param() as Record<string, string>));
    if (errors.length > 0) throw invalidInput(errors);
  }
  if (!result.success) {
    throw invalidInput(issuesToParams(result.error.issues, SOURCES[result.target] ?? "body"));
  }
};

/**
 * A new app (or sub-app) whose routes are declared with `createRoute` and validated by
 * {@link validationHook}. Errors answer as problem+json; on the root app, an unknown path is a
 * 404 and a known path with another method a 405 with `Allow`.
 *
 * @example
 * ```ts
 * import { createRoute } from "@hono/zod-openapi";
 * import * as z from "zod";
 * import { createApi, jsonResponse } from "@edge-async/http";
 * const app = createApi().openapi(
 *   createRoute({ method: "get", path: "/ping", responses: { 200: jsonResponse(z.object({ pong: z.boolean() }), "Pong") } }),
 *   (c) => c.json({ pong: true }, 200),
 * );
 * ```
 */
export function createApi<E extends Env = Env>(): OpenAPIHono<E> {
  const app = new OpenAPIHono<E>({ defaultHook: validationHook });
  app.onError(problemErrorHandler);
  app.notFound(methodNotAllowed(app));
  return app;
}

/**
 * A worker's root app, the same in every worker: {@link createApi}, then the request's
 * observation (request id from `traceparent`, one `request` log line, see
 * {@link requestObservability}; first, so it times and sees everything), the security headers
 * (first, so every answer carries them, errors included), CORS for the origins in `CORS_ORIGINS`
 * (none by default), the request's deadline as `c.var.signal` ({@link requestDeadline}: the
 * caller's `request-timeout-ms`, capped at `options.maxDeadlineMs`), and the configuration parsed
 * once per isolate for the routes under `configPaths` (a setting that does not parse answers 503
 * `not-configured` there). Mount the resources with `.route()` and add {@link serviceRoutes}.
 *
 * @param parseConfig turns the bindings into the typed `c.var.config`; throws `ConfigError`
 * @param configPaths the routes that need the configuration (default `/v1/*`); one parse serves all
 * @param options.maxDeadlineMs the longest this worker works on a request, in ms (default: no cap)
 * @example
 * ```ts
 * import { createWorkerApi } from "@edge-async/http";
 * type App = { Bindings: { LIMIT?: string }; Variables: { config: { limit: number } } };
 * const app = createWorkerApi<App>((env) => ({ limit: Number(env.LIMIT ?? 10) }));
 * ```
 */
export function createWorkerApi<E extends Env & { Variables: { config: unknown } }>(
  parseConfig: (env: E["Bindings"]) => E["Variables"]["config"],
  configPaths: string | string[] = "/v1/*",
  options: { maxDeadlineMs?: RequestDeadlineOptions["maxMs"] } = {},
): OpenAPIHono<E> {
  const app = createApi<E>();
  app.use(requestObservability() as unknown as MiddlewareHandler<E>);
  app.use(securityHeaders() as unknown as MiddlewareHandler<E>);
  app.use(cors<E>(app));
  app.use(requestDeadline({ maxMs: options.maxDeadlineMs }) as unknown as MiddlewareHandler<E>);
  const config = withConfig(parseConfig) as unknown as MiddlewareHandler<E>;
  for (const path of [configPaths].flat()) app.use(path, config);
  return app;
}

/**
 * Route middleware that reads a JSON request body with the shared rules of {@link jsonBody}
 * (415 unless JSON, 413 past `maxBytes`, the content coding decoded or refused, 400 for text
 * that is not UTF-8 or not JSON, and for a number past a double's range such as `1e400`, which
 * JSON.parse reads as Infinity and the validator would see as null) before the route's schema
 * validates it. Put it in `createRoute({ middleware })` of every route that declares a JSON body.
 *
 * @example
 * ```ts
 * import { createRoute } from "@hono/zod-openapi";
 * import { jsonInput } from "@edge-async/http";
 * const route = createRoute({ method: "post", path: "/items", middleware: [jsonInput({ maxBytes: 65_536 })], responses: {} });
 * ```
 */
export function jsonInput(options: JsonBodyOptions = {}): MiddlewareHandler {
  const read = jsonBody(z.unknown(), options);
  return (c, next) =>
    read(c, async () => {
      // The route's schema validator reads the body through c.req.json(): hand it the document
      // that was already read within the limits instead of letting it read the stream again.
      const document = c.req.valid("json" as never) as unknown;
      const huge = infinitePointer(document);
      if (huge !== undefined) {
        const detail = "is a number too large to hold (past ±1.7976931348623157e308)";
        throw invalidInput([{ pointer: huge, detail }]);
      }
      c.req.bodyCache.json = Promise.resolve(document);
      await next();
    });
}

// Hono hands the cached document to the validator through JSON.stringify, which writes Infinity
// as null: a number past a double's range must be refused before, where it can still be named.
// Iterative with parent links, so a deeply nested body neither overflows the stack nor copies paths.
type Visit = { value: unknown; key: string; parent: Visit | undefined };
function infinitePointer(document: unknown): string | undefined {
  const stack: Visit[] = [{ value: document, key: "", parent: undefined }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const { value } = visit;
    if (typeof value === "number" && !Number.isFinite(value)) {
      const path: string[] = [];
      for (let at: Visit | undefined = visit; at?.parent !== undefined; at = at.parent) {
        path.push(at.key);
      }
      return toPointer(path.reverse());
    }
    if (typeof value === "object" && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        stack.push({ value: member, key, parent: visit });
      }
    }
  }
  return undefined;
}
