/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3), `undefined`
 * when absent or unreadable. Fractional seconds are accepted too (not standard, but harmless and
 * handy in tests); a date in the past means 0.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "@edge-async/http";
 * console.assert(parseRetryAfter("2") === 2_000);
 * console.assert(parseRetryAfter("soon") === undefined);
 * ```
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Whether another try could change an HTTP answer: 408, 429 and 5xx can, other statuses cannot.
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from "@edge-async/http";
 * console.assert(isRetryableStatus(503) && !isRetryableStatus(404));
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
