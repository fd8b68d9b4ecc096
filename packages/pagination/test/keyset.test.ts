import { env } from "cloudflare:workers";
import { and, asc, desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { keysetAfter, type SortKey } from "../src/index.ts";

const rows = sqliteTable("rows", {
  id: integer("id").primaryKey(),
  topic: text("topic").notNull(),
  publishedAt: integer("published_at").notNull(),
});

const db = drizzle(env.DB);

beforeAll(async () => {
  await env.DB.exec(
    "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, published_at INTEGER NOT NULL)",
  );
});

async function reset(data: { id: number; topic: string; publishedAt: number }[]) {
  await db.delete(rows);
  for (let i = 0; i < data.length; i += 30) await db.insert(rows).values(data.slice(i, i + 30));
}

async function walk(keys: SortKey[], pageSize: number, topic?: string) {
  const order = keys.map((key) => (key.direction === "desc" ? desc(key.column) : asc(key.column)));
  const seen: number[] = [];
  let position: unknown[] | undefined;
  // More pages than rows means the cursor failed to advance.
  for (let pages = 0; pages <= 60; pages++) {
    const filter = topic === undefined ? undefined : eq(rows.topic, topic);
    const where = position === undefined ? filter : and(filter, keysetAfter(keys, position));
    const page = await db
      .select()
      .from(rows)
      .where(where)
      .orderBy(...order)
      .limit(pageSize);
    seen.push(...page.map((row) => row.id));
    if (page.length < pageSize) return seen;
    const last = page.at(-1)!;
    position = keys.map((key) => (key.column === rows.id ? last.id : last.publishedAt));
  }
  throw new Error(`the walk did not end: ${seen.length} rows seen`);
}

const generated = fc.uniqueArray(
  fc.record({
    id: fc.integer({ min: 1, max: 10_000 }),
    topic: fc.constantFrom("a", "b"),
    publishedAt: fc.integer({ min: 0, max: 5 }),
  }),
  { selector: (row) => row.id, maxLength: 60 },
);

describe("keysetAfter on D1", () => {
  it("walks every row exactly once in order, ties on the first key included", async () => {
    await fc.assert(
      fc.asyncProperty(
        generated,
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async (data, pageSize, mixed) => {
          await reset(data);
          const keys: SortKey[] = [
            { column: rows.publishedAt, direction: "desc" },
            { column: rows.id, direction: mixed ? "asc" : "desc" },
          ];
          const expected = [...data]
            .sort((x, y) => y.publishedAt - x.publishedAt || (mixed ? x.id - y.id : y.id - x.id))
            .map((row) => row.id);
          expect(await walk(keys, pageSize)).toEqual(expected);
          const onlyA = expected.filter((id) => data.find((row) => row.id === id)!.topic === "a");
          expect(await walk(keys, pageSize, "a")).toEqual(onlyA);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("needs one position value per key", () => {
    expect(() => keysetAfter([{ column: rows.id, direction: "asc" }], [])).toThrow(TypeError);
  });
});
