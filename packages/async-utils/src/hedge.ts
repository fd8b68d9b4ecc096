import { AbortError } from "./errors.ts";
import { abortReason, listenAbort } from "./internal/abort.ts";
import { checkBound } from "./internal/concurrency.ts";

/**
 * Options for {@link hedge}.
 *
 * @example
 * ```ts
 * import { hedge, type HedgeOptions } from "@edge-async/async-utils";
 * const options: HedgeOptions = { delayMs: 100, maxAttempts: 3 };
 * await hedge((signal) => fetch("https://api.example.com/", { signal }), options);
 * ```
 */
export interface HedgeOptions {
  /** Start another attempt when none has succeeded this long after the latest one started. */
  delayMs: number;
  /** Most attempts in total, the first included: a positive integer (default 2). */
  maxAttempts?: number;
  /** Aborts every attempt and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Settle only once every attempt this call aborted has settled too (their signals are
   * aborted), so no attempt is still running when the call resolves or rejects. Default false:
   * settle at once. Only for attempts that honour their signal: one that ignores it holds the
   * outcome back until it ends on its own.
   */
  waitForCancelled?: boolean;
}

/**
 * Hedged requests against tail latency: starts `fn`, and if it has not succeeded after `delayMs`
 * starts another attempt alongside it (at once when an attempt fails), up to `maxAttempts`.
 * The first success wins and the other attempts' signals abort. If every attempt fails, rejects
 * with an `AggregateError` of their errors in attempt order. With `waitForCancelled` the call
 * settles that way only after the aborted attempts have settled.
 *
 * Only hedge idempotent work: several attempts may reach the server.
 *
 * @example
 * ```ts
 * import { hedge } from "@edge-async/async-utils";
 * const response = await hedge(
 *   (signal, attempt) => fetch(`https://replica-${attempt}.example.com/item/1`, { signal }),
 *   { delayMs: 200, maxAttempts: 3 },
 * );
 * ```
 */
export function hedge<T>(
  fn: (signal: AbortSignal, attempt: number) => Promise<T>,
  options: HedgeOptions,
): Promise<T> {
  const { delayMs, maxAttempts = 2, signal, waitForCancelled = false } = options;
  const invalid = optionsError(delayMs, maxAttempts, signal);
  if (invalid !== undefined) return Promise.reject(invalid);

  return new Promise<T>((resolveNow, rejectNow) => {
    const controllers: AbortController[] = [];
    const attempts: Promise<unknown>[] = [];
    const errors: unknown[] = [];
    let failed = 0;
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // With waitForCancelled the outcome is handed over once every attempt has settled.
    const settleAfterAttempts = (settle: () => void): void => {
      if (!waitForCancelled) settle();
      else Promise.allSettled(attempts).then(settle);
    };
    const resolve = (value: T): void => settleAfterAttempts(() => resolveNow(value));
    const reject = (reason: unknown): void => settleAfterAttempts(() => rejectNow(reason));

    const finish = (reason: unknown, winner?: AbortController): void => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      detachAbort();
      // The winner's signal stays live: a fetch() Response still streams its body through it.
      for (const controller of controllers) if (controller !== winner) controller.abort(reason);
    };

    const launch = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const attempt = controllers.length + 1;
      const controller = new AbortController();
      controllers.push(controller);
      if (attempt < maxAttempts && delayMs <= MAX_TIMER_DELAY) {
        timer = setTimeout(launch, delayMs);
      }
      const running = (async () => fn(controller.signal, attempt))();
      attempts.push(running);
      running.then(
        (value) => {
          if (done) return;
          finish(new AbortError("Another hedged attempt succeeded first"), controller);
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          errors[attempt - 1] = error;
          failed++;
          if (controllers.length < maxAttempts) launch();
          else if (failed === maxAttempts) {
            finish(new AbortError("Every hedged attempt failed"));
            reject(new AggregateError(errors, `All ${maxAttempts} hedged attempts failed`));
          }
        },
      );
    };

    const detachAbort = listenAbort(signal, () => {
      if (done) return;
      const reason = abortReason(signal as AbortSignal);
      finish(reason);
      reject(reason);
    });
    launch();
  });
}

/** What makes these options unusable (an aborted signal included), or undefined. */
function optionsError(
  delayMs: number,
  maxAttempts: number,
  signal: AbortSignal | undefined,
): unknown {
  if (!(delayMs >= 0)) return new RangeError(`delayMs must be >= 0, got ${delayMs}`);
  try {
    checkBound(maxAttempts, "maxAttempts", "positive integer", false);
  } catch (error) {
    return error;
  }
  return signal?.aborted ? abortReason(signal) : undefined;
}

// setTimeout keeps its delay in a signed 32-bit integer (~24.8 days); longer counts as never.
const MAX_TIMER_DELAY = 2 ** 31 - 1;
