/**
 * RFC 3339 date-times (§5.6, with a zone) as JSON string fields: one rule for every worker, so
 * the same text is taken or refused with the same message wherever an API reads an instant.
 *
 * @module
 */
import * as z from "zod";

// date "T" time fraction? zone, with `T`/`Z` in either case as the note under RFC 3339 §5.6 allows.
const SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** The earliest and latest instants kept: the years 0000-9999 in UTC, to the millisecond. */
export const RFC3339_EARLIEST_MS = Date.parse("0000-01-01T00:00:00.000Z");
/** See {@link RFC3339_EARLIEST_MS}. */
export const RFC3339_LATEST_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** What {@link parseRfc3339} found wrong: not a date-time, a leap second, or outside 0000-9999. */
export type Rfc3339Refusal = "invalid" | "leapSecond" | "outOfRange";

/** The messages {@link rfc3339DateTime} gives for field `name`, one per {@link Rfc3339Refusal}. */
export function rfc3339Messages(name: string): Record<Rfc3339Refusal, string> {
  return {
    invalid: `${name} must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:30:00Z`,
    leapSecond: `${name} must not be a leap second (:60), which this API cannot represent; send :59 or the next minute's :00`,
    outOfRange: `${name} must fall within the years 0000 to 9999 in UTC`,
  };
}

const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * Reads `value` as an RFC 3339 date-time with a zone.
 *
 * Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z` in either case, any number of
 * fraction digits, `-00:00` read as UTC. The instant is kept to the millisecond: fraction digits
 * past the third are dropped (rounding toward the past), as a JavaScript date holds no finer time.
 *
 * @param value - the text as sent.
 * @returns `{ ms }`, the instant in milliseconds since the Unix epoch, or `{ refused }`:
 *   `"leapSecond"` only for a text that would be valid with second 59 instead of 60 (a JavaScript
 *   date cannot hold one), `"outOfRange"` for a valid instant outside the years 0000-9999 in UTC
 *   (it could not be written back as RFC 3339), `"invalid"` for anything else.
 * @example
 * parseRfc3339("2026-01-01t01:00:00.0009+01:00"); // { ms: Date.parse("2026-01-01T00:00:00.000Z") }
 * parseRfc3339("2016-12-31T23:59:60Z"); // { refused: "leapSecond" }
 * parseRfc3339("2016-13-45T99:99:60Z"); // { refused: "invalid" }
 */
export function parseRfc3339(value: string): { ms: number } | { refused: Rfc3339Refusal } {
  const parts = SHAPE.exec(value);
  if (parts === null) return { refused: "invalid" };
  const [, year, month, day, hour, minute, second, fraction, zone] = parts as unknown as string[];
  const zoneOk = zone!.length === 1 || (Number(zone!.slice(1, 3)) <= 23 && zone!.slice(4) <= "59");
  const valid =
    zoneOk &&
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysIn(Number(year), Number(month)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59;
  if (!valid || Number(second) > 60) return { refused: "invalid" };
  if (second === "60") return { refused: "leapSecond" };
  // Exactly this shape is ECMAScript's date time string format, which Date.parse must read.
  const millis = (fraction ?? "").slice(0, 3).padEnd(3, "0");
  const offset = zone!.length === 1 ? "Z" : zone!;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${offset}`);
  if (!(ms >= RFC3339_EARLIEST_MS && ms <= RFC3339_LATEST_MS)) return { refused: "outOfRange" };
  return { ms };
}

/**
 * A JSON string field `name` holding an RFC 3339 date-time with a zone (see {@link parseRfc3339}
 * for what is taken). The output is the instant as RFC 3339 UTC to the millisecond
 * (`Date.prototype.toISOString`, always a four-digit year), so every text for one instant reads
 * back the same. Refusals carry the {@link rfc3339Messages} for `name`, one issue per field; a
 * non-string gets the `invalid` message. The JSON Schema is `{ type: "string", format: "date-time" }`.
 *
 * @param name - the field's name, used in the messages.
 * @example
 * const body = z.object({ runAt: rfc3339DateTime("runAt").optional() });
 * body.parse({ runAt: "2030-06-01t09:00:00.5+02:00" }); // { runAt: "2030-06-01T07:00:00.500Z" }
 * body.safeParse({ runAt: "9999-12-31T23:59:59-23:59" }).error?.issues[0]?.message;
 * // "runAt must fall within the years 0000 to 9999 in UTC"
 */
export function rfc3339DateTime(name: string) {
  const messages = rfc3339Messages(name);
  return z
    .string({ error: messages.invalid })
    .transform((value, context) => {
      const parsed = parseRfc3339(value);
      if ("ms" in parsed) return new Date(parsed.ms).toISOString();
      context.addIssue({ code: "custom", message: messages[parsed.refused], input: value });
      return z.NEVER;
    })
    .meta({ format: "date-time" });
}

/**
 * The message for bounds `earlier` and `later` (epoch milliseconds, as {@link parseRfc3339} keeps
 * them) that are not in order: `undefined` when `earlier < later`, else `message`, saying so when
 * both fall in the same millisecond, since texts differing only past the third fraction digit do.
 *
 * @example
 * instantOrderMessage("to must be after from", 5, 5);
 * // "to must be after from: both fall in the millisecond 1970-01-01T00:00:00.005Z, and times are kept to the millisecond"
 */
export function instantOrderMessage(
  message: string,
  earlier: number,
  later: number,
): string | undefined {
  if (earlier < later) return undefined;
  if (earlier > later) return message;
  const at = new Date(earlier).toISOString();
  return `${message}: both fall in the millisecond ${at}, and times are kept to the millisecond`;
}
