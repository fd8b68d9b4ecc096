import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { selectChanges } from "../src/db/changes.ts";
import { feedDb } from "../src/db/feed-store.ts";

describe("the changes feed's query", () => {
  it.each([0, 12_345])(
    "walks item_changes by its key after %i, joins items by id, never sorts",
    async (after) => {
      const { sql, params } = selectChanges(feedDb(env.DB), after, 101).toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      const detail = results.map((row) => row.detail).join("\n");
      expect(detail).toMatch(/SEARCH item_changes USING INTEGER PRIMARY KEY \(rowid>\?\)/);
      expect(detail).toMatch(/SEARCH items USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(detail).not.toMatch(/TEMP B-TREE|SCAN (items|item_changes)\b/);
    },
  );
});
