import { DEADLINE_HEADER, remainingMs } from "@edge-async/async-utils";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpProblem, problemResponse } from "./problem.ts";

/**
 * Hono `onError` handler that answers every error as problem+json: an {@link HttpProblem} as
 * itself, Hono's `HTTPException` with its status, a `TimeoutError` thrown once the request's own
 * deadline (`c.var.signal`, see {@link requestDeadline}) has passed as 504 `deadline-exceeded`,
 * and anything else as a 500 whose detail does not leak internals (the error is logged).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { problemErrorHandler, problemNotFound } from "@edge-async/http";
 * const app = new Hono().onError(problemErrorHandler).notFound(problemNotFound);
 * ```
 */
export const problemErrorHandler: ErrorHandler = (error, c) => {
  const instance = new URL(c.req.url).pathname;
  if (error instanceof HttpProblem) return error.toResponse(instance);
  if (error instanceof HTTPException) {
    const status = error.status;
    return problemResponse({
      type: "about:blank",
      title: titleFor(status),
      status,
      detail: error.message || titleFor(status),
      instance,
    });
  }
  if (deadlinePassed(c, error)) {
    return new HttpProblem(504, "deadline-exceeded", "Deadline exceeded", {
      detail: `The request's time budget (${DEADLINE_HEADER}, or the worker's cap) ran out before it was answered.`,
    }).toResponse(instance);
  }
  console.error("unhandled error", c.req.method, instance, error);
  return problemResponse({
    type: "about:blank",
    title: "Internal Server Error",
    status: 500,
    detail: "An unexpected error occurred; it has been logged.",
    instance,
  });
};

// A timeout that is the request's own: its signal aborted, or its deadline reached by the clock
// (the deadline's timer may not have run yet). Any other TimeoutError stays a 500.
function deadlinePassed(c: Context, error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== "TimeoutError") return false;
  const signal = (c.get as (key: string) => unknown)("signal");
  return signal instanceof AbortSignal && (signal.aborted || remainingMs(signal) === 0);
}

/**
 * Hono `notFound` handler answering 404 as problem+json.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { problemNotFound } from "@edge-async/http";
 * const app = new Hono().notFound(problemNotFound);
 * ```
 */
export const problemNotFound: NotFoundHandler = (c: Context) =>
  problemResponse({
    type: "about:blank",
    title: "Not Found",
    status: 404,
    detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
    instance: new URL(c.req.url).pathname,
  });

function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
  };
  return titles[status] ?? (status >= 500 ? "Server Error" : "Client Error");
}
