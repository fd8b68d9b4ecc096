import type { RetryOptions } from "@edge-async/async-utils";
import { isRetryableStatus, parseRetryAfter, retryClassifier } from "@edge-async/http";
import { PermanentJobError, RetryableJobError } from "../errors.ts";

/** Longest wait between two tries within one run; a longer `Retry-After` is left to the queue. */
const MAX_TRY_DELAY_MS = 5_000;

/**
 * Turns an unsuccessful response into the error that tells the consumer what to do next: a
 * retryable status keeps its `Retry-After`, so the queue redelivers no sooner than asked.
 */
export async function responseError(
  response: Response,
  what: string,
): Promise<PermanentJobError | RetryableJobError> {
  const body = (await response.text().catch(() => "")).slice(0, 300);
  const message = `${what} answered ${response.status}${body === "" ? "" : `: ${body}`}`;
  return isRetryableStatus(response.status)
    ? new RetryableJobError(message, {
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      })
    : new PermanentJobError(message);
}

// The shared classifier: transport failures and retryable statuses get another try, permanent
// errors and aborts do not, nor a Retry-After longer than this run is willing to wait.
const shouldRetryHttp = retryClassifier({
  isFinal: (error) => error instanceof PermanentJobError,
  maxDelayMs: MAX_TRY_DELAY_MS,
});

/**
 * How a job retries one HTTP call within a run: jittered backoff from 200 ms up to 5 s, at least
 * the upstream's `Retry-After`. A longer hint ends the run's tries; the job then fails with it
 * and the queue redelivers it no sooner.
 */
export function httpRetryOptions(retries: number, signal: AbortSignal): RetryOptions {
  return {
    retries,
    minDelayMs: 200,
    maxDelayMs: MAX_TRY_DELAY_MS,
    shouldRetry: shouldRetryHttp,
    signal,
  };
}
