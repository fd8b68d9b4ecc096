/**
 * A failure that another run cannot fix (unknown type, invalid payload, an upstream that refuses
 * the input): the job goes `dead` at once instead of being retried.
 */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

/** A failure worth another run (5xx, 429, network), optionally after a hinted delay. */
export class RetryableJobError extends Error {
  override name = "RetryableJobError";
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The reason a run's signal aborts when its job was cancelled while it ran. */
export class JobCancelledError extends Error {
  override name = "JobCancelledError";
}

/**
 * One line describing an error for the job's `error` field, at most 2,000 characters so a huge
 * message cannot bloat the row.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2_000);
  return String(error).slice(0, 2_000);
}
