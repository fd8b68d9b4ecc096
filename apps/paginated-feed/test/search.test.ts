import { expectProblem } from "@edge-async/testing";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, FeedPage } from "../src/contract.ts";
import { api, ingest, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

async function search(query: Record<string, string>): Promise<FeedPage> {
  const response = await api(`/v1/items/search?${new URLSearchParams(query)}`);
  if (response.status !== 200)
    throw new Error(`search: ${response.status} ${await response.text()}`);
  return json<FeedPage>(response);
}

/** Follows nextCursor to the last page; `between` runs after each page but the last. */
async function walkSearch(
  query: Record<string, string>,
  between: (page: number) => Promise<void> = async () => {},
): Promise<FeedItem[]> {
  const seen: FeedItem[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const found = await search(cursor === null ? query : { ...query, cursor });
    seen.push(...found.items);
    if (found.nextCursor === null) return seen;
    expect(found.hasMore).toBe(true);
    cursor = found.nextCursor;
    await between(page);
  }
  throw new Error("walk did not end");
}

beforeEach(resetItems);

describe("GET /v1/items/search", () => {
  it("finds every word of q in title or summary, best match first, ties by id", async () => {
    const [dense, sparse, inSummary, tieA, tieB] = await ingest([
      makeItem(T0, { title: "tokio tokio tokio", summary: "runtime" }),
      makeItem(T0, { title: "tokio", summary: "an async runtime for rust with many more words" }),
      makeItem(T0, { title: "unrelated", summary: "Tokio, explained" }),
      makeItem(T0, { title: "glommio", summary: null }),
      makeItem(T0, { title: "glommio", summary: null }),
      makeItem(T0, { title: "nothing here", summary: "at all" }),
    ]);
    const ids = (page: FeedPage) => page.items.map((item) => item.id);
    const tokio = await search({ q: "TOKIO" });
    expect(ids(tokio)[0]).toBe(dense!.id);
    expect(new Set(ids(tokio))).toEqual(new Set([dense!.id, sparse!.id, inSummary!.id]));
    expect(ids(await search({ q: "glommio" }))).toEqual([tieA!.id, tieB!.id]);
    expect(ids(await search({ q: "tokio runtime" }))).toEqual(
      expect.arrayContaining([dense!.id, sparse!.id]),
    );
    expect(ids(await search({ q: "tokio runtime" }))).toHaveLength(2);
  });

  it("folds accents and filters by topic", async () => {
    const [cafe] = await ingest([
      makeItem(T0, { title: "Café culture", topic: "go" }),
      makeItem(T0, { title: "cafe racer", topic: "rust" }),
    ]);
    expect((await search({ q: "cafe" })).items).toHaveLength(2);
    expect((await search({ q: "CAFÉ", topic: "go" })).items.map((item) => item.id)).toEqual([
      cafe!.id,
    ]);
  });

  it.each([
    ['"unbalanced', 'an "unbalanced quote'],
    ["NEAR(", "NEAR( together"],
    ["title: AND OR NOT", "title: AND OR NOT"],
    ["nosuchcolumn: x*", "nosuchcolumn x"],
    ["^start", "start here"],
  ])("reads %j as plain words, never query syntax", async (q, title) => {
    const [stored] = await ingest([makeItem(T0, { title })]);
    const response = await api(`/v1/items/search?${new URLSearchParams({ q })}`);
    expect(response.status).toBe(200);
    expect((await json<FeedPage>(response)).items.map((item) => item.id)).toEqual([stored!.id]);
  });

  it("no q of any text answers 5xx: 200, or 400 naming q", async () => {
    await ingest([makeItem(T0, { title: 'tokio "async" NEAR(runtime) *' })]);
    const hostile = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc
        .array(
          fc.constantFrom('"', "'", "(", ")", "*", "^", ":", "+", "-", "NEAR", "AND", "OR", "NOT"),
          { maxLength: 12 },
        )
        .map((parts) => parts.join(" ")),
      fc
        .array(fc.constantFrom('"', "(", ")", "*", "NEAR(", "x", ":", "{", "}", ","), {
          maxLength: 20,
        })
        .map((parts) => parts.join("")),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (q) => {
        const response = await api(`/v1/items/search?${new URLSearchParams({ q })}`);
        if (response.status === 200) {
          expect(Array.isArray((await json<FeedPage>(response)).items)).toBe(true);
          return;
        }
        await expectProblem(response.clone());
        expect(response.status).toBe(400);
        const problem = await json<{ errors: { pointer?: string; parameter?: string }[] }>(
          response,
        );
        expect(JSON.stringify(problem.errors)).toContain("q");
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it.each([
    ["", "missing q"],
    ["q=", "empty q"],
    ["q=%20%20", "blank q"],
    [`q=${"x".repeat(257)}`, "too long"],
    ["q=a%00b", "control character"],
    ["q=a&limit=0", "limit"],
    ["q=a&sort=rank", "unknown parameter"],
  ])("refuses %j (%s) with 400 problem+json", async (query) => {
    const response = await api(`/v1/items/search?${query}`);
    expect(response.status).toBe(400);
    await expectProblem(response);
  });
});

describe("a search walk", () => {
  // Equal lengths: each item's bm25 depends only on how often "pager" occurs in it, so the
  // order of the walk's items cannot change when inserts shift the index's statistics.
  const titled = (count: number, at: number) =>
    Array.from({ length: count }, (_, i) => {
      const hits = 1 + (i % 3);
      const words = [...Array(hits).fill("pager"), ...Array(4 - hits).fill("filler")];
      return makeItem(at + i, { title: words.join(" "), summary: null });
    });

  it("pages every match once, in (score, id) order, with inserts between pages left out", async () => {
    const stored = await ingest(titled(23, T0));
    const seen = await walkSearch({ q: "pager", limit: "4" }, async (page) => {
      await ingest(titled(2, T0 + 1000 + page * 10));
    });
    expect(seen.map((item) => item.id).sort((a, b) => a - b)).toEqual(
      stored.map((item) => item.id),
    );
    // More occurrences first (3, 2, 1 of 4 words), by id within each.
    const occurrences = (item: FeedItem) =>
      item.title.split(" ").filter((w) => w === "pager").length;
    const expected = [...seen].sort((a, b) => occurrences(b) - occurrences(a) || a.id - b.id);
    expect(seen.map((item) => item.id)).toEqual(expected.map((item) => item.id));
  });

  it("survives a deleted boundary item: the cursor's own score takes over", async () => {
    await ingest(titled(9, T0));
    const first = await search({ q: "pager", limit: "3" });
    const boundary = first.items.at(-1)!;
    const { env } = await import("cloudflare:workers");
    await env.DB.prepare("DELETE FROM items WHERE id = ?").bind(boundary.id).run();
    const rest = await walkSearch({ q: "pager", limit: "3", cursor: first.nextCursor! });
    const ids = [...first.items, ...rest].map((item) => item.id);
    expect(new Set(ids).size).toBe(9);
  });

  it("refuses a cursor with another q or topic, or tampered", async () => {
    await ingest(titled(5, T0));
    const { nextCursor } = await search({ q: "pager", limit: "2" });
    const queries: Record<string, string>[] = [
      { q: "filler", cursor: nextCursor! },
      { q: "pager", topic: "go", cursor: nextCursor! },
      { q: "pager", cursor: `${nextCursor!.slice(0, -2)}xx` },
    ];
    for (const query of queries) {
      const response = await api(`/v1/items/search?${new URLSearchParams(query)}`);
      expect(response.status).toBe(400);
      await expectProblem(response);
    }
    const listing = await api("/v1/items?limit=2");
    const listingCursor = (await json<FeedPage>(listing)).nextCursor!;
    const foreign = await api(
      `/v1/items/search?${new URLSearchParams({ q: "pager", cursor: listingCursor })}`,
    );
    expect(foreign.status).toBe(400);
  });

  it("answers 304 to its own ETag", async () => {
    await ingest(titled(3, T0));
    const first = await api("/v1/items/search?q=pager");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^W\//);
    const again = await api("/v1/items/search?q=pager", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });
});
