import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env, Hono } from "hono";
import type * as z from "zod";

/** One route: its method (upper case) and its path in Hono's syntax (`/v1/items/:id`). */
export interface RouteKey {
  method: string;
  path: string;
}

/** `/v1/items/{id}` (OpenAPI) to `/v1/items/:id` (Hono). */
const honoPath = (path: string) => path.replaceAll(/\{([^}]+)\}/g, ":$1");
const keyOf = (route: RouteKey) => `${route.method} ${route.path}`;

/**
 * Every route `app` answers, as its router knows them (middleware left out), sorted and unique.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { routeTable } from "@edge-async/http";
 * const routes = routeTable(new Hono().get("/a", (c) => c.text("")));
 * console.assert(routes[0]?.path === "/a");
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: any app's routes will do.
export function routeTable(app: Hono<any, any, any>): RouteKey[] {
  const seen = new Map<string, RouteKey>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const key = { method: route.method.toUpperCase(), path: route.path };
    seen.set(keyOf(key), key);
  }
  return [...seen.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/**
 * Every operation of an OpenAPI document, in Hono's path syntax, sorted: compare it with
 * {@link routeTable} so the document cannot leave out a route or describe one that is not served.
 *
 * @example
 * ```ts
 * import { specOperations } from "@edge-async/http";
 * const ops = specOperations({ paths: { "/items/{id}": { get: {} } } });
 * console.assert(ops[0]?.path === "/items/:id" && ops[0]?.method === "GET");
 * ```
 */
export function specOperations(document: { paths?: Record<string, object> }): RouteKey[] {
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  const operations: RouteKey[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(item)) {
      if (methods.has(method))
        operations.push({ method: method.toUpperCase(), path: honoPath(path) });
    }
  }
  return operations.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

interface DeclaredRoute {
  method: string;
  path: string;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/**
 * The declared responses of every route of `app`: `"METHOD /path"` (Hono syntax) to the statuses
 * it may answer (numbers; a range such as `"5XX"` or `"default"` as written).
 *
 * @example
 * ```ts
 * import { createApi, declaredStatuses } from "@edge-async/http";
 * const statuses = declaredStatuses(createApi());
 * console.assert(statuses.size === 0);
 * ```
 */
export function declaredStatuses<E extends Env>(
  app: OpenAPIHono<E>,
): Map<string, (number | string)[]> {
  const statuses = new Map<string, (number | string)[]>();
  for (const route of declaredRoutes(app)) {
    statuses.set(
      `${route.method.toUpperCase()} ${honoPath(route.path)}`,
      Object.keys(route.responses ?? {}).map((key) => (/^\d+$/.test(key) ? Number(key) : key)),
    );
  }
  return statuses;
}

function declaredRoutes<E extends Env>(app: OpenAPIHono<E>): DeclaredRoute[] {
  return app.openAPIRegistry.definitions.flatMap((definition) =>
    definition.type === "route" ? [definition.route as unknown as DeclaredRoute] : [],
  );
}

/**
 * Checks a real response against what its route declares: the status is declared (itself, by
 * its range such as `5XX`, or by `default`), the media type is one declared for it (itself or a
 * range such as `*\/*`), and a JSON body parses with the declared zod schema. Answers the
 * list of what does not match (empty when it conforms).
 *
 * @param route the route as declared, e.g. `{ method: "GET", path: "/v1/items/:id" }`
 * @example
 * ```ts
 * import { createApi, responseMismatches } from "@edge-async/http";
 * const app = createApi();
 * const problems = await responseMismatches(app, { method: "GET", path: "/" }, new Response("{}"));
 * console.assert(problems.length === 1); // no such route is declared
 * ```
 */
export async function responseMismatches<E extends Env>(
  app: OpenAPIHono<E>,
  route: RouteKey,
  response: Response,
): Promise<string[]> {
  const declared = declaredRoutes(app).find(
    (candidate) =>
      candidate.method.toUpperCase() === route.method && honoPath(candidate.path) === route.path,
  );
  if (declared === undefined) return [`${keyOf(route)} is not declared`];
  // The most specific entry answers (OpenAPI 3.1): the status, its range (`4XX`), `default`.
  const responses = declared.responses ?? {};
  const answer = [String(response.status), `${String(response.status)[0]}XX`, "default"]
    .map((key) => responses[key])
    .find((entry) => entry !== undefined);
  if (answer === undefined) return [`${keyOf(route)} does not declare status ${response.status}`];
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const content = answer.content ?? {};
  if (Object.keys(content).length === 0) {
    return (await response.clone().text()) === ""
      ? []
      : [`${keyOf(route)} ${response.status} declares no body`];
  }
  // Likewise for media types: the type, its range (`text/*`), then `*/*`.
  const entry = [mediaType, `${mediaType.split("/")[0]}/*`, "*/*"]
    .map((key) => content[key])
    .find((candidate) => candidate !== undefined);
  if (entry === undefined) {
    return [
      `${keyOf(route)} ${response.status} declares ${Object.keys(content).join(", ")}, got ${mediaType}`,
    ];
  }
  const schema = entry.schema as z.ZodType | undefined;
  if (
    !mediaType.includes("json") ||
    schema === undefined ||
    typeof schema.safeParse !== "function"
  ) {
    return [];
  }
  // An NDJSON stream declares the schema of one line.
  const values =
    mediaType === "application/x-ndjson"
      ? (await response.clone().text())
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => JSON.parse(line) as unknown)
      : [await response.clone().json()];
  return values.flatMap((value, line) => {
    const result = schema.safeParse(value);
    if (result.success) return [];
    const where = values.length > 1 ? ` line ${line + 1}` : "";
    return result.error.issues.map(
      (issue) =>
        `${keyOf(route)} ${response.status}${where} /${issue.path.join("/")}: ${issue.message}`,
    );
  });
}
