/**
 * The errors that map onto a call's result vocabulary (`ErrorCode` in contract.ts).
 *
 * @module
 */

/** The call's deadline passed; carried as the abort reason of the call's signal. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
  readonly deadlineMs: number;
  constructor(deadlineMs: number) {
    super(`The call's deadline of ${deadlineMs} ms passed`);
    this.deadlineMs = deadlineMs;
  }
}

/** The call was cancelled: the client went away, or `failFast` tripped. */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/** The policy refused a target (first hop or a redirect). */
export class BlockedError extends Error {
  override name = "BlockedError";
}

/** The upstream body grew past the configured limit. */
export class TooLargeError extends Error {
  override name = "TooLargeError";
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`The upstream body is larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/** What was read from an upstream answer. */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

/** An upstream answer with a status worth retrying (5xx, 429, 408). */
export class RetryableStatusError extends Error {
  override name = "RetryableStatusError";
  /** The answer's status, where the retry classifier looks for one. */
  readonly status: number;
  /** The answer's `Retry-After`: retry() waits at least this long, the classifier no longer. */
  readonly retryAfterMs: number | undefined;
  readonly answer: UpstreamAnswer;
  constructor(answer: UpstreamAnswer) {
    super(`The upstream answered ${answer.status}`);
    this.answer = answer;
    this.status = answer.status;
    this.retryAfterMs = answer.retryAfterMs;
  }
}
