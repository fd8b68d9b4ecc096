// Internal helpers shared by the concurrency-limited primitives. Not exported from the package.

/**
 * Validates a concurrency limit: a positive integer or `Infinity`. `undefined` means `Infinity`.
 * Throws a RangeError naming the bad value otherwise.
 */
export function checkConcurrency(value: number | undefined, name = "concurrency"): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 1)) return value;
  throw new RangeError(`${name} must be a positive integer or Infinity, got ${String(value)}`);
}

/** True for native promises and any other object with a callable `then`. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** True when `value` can be iterated synchronously (arrays, sets, generators, strings...). */
export function isSyncIterable<T>(value: Iterable<T> | AsyncIterable<T>): value is Iterable<T> {
  return typeof (value as Partial<Iterable<T>>)[Symbol.iterator] === "function";
}
