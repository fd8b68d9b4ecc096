import { searchText } from "@edge-async/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api, ingest, makeItem, resetItems } from "./helpers.ts";

// HTTP fuzzing of the search and syndication routes: random query strings never get a 5xx, and
// every 4xx is problem+json.

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeAll(async () => {
  await resetItems();
  await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i, { title: `rust item ${i}` })));
});

describe.each([
  ["/v1/items/search", ["q", "topic", "limit", "cursor"]],
  ["/v1/feed.json", ["topic", "limit", "cursor"]],
  ["/v1/feed.atom", ["topic", "limit", "cursor"]],
] as const)("%s", (path, keys) => {
  it("answers any query string with 200 or a 4xx problem, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(searchText(keys, ["rust", "item", "NEAR(", '"', "2"]), async (query) => {
        const response = await api(`${path}?${query}`);
        expect(response.status, query).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.headers.get("content-type")).toBe("application/problem+json");
        }
        await response.body?.cancel();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
