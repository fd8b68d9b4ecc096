// The bulkhead refusal shared by Semaphore, limit and KeyedLimiter. The class is exported from
// the package through semaphore.ts; the stackless constructor is not.

/**
 * Raised at once, without waiting, when a caller would have to wait but the wait line is
 * already `maxWaiting` long: the bulkhead pattern, so a slow dependency makes callers fail fast
 * instead of piling up. Thrown by `Semaphore`, `limit` and `KeyedLimiter`.
 *
 * @example
 * ```ts
 * import { BulkheadFullError, Semaphore } from "@edge-async/async-utils";
 *
 * const semaphore = new Semaphore(1, { maxWaiting: 0 });
 * using _held = await semaphore.acquire();
 * await semaphore.acquire().catch((error) => {
 *   console.assert(error instanceof BulkheadFullError && error.maxWaiting === 0);
 * });
 * ```
 */
export class BulkheadFullError extends Error {
  // On the prototype rather than each instance: refusals are made in floods (see bulkheadFull).
  static {
    BulkheadFullError.prototype.name = "BulkheadFullError";
  }
  /** The length of the wait line that was full. */
  readonly maxWaiting: number;
  constructor(maxWaiting: number, message?: string, options?: ErrorOptions) {
    super(message ?? `The wait line is full (maxWaiting ${maxWaiting})`, options);
    this.maxWaiting = maxWaiting;
  }
}

/**
 * A {@link BulkheadFullError} without a stack trace. Refusals come in floods exactly when a
 * service is overloaded, and capturing a stack costs more than the rest of the refusal; the
 * error's name and `maxWaiting` say all there is to know.
 */
export function bulkheadFull(maxWaiting: number): BulkheadFullError {
  const errorClass = Error as { stackTraceLimit?: number };
  const limit = errorClass.stackTraceLimit;
  errorClass.stackTraceLimit = 0;
  try {
    return new BulkheadFullError(maxWaiting);
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

const settled = Promise.resolve();

/**
 * A promise that rejects with `reason` one microtask from now rather than at once. By then the
 * caller has attached its handler, so the runtime's unhandled-rejection tracking, which costs
 * more than the rest of a refusal, never sees it; for anyone awaiting it, it is the same.
 */
export function rejectSoon(reason: unknown): Promise<never> {
  return settled.then(() => {
    throw reason;
  });
}
