/**
 * An answer outside 2xx from a worker, with its RFC 9457 problem document when it sent one.
 *
 * @example
 * ```ts
 * import { ApiError } from "@edge-async/client";
 * try {
 *   await feed.item(42);
 * } catch (error) {
 *   if (error instanceof ApiError && error.status === 404) console.log(error.problem?.detail);
 * }
 * ```
 */
export class ApiError extends Error {
  override name = "ApiError";
  /** The HTTP status, e.g. 404. */
  readonly status: number;
  /** The problem document (type, title, status, detail, errors, ...), or `undefined`. */
  readonly problem: Problem | undefined;
  /** How long the worker asked to wait before another try (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: Problem | undefined, retryAfterMs?: number) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * RFC 9457 problem details as the workers send them.
 *
 * @example
 * ```ts
 * import type { Problem } from "@edge-async/client";
 * const problem: Problem = { type: "about:blank", title: "Not Found", status: 404 };
 * ```
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Every invalid field: a JSON pointer into the body or a parameter name, and what is wrong. */
  errors?: { pointer?: string; parameter?: string; detail: string }[];
  [extension: string]: unknown;
}

/**
 * Reads a failed response into an {@link ApiError}: the problem document if the body is one.
 *
 * @example
 * ```ts
 * import { apiError } from "@edge-async/client";
 * const error = await apiError(new Response("{}", { status: 503 }));
 * console.assert(error.status === 503);
 * ```
 */
export async function apiError(response: Response, retryAfterMs?: number): Promise<ApiError> {
  let problem: Problem | undefined;
  try {
    const parsed: unknown = await response.json();
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      problem = parsed as Problem;
    }
  } catch {
    problem = undefined;
  }
  return new ApiError(response.status, problem, retryAfterMs);
}
