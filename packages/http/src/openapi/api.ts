import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { Env, MiddlewareHandler } from "hono";
import { cors } from "../access/cors.ts";
import { securityHeaders } from "../access/security-headers.ts";
import { withConfig } from "../config.ts";
import { type RequestDeadlineOptions, requestDeadline } from "../deadline.ts";
import { problemErrorHandler } from "../errors.ts";
import { requestObservability } from "../observability/request-log.ts";
import { invalidInput } from "../problem.ts";
import { type InputSource, issuesToParams } from "../validation.ts";
import { checkQuery, decodeQuery, malformedParams } from "../validation-params.ts";
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
