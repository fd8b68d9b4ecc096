import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ParsedFilters } from "../src/contract.ts";
import { feedDb, selectPage } from "../src/db/feed-store.ts";
import { selectExportPage } from "../src/export-feed.ts";

const AFTER = { publishedAt: 1_700_000_000_000, id: 50, snapshotMaxId: 100 };

async function plan(filters: ParsedFilters, withCursor: boolean): Promise<string> {
  const after = withCursor ? AFTER : undefined;
  return explain(selectPage(feedDb(env.DB), filters, after, 21).toSQL());
}

async function explain({ sql, params }: { sql: string; params: unknown[] }): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail).join("\n");
}

describe("page queries", () => {
  it.each([
    [{}, "items_feed_order_idx"],
    [{ since: 1, until: 2 }, "items_feed_order_idx"],
    [{ topic: "rust" }, "items_topic_feed_order_idx"],
    [{ topic: "rust", since: 1 }, "items_topic_feed_order_idx"],
  ] as [ParsedFilters, string][])("seek %o through %s without sorting", async (filters, index) => {
    for (const withCursor of [false, true]) {
      const detail = await plan(filters, withCursor);
      expect(detail).toContain(`USING INDEX ${index}`);
      expect(detail).not.toMatch(/TEMP B-TREE|SCAN items\b(?! USING)/);
    }
  });
});

describe("export pages", () => {
  it.each([
    [{}, "items_feed_order_idx"],
    [{ topic: "rust", until: 2 }, "items_topic_feed_order_idx"],
  ] as [ParsedFilters, string][])("seek %o through %s without sorting", async (filters, index) => {
    const detail = await explain(selectExportPage(feedDb(env.DB), filters, AFTER, 5000).toSQL());
    expect(detail).toContain(`USING INDEX ${index}`);
    expect(detail).not.toMatch(/TEMP B-TREE|SCAN items\b(?! USING)/);
  });
});
