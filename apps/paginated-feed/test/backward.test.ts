import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { createFeedClient } from "../src/client.ts";
import type { FeedListPage as FeedPage, ParsedFilters } from "../src/contract.ts";
import { feedDb, selectNeighbour, selectPageBefore } from "../src/db/feed-store.ts";
import { getPage as anyPage, api, BASE, ingest, json, makeItem, resetItems } from "./helpers.ts";

/** One listing page (the helper's type knows only the shape every paged answer shares). */
const getPage = (search: string) => anyPage(search) as Promise<FeedPage>;

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

function query(filters: Record<string, string>, limit: number, cursor?: string | null): string {
  const search = new URLSearchParams({ ...filters, limit: String(limit) });
  if (cursor) search.set("cursor", cursor);
  return `?${search}`;
}

/** Walks forward from the first page with page i holding sizes[i % n] items. */
async function forward(filters: Record<string, string>, sizes: number[]): Promise<FeedPage[]> {
  const pages: FeedPage[] = [];
  let cursor: string | null = null;
  do {
    const page = await getPage(query(filters, sizes[pages.length % sizes.length]!, cursor));
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 500);
  return pages;
}

/** Links of a Link header by relation. */
function links(response: Response): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of (response.headers.get("link") ?? "").matchAll(/<([^>]*)>; rel="(\w+)"/g)) {
    found[match[2]!] = match[1]!;
  }
  return found;
}

describe("walking backwards", () => {
  it("forward to the end, then back to the start: the same pages, reversed (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Few distinct times, so many items share a publishedAt and ties break by id.
        fc.array(fc.record({ minute: fc.nat(12), topic: fc.constantFrom("rust", "go") }), {
          maxLength: 40,
        }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom<Record<string, string>>({}, { topic: "rust" }),
        async (specs, sizes, filters) => {
          await resetItems();
          if (specs.length > 0) {
            await ingest(specs.map((s) => makeItem(T0 + s.minute * 60_000, { topic: s.topic })));
          }
          const pages = await forward(filters, sizes);
          expect(pages[0]!.prevCursor).toBeNull();
          const ids = pages.flatMap((page) => page.items.map((item) => item.id));
          expect(new Set(ids).size).toBe(ids.length);
          // Back from the last page, asking each page for the size it had going forward.
          for (let i = pages.length - 1; i > 0; i--) {
            const back = await getPage(
              query(filters, pages[i - 1]!.items.length, pages[i]!.prevCursor),
            );
            expect(back.items).toEqual(pages[i - 1]!.items);
            expect(back.prevCursor === null).toBe(i - 1 === 0);
            expect(back.nextCursor).not.toBeNull();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 180_000);

  it("links prev and first, and leaves prev out on the first page", async () => {
    await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i)));
    const first = await api("/v1/items?limit=2&topic=rust");
    const firstLinks = links(first);
    expect(Object.keys(firstLinks).sort()).toEqual(["first", "next"]);
    expect(new URL(firstLinks.first!).search).toBe("?limit=2&topic=rust");
    const second = await api(firstLinks.next!);
    const body = await json<FeedPage>(second);
    const secondLinks = links(second);
    expect(Object.keys(secondLinks).sort()).toEqual(["first", "next", "prev"]);
    expect(new URL(secondLinks.prev!).searchParams.get("cursor")).toBe(body.prevCursor);
    expect(new URL(secondLinks.first!).searchParams.has("cursor")).toBe(false);
    const back = await json<FeedPage>(await api(secondLinks.prev!));
    const fresh = await json<FeedPage>(await api("/v1/items?limit=2&topic=rust"));
    // The cursors differ in their bookmark only; the pages and their neighbours are the same.
    expect(back).toMatchObject({ items: fresh.items, prevCursor: null, hasMore: true });
  });

  it("still links back from a page whose items were deleted meanwhile", async () => {
    await ingest(Array.from({ length: 6 }, (_, i) => makeItem(T0 + i)));
    const first = await getPage("?limit=3");
    await env.DB.exec(`DELETE FROM items WHERE published_at < ${T0 + 3}`);
    const emptied = await getPage(query({}, 3, first.nextCursor));
    expect(emptied).toMatchObject({ items: [], nextCursor: null });
    const back = await getPage(query({}, 3, emptied.prevCursor));
    expect(back.items).toEqual(first.items);
    expect(back.prevCursor).toBeNull();
  });

  it("refuses a prev cursor reused with other filters", async () => {
    await ingest(Array.from({ length: 4 }, (_, i) => makeItem(T0 + i)));
    const second = await getPage(query({}, 2, (await getPage("?limit=2")).nextCursor));
    const response = await api(`/v1/items${query({ topic: "rust" }, 2, second.prevCursor)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: expect.stringContaining("invalid-cursor"),
    });
  });
});

describe("the typed client", () => {
  it("follows prev cursors with pages({ direction: 'prev' })", async () => {
    await ingest(Array.from({ length: 11 }, (_, i) => makeItem(T0 + (i % 4))));
    const client = createFeedClient({ baseUrl: BASE, fetch: (r) => exports.default.fetch(r) });
    const onward: FeedPage[] = [];
    for await (const page of client.pages({ limit: 3 })) onward.push(page);
    expect(onward.map((page) => page.items.length)).toEqual([3, 3, 3, 2]);
    const last = onward[onward.length - 1]!;
    const backward: FeedPage[] = [];
    const from = { limit: 3, cursor: last.prevCursor! };
    for await (const page of client.pages(from, { direction: "prev" })) backward.push(page);
    expect(backward.map((page) => page.items)).toEqual(
      onward
        .slice(0, -1)
        .reverse()
        .map((p) => p.items),
    );
    expect(backward[backward.length - 1]!.prevCursor).toBeNull();
  });
});

describe("query plans of the backward walk", () => {
  const at = { publishedAt: 1_700_000_000_000, id: 50, snapshotMaxId: 100 };
  async function plan(sql: string, params: unknown[]): Promise<string> {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    return results.map((row) => row.detail).join("\n");
  }
  it.each([
    [{}, "items_feed_order_idx"],
    [{ since: 1, until: 2 }, "items_feed_order_idx"],
    [{ topic: "rust" }, "items_topic_feed_order_idx"],
  ] as [ParsedFilters, string][])(
    "seek %o through %s in reverse, never sorting",
    async (filters, index) => {
      const db = feedDb(env.DB);
      for (const query of [
        selectPageBefore(db, filters, at, 21),
        selectNeighbour(db, filters, at, "newer"),
        selectNeighbour(db, filters, at, "older"),
      ]) {
        const { sql, params } = query.toSQL();
        const detail = await plan(sql, params);
        expect(detail).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
        expect(detail).not.toMatch(/TEMP B-TREE|SCAN items\b(?! USING)/);
      }
    },
  );
});
