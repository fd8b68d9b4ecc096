// Internal helpers shared by the concurrency-limited primitives. Not exported from the package.

/** What a bound may be; the wording goes into the error message as is. */
export type BoundKind =
  | "positive integer"
  | "non-negative integer"
  | "positive number"
  | "non-negative number";

/**
 * Validates a bound (a limit, capacity, size or count) and returns it. A missing value is an
 * error like any other: a typo in an options object must not silently lift a limit.
 * `Infinity` passes unless `infinity` is false. Throws a RangeError naming the bad value, e.g.
 * `concurrency must be a positive integer or Infinity, got undefined`.
 */
export function checkBound(
  value: unknown,
  name: string,
  kind: BoundKind = "positive integer",
  infinity = true,
): number {
  if (typeof value === "number") {
    if (value === Number.POSITIVE_INFINITY) {
      if (infinity) return value;
    } else if (
      (kind.endsWith("integer") ? Number.isInteger(value) : Number.isFinite(value)) &&
      (kind.startsWith("positive") ? value > 0 : value >= 0)
    ) {
      return value;
    }
  }
  throw new RangeError(
    `${name} must be a ${kind}${infinity ? " or Infinity" : ""}, got ${describeValue(value)}`,
  );
}

/**
 * Validates an optional concurrency option: a positive integer or `Infinity`. Leaving the
 * option out (`undefined`) means the documented default, `Infinity`.
 */
export function checkConcurrency(value: number | undefined, name = "concurrency"): number {
  return value === undefined ? Number.POSITIVE_INFINITY : checkBound(value, name);
}

/** A value as an error message should show it: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? "an array" : "an object";
    default:
      return String(value);
  }
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
