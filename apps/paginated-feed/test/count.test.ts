import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedListPage, ParsedFilters } from "../src/contract.ts";
import { boundedCount, COUNT_CAP } from "../src/count-estimate.ts";
import { feedDb } from "../src/db/feed-store.ts";
import { api, ingest, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

async function listPage(search: string): Promise<FeedListPage> {
  const response = await api(`/v1/items${search}`);
  expect(response.status).toBe(200);
  return json<FeedListPage>(response);
}

/** Inserts `n` rows in one statement (the ingest's 100 a request would take minutes for 10,000). */
async function bulkInsert(n: number, topic: string): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
     INSERT INTO items (external_key, topic, title, url, published_at, created_at, updated_at)
     SELECT ?2 || '-' || i, ?2, 'T ' || i, 'https://e.x/' || i, ?3 + i, ?3, ?3 FROM seq`,
  )
    .bind(n, topic, T0)
    .run();
}

describe("?count=estimate", () => {
  it("is absent unless asked for", async () => {
    await ingest([makeItem(T0)]);
    expect(Object.keys(await listPage("?limit=1")).sort()).toEqual([
      "hasMore",
      "items",
      "nextCursor",
      "prevCursor",
    ]);
  });

  it("counts exactly below the cap, per filter, and the same on every page of a walk", async () => {
    await ingest(
      Array.from({ length: 7 }, (_, i) => makeItem(T0 + i, { topic: i < 3 ? "go" : "rust" })),
    );
    expect((await listPage("?count=estimate")).total).toEqual({ count: 7, exact: true });
    expect((await listPage("?count=estimate&topic=go")).total).toEqual({ count: 3, exact: true });
    const since = new Date(T0 + 5).toISOString();
    expect((await listPage(`?count=estimate&since=${since}`)).total).toEqual({
      count: 2,
      exact: true,
    });
    expect((await listPage("?count=estimate&topic=zig")).total).toEqual({ count: 0, exact: true });
    // The walk's total is its snapshot's: items inserted after its first page are not counted.
    const first = await listPage("?count=estimate&limit=3");
    await ingest([makeItem(T0 + 100), makeItem(T0 - 100)]);
    const second = await listPage(`?count=estimate&limit=3&cursor=${first.nextCursor}`);
    expect(second.total).toEqual({ count: 7, exact: true });
    const back = await listPage(`?count=estimate&limit=3&cursor=${second.prevCursor}`);
    expect(back.total).toEqual({ count: 7, exact: true });
    expect((await listPage("?count=estimate")).total).toEqual({ count: 9, exact: true });
  });

  it("stops at the cap and says so with exact: false", async () => {
    await bulkInsert(COUNT_CAP, "rust");
    expect((await listPage("?count=estimate&limit=1")).total).toEqual({
      count: COUNT_CAP,
      exact: true,
    });
    await bulkInsert(COUNT_CAP, "go");
    expect((await listPage("?count=estimate&limit=1")).total).toEqual({
      count: COUNT_CAP,
      exact: false,
    });
    expect((await listPage("?count=estimate&topic=go")).total).toEqual({
      count: COUNT_CAP,
      exact: true,
    });
    // What D1 bills: the count reads the cap's worth of rows, not the 20,000 stored.
    for (const snapshot of [undefined, Number.MAX_SAFE_INTEGER]) {
      const { sql, params } = boundedCount(feedDb(env.DB), {}, snapshot).toSQL();
      const { meta } = await env.DB.prepare(sql)
        .bind(...params)
        .all();
      expect(meta.rows_read).toBeLessThanOrEqual(COUNT_CAP + 2);
    }
  }, 60_000);

  it("refuses any other count with 400 naming count", async () => {
    for (const value of ["exact", "", "ESTIMATE", "estimate&count=estimate"]) {
      const response = await api(`/v1/items?count=${value}`);
      expect(response.status).toBe(400);
      const problem = await json<{ errors: { parameter: string }[] }>(response);
      expect(problem.errors.map((error) => error.parameter)).toContain("count");
    }
  });

  it.each([
    [{}, undefined, "USING COVERING INDEX items_feed_order_idx"],
    [{}, 100, "USING INTEGER PRIMARY KEY (rowid<?)"],
    [{ since: 1, until: 2 }, 100, "USING COVERING INDEX items_feed_order_idx (published_at>?"],
    [{ topic: "rust" }, undefined, "USING COVERING INDEX items_topic_feed_order_idx (topic=?)"],
    [{ topic: "rust" }, 100, "USING COVERING INDEX items_topic_feed_order_idx (topic=?)"],
  ] as [ParsedFilters, number | undefined, string][])(
    "counts %o (snapshot %s) over a bounded range: %s, never sorting or scanning the table",
    async (filters, snapshot, access) => {
      const { sql, params } = boundedCount(feedDb(env.DB), filters, snapshot).toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      const detail = results.map((row) => row.detail).join("\n");
      expect(sql).toMatch(/ limit \?\)/);
      expect(params.at(-1)).toBe(COUNT_CAP + 1);
      expect(detail).toContain(access);
      expect(detail).not.toMatch(/TEMP B-TREE|SCAN items\b(?! USING)/);
    },
  );
});
