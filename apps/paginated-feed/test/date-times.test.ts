import { parseRfc3339, rfc3339Messages } from "@edge-async/http";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, IngestResult } from "../src/contract.ts";
import { api, bearer, getPage, json, makeItem, resetItems } from "./helpers.ts";

// since, until and publishedAt read RFC 3339 date-times by the shared rule (@edge-async/http's
// rfc3339DateTime) that queue-worker's runAt, from and to read by: the same texts taken or refused
// with the same messages, kept to the millisecond, within the years 0000-9999 in UTC.

beforeEach(resetItems);

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

function postItem(publishedAt: string) {
  return api("/v1/items", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer("writer") },
    body: JSON.stringify({ items: [{ ...makeItem(0), publishedAt }] }),
  });
}

async function problemOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<{ errors: { pointer?: string; parameter?: string; detail: string }[] }>(response);
}

describe("publishedAt", () => {
  it.each(TAKEN)("takes %s and reads it back as %s", async (publishedAt, readBack) => {
    const response = await postItem(publishedAt);
    expect(response.status).toBe(200);
    const [created] = (await json<{ items: IngestResult[] }>(response)).items;
    const item = await json<FeedItem>(await api(`/v1/items/${created!.id}`));
    expect(item.publishedAt).toBe(readBack);
  });

  it.each(REFUSED)("refuses %s with the shared message, storing nothing", async (text, message) => {
    const problem = await problemOf(await postItem(text));
    expect(problem.errors).toEqual([
      { pointer: "/items/0/publishedAt", detail: message("publishedAt") },
    ]);
    expect((await getPage("?limit=1")).items).toEqual([]);
  });
});

describe("since and until", () => {
  it.each(REFUSED)(
    "refuses since and until of %s with the shared message",
    async (text, message) => {
      for (const name of ["since", "until"]) {
        const problem = await problemOf(await api(`/v1/items?${name}=${encodeURIComponent(text)}`));
        expect(problem.errors).toEqual([{ parameter: name, detail: message(name) }]);
      }
    },
  );

  it("filters by lower case t and z and sub-millisecond times, kept to the millisecond", async () => {
    const at = Date.parse("2026-11-01T00:00:00Z");
    const items = [at - 1, at, at + 1].map((ms) => makeItem(ms));
    for (const item of items) expect((await postItem(item.publishedAt)).status).toBe(200);
    const since = encodeURIComponent("2026-11-01t00:00:00.0009z"); // at, inclusive
    const until = encodeURIComponent("2026-11-01T00:00:00.0019Z"); // at + 1 ms, exclusive
    const page = await getPage(`?since=${since}&until=${until}`);
    expect(page.items.map((item) => item.publishedAt)).toEqual(["2026-11-01T00:00:00.000Z"]);
  });

  it.each(["/v1/items", "/v1/items/export"])(
    "%s refuses since and until in one millisecond saying times are kept to it",
    async (path) => {
      const since = encodeURIComponent("2026-01-01T00:00:00.0001Z");
      const until = encodeURIComponent("2026-01-01T00:00:00.0009Z");
      const problem = await problemOf(await api(`${path}?since=${since}&until=${until}`));
      expect(problem.errors).toEqual([
        {
          parameter: "until",
          detail:
            "until must be later than since: both fall in the millisecond 2026-01-01T00:00:00.000Z, and times are kept to the millisecond",
        },
      ]);
    },
  );

  it("agrees with the shared rule on date-time-like texts", async () => {
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
    await fc.assert(
      fc.asyncProperty(text, async (since) => {
        const response = await api(`/v1/items?since=${encodeURIComponent(since)}`);
        const parsed = parseRfc3339(since);
        if ("ms" in parsed) {
          expect(response.status).toBe(200);
          return;
        }
        const problem = await problemOf(response);
        const detail = rfc3339Messages("since")[parsed.refused];
        expect(problem.errors).toEqual([{ parameter: "since", detail }]);
      }),
      { numRuns: 60 },
    );
  });
});
