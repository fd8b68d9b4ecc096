import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError, createFeedClient } from "../src/client.ts";
import { BASE, ingest, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

const client = () =>
  createFeedClient({ baseUrl: BASE, fetch: (request) => exports.default.fetch(request) });

describe("feed client search", () => {
  it("pages through matches with nextCursor", async () => {
    const stored = await ingest(
      Array.from({ length: 5 }, (_, i) => makeItem(T0 + i, { title: `needle ${i}` })),
    );
    await ingest([makeItem(T0, { title: "haystack" })]);
    const feed = client();
    const first = await feed.search({ q: "needle", limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.hasMore).toBe(true);
    const second = await feed.search({ q: "needle", limit: 3, cursor: first.nextCursor! });
    expect(second.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items].map((item) => item.id).sort((a, b) => a - b);
    expect(ids).toEqual(stored.map((item) => item.id));
  });

  it("rejects a blank q with an ApiError carrying the 400 problem", async () => {
    const error = await client()
      .search({ q: " " })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
  });
});
