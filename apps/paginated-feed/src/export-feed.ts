import { linkedController, paginate } from "@edge-async/async-utils";
import { ndjsonStream } from "@edge-async/http";
import type { FeedItem, ParsedFilters } from "./contract.ts";
import { type FeedDb, readPage, type WalkPosition } from "./db/feed-store.ts";
import type { ItemRow } from "./db/schema.ts";
import { toFeedItem } from "./item-json.ts";

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
 * The export as an NDJSON byte stream with backpressure. It stops reading D1 when `request`
 * aborts or the stream is cancelled (how workerd reports a client going away).
 */
export function exportStream(
  db: FeedDb,
  filters: ParsedFilters,
  request: Request,
): ReadableStream<Uint8Array> {
  const stop = linkedController(request.signal);
  async function* items() {
    try {
      yield* exportFeed(db, filters, stop.signal);
    } finally {
      stop.dispose();
    }
  }
  return ndjsonStream(items(), {
    onCancel: (reason) => {
      stop.controller.abort(reason);
      stop.dispose();
    },
  });
}
