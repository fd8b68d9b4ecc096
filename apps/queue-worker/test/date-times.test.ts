import { env } from "cloudflare:workers";
import { parseRfc3339, rfc3339Messages } from "@edge-async/http";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./fixtures/jobs.ts";

// runAt, from and to read RFC 3339 date-times by the shared rule (@edge-async/http's
// rfc3339DateTime) that paginated-feed's since, until and publishedAt read by: the same texts
// taken or refused with the same messages (its test/date-times.test.ts holds the same tables;
// times taken are in the future, since a past runAt runs now and reads back as when it was sent).

const invalid = (name: string) =>
  `${name} must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:30:00Z`;
const leapSecond = (name: string) =>
  `${name} must not be a leap second (:60), which this API cannot represent; send :59 or the next minute's :00`;
const outOfRange = (name: string) => `${name} must fall within the years 0000 to 9999 in UTC`;

const TAKEN: [string, string][] = [
  ["2030-01-01t00:00:00z", "2030-01-01T00:00:00.000Z"],
  ["2030-01-01T01:00:00.5+01:00", "2030-01-01T00:00:00.500Z"],
  ["2030-01-01T00:00:00.0009Z", "2030-01-01T00:00:00.000Z"],
  ["9999-12-31T23:59:59.9999Z", "9999-12-31T23:59:59.999Z"],
];

const REFUSED: [string, (name: string) => string][] = [
  ["2016-12-31T23:59:60Z", leapSecond],
  ["2016-12-31t23:59:60.5z", leapSecond],
  ["2016-13-45T99:99:60Z", invalid],
  ["2016-02-30T23:59:60Z", invalid],
  ["2026-01-01T00:00Z", invalid],
  ["2026-01-01T00:00:00", invalid],
  ["9999-12-31T23:59:59-23:59", outOfRange],
  ["0000-01-01T00:00:00+00:01", outOfRange],
];

const post = (path: string, json: object) => api(path, { method: "POST", json });

async function problemOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { errors: { pointer: string; detail: string }[] };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("runAt", () => {
  it.each(TAKEN)("takes %s and reads it back as %s", async (runAt, readBack) => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const response = await post("/v1/jobs", { type: "simulate", payload: {}, runAt });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { runAt: string };
    expect(view.runAt).toBe(readBack);
  });

  it.each(REFUSED)("refuses %s with the shared message", async (runAt, message) => {
    const problem = await problemOf(
      await post("/v1/jobs", { type: "simulate", payload: {}, runAt }),
    );
    expect(problem.errors).toEqual([{ pointer: "/runAt", detail: message("runAt") }]);
  });
});

describe("from and to", () => {
  it.each(REFUSED)("refuses from and to of %s with the shared message", async (text, message) => {
    for (const name of ["from", "to"]) {
      const problem = await problemOf(await post("/v1/jobs/retry", { [name]: text }));
      expect(problem.errors).toEqual([{ pointer: `/${name}`, detail: message(name) }]);
    }
  });

  it("agrees with the shared rule on date-time-like texts", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
    const text = fc
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
    // An error no job has, so a time taken retries nothing.
    const error = `none-${crypto.randomUUID()}`;
    await fc.assert(
      fc.asyncProperty(text, async (from) => {
        const response = await post("/v1/jobs/retry", { error, from });
        const parsed = parseRfc3339(from);
        if ("ms" in parsed) {
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ retried: 0, ids: [], hasMore: false });
          return;
        }
        const problem = await problemOf(response);
        const detail = rfc3339Messages("from")[parsed.refused];
        expect(problem.errors).toEqual([{ pointer: "/from", detail }]);
      }),
      { numRuns: 60 },
    );
  });
});
