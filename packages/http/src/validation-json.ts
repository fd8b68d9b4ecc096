import type { Env, MiddlewareHandler } from "hono";
import * as z from "zod";
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
import { HttpProblem, invalidInput } from "./problem.ts";
import { parseInput, toPointer } from "./validation.ts";
import { duplicateMember } from "./validation-json-members.ts";
import type { Validated } from "./validation-target.ts";

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
 * declared coding; 400 for text that is not UTF-8, malformed JSON, an object that gives a member
 * name twice (I-JSON, RFC 7493 §2.3: pointer of the repeat, e.g. `/items/0/title`, detail "is
 * given more than once in its object; send each member once"; names compare as decoded, so
 * `"a"` and `"\u0061"` are one name) or a body that fails the schema.
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
    checkMediaType(c.req.header("content-type") ?? "");
    const document = parseDocument(await readBodyText(c.req.raw, maxBytes));
    c.req.addValidatedData("json", parseInput(schema, document, "body") as object);
    await next();
  };
}

/** 415 unless the body is declared JSON, in UTF-8 when a charset is given. */
function checkMediaType(contentType: string): void {
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
}

/**
 * The document `text` holds, or a 400 saying why there is none. A member given twice is refused
 * rather than left to `JSON.parse`, which keeps the last one without a word: the sender may have
 * meant the first, and RFC 8259 §4 leaves the choice to each parser. The scan reads the same
 * decoded text once more, in one pass.
 */
function parseDocument(text: string): unknown {
  if (text.trim() === "")
    throw invalidInput([{ pointer: "", detail: "the body is empty; send a JSON document" }]);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw invalidInput([
      { pointer: "", detail: `the body is not valid JSON: ${(error as Error).message}` },
    ]);
  }
  const repeated = duplicateMember(text);
  if (repeated !== undefined) {
    const detail = "is given more than once in its object; send each member once";
    throw invalidInput([{ pointer: toPointer(repeated.map(String)), detail }]);
  }
  return document;
}

/**
 * Route middleware that reads a JSON request body with the shared rules of {@link jsonBody}
 * (415 unless JSON, 413 past `maxBytes`, the content coding decoded or refused, 400 for text
 * that is not UTF-8 or not JSON, for an object giving a member name twice, at the repeat's
 * pointer, and for a number past a double's range such as `1e400`, which JSON.parse reads as
 * Infinity and the validator would see as null) before the route's schema validates it. The body
 * is read and decoded once. Put it in `createRoute({ middleware })` of every route that declares
 * a JSON body.
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
