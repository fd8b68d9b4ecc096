import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  instantOrderMessage,
  parseRfc3339,
  RFC3339_EARLIEST_MS,
  RFC3339_LATEST_MS,
  rfc3339DateTime,
} from "../src/index.ts";

const field = z.object({ at: rfc3339DateTime("at") });

/** The messages of parsing `{ at }`, each with its path. */
function refusals(at: unknown) {
  const result = field.safeParse({ at });
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

const invalid = "at must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:30:00Z";
const leap = /^at must not be a leap second \(:60\)/;

describe("rfc3339DateTime", () => {
  it.each([
    ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01t00:00:00z", "2026-01-01T00:00:00.000Z"],
    ["2030-06-01t09:00:00.5+02:00", "2030-06-01T07:00:00.500Z"],
    ["2026-01-01T00:00:00-00:00", "2026-01-01T00:00:00.000Z"],
    ["2024-02-29T23:59:59.999999999-23:59", "2024-03-01T23:58:59.999Z"],
    ["0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.9999Z", "9999-12-31T23:59:59.999Z"],
  ])("reads %s as %s", (text, expected) => {
    expect(field.parse({ at: text })).toEqual({ at: expected });
  });

  it("keeps times to the millisecond, dropping the digits past the third", () => {
    expect(field.parse({ at: "2026-01-01T00:00:00.0001Z" }).at).toBe("2026-01-01T00:00:00.000Z");
    expect(field.parse({ at: "2026-01-01T00:00:00.0009Z" }).at).toBe("2026-01-01T00:00:00.000Z");
    expect(field.parse({ at: "1969-12-31T23:59:59.9999Z" }).at).toBe("1969-12-31T23:59:59.999Z");
  });

  it.each(["2031-06-30T23:59:60Z", "2031-06-30t23:59:60.25z", "2031-07-01T01:59:60+02:00"])(
    "refuses the leap second %s saying so",
    (text) => {
      expect(refusals(text)).toEqual([{ path: ["at"], message: expect.stringMatching(leap) }]);
    },
  );

  it.each([
    "2016-13-45T99:99:60Z",
    "2016-02-30T23:59:60Z",
    "2016-12-31T24:59:60Z",
    "2016-12-31T23:60:60Z",
    "2016-12-31T23:59:60+24:00",
    "2016-12-31T23:59:61Z",
    "2016-12-31T23:59:60",
    "2016-12-31 23:59:60Z",
  ])("gives %s, not a date-time with second 60 otherwise valid, the generic message", (text) => {
    expect(refusals(text)).toEqual([{ path: ["at"], message: invalid }]);
  });

  it.each([
    "2031-03-01",
    "2031-03-01T00:00:00",
    "2031-03-01T00:00Z",
    "2031-03-01 00:00:00Z",
    "2031-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2031-03-01T00:00:00.Z",
    "2031-03-01T00:00:00+0100",
    "2031-03-01T00:00:00+01",
    "2031-03-01T00:00:00+01:60",
    "+010000-01-01T00:00:00Z",
    "２０３１-03-01T00:00:00Z",
    " 2031-03-01T00:00:00Z",
    "",
    1_700_000_000,
    null,
  ])("refuses %s as not an RFC 3339 date-time", (text) => {
    expect(refusals(text)).toEqual([{ path: ["at"], message: invalid }]);
  });

  it.each(["9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59-00:01", "0000-01-01T00:00:00+00:01"])(
    "refuses %s, outside the years 0000-9999 in UTC, naming the range",
    (text) => {
      expect(refusals(text)).toEqual([
        { path: ["at"], message: "at must fall within the years 0000 to 9999 in UTC" },
      ]);
    },
  );

  it("documents the field as a date-time string", () => {
    expect(z.toJSONSchema(rfc3339DateTime("at"), { io: "input" })).toMatchObject({
      type: "string",
      format: "date-time",
    });
  });

  it("reads back every instant of 0000-9999 written in any zone as that instant, in UTC", () => {
    const instant = fc.integer({ min: RFC3339_EARLIEST_MS, max: RFC3339_LATEST_MS });
    const offset = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    fc.assert(
      fc.property(instant, offset, fc.boolean(), (ms, minutes, lower) => {
        const local = new Date(ms + minutes * 60_000).toISOString();
        if (local.length !== 24) return; // shifted out of four-digit years: covered above
        const sign = minutes < 0 ? "-" : "+";
        const abs = Math.abs(minutes);
        const zone = `${sign}${String(Math.trunc(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
        let text = `${local.slice(0, 23)}${zone}`;
        if (lower) text = text.replace("T", "t");
        expect(field.parse({ at: text }).at).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseRfc3339", () => {
  it("tells the three refusals apart", () => {
    expect(parseRfc3339("2016-12-31T23:59:60Z")).toEqual({ refused: "leapSecond" });
    expect(parseRfc3339("2016-13-45T99:99:60Z")).toEqual({ refused: "invalid" });
    expect(parseRfc3339("9999-12-31T23:59:59-23:59")).toEqual({ refused: "outOfRange" });
    expect(parseRfc3339("2016-12-31T23:59:59Z")).toEqual({
      ms: Date.UTC(2016, 11, 31, 23, 59, 59),
    });
  });
});

describe("instantOrderMessage", () => {
  it("is undefined in order, the message out of order, and says so within one millisecond", () => {
    expect(instantOrderMessage("to must be after from", 1, 2)).toBeUndefined();
    expect(instantOrderMessage("to must be after from", 3, 2)).toBe("to must be after from");
    expect(instantOrderMessage("to must be after from", 5, 5)).toBe(
      "to must be after from: both fall in the millisecond 1970-01-01T00:00:00.005Z, and times are kept to the millisecond",
    );
  });
});
