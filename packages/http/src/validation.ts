import type { Context, Env, MiddlewareHandler, ValidationTargets } from "hono";
import { routePath } from "hono/route";
import type * as z from "zod";
import {
  ACCEPTED_CONTENT_CODINGS,
  BodyTooLargeError,
  type ContentCoding,
  ContentDecodingError,
  contentCodingOf,
  declaresMoreThan,
  readDecoded,
  UnsupportedContentEncodingError,
} from "./body.ts";
import { HttpProblem, type InvalidParam, invalidInput } from "./problem.ts";

/** Where a value came from; decides whether problems point into a body or name a parameter. */
export type InputSource = "body" | "query" | "param" | "header" | "payload";

/**
 * Validates `data` against a zod schema and returns the parsed value, or throws a 400
 * {@link HttpProblem} listing every issue with its JSON pointer (body) or parameter name.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { parseInput } from "@edge-async/http";
 * const limit = parseInput(z.coerce.number().int().max(100), "20", "query");
 * console.assert(limit === 20);
 * ```
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  data: unknown,
  source: InputSource,
): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw invalidInput(issuesToParams(result.error.issues, source));
}

/**
 * Turns zod issues into RFC 9457 `errors` entries: one per field (a JSON pointer into a body, or
 * a parameter name), and one per unknown member or parameter, named itself (`/items/0/tags`,
 * `?topics`) rather than the object holding it.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { issuesToParams } from "@edge-async/http";
 * const { error } = z.strictObject({ a: z.string() }).safeParse({ a: "x", b: 1 });
 * issuesToParams(error?.issues ?? [], "body"); // [{ pointer: "/b", detail: "is not a member this route takes" }]
 * ```
 */
export function issuesToParams(
  issues: readonly z.core.$ZodIssue[],
  source: InputSource,
): InvalidParam[] {
  return oneIssuePerField(issues).flatMap((issue): InvalidParam[] => {
    const path = issue.path.map(String);
    const inBody = source === "body" || source === "payload";
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) =>
        inBody
          ? { pointer: toPointer([...path, key]), detail: "is not a member this route takes" }
          : { parameter: [...path, key].join("."), detail: "is not a parameter of this route" },
      );
    }
    if (inBody) return [{ pointer: toPointer(path), detail: issue.message }];
    return [{ parameter: path.length > 0 ? path.join(".") : source, detail: issue.message }];
  });
}

/**
 * Zod reports every check a value fails; a client needs one message per field. The first check's
 * (they run in declared order), except that a bound of the schema's own (`.max(900000)`) beats
 * `.int()`'s safe-integer range: `1e308` is a whole number, just far too big. Issues about the
 * whole input (an empty path) are all kept: they are cross-field rules, each its own.
 */
function oneIssuePerField(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const kept: z.core.$ZodIssue[] = [];
  const byField = new Map<string, number>();
  for (const issue of issues) {
    if (issue.path.length === 0 || issue.code === "unrecognized_keys") {
      kept.push(issue);
      continue;
    }
    const field = JSON.stringify(issue.path.map(String));
    const at = byField.get(field);
    if (at === undefined) {
      byField.set(field, kept.push(issue) - 1);
    } else if (isSafeIntegerRange(kept[at] as z.core.$ZodIssue) && isBound(issue)) {
      kept[at] = issue;
    }
  }
  return kept;
}

const isBound = (issue: z.core.$ZodIssue) => issue.code === "too_big" || issue.code === "too_small";
const isSafeIntegerRange = (issue: z.core.$ZodIssue) =>
  isBound(issue) && (issue as { origin?: string }).origin === "int";

/** RFC 6901 JSON Pointer for a path of keys. */
export function toPointer(path: readonly string[]): string {
  return path.map((key) => `/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

type Validated<Target extends keyof ValidationTargets, S extends z.ZodType> = {
  in: { [K in Target]: z.input<S> };
  out: { [K in Target]: z.output<S> };
};

export interface JsonBodyOptions {
  /**
   * Largest body accepted, in bytes, both as sent and after its content coding is undone; more
   * answers 413. Default 1 MiB.
   */
  maxBytes?: number;
}

/**
 * Middleware that reads a JSON body and exposes the parsed value as `c.req.valid("json")`.
 * Answers, as problem+json: 415 unless the media type is JSON; 415 with `Accept-Encoding:
 * gzip, deflate, br` for any other `Content-Encoding` (`identity` means none) or for stacked
 * codings; 413 past `maxBytes` as sent or decoded (decoding stops as soon as it passes, see
 * `decodeContent`); 400 naming `content-encoding` for a body that is not valid in its
 * declared coding; 400 for text that is not UTF-8, malformed JSON or a body that fails the
 * schema.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import * as z from "zod";
 * import { jsonBody } from "@edge-async/http";
 * const app = new Hono().post("/echo", jsonBody(z.object({ name: z.string() })), (c) =>
 *   c.json({ hello: c.req.valid("json").name }),
 * );
 * ```
 */
export function jsonBody<S extends z.ZodType, E extends Env = Env, P extends string = string>(
  schema: S,
  options: JsonBodyOptions = {},
): MiddlewareHandler<E, P, Validated<"json", S>> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  return async (c, next) => {
    const contentType = c.req.header("content-type") ?? "";
    if (!isJsonMediaType(contentType)) {
      throw new HttpProblem(415, "unsupported-media-type", "Unsupported Media Type", {
        detail: `Send the body as application/json (got ${contentType === "" ? "no content-type" : JSON.stringify(contentType)})`,
        errors: [{ parameter: "content-type", detail: "must be application/json" }],
        headers: { "accept-post": "application/json" },
      });
    }
    const charset = charsetOf(contentType);
    if (charset !== undefined && charset !== "utf-8") {
      // JSON is UTF-8 (RFC 8259 §8.1): reading Latin-1 or UTF-16 bytes as UTF-8 would change text.
      throw new HttpProblem(415, "unsupported-media-type", "Unsupported Media Type", {
        detail: `Send the body as UTF-8 JSON (the charset parameter says ${JSON.stringify(charset)})`,
        errors: [{ parameter: "content-type", detail: "charset must be utf-8 or absent" }],
        headers: { "accept-post": "application/json" },
      });
    }
    const text = await readBodyText(c.req.raw, maxBytes);
    if (text.trim() === "")
      throw invalidInput([{ pointer: "", detail: "the body is empty; send a JSON document" }]);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw invalidInput([
        { pointer: "", detail: `the body is not valid JSON: ${(error as Error).message}` },
      ]);
    }
    c.req.addValidatedData("json", parseInput(schema, data, "body") as object);
    await next();
  };
}

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

/**
 * The query of `url` as Hono reads it (pairs split on `&`, empty names skipped), decoded strictly,
 * with an entry in `errors` for each name or value that is not valid percent-encoded UTF-8.
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
    if (name === undefined) {
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

/** The `charset` parameter of a media type, lower case and unquoted; `undefined` when absent. */
function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(";").slice(1)) {
    const [name, value = ""] = parameter.split("=", 2).map((part) => part.trim());
    if (name?.toLowerCase() === "charset") return value.replace(/^"(.*)"$/, "$1").toLowerCase();
  }
  return undefined;
}

function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

/**
 * Reads the body as UTF-8 text with its content coding undone, refusing with 413 past `maxBytes`
 * as sent (as soon as it grows past) or as decoded.
 */
async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const coding = requestCoding(request.headers);
  if (declaresMoreThan(request.headers, maxBytes)) throw tooLarge(maxBytes);
  if (request.body === null) return "";
  let bytes: Uint8Array;
  try {
    bytes = await readDecoded(request.body, coding, maxBytes, { signal: request.signal });
  } catch (error) {
    throw bodyProblem(error, maxBytes);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalidInput([{ pointer: "", detail: "the body is not valid UTF-8" }]);
  }
}

/** The request's content coding, or a 415 that says which codings would do (RFC 9110 §12.5.3). */
function requestCoding(headers: Headers): ContentCoding | undefined {
  try {
    return contentCodingOf(headers.get("content-encoding"));
  } catch (error) {
    if (!(error instanceof UnsupportedContentEncodingError)) throw error;
    const accepted = ACCEPTED_CONTENT_CODINGS.join(", ");
    const detail = `Send the body as is or with one of the content codings ${accepted} (got ${JSON.stringify(error.value)})`;
    throw new HttpProblem(415, "unsupported-content-encoding", "Unsupported Media Type", {
      detail,
      errors: [{ parameter: "content-encoding", detail: `must be one of ${accepted}, or none` }],
      headers: { "accept-encoding": accepted },
    });
  }
}

function bodyProblem(error: unknown, maxBytes: number): HttpProblem {
  if (error instanceof BodyTooLargeError) return tooLarge(maxBytes);
  if (error instanceof ContentDecodingError) {
    const detail = `the body is not valid ${error.coding}, as its Content-Encoding says it is`;
    return invalidInput([{ parameter: "content-encoding", detail }]);
  }
  // A body that broke off (the sender went away, or an abort) is not a server fault.
  return invalidInput([{ pointer: "", detail: "the body could not be read to its end" }]);
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, "content-too-large", "Content Too Large", {
    detail: `The body is larger than ${maxBytes} bytes`,
  });
}
