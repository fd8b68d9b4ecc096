import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cronProblem, isKnownTimezone, nextRunAfter } from "../src/schedules.ts";

// The cron math of schedules, as croner computes it inside workerd: each run is the first due
// time strictly after the last, read in the schedule's time zone.

/** The next `count` due times after `from` (ISO), each computed from the one before. */
function runs(cron: string, timezone: string, from: string, count: number): string[] {
  const out: string[] = [];
  let after = Date.parse(from);
  for (let index = 0; index < count; index += 1) {
    const next = nextRunAfter(cron, timezone, after);
    if (next === null) break;
    out.push(new Date(next).toISOString());
    after = next;
  }
  return out;
}

describe("02:30 every day in Europe/Berlin", () => {
  it("runs once on the spring-forward day, at 03:00 CEST, the first valid time after the gap", () => {
    // 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist that day.
    expect(runs("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 4)).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET (UTC+1)
      "2026-03-29T01:00:00.000Z", // 03:00 CEST
      "2026-03-30T00:30:00.000Z", // 02:30 CEST (UTC+2)
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("runs once on the fall-back day, at the first of the two 02:30s", () => {
    // 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:30 happens twice, the job runs once.
    const due = runs("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 4);
    expect(due).toEqual([
      "2026-10-24T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T00:30:00.000Z", // the first 02:30 (CEST)
      "2026-10-26T01:30:00.000Z", // 02:30 CET
      "2026-10-27T01:30:00.000Z",
    ]);
    expect(due).not.toContain("2026-10-25T01:30:00.000Z");
  });

  it("keeps an every-30-minutes schedule 30 real minutes apart through the repeated hour", () => {
    const due = runs("*/30 * * * *", "Europe/Berlin", "2026-10-25T00:15:00Z", 5);
    expect(due).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T01:00:00.000Z", // 02:00 CET
      "2026-10-25T01:30:00.000Z", // 02:30 CET
      "2026-10-25T02:00:00.000Z",
      "2026-10-25T02:30:00.000Z",
    ]);
  });
});

describe("09:00 every day in America/New_York", () => {
  it("moves from 14:00 to 13:00 UTC when daylight saving time starts (2026-03-08)", () => {
    expect(runs("0 9 * * *", "America/New_York", "2026-03-06T12:00:00Z", 3)).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
    ]);
  });

  it("moves back to 14:00 UTC when it ends (2026-11-01)", () => {
    expect(runs("0 9 * * *", "America/New_York", "2026-10-30T12:00:00Z", 3)).toEqual([
      "2026-10-30T13:00:00.000Z",
      "2026-10-31T13:00:00.000Z",
      "2026-11-01T14:00:00.000Z",
    ]);
  });

  it("reads weekdays in the zone: Monday 00:30 New York is Monday 04:30 or 05:30 UTC", () => {
    expect(runs("30 0 * * 1", "America/New_York", "2026-07-01T00:00:00Z", 1)).toEqual([
      "2026-07-06T04:30:00.000Z",
    ]);
    expect(runs("30 0 * * 1", "America/New_York", "2026-12-01T00:00:00Z", 1)).toEqual([
      "2026-12-07T05:30:00.000Z",
    ]);
  });
});

describe("nextRunAfter", () => {
  it("is strictly after its argument and on a whole minute, for any minute and hour in several zones", () => {
    const zones = [
      "UTC",
      "Europe/Berlin",
      "America/New_York",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(...zones),
        fc.integer({
          min: Date.parse("2026-01-01T00:00:00Z"),
          max: Date.parse("2028-12-31T00:00:00Z"),
        }),
        (minute, hour, zone, after) => {
          const next = nextRunAfter(`${minute} ${hour} * * *`, zone, after);
          expect(next).not.toBeNull();
          expect(next!).toBeGreaterThan(after);
          expect(next! % 60_000).toBe(0);
          // A daily job is due again within a day (25 hours across a DST change).
          expect(next! - after).toBeLessThanOrEqual(25 * 3_600_000);
          const local = new Intl.DateTimeFormat("en-GB", {
            timeZone: zone,
            hour: "2-digit",
            minute: "2-digit",
            hourCycle: "h23",
          }).format(new Date(next!));
          const [h, m] = local.split(":").map(Number) as [number, number];
          // On the wall clock it is the pattern's time, or just after it on a spring-forward day.
          const wanted = hour * 60 + minute;
          const got = h * 60 + m;
          expect(got === wanted || (got > wanted && got - wanted <= 60)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("cronProblem", () => {
  it("accepts five fields and nicknames", () => {
    for (const cron of ["* * * * *", "*/15 9-17 * * 1-5", "0 0 1 * *", "@hourly", "@daily"]) {
      expect(cronProblem(cron, "UTC")).toBeUndefined();
    }
  });

  it("refuses a seconds field, saying a schedule runs at most once a minute", () => {
    expect(cronProblem("*/10 * * * * *", "UTC")).toMatch(/seconds field is not supported/);
  });

  it("refuses a pattern that never fires", () => {
    expect(cronProblem("0 0 30 2 *", "UTC")).toBe("cron never fires (no date matches it)");
  });

  it("refuses what is not a cron expression, saying why", () => {
    expect(cronProblem("61 * * * *", "UTC")).toMatch(
      /^cron is not a valid cron expression: .*minute/,
    );
    expect(cronProblem("every minute", "UTC")).toMatch(/^cron is not a valid cron expression/);
    expect(cronProblem("* * * *", "UTC")).toMatch(/^cron is not a valid cron expression/);
  });
});

describe("isKnownTimezone", () => {
  it("knows IANA names and UTC, and nothing else", () => {
    for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"]) {
      expect(isKnownTimezone(zone)).toBe(true);
    }
    for (const zone of ["Mars/Base", "Europe/Berlinn", "", "+02:00 nowhere"]) {
      expect(isKnownTimezone(zone)).toBe(false);
    }
  });
});
