import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** One thing wrong with the input: where (a JSON pointer or parameter name) and what. */
export interface InvalidParam {
  /** JSON Pointer (RFC 6901) into the body, e.g. `/requests/0/url`, for body fields. */
  pointer?: string;
  /** Name of the query, path or header parameter, for those. */
  parameter?: string;
  /** What is wrong, in words a client developer can act on. */
  detail: string;
}

/**
 * RFC 9457 problem details. `errors` is the extension member that lists every invalid field.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: InvalidParam[];
  [extension: string]: unknown;
}

const TYPE_BASE = "https://edge-async.dev/problems/";

/**
 * An error that answers as an RFC 9457 problem. Throw it from any handler or middleware; the
 * shared error handler ({@link problemErrorHandler}) turns it into the response.
 *
 * @example
 * ```ts
 * import { HttpProblem } from "@edge-async/http";
 * throw new HttpProblem(404, "not-found", "Item not found", { detail: "No item 42" });
 * ```
 */
export class HttpProblem extends Error {
  override name = "HttpProblem";
  readonly status: ContentfulStatusCode;
  readonly details: ProblemDetails;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    slug: string,
    title: string,
    init: Partial<Omit<ProblemDetails, "status" | "title">> & {
      headers?: Record<string, string>;
    } = {},
  ) {
    super(typeof init.detail === "string" ? init.detail : title);
    const { headers = {}, ...rest } = init;
    this.status = status;
    this.headers = headers;
    this.details = { type: `${TYPE_BASE}${slug}`, title, status, ...rest };
  }

  /** The problem as a `Response` with the `application/problem+json` media type. */
  toResponse(instance?: string): Response {
    const body: ProblemDetails = { ...this.details };
    if (instance !== undefined && body.instance === undefined) body.instance = instance;
    return problemResponse(body, this.headers);
  }
}

/**
 * Serialises problem details into a response.
 *
 * @example
 * ```ts
 * import { problemResponse } from "@edge-async/http";
 * const response = problemResponse({ type: "about:blank", title: "Gone", status: 410 });
 * console.assert(response.headers.get("content-type") === "application/problem+json");
 * ```
 */
export function problemResponse(
  details: ProblemDetails,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(details), {
    status: details.status,
    headers: { ...headers, "content-type": PROBLEM_CONTENT_TYPE },
  });
}

// The empty pointer is the whole body: named in words, never as a bare ": " prefix.
function summarize(error: InvalidParam): string {
  if (error.parameter === "") return `parameter "": ${error.detail}`;
  const where = error.pointer ?? error.parameter ?? "input";
  if (where !== "") return `${where}: ${error.detail}`;
  return error.detail.startsWith("the body") ? error.detail : `the body: ${error.detail}`;
}

/**
 * 400 for input that fails validation, listing every invalid field.
 *
 * @example
 * ```ts
 * import { invalidInput } from "@edge-async/http";
 * throw invalidInput([{ parameter: "limit", detail: "must be at most 100" }]);
 * ```
 */
export function invalidInput(errors: InvalidParam[], detail?: string): HttpProblem {
  const summary = errors.slice(0, 3).map(summarize).join("; ");
  return new HttpProblem(400, "invalid-input", "Invalid input", {
    detail: detail ?? (errors.length > 3 ? `${summary}; and ${errors.length - 3} more` : summary),
    errors,
  });
}
