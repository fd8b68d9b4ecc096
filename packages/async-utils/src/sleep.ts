import { abortReason } from "./internal/abort.ts";

/**
 * Options for {@link sleep}.
 *
 * @example
 * ```ts
 * import { sleep, type SleepOptions } from "@edge-async/async-utils";
 *
 * const options: SleepOptions = { signal: AbortSignal.timeout(1_000) };
 * await sleep(10, options);
 * ```
 */
export interface SleepOptions {
  /** Cancels the sleep: the promise rejects with `signal.reason` and the timer is cleared. */
  signal?: AbortSignal;
}

// setTimeout stores its delay in a signed 32-bit integer; longer delays fire at once.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * Resolves after `ms` milliseconds, or rejects with `signal.reason` as soon as `signal` aborts.
 *
 * Aborting clears the timer and detaches the abort listener, so a cancelled sleep holds nothing.
 * Negative or `NaN` delays count as 0; `Infinity` sleeps until the signal aborts; delays longer
 * than the ~24.8-day timer limit are honoured by chaining timers.
 *
 * @example
 * ```ts
 * import { sleep } from "@edge-async/async-utils";
 *
 * await sleep(10);
 * const controller = new AbortController();
 * const pending = sleep(60_000, { signal: controller.signal });
 * controller.abort();
 * await pending.catch((error) => console.assert(error.name === "AbortError"));
 * ```
 */
export function sleep(ms: number, options?: SleepOptions): Promise<void> {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  // Not Math.max: it would keep NaN, and setTimeout treats NaN as 0 anyway but our bookkeeping would not.
  // biome-ignore lint/complexity/useMathMinMax: the ternary maps NaN to 0
  let remaining = ms > 0 ? ms : 0;
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const arm = (): void => {
      if (remaining === Number.POSITIVE_INFINITY) return;
      const delay = Math.min(remaining, MAX_TIMER_DELAY);
      remaining -= delay;
      timer = setTimeout(onTimer, delay);
    };
    const onTimer = (): void => {
      if (remaining > 0) {
        arm();
        return;
      }
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    arm();
  });
}
