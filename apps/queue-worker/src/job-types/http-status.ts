import { PermanentJobError, RetryableJobError } from "../errors.ts";

/**
 * Whether another try could change an HTTP answer: 408, 429 and 5xx can; other statuses cannot.
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from "./http-status.ts";
 * isRetryableStatus(503); // true
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * `Retry-After` (seconds or HTTP date) in milliseconds, if present and sane.
 *
 * @example
 * ```ts
 * import { retryAfterMs } from "./http-status.ts";
 * retryAfterMs(new Headers({ "retry-after": "3" })); // 3000
 * ```
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

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
    ? new RetryableJobError(message, { retryAfterMs: retryAfterMs(response.headers) })
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
