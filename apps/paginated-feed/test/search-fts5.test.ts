// Local D1 (workerd's SQLite) must support what the search index relies on: FTS5 external-content
// tables, bm25() and the triggers of migrations/0003_items_search.sql.
import type { D1Migration } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { resetItems } from "./helpers.ts";

async function insert(id: number, title: string, summary: string | null): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO items (id, external_key, topic, title, url, summary, published_at, created_at, updated_at) VALUES (?, ?, 'rust', ?, 'https://example.com', ?, 0, 0, 0)",
  )
    .bind(id, `fts-${id}`, title, summary)
    .run();
}

async function matches(query: string): Promise<{ id: number; score: number }[]> {
  const { results } = await env.DB.prepare(
    "SELECT rowid AS id, bm25(items_search) AS score FROM items_search WHERE items_search MATCH ? ORDER BY score, rowid",
  )
    .bind(query)
    .all<{ id: number; score: number }>();
  return results;
}

describe("FTS5 in local D1", () => {
  beforeEach(resetItems);

  it("ranks with bm25: more occurrences of a rarer term rank first (bm25 is negative)", async () => {
    await insert(1, "tokio tokio tokio", "runtime");
    await insert(2, "tokio", "an async runtime for rust with many words in it");
    await insert(3, "nothing relevant", null);
    const found = await matches('"tokio"');
    expect(found.map((row) => row.id)).toEqual([1, 2]);
    expect(found[0]!.score).toBeLessThan(found[1]!.score);
    expect(found[1]!.score).toBeLessThan(0);
  });

  it("the triggers follow inserts, updates of the text and deletes", async () => {
    await insert(1, "alpha", "beta");
    expect(await matches('"beta"')).toHaveLength(1);
    await env.DB.prepare("UPDATE items SET summary = 'gamma' WHERE id = 1").run();
    expect(await matches('"beta"')).toHaveLength(0);
    expect(await matches('"gamma"')).toHaveLength(1);
    await env.DB.prepare("UPDATE items SET url = 'https://example.org' WHERE id = 1").run();
    expect(await matches('"gamma"')).toHaveLength(1);
    await env.DB.prepare("DELETE FROM items WHERE id = 1").run();
    expect(await matches('"gamma"')).toHaveLength(0);
    expect(await matches('"alpha"')).toHaveLength(0);
  });

  it("the index agrees with a rebuild from items after the triggers ran (integrity-check)", async () => {
    await insert(1, "one", null);
    await insert(2, "two", "zwei");
    await env.DB.prepare("UPDATE items SET title = 'uno', summary = NULL WHERE id = 2").run();
    await env.DB.prepare("DELETE FROM items WHERE id = 1").run();
    // Throws (SQLITE_CORRUPT_VTAB) when the index and the content table disagree.
    await env.DB.prepare(
      "INSERT INTO items_search (items_search, rank) VALUES ('integrity-check', 1)",
    ).run();
    expect((await matches('"uno"')).map((row) => row.id)).toEqual([2]);
  });

  // Why the route never hands q to MATCH as query syntax: raw syntax errors throw, with messages
  // that share no prefix ("unterminated string", "fts5: syntax error near ...", "no such column").
  it.each(['"unbalanced', "NEAR(", "AND", "nosuchcolumn: word", "a OR"])(
    "raw query syntax %j is an error",
    async (query) => {
      await expect(matches(query)).rejects.toThrow(/D1_ERROR/);
    },
  );

  // D1 binds a JS number as REAL; FTS5 ignores a rowid equality of another type and answers
  // every match (a range bound is applied either way), so src/db/search.ts casts the id.
  it.each([
    ["=", [1, 2, 3], [2]],
    ["<=", [1, 2], [1, 2]],
  ])(
    "rowid %s: bound as a JS number gives %j, with a CAST %j",
    async (operator, asReal, asInteger) => {
      await insert(1, "same words", null);
      await insert(2, "same words", null);
      await insert(3, "same words", null);
      const at = (rhs: string) =>
        env.DB.prepare(
          `SELECT rowid AS id FROM items_search WHERE items_search MATCH '"same"' AND rowid ${operator} ${rhs}`,
        )
          .bind(2)
          .all<{ id: number }>();
      expect((await at("?")).results.map((row) => row.id)).toEqual(asReal);
      expect((await at("CAST(? AS INTEGER)")).results.map((row) => row.id)).toEqual(asInteger);
    },
  );

  // The README's backup procedure: drop the triggers and the index, export (writes go on), then
  // run the migration again, which recreates both and rebuilds the index from items.
  it("drop, write, re-run the migration: the index holds every item again", async () => {
    await insert(1, "before the drop", null);
    await env.DB.exec(
      "DROP TRIGGER items_search_insert; DROP TRIGGER items_search_delete; DROP TRIGGER items_search_update; DROP TABLE items_search",
    );
    await insert(2, "during the export", null);
    const { TEST_MIGRATIONS } = env as unknown as { TEST_MIGRATIONS: D1Migration[] };
    const migration = TEST_MIGRATIONS.find((entry) => entry.name.includes("items_search"))!;
    for (const query of migration.queries) await env.DB.prepare(query).run();
    expect((await matches('"the"')).map((row) => row.id)).toEqual([1, 2]);
    await insert(3, "after the rebuild", null);
    expect((await matches('"the"')).map((row) => row.id)).toEqual([1, 2, 3]);
  });
});
