/**
 * Longest delay Cloudflare Queues accepts for `send`/`retry({ delaySeconds })`: 12 hours.
 *
 * @example
 * ```ts
 * import { MAX_QUEUE_DELAY_SECONDS } from "./backoff.ts";
 * const delaySeconds = Math.min(wanted, MAX_QUEUE_DELAY_SECONDS);
 * ```
 */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/**
 * Base and cap of the retry delay, in whole seconds.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from "./backoff.ts";
 * const options: BackoffOptions = { baseSeconds: 2, maxSeconds: 300, random: () => 0.5 };
 * ```
 */
export interface BackoffOptions {
  baseSeconds: number;
  maxSeconds: number;
  /** Source of randomness in [0, 1); tests pin it to check the bounds. */
  random?: () => number;
}

/**
 * The ceiling of the retry delay after the `attempt`-th failed run: `base * 2^(attempt-1)`, capped.
 *
 * @example
 * ```ts
 * import { backoffCeilingSeconds } from "./backoff.ts";
 * backoffCeilingSeconds(3, { baseSeconds: 2, maxSeconds: 300 }); // 8
 * ```
 */
export function backoffCeilingSeconds(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = options.baseSeconds * 2 ** Math.min(exponent, 30);
  return Math.min(options.maxSeconds, MAX_QUEUE_DELAY_SECONDS, ceiling);
}

/**
 * Retry delay with full jitter (uniform over `[0, ceiling]` whole seconds): spreads the retries of
 * jobs that failed together (an upstream outage) instead of sending them back in one wave.
 *
 * @example
 * ```ts
 * import { retryDelaySeconds } from "./backoff.ts";
 * const delaySeconds = retryDelaySeconds(message.attempts, { baseSeconds: 2, maxSeconds: 300 });
 * message.retry({ delaySeconds });
 * ```
 */
export function retryDelaySeconds(attempt: number, options: BackoffOptions): number {
  const ceiling = backoffCeilingSeconds(attempt, options);
  const random = options.random ?? Math.random;
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}
