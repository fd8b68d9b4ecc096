import fc from "fast-check";

// The RFC 3339 date-time cases every worker that reads one (through @edge-async/http's
// rfc3339DateTime) is tested against, so they take and refuse the same texts, word for word.

/** The refusal of a text that is not an RFC 3339 date-time with a zone. */
export const rfc3339Invalid = (name: string) =>
  `${name} must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:30:00Z`;
/** The refusal of a leap second. */
export const rfc3339LeapSecond = (name: string) =>
  `${name} must not be a leap second (:60), which this API cannot represent; send :59 or the next minute's :00`;
/** The refusal of an instant outside the years 0000-9999 in UTC. */
export const rfc3339OutOfRange = (name: string) =>
  `${name} must fall within the years 0000 to 9999 in UTC`;

/** Texts taken, each with the UTC form it reads back as (all in the future of 2026). */
export const RFC3339_TAKEN: [string, string][] = [
  ["2030-01-01t00:00:00z", "2030-01-01T00:00:00.000Z"],
  ["2030-01-01T01:00:00.5+01:00", "2030-01-01T00:00:00.500Z"],
  ["2030-01-01T00:00:00.0009Z", "2030-01-01T00:00:00.000Z"],
  ["9999-12-31T23:59:59.9999Z", "9999-12-31T23:59:59.999Z"],
];

/** Texts refused, each with its message for a field of a given name. */
export const RFC3339_REFUSED: [string, (name: string) => string][] = [
  ["2016-12-31T23:59:60Z", rfc3339LeapSecond],
  ["2016-12-31t23:59:60.5z", rfc3339LeapSecond],
  ["2016-13-45T99:99:60Z", rfc3339Invalid],
  ["2016-02-30T23:59:60Z", rfc3339Invalid],
  ["2026-01-01T00:00Z", rfc3339Invalid],
  ["2026-01-01T00:00:00", rfc3339Invalid],
  ["9999-12-31T23:59:59-23:59", rfc3339OutOfRange],
  ["0000-01-01T00:00:00+00:01", rfc3339OutOfRange],
];

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));

/** Texts shaped like date-times, valid or just not (month 13, second 60, a missing zone...). */
export const dateTimeLike = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, "0")),
      two(13),
      two(32),
      fc.constantFrom("T", "t", " "),
      two(24),
      two(60),
      two(61),
      fc.constantFrom("", ".5", ".0009", "."),
      fc.constantFrom("Z", "z", "+01:00", "-23:59", "+24:00", "+0100", ""),
    )
    .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`);
