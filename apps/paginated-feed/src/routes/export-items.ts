import { linkedController, paginate } from "@edge-async/async-utils";
import { NDJSON_HEADERS, ndjsonStream, query } from "@edge-async/http";
import { Hono } from "hono";
import type { FeedItem } from "../contract.ts";
import { type FeedDb, feedDb, readPage, type WalkPosition } from "../db/feed-store.ts";
import type { ItemRow } from "../db/schema.ts";
import type { FeedApp } from "../env.ts";
import { toFeedItem } from "../item-json.ts";
import { exportQuery, type ParsedFilters } from "../schemas.ts";

/** Rows per D1 query during an export: large enough to amortise the round trip, small in memory. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * Every item matching `filters`, newest first, as an async generator over keyset pages. Pages are
 * read lazily through `paginate` (the next one only when the consumer has used the current one)
 * and the walk is pinned like a client's: items inserted meanwhile are not included.
 */
async function* exportFeed(
  db: FeedDb,
  filters: ParsedFilters,
  signal: AbortSignal,
): AsyncGenerator<FeedItem> {
  const rows = paginate<ItemRow, WalkPosition>(
    async (after) => {
      const page = await readPage(db, filters, after, EXPORT_PAGE_SIZE);
      return { items: page.rows, nextCursor: page.next };
    },
    { signal },
  );
  for await (const row of rows) yield toFeedItem(row);
}

/**
 * `GET /v1/items/export`: the whole (optionally filtered) feed as NDJSON, streamed with
 * backpressure; stops reading D1 when the client goes away.
 */
export const exportItems = new Hono<FeedApp>().get("/export", query(exportQuery), (c) => {
  const filters = c.req.valid("query");
  // Stream cancellation is how workerd reports a client going away; the request's own signal is
  // honoured too where the runtime provides one.
  const stop = linkedController(c.req.raw.signal);
  async function* items() {
    try {
      yield* exportFeed(feedDb(c.env.DB), filters, stop.signal);
    } finally {
      stop.dispose();
    }
  }
  const body = ndjsonStream(items(), {
    onCancel: (reason) => {
      stop.controller.abort(reason);
      stop.dispose();
    },
  });
  return c.body(body, 200, { ...NDJSON_HEADERS });
});
