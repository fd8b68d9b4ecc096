/**
 * A failure that another run cannot fix (unknown type, invalid payload, an upstream that refuses
 * the input): the job goes `dead` at once instead of being retried.
 *
 * @example
 * ```ts
 * import { PermanentJobError } from "./errors.ts";
 * if (response.status === 400) throw new PermanentJobError("paginated-feed refused the items");
 * ```
 */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

/**
 * A failure worth another run (5xx, 429, network), optionally after a hinted delay.
 *
 * @example
 * ```ts
 * import { RetryableJobError } from "./errors.ts";
 * throw new RetryableJobError("upstream answered 503", { retryAfterMs: 5_000 });
 * ```
 */
export class RetryableJobError extends Error {
  override name = "RetryableJobError";
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * One line describing an error for the job's `error` field.
 *
 * @example
 * ```ts
 * import { describeError } from "./errors.ts";
 * describeError(new TypeError("bad")); // "TypeError: bad"
 * ```
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2_000);
  return String(error).slice(0, 2_000);
}
