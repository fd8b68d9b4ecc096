import { parseRfc3339, rfc3339Messages } from "@edge-async/http";
import { dateTimeLike, RFC3339_REFUSED, RFC3339_TAKEN } from "@edge-async/testing";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, IngestResult } from "../src/contract.ts";
import { api, bearer, getPage, json, makeItem, resetItems } from "./helpers.ts";

// since, until and publishedAt read RFC 3339 date-times by the shared rule (@edge-async/http's
// rfc3339DateTime) that queue-worker's runAt, from and to read by: the same texts taken or refused
// with the same messages, kept to the millisecond, within the years 0000-9999 in UTC.

beforeEach(resetItems);

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
  it.each(RFC3339_TAKEN)("takes %s and reads it back as %s", async (publishedAt, readBack) => {
    const response = await postItem(publishedAt);
    expect(response.status).toBe(200);
    const [created] = (await json<{ items: IngestResult[] }>(response)).items;
    const item = await json<FeedItem>(await api(`/v1/items/${created!.id}`));
    expect(item.publishedAt).toBe(readBack);
  });

  it.each(RFC3339_REFUSED)(
    "refuses %s with the shared message, storing nothing",
    async (text, message) => {
      const problem = await problemOf(await postItem(text));
      expect(problem.errors).toEqual([
        { pointer: "/items/0/publishedAt", detail: message("publishedAt") },
      ]);
      expect((await getPage("?limit=1")).items).toEqual([]);
    },
  );
});

describe("since and until", () => {
  it.each(RFC3339_REFUSED)(
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
    const text = dateTimeLike();
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
