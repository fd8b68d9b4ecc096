/**
 * The request's deadline and a log of recent requests, so "never keeps this worker busy past the
 * deadline" can be seen from outside: `GET /__requests` lists when each request started and
 * ended, and how (completed, stopped at its deadline, or cancelled by its client).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The header a caller's remaining time budget arrives in, whole milliseconds (see async-utils). */
export const DEADLINE_HEADER = "request-timeout-ms";

/**
 * An RFC 9457 problem+json answer in the other workers' vocabulary (their `@edge-async/http`
 * problem types), written by hand: this stand-in has no dependency on the shared packages.
 */
export function problem(
  status: 400 | 504,
  detail: string,
  errors?: { parameter: string; detail: string }[],
): Response {
  const [type, title] =
    status === 400
      ? ["invalid-input", "Invalid input"]
      : ["deadline-exceeded", "Deadline exceeded"];
  return new Response(
    JSON.stringify({
      type: `https://edge-async.dev/problems/${type}`,
      title,
      status,
      detail,
      ...(errors === undefined ? {} : { errors }),
    }),
    { status, headers: { "content-type": "application/problem+json" } },
  );
}

/** One request, as `GET /__requests` lists it. */
export interface RequestRecord {
  /** Path and query, e.g. `/delay/5000?probe=abc`. */
  path: string;
  /** The budget received in `request-timeout-ms`, or null without one. */
  budgetMs: number | null;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number | null;
  /** How it ended: still running, answered, stopped at its deadline, or its client went away. */
  outcome: "running" | "completed" | "deadline" | "cancelled";
}

/** The latest requests of this isolate, oldest first; bounded so memory stays flat. */
const records: RequestRecord[] = [];
const MAX_RECORDS = 200;
let inFlight = 0;

/** What `GET /__requests` answers: requests running now, and the latest ones. */
export function requestLog(): { inFlight: number; requests: RequestRecord[] } {
  return { inFlight, requests: [...records] };
}

/**
 * Sets `c.var.signal`: aborts when the client goes away or when the budget in
 * `request-timeout-ms` runs out (with a `TimeoutError`), and logs the request's start and end.
 * A header that is not plain digits answers 400, and `0` (a spent budget) 504, as problem+json
 * like the other workers.
 */
export const deadlineAndLog: MiddlewareHandler<{ Variables: { signal: AbortSignal } }> = async (
  c,
  next,
) => {
  const url = new URL(c.req.url);
  // workerd sets request.signal only under the enable_request_signal flag.
  const own = (c.req.raw.signal as AbortSignal | undefined) ?? new AbortController().signal;
  if (url.pathname === "/__requests") {
    // Reading the log is not logged, so a test's polling does not crowd out what it looks for.
    c.set("signal", own);
    return next();
  }
  const header = c.req.header(DEADLINE_HEADER);
  if (header !== undefined && !/^[0-9]+$/.test(header)) {
    const detail = "must be a non-negative integer of milliseconds";
    return problem(400, `${DEADLINE_HEADER} ${detail}`, [{ parameter: DEADLINE_HEADER, detail }]);
  }
  if (header !== undefined && Number(header) === 0) {
    return problem(
      504,
      `${DEADLINE_HEADER} is 0: the caller's time budget ran out before the request arrived.`,
    );
  }
  const budgetMs = header === undefined ? null : Number(header);
  const signal = budgetMs === null ? own : AbortSignal.any([own, AbortSignal.timeout(budgetMs)]);
  c.set("signal", signal);
  const record: RequestRecord = {
    path: url.pathname + url.search,
    budgetMs,
    startedAt: Date.now(),
    endedAt: null,
    outcome: "running",
  };
  records.push(record);
  if (records.length > MAX_RECORDS) records.shift();
  inFlight++;
  try {
    await next();
  } finally {
    inFlight--;
    record.endedAt = Date.now();
    const reason: unknown = signal.reason;
    record.outcome = !signal.aborted
      ? "completed"
      : (reason as { name?: unknown } | undefined)?.name === "TimeoutError"
        ? "deadline"
        : "cancelled";
  }
};
