/** Longest delay Cloudflare Queues accepts for `send`/`retry({ delaySeconds })`: 24 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 86_400;

/** Base and cap of the retry delay, in whole seconds (what Queues' `delaySeconds` takes). */
export interface BackoffOptions {
  baseSeconds: number;
  maxSeconds: number;
  /** Source of randomness in [0, 1); tests pin it to check the bounds. */
  random?: () => number;
}

/**
 * The ceiling of the retry delay after the `attempt`-th failed run: `base * 2^(attempt-1)`, capped.
 */
export function backoffCeilingSeconds(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = options.baseSeconds * 2 ** Math.min(exponent, 30);
  return Math.min(options.maxSeconds, MAX_QUEUE_DELAY_SECONDS, ceiling);
}

/**
 * Retry delay with full jitter (uniform over `[0, ceiling]` whole seconds): spreads the retries of
 * jobs that failed together (an upstream outage) instead of sending them back in one wave.
 */
export function retryDelaySeconds(attempt: number, options: BackoffOptions): number {
  const ceiling = backoffCeilingSeconds(attempt, options);
  const random = options.random ?? Math.random;
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}
