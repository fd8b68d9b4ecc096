import { query } from "@edge-async/http";
import { pageResponse } from "@edge-async/pagination";
import { Hono } from "hono";
import { etag } from "hono/etag";
import { feedCursors } from "../cursor.ts";
import { feedDb, readPage } from "../db/feed-store.ts";
import type { FeedApp } from "../env.ts";
import { toFeedItem } from "../item-json.ts";
import { listQuery } from "../schemas.ts";

/**
 * `GET /v1/items`: one page of the feed, newest first, by signed keyset cursor.
 *
 * @example
 * ```ts
 * const app = new Hono<FeedApp>().route("/v1/items", listItems);
 * ```
 */
export const listItems = new Hono<FeedApp>().get(
  "/",
  // Weak: the bytes may be re-encoded (compressed) on the way; the JSON is what is compared.
  etag({ weak: true }),
  query(listQuery),
  async (c) => {
    const { limit, cursor, ...filters } = c.req.valid("query");
    const cursors = feedCursors(c.env);
    const after = cursor === undefined ? undefined : await cursors.decode(cursor, filters);
    const page = await readPage(feedDb(c.env.DB), filters, after, limit);
    const nextCursor = page.next === null ? null : await cursors.encode(page.next, filters);
    // Clients may cache a page but must revalidate (ETag) before reusing it.
    c.header("cache-control", "private, no-cache");
    return pageResponse(c, { items: page.rows.map(toFeedItem), nextCursor });
  },
);
