import { isRetryableStatus, parseRetryAfter } from "@edge-async/http";
import { PermanentJobError, RetryableJobError } from "../errors.ts";

/**
 * Turns an unsuccessful response into the error that tells the consumer what to do next.
 *
 * @example
 * ```ts
 * import { responseError } from "./http-status.ts";
 * if (!response.ok) throw await responseError(response, "feed");
 * ```
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

/**
 * Whether an error thrown by one try of an HTTP call deserves another try.
 *
 * @example
 * ```ts
 * import { retry } from "@edge-async/async-utils";
 * import { shouldRetryHttp } from "./http-status.ts";
 * await retry(() => fetch(url), { shouldRetry: shouldRetryHttp });
 * ```
 */
export function shouldRetryHttp(error: unknown): boolean {
  if (error instanceof PermanentJobError) return false;
  if (error instanceof RetryableJobError) return true;
  // TimeoutError from withTimeout, TypeError from a failed connection.
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "TypeError");
}
