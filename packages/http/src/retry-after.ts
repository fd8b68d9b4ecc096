/** Options of {@link parseRetryAfter}. */
export interface RetryAfterOptions {
  /** The instant an HTTP-date is measured from, in ms since the Unix epoch. Default `Date.now()`. */
  now?: number;
  /**
   * Longest delay returned, in ms; a longer one is lowered to it. Must be a non-negative number.
   * Default {@link MAX_RETRY_AFTER_MS}.
   */
  maxMs?: number;
}

/**
 * Where delay-seconds saturate, in ms: 2^31 seconds, the value RFC 9111 §1.2.2 has a recipient
 * use for delta-seconds too large to represent, so every result is a finite safe integer.
 */
export const MAX_RETRY_AFTER_MS = 2 ** 31 * 1000;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = `(?<day>${DAYS.join("|")})`;
const MONTH = `(?<month>${MONTHS.join("|")})`;
const TIME = "(?<hour>[0-9]{2}):(?<minute>[0-9]{2}):(?<second>[0-9]{2})";
// RFC 9110 §5.6.7, case-sensitive as its grammar is. asctime puts the year last and pads a
// one-digit day with a space; RFC 850 spells the day out and has a two-digit year.
const FORMS = [
  {
    pattern: new RegExp(`^${DAY}, (?<date>[0-9]{2}) ${MONTH} (?<year>[0-9]{4}) ${TIME} GMT$`),
    dayNames: DAYS,
  },
  {
    pattern: new RegExp(`^${DAY} ${MONTH} (?<date>[0-9]{2}| [0-9]) ${TIME} (?<year>[0-9]{4})$`),
    dayNames: DAYS,
  },
  {
    pattern: new RegExp(
      `^(?<day>${LONG_DAYS.join("|")}), (?<date>[0-9]{2})-${MONTH}-(?<year>[0-9]{2}) ${TIME} GMT$`,
    ),
    dayNames: LONG_DAYS,
  },
];
const DAY_MS = 86_400_000;
// "More than 50 years in the future" (RFC 9110 §5.6.7), in average Gregorian years.
const FIFTY_YEARS_MS = 50 * 365.2425 * DAY_MS;

/**
 * `Retry-After` (RFC 9110 §10.2.3) as a delay in ms, or `undefined` when absent or not exactly
 * one of the forms the RFC allows: delay-seconds (`1*DIGIT`, no sign, fraction, exponent or
 * surrounding space) or an HTTP-date in any of its three forms (see {@link parseHttpDate}),
 * always read as GMT whatever the process time zone. A date in the past means 0. Delay-seconds
 * past 2^31 count as 2^31. The result is at most `maxMs`, so callers can cap it at their
 * configured maximum.
 *
 * @param value - The field value, as `Headers.get` returns it.
 * @returns A non-negative integer number of ms, or `undefined`.
 * @throws RangeError when `maxMs` is negative or not a number.
 * @example
 * ```ts
 * import { parseRetryAfter } from "@edge-async/http";
 * const now = Date.UTC(1994, 10, 6, 8, 49, 0);
 * console.assert(parseRetryAfter("120") === 120_000);
 * console.assert(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", { now }) === 37_000);
 * console.assert(parseRetryAfter("3600", { maxMs: 30_000 }) === 30_000);
 * console.assert(parseRetryAfter("later 2099") === undefined);
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  options: RetryAfterOptions = {},
): number | undefined {
  const { now = Date.now(), maxMs = MAX_RETRY_AFTER_MS } = options;
  if (!(maxMs >= 0)) throw new RangeError(`maxMs must be a non-negative number, got ${maxMs}`);
  if (value === null || value === undefined) return undefined;
  let delayMs: number | undefined;
  if (/^[0-9]+$/.test(value)) delayMs = Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  else {
    const date = parseHttpDate(value, now);
    if (date !== undefined) delayMs = Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
  }
  return delayMs === undefined ? undefined : Math.min(delayMs, maxMs);
}

/**
 * An HTTP-date (RFC 9110 §5.6.7) as ms since the Unix epoch, or `undefined` when the text is not
 * exactly one or names a moment that does not exist. The three forms are IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and
 * asctime (`Sun Nov  6 08:49:37 1994`), all GMT. The date must exist (no 31 Feb), name its own
 * day of the week and keep to 00:00:00-23:59:60. An RFC 850 two-digit year that would be more
 * than 50 years after `now` (ms) is the most recent past year with those digits.
 *
 * @example
 * ```ts
 * import { parseHttpDate } from "@edge-async/http";
 * console.assert(parseHttpDate("Sun Nov  6 08:49:37 1994") === Date.UTC(1994, 10, 6, 8, 49, 37));
 * console.assert(parseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT") === undefined); // a Sunday
 * ```
 */
export function parseHttpDate(text: string, now = Date.now()): number | undefined {
  for (const { pattern, dayNames } of FORMS) {
    const groups = pattern.exec(text)?.groups;
    if (groups === undefined) continue;
    const fields: DateFields = {
      year: Number(groups.year),
      month: MONTHS.indexOf(groups.month ?? "") + 1,
      date: Number(groups.date),
      hour: Number(groups.hour),
      minute: Number(groups.minute),
      second: Number(groups.second),
    };
    if (groups.year?.length === 2) fields.year = fullYear(fields, now);
    if (!isValid(fields)) return undefined;
    const days = daysFromCivil(fields);
    // 1970-01-01 was a Thursday.
    if (dayNames[(((days + 4) % 7) + 7) % 7] !== groups.day) return undefined;
    return days * DAY_MS + timeOfDayMs(fields);
  }
  return undefined;
}

interface DateFields {
  year: number;
  /** 1-12. */
  month: number;
  date: number;
  hour: number;
  minute: number;
  second: number;
}

/** The year of a two-digit RFC 850 year: within 50 years after `now`, else the century before. */
function fullYear(fields: DateFields, now: number): number {
  const nowYear = new Date(now).getUTCFullYear();
  const past = nowYear - ((((nowYear - fields.year) % 100) + 100) % 100);
  const future = { ...fields, year: past + 100 };
  const futureMs = daysFromCivil(future) * DAY_MS + timeOfDayMs(future);
  return futureMs - now <= FIFTY_YEARS_MS ? future.year : past;
}

function isValid({ year, month, date, hour, minute, second }: DateFields): boolean {
  if (date < 1 || date > daysInMonth(year, month) || hour > 23 || minute > 59) return false;
  // A leap second only ever ends a UTC day; 23:59:60 reads as the midnight it precedes.
  return second < 60 || (second === 60 && hour === 23 && minute === 59);
}

function timeOfDayMs({ hour, minute, second }: DateFields): number {
  return ((hour * 60 + minute) * 60 + second) * 1000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date, without `Date`'s two-digit-year quirk. */
function daysFromCivil({ year, month, date }: DateFields): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + date - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
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
