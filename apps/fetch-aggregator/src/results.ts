/**
 * The result vocabulary of a call, and the errors that map onto it.
 *
 * @module
 */

/**
 * Why an upstream request produced no usable answer.
 *
 * @example
 * ```ts
 * import type { ErrorCode } from "./results.ts";
 * const code: ErrorCode = "too_large";
 * ```
 */
export type ErrorCode =
  | "timeout"
  | "deadline"
  | "network"
  | "http"
  | "blocked"
  | "too_large"
  | "circuit_open"
  | "cancelled";

/**
 * How one upstream request ended, as the caller sees it.
 *
 * @example
 * ```ts
 * import type { UpstreamResult } from "./results.ts";
 * const result: UpstreamResult = { id: "user", ok: true, status: 200, durationMs: 12, attempts: 1, body: { id: 42 } };
 * ```
 */
export interface UpstreamResult {
  id: string;
  ok: boolean;
  /** Final HTTP status, when the upstream answered. */
  status?: number;
  /** Time spent on this request once it got a concurrency slot (0 for refused targets). */
  durationMs: number;
  /** Calls made to the upstream (0 when refused, the circuit was open or it came from cache). */
  attempts: number;
  /** Parsed JSON when the upstream said JSON, else text. Present for `ok` and for `http` errors. */
  body?: unknown;
  error?: { code: ErrorCode; message: string };
  /** Served from the Cache API without calling the upstream. */
  cached?: true;
  /** Shared the upstream call of an identical GET earlier in the same call. */
  coalesced?: true;
}

/**
 * Totals of a call.
 *
 * @example
 * ```ts
 * import type { CallSummary } from "./results.ts";
 * const summary: CallSummary = { total: 3, succeeded: 2, failed: 1, durationMs: 120 };
 * ```
 */
export interface CallSummary {
  total: number;
  succeeded: number;
  failed: number;
  durationMs: number;
}

/**
 * The call's deadline passed; carried as the abort reason of the call's signal.
 *
 * @example
 * ```ts
 * import { DeadlineError } from "./results.ts";
 * const controller = new AbortController();
 * controller.abort(new DeadlineError(2_000));
 * ```
 */
export class DeadlineError extends Error {
  override name = "DeadlineError";
  readonly deadlineMs: number;
  constructor(deadlineMs: number) {
    super(`The call's deadline of ${deadlineMs} ms passed`);
    this.deadlineMs = deadlineMs;
  }
}

/**
 * The call was cancelled: the client went away, or `failFast` tripped.
 *
 * @example
 * ```ts
 * import { CancelledError } from "./results.ts";
 * const controller = new AbortController();
 * controller.abort(new CancelledError("The client disconnected"));
 * ```
 */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/**
 * The policy refused a target (first hop or a redirect).
 *
 * @example
 * ```ts
 * import { BlockedError } from "./results.ts";
 * throw new BlockedError("Redirect to http://10.0.0.1/ refused");
 * ```
 */
export class BlockedError extends Error {
  override name = "BlockedError";
}

/**
 * The upstream body grew past the configured limit.
 *
 * @example
 * ```ts
 * import { TooLargeError } from "./results.ts";
 * throw new TooLargeError(1_048_576);
 * ```
 */
export class TooLargeError extends Error {
  override name = "TooLargeError";
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`The upstream body is larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * What was read from an upstream answer.
 *
 * @example
 * ```ts
 * import type { UpstreamAnswer } from "./results.ts";
 * const answer: UpstreamAnswer = { status: 503, body: "busy", retryAfterMs: 1_000 };
 * ```
 */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

/**
 * An upstream answer with a status worth retrying (5xx, 429, 408).
 *
 * @example
 * ```ts
 * import { RetryableStatusError } from "./results.ts";
 * const error = new RetryableStatusError({ status: 429, body: null, retryAfterMs: 2_000 });
 * console.assert(error.retryAfterMs === 2_000); // retry() waits at least that long
 * ```
 */
export class RetryableStatusError extends Error {
  override name = "RetryableStatusError";
  readonly retryAfterMs: number | undefined;
  readonly answer: UpstreamAnswer;
  constructor(answer: UpstreamAnswer) {
    super(`The upstream answered ${answer.status}`);
    this.answer = answer;
    this.retryAfterMs = answer.retryAfterMs;
  }
}
