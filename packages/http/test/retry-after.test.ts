import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  parseHttpDate,
  parseRetryAfter,
} from "../src/index.ts";

// This file also runs under Node with a non-UTC TZ (see vitest.config.ts); workerd is always UTC.
const inWorkerd = navigator.userAgent === "Cloudflare-Workers";
const SUNDAY = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = Date.UTC(2026, 10, 24, 0, 0, 0);

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The three HTTP-date forms of RFC 9110 §5.6.7, written independently of the parser. */
const formats = {
  imf: (d: Date) =>
    `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCFullYear(), 4)} ${clock(d)} GMT`,
  rfc850: (d: Date) =>
    `${LONG_DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${pad(d.getUTCFullYear() % 100)} ${clock(d)} GMT`,
  asctime: (d: Date) =>
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${clock(d)} ${pad(d.getUTCFullYear(), 4)}`,
};
function clock(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

describe("parseRetryAfter", () => {
  it("reads the RFC 9110 examples", () => {
    expect(parseRetryAfter("120")).toBe(120_000);
    const now = Date.UTC(1999, 11, 31, 23, 59, 0);
    expect(parseRetryAfter("Fri, 31 Dec 1999 23:59:59 GMT", { now })).toBe(59_000);
    for (const form of [
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
    ]) {
      expect(parseHttpDate(form, NOW)).toBe(SUNDAY);
      expect(parseRetryAfter(form, { now: SUNDAY - 37_000 })).toBe(37_000);
    }
  });

  it("reads delay-seconds as whole seconds, leading zeros and 0 included", () => {
    expect(parseRetryAfter("0")).toBe(0);
    expect(parseRetryAfter("007")).toBe(7_000);
    expect(parseRetryAfter("2", { now: NOW })).toBe(2_000);
  });

  it("reads a date in the past as 0", () => {
    expect(parseRetryAfter("Tue, 24 Nov 2026 00:00:05 GMT", { now: NOW })).toBe(5_000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 00:00:00 GMT", { now: NOW })).toBe(0);
  });

  it.each([
    // The examples: words and a number used to reach Date.parse.
    ["Retry 2"],
    ["later 2099"],
    ["soon"],
    [""],
    ["-1"],
    ["+1"],
    ["1e3"],
    ["0x10"],
    ["1.5"],
    ["0.25"],
    [" 2"],
    ["2 "],
    ["2\t"],
    ["1 2"],
    ["１２"], // fullwidth digits are not DIGIT
    ["12:00"],
    ["Infinity"],
    ["Mon, 06 Nov 1994 08:49:37 GMT"], // 6 Nov 1994 was a Sunday
    ["Monday, 06-Nov-94 08:49:37 GMT"],
    ["Mon Nov  6 08:49:37 1994"],
    ["Sat, 31 Feb 2026 00:00:00 GMT"],
    ["Sun, 29 Feb 2026 00:00:00 GMT"], // 2026 is not a leap year
    ["Mon, 29 Feb 2100 00:00:00 GMT"], // nor is 2100
    ["Sun, 31 Nov 1994 08:49:37 GMT"],
    ["Sun, 00 Nov 1994 08:49:37 GMT"],
    ["Sun, 06 Nov 1994 24:00:00 GMT"],
    ["Sun, 06 Nov 1994 08:60:37 GMT"],
    ["Sun, 06 Nov 1994 08:49:60 GMT"], // a leap second only ends a day
    ["Sun, 06 Nov 1994 08:49:61 GMT"],
    ["Sun, 06 Nov 1994 08:49:37 UTC"],
    ["Sun, 06 Nov 1994 08:49:37 +0000"],
    ["Sun, 06 Nov 1994 08:49:37 PST"],
    ["Sun, 06 Nov 1994 08:49:37 gmt"],
    ["Sun, 06 Nov 1994 08:49:37"],
    ["sun, 06 nov 1994 08:49:37 GMT"],
    ["Sun, 6 Nov 1994 08:49:37 GMT"],
    ["Sun,  06 Nov 1994 08:49:37 GMT"],
    ["Sun, 06 Nov 94 08:49:37 GMT"],
    ["Sun, 06 November 1994 08:49:37 GMT"],
    ["Sun, 06 Nov 1994 8:49:37 GMT"],
    ["Sun, 06-Nov-94 08:49:37 GMT"], // RFC 850 spells the day out
    ["Sunday, 06-Nov-1994 08:49:37 GMT"],
    ["Sun Nov 6 08:49:37 1994"],
    ["Sun Nov  6 08:49:37 1994 GMT"],
    ["Sun Nov 06 08:49:37 94"],
    ["1994-11-06T08:49:37Z"],
    [" Sun, 06 Nov 1994 08:49:37 GMT"],
    ["Sun, 06 Nov 1994 08:49:37 GMT "],
  ])("refuses %j", (value) => {
    expect(parseRetryAfter(value, { now: NOW })).toBeUndefined();
  });

  it("is undefined when absent", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("reads 23:59:60 as the following midnight", () => {
    expect(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT")).toBe(Date.UTC(2017, 0, 1));
    expect(parseHttpDate("Sat Dec 31 23:59:60 2016")).toBe(Date.UTC(2017, 0, 1));
  });

  it("takes 29 February in leap years", () => {
    expect(parseHttpDate("Tue, 29 Feb 2000 12:00:00 GMT")).toBe(Date.UTC(2000, 1, 29, 12));
    expect(parseHttpDate("Thu Feb 29 00:00:00 2024")).toBe(Date.UTC(2024, 1, 29));
  });

  it("reads four-digit years literally, early ones included", () => {
    const early = new Date(0);
    early.setUTCFullYear(50, 0, 1);
    expect(parseHttpDate(formats.imf(early))).toBe(early.getTime());
    expect(parseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT")).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
  });

  it("saturates huge delay-seconds at 2^31 seconds", () => {
    expect(parseRetryAfter("2147483648")).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("99999999999999999999")).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("9".repeat(400))).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", { now: 0 })).toBe(MAX_RETRY_AFTER_MS);
  });

  it("caps the delay at maxMs", () => {
    expect(parseRetryAfter("3600", { maxMs: 30_000 })).toBe(30_000);
    expect(parseRetryAfter("3", { maxMs: 30_000 })).toBe(3_000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 01:00:00 GMT", { now: NOW, maxMs: 5_000 })).toBe(
      5_000,
    );
    expect(parseRetryAfter("soon", { maxMs: 5_000 })).toBeUndefined();
    expect(() => parseRetryAfter("1", { maxMs: -1 })).toThrow(RangeError);
    expect(() => parseRetryAfter("1", { maxMs: Number.NaN })).toThrow(RangeError);
  });

  it("resolves RFC 850 two-digit years within 50 years after now, else the century before", () => {
    const at = (year: number) => Date.UTC(year, 0, 1);
    // Seen from late 2026: January 2076 is under 50 years ahead, January 2077 over.
    expect(parseHttpDate("Wednesday, 01-Jan-76 00:00:00 GMT", NOW)).toBe(at(2076));
    expect(parseHttpDate("Saturday, 01-Jan-77 00:00:00 GMT", NOW)).toBe(at(1977));
    expect(parseHttpDate("Monday, 01-Jan-01 00:00:00 GMT", NOW)).toBe(at(2001));
    // Seen from 2099, "01" is two years ahead, not 98 years behind.
    expect(parseHttpDate("Saturday, 01-Jan-01 00:00:00 GMT", Date.UTC(2099, 5, 1))).toBe(at(2101));
    // The weekday is checked against the year the rule picks, not whichever century fits it.
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", Date.UTC(2060, 0, 1))).toBeUndefined();
    expect(parseHttpDate("Saturday, 06-Nov-94 08:49:37 GMT", Date.UTC(2060, 0, 1))).toBe(
      Date.UTC(2094, 10, 6, 8, 49, 37),
    );
  });

  it("reads GMT whatever the process time zone", () => {
    const asctime = "Sun Nov  6 08:49:37 1994";
    expect(parseHttpDate(asctime)).toBe(SUNDAY);
    expect(parseRetryAfter(asctime, { now: SUNDAY - 1_000 })).toBe(1_000);
    // Under Node the zone is not UTC, so a parser that used local time would get another instant.
    expect(inWorkerd || Date.parse(asctime) !== SUNDAY).toBe(true);
  });
});

describe("parseRetryAfter properties", () => {
  const seconds = fc.integer({
    min: Date.UTC(1000, 0, 1) / 1000,
    max: Date.UTC(9999, 11, 31) / 1000,
  });
  const nearNow = fc.integer({ min: -49 * 365 * 86_400, max: 49 * 365 * 86_400 });

  it("reads back any date written in IMF-fixdate or asctime form", () => {
    fc.assert(
      fc.property(seconds, fc.constantFrom(formats.imf, formats.asctime), (s, format) => {
        const text = format(new Date(s * 1000));
        expect(parseHttpDate(text, NOW)).toBe(s * 1000);
        const delay = Math.min(Math.max(0, s * 1000 - NOW), MAX_RETRY_AFTER_MS);
        expect(parseRetryAfter(text, { now: NOW })).toBe(delay);
      }),
      { numRuns: 200 },
    );
  });

  it("reads back any date within 49 years of now written in RFC 850 form", () => {
    fc.assert(
      fc.property(nearNow, (offset) => {
        const instant = NOW + offset * 1000;
        expect(parseHttpDate(formats.rfc850(new Date(instant)), NOW)).toBe(instant);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses any date under another day name", () => {
    fc.assert(
      fc.property(seconds, fc.integer({ min: 1, max: 6 }), (s, shift) => {
        const date = new Date(s * 1000);
        const other = DAYS[(date.getUTCDay() + shift) % 7] as string;
        expect(parseHttpDate(`${other}${formats.imf(date).slice(3)}`)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it("reads any run of digits as whole seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.nat(3), (n, zeros) => {
        expect(parseRetryAfter(`${"0".repeat(zeros)}${n}`)).toBe(n * 1000);
      }),
      { numRuns: 200 },
    );
  });

  it("never throws on any text, and gives undefined or a whole non-negative delay", () => {
    const near = fc
      .tuple(seconds, fc.constantFrom(formats.imf, formats.rfc850, formats.asctime), fc.nat(40))
      .chain(([s, format, at]) => {
        const text = format(new Date(s * 1000));
        return fc
          .string({ maxLength: 2 })
          .map((junk) => text.slice(0, at) + junk + text.slice(at + junk.length));
      });
    // Text over the characters dates are made of gets past the first checks more often.
    const dateish = fc.string({
      unit: fc.constantFrom(..."0123456789 ,:-GMTSunday"),
      maxLength: 32,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), dateish, near), (text) => {
        const delay = parseRetryAfter(text, { now: NOW });
        if (delay !== undefined) {
          expect(Number.isSafeInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("isRetryableStatus", () => {
  it("retries 408, 429 and 5xx only", () => {
    expect([200, 301, 400, 404, 408, 429, 500, 503].filter(isRetryableStatus)).toEqual([
      408, 429, 500, 503,
    ]);
  });
});
