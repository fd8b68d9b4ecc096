import { HttpProblem, query } from "@edge-async/http";
import { desc, max } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "zod";
import { feedCursors } from "../cursor.ts";
import { feedDb, selectPage } from "../db/feed-store.ts";
import { items } from "../db/schema.ts";
import type { FeedApp } from "../env.ts";
import { toFeedItem } from "../item-json.ts";

const offsetQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).max(10_000_000),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/**
 * Benchmark-only routes, mounted under `/__bench` and answering 404 unless
 * `ENABLE_BENCH_ROUTES` is "true": the OFFSET query the keyset listing is measured against, and a
 * signed cursor positioned `offset` items deep (found once by OFFSET) so the benchmark can ask for
 * a deep keyset page without walking to it, and the rows D1 reads (what it bills) for each.
 *
 * @example
 * ```ts
 * const app = new Hono<FeedApp>().route("/__bench", benchRoutes);
 * ```
 */
export const benchRoutes = new Hono<FeedApp>()
  .use(async (c, next) => {
    if (c.env.ENABLE_BENCH_ROUTES !== "true") {
      throw new HttpProblem(404, "not-found", "Not Found", { detail: "Benchmark routes are off." });
    }
    await next();
  })
  .get("/offset-page", query(offsetQuery), async (c) => {
    const { offset, limit } = c.req.valid("query");
    const rows = await feedDb(c.env.DB)
      .select()
      .from(items)
      .orderBy(desc(items.publishedAt), desc(items.id))
      .limit(limit)
      .offset(offset);
    return c.json({ items: rows.map(toFeedItem) });
  })
  .get("/cursor-at", query(offsetQuery), async (c) => {
    const { offset } = c.req.valid("query");
    const db = feedDb(c.env.DB);
    const [highest, found] = await db.batch([
      db.select({ maxId: max(items.id) }).from(items),
      db
        .select({ id: items.id, publishedAt: items.publishedAt })
        .from(items)
        .orderBy(desc(items.publishedAt), desc(items.id))
        .limit(1)
        .offset(offset - 1),
    ]);
    const row = found[0];
    if (offset === 0 || row === undefined) {
      throw new HttpProblem(404, "not-found", "Not Found", { detail: `No item at ${offset}.` });
    }
    const cursor = await feedCursors(c.env).encode(
      { publishedAt: row.publishedAt, id: row.id, snapshotMaxId: highest[0]?.maxId ?? 0 },
      {},
    );
    return c.json({ cursor });
  })
  .get("/rows-read", query(offsetQuery), async (c) => {
    const { offset, limit } = c.req.valid("query");
    const db = feedDb(c.env.DB);
    const [deepest] = await db
      .select({ id: items.id, publishedAt: items.publishedAt })
      .from(items)
      .orderBy(desc(items.publishedAt), desc(items.id))
      .limit(1)
      .offset(Math.max(0, offset - 1));
    if (offset === 0 || deepest === undefined) {
      throw new HttpProblem(404, "not-found", "Not Found", { detail: `No item at ${offset}.` });
    }
    const rowsRead = async (statement: { toSQL(): { sql: string; params: unknown[] } }) => {
      const { sql, params } = statement.toSQL();
      const result = await c.env.DB.prepare(sql)
        .bind(...params)
        .all();
      return result.meta.rows_read;
    };
    const offsetPage = (skip: number) =>
      db
        .select()
        .from(items)
        .orderBy(desc(items.publishedAt), desc(items.id))
        .limit(limit)
        .offset(skip);
    const position = { ...deepest, snapshotMaxId: Number.MAX_SAFE_INTEGER };
    return c.json({
      keysetFirst: await rowsRead(selectPage(db, {}, undefined, limit + 1)),
      keysetDeep: await rowsRead(selectPage(db, {}, position, limit + 1)),
      offsetFirst: await rowsRead(offsetPage(0)),
      offsetDeep: await rowsRead(offsetPage(offset)),
    });
  });
