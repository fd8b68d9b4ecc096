import type { Context } from "hono";
import type { FeedListPage, ParsedFilters } from "./contract.ts";
import { feedCursors, pageLinks, type WalkCursor } from "./cursor.ts";
import { BOOKMARK_HEADER, readSession } from "./db/session.ts";
import { readWalkPage } from "./db/walk-page.ts";
import type { App } from "./env.ts";
import { toFeedItem } from "./item-json.ts";

/** What the listing's handler validated: page size, cursor, count, filters and the bookmark. */
export interface WalkRequest {
  limit: number;
  cursor?: string | undefined;
  count?: "estimate" | undefined;
  filters: ParsedFilters;
  bookmark?: string | undefined;
}

/**
 * One page of a walk, in either direction, read through a D1 session: at the later of the cursor's
 * bookmark and the client's `x-d1-bookmark`, or `first-unconstrained` on a first page. The
 * session's bookmark afterwards (one D1 answered with, see `readSession`) goes into both cursors
 * and the answer's header, so the next page in either direction reads a replica at least as fresh
 * as this one.
 */
export async function walkPage(c: Context<App>, request: WalkRequest): Promise<FeedListPage> {
  const { limit, cursor, count, filters } = request;
  const cursors = feedCursors(c.var.config);
  const from: WalkCursor | undefined =
    cursor === undefined ? undefined : await cursors.decode(cursor, filters);
  const session = readSession(c.env.DB, request.bookmark, from?.bookmark);
  const page = await readWalkPage(session.db, filters, from, limit, count === "estimate");
  const bookmark = session.bookmark();
  const [nextCursor, prevCursor] = await Promise.all([
    page.next && cursors.encode({ ...page.next, direction: "next", bookmark }, filters),
    page.prev && cursors.encode({ ...page.prev, direction: "prev", bookmark }, filters),
  ]);
  c.header("link", pageLinks(c.req.url, { next: nextCursor, prev: prevCursor }));
  if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
  const items = page.rows.map(toFeedItem);
  const total = page.total === undefined ? {} : { total: page.total };
  c.header("etag", await pageTag({ items, next: page.next, prev: page.prev, ...total }));
  return { items, nextCursor, prevCursor, hasMore: nextCursor !== null, ...total };
}

/**
 * The page's weak ETag over its items, its neighbours' positions and its total, not the cursors'
 * bytes: their bookmark moves with every write anywhere in the database (and with every query on
 * local D1), which would defeat If-None-Match. A cached page's older bookmark is still a valid
 * lower bound for what it shows. The etag middleware uses this tag instead of hashing the body.
 */
async function pageTag(shown: object): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(JSON.stringify(shown)),
  );
  const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0"));
  return `W/"${hex.join("")}"`;
}
