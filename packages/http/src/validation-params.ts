import type { Context, Env, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type * as z from "zod";
import { type InvalidParam, invalidInput } from "./problem.ts";
import { issuesToParams, parseInput } from "./validation.ts";
import type { Validated } from "./validation-target.ts";

/**
 * Middleware that validates the query string (repeated keys become arrays) and exposes the
 * parsed value as `c.req.valid("query")`. Names and values are percent-decoded strictly (`+` is a
 * space): one that is not valid percent-encoded UTF-8 (`%FF`, `%ED%A0%80`, a bare `%`) answers 400
 * naming the parameter, where Hono's own parser would pass the undecoded text on as the value.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import * as z from "zod";
 * import { query } from "@edge-async/http";
 * const app = new Hono().get("/items", query(z.object({ limit: z.coerce.number().max(100) })), (c) =>
 *   c.json({ limit: c.req.valid("query").limit }),
 * );
 * ```
 */
export function query<S extends z.ZodType, E extends Env = Env, P extends string = string>(
  schema: S,
): MiddlewareHandler<E, P, Validated<"query", S>> {
  return async (c, next) => {
    const { values, errors } = decodeQuery(c.req.url);
    if (errors.length > 0) throw invalidInput(errors);
    const raw = Object.fromEntries(
      [...values].map(([key, list]) => [key, list.length === 1 ? (list[0] as string) : list]),
    );
    const result = schema.safeParse(raw);
    checkQuery(c.req.url, result);
    c.req.addValidatedData("query", result.data as object);
    await next();
  };
}

/**
 * Checks a validated query against the parameters given more than once in `url`: such a parameter
 * is refused (400 naming it, saying it was given more than once) unless the schema took it as a
 * list. Issues zod raised on a repeated parameter are replaced by that one message, since the
 * schema's own words ("must be a whole number", "expected string, received array") would mislead.
 *
 * @param result the schema's outcome for the query: `data` on success, `issues` on failure
 * @throws {HttpProblem} 400 listing every problem when any parameter fails
 * @example
 * ```ts
 * import * as z from "zod";
 * import { checkQuery } from "@edge-async/http";
 * const url = "https://x.test/?limit=1&limit=2";
 * const schema = z.object({ limit: z.coerce.number() });
 * checkQuery(url, schema.safeParse({ limit: ["1", "2"] })); // throws 400: limit was given more than once
 * ```
 */
export function checkQuery(
  url: string,
  result: { success: true; data: unknown } | { success: false; error: z.ZodError },
): void {
  const repeated = [...decodeQuery(url).values]
    .filter(([, list]) => list.length > 1)
    .map(([name]) => name);
  const flagged = repeated.filter((name) => {
    if (!result.success) return result.error.issues.some((issue) => issue.path[0] === name);
    const taken = result.data as Record<string, unknown>;
    return Object.hasOwn(taken, name) && !Array.isArray(taken[name]);
  });
  const others = result.success
    ? []
    : issuesToParams(
        result.error.issues.filter((issue) => !flagged.includes(String(issue.path[0]))),
        "query",
      );
  const errors = [
    ...flagged.map((parameter) => ({
      parameter,
      detail: "was given more than once; give it once",
    })),
    ...others,
  ];
  if (errors.length > 0) throw invalidInput(errors);
}

/** Strict percent-decoding of one URL component; `undefined` when it is not valid UTF-8. */
function decodeComponent(component: string): string | undefined {
  try {
    return decodeURIComponent(component);
  } catch {
    return undefined;
  }
}

function malformed(raw: string): string {
  const shown = raw.length > 64 ? `${raw.slice(0, 64)}...` : raw;
  return `is not valid percent-encoded UTF-8 (${JSON.stringify(shown)}); encode text as UTF-8 and % as %25`;
}

const EMPTY_NAME: InvalidParam = {
  parameter: "",
  detail: 'has an empty name (nothing comes before "="); name it or leave the pair out',
};

/**
 * The query of `url` as Hono reads it (pairs split on `&`, empty pairs skipped), decoded strictly,
 * with an entry in `errors` for each name or value that is not valid percent-encoded UTF-8, and
 * one (`parameter: ""`) for pairs with an empty name (`=x`), which Hono drops but no route takes.
 *
 * @example
 * ```ts
 * import { decodeQuery } from "@edge-async/http";
 * const { values, errors } = decodeQuery("https://x.test/?a=1&b=%FF");
 * console.assert(values.get("a")?.[0] === "1" && errors[0]?.parameter === "b");
 * ```
 */
export function decodeQuery(url: string): {
  values: Map<string, string[]>;
  errors: InvalidParam[];
} {
  const values = new Map<string, string[]>();
  const errors: InvalidParam[] = [];
  const start = url.indexOf("?");
  if (start === -1) return { values, errors };
  const hash = url.indexOf("#", start);
  for (const pair of url.slice(start + 1, hash === -1 ? undefined : hash).split("&")) {
    const equals = pair.indexOf("=");
    const rawName = (equals === -1 ? pair : pair.slice(0, equals)).replaceAll("+", " ");
    const rawValue = (equals === -1 ? "" : pair.slice(equals + 1)).replaceAll("+", " ");
    const name = decodeComponent(rawName);
    const value = decodeComponent(rawValue);
    if (equals === 0) {
      if (!errors.some((error) => error.parameter === "")) errors.push(EMPTY_NAME);
    } else if (name === undefined) {
      errors.push({ parameter: rawName, detail: `the parameter name ${malformed(rawName)}` });
    } else if (name !== "" && value === undefined) {
      errors.push({ parameter: name, detail: malformed(rawValue) });
    } else if (name !== "" && value !== undefined) {
      const list = values.get(name);
      if (list === undefined) values.set(name, [value]);
      else list.push(value);
    }
  }
  return { values, errors };
}

/**
 * Middleware that validates path parameters, exposed as `c.req.valid("param")`. A parameter whose
 * path segment is not valid percent-encoded UTF-8 (`/items/%FF`) answers 400 naming it, where
 * Hono would pass the undecoded text on as the value.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import * as z from "zod";
 * import { params } from "@edge-async/http";
 * const app = new Hono().get("/items/:id", params(z.object({ id: z.coerce.number().int() })), (c) =>
 *   c.json({ id: c.req.valid("param").id }),
 * );
 * ```
 */
export function params<S extends z.ZodType, E extends Env = Env, P extends string = string>(
  schema: S,
): MiddlewareHandler<E, P, Validated<"param", S>> {
  return async (c, next) => {
    const values = c.req.param() as Record<string, string>;
    const errors = malformedParams(c, Object.keys(values));
    if (errors.length > 0) throw invalidInput(errors);
    c.req.addValidatedData("param", parseInput(schema, values, "param") as object);
    await next();
  };
}

/**
 * The parameters whose raw path segment does not decode strictly, found by lining the request's
 * path up with the route's pattern; every parameter when they do not line up (a wildcard).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { malformedParams } from "@edge-async/http";
 * new Hono().get("/items/:id", (c) => c.json(malformedParams(c, ["id"]))); // /items/%FF → [{ parameter: "id", … }]
 * ```
 */
export function malformedParams(c: Context, names: readonly string[]): InvalidParam[] {
  const segments = new URL(c.req.url).pathname.split("/");
  const bad = segments.map((segment) => decodeComponent(segment) === undefined);
  if (names.length === 0 || !bad.includes(true)) return [];
  const pattern = routePath(c).split("/");
  const named =
    pattern.length !== segments.length
      ? []
      : pattern.flatMap((part, index) => {
          const name = /^:([^{}?]+)/.exec(part)?.[1];
          return name !== undefined && bad[index] ? [{ name, raw: segments[index] as string }] : [];
        });
  if (named.length === 0) {
    return names.map((name) => ({
      parameter: name,
      detail: `the path ${malformed(segments.join("/"))}`,
    }));
  }
  return named.map(({ name, raw }) => ({ parameter: name, detail: malformed(raw) }));
}
