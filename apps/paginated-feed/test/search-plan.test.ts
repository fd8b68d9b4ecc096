import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedDb } from "../src/db/feed-store.ts";
import { selectSearchPage } from "../src/db/search.ts";

async function plan(topic: string | undefined, withCursor: boolean): Promise<string> {
  const after = withCursor ? { score: -1.5, id: 50, snapshotMaxId: 100 } : undefined;
  const { sql, params } = selectSearchPage(feedDb(env.DB), '"rust"', topic, after, 21).toSQL();
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail).join("\n");
}

describe("search page query", () => {
  it.each([
    [undefined, false],
    [undefined, true],
    ["rust", false],
    ["rust", true],
  ])(
    "topic %s, cursor %s: FTS5 index, items by primary key, no scan of items",
    async (topic, withCursor) => {
      const detail = await plan(topic, withCursor);
      // M: the MATCH is answered by the FTS5 index, not by testing every row.
      expect(detail).toMatch(/SCAN items_search VIRTUAL TABLE INDEX \d+:M/);
      expect(detail).toContain("SEARCH items USING INTEGER PRIMARY KEY (rowid=?)");
      expect(detail).not.toMatch(/SCAN items\b(?!_search)/);
      // Ranking sorts the matches (FTS5's own ORDER BY rank sorts them too, inside the virtual
      // table); SQLite's sorter keeps only the page's rows. Nothing else is sorted.
      expect(detail.match(/TEMP B-TREE/g)).toEqual(["TEMP B-TREE"]);
      expect(detail).toContain("USE TEMP B-TREE FOR ORDER BY");
      if (withCursor) {
        // The boundary's score: one row by rowid within the match (=M), never a second full scan.
        expect(detail).toMatch(/SCAN items_search VIRTUAL TABLE INDEX \d+:=M/);
      }
    },
  );
});
