/**
 * What both syndication formats read: one page of the feed (newest first) for an optional topic,
 * under the listing's snapshot rule, and the URLs that link the pages.
 *
 * @module
 */
import { createCursorCodec, pageParams } from "@edge-async/pagination";
import * as z from "zod";
import type { Config } from "../config.ts";
import { exportQuery } from "../contract.ts";
import { feedCursors } from "../cursor.ts";
import { type FeedDb, readPage, type WalkPosition } from "../db/feed-store.ts";
import type { ItemRow } from "../db/schema.ts";

/** Query of `GET /v1/feed.json` and `GET /v1/feed.atom`; unknown keys are refused. */
export const syndicationQuery = z.strictObject({
  topic: exportQuery.shape.topic,
  ...pageParams({ defaultLimit: 50, maxLimit: 100 }),
});

/** The syndication query as parsed. */
export type SyndicationQuery = z.output<typeof syndicationQuery>;

/** One page of a feed and its links, absolute URLs. */
export interface SyndicationPage {
  rows: ItemRow[];
  /** This page's URL. */
  self: string;
  /** The first page: the request's URL without `cursor`. */
  first: string;
  /** The next (older) page, or `null` on the last page. */
  next: string | null;
  /** The origin the links and entry ids are built on. */
  origin: string;
}

// [publishedAt, id, snapshotMaxId], as the listing's cursor.
const positionSchema = z.tuple([
  z.number().int(),
  z.number().int().positive(),
  z.number().int().nonnegative(),
]);

/**
 * Reads the page `query` names. The cursor has its own purpose, so a listing cursor is refused
 * here and the other way round, and binds the topic; JSON Feed and Atom pages share cursors.
 */
export async function readSyndicationPage(
  db: FeedDb,
  config: Config,
  query: SyndicationQuery,
  requestUrl: string,
): Promise<SyndicationPage> {
  // feedCursors throws the shared 503 not-configured problem without a secret.
  feedCursors(config);
  const codec = createCursorCodec({
    secret: config.cursorSecret!,
    purpose: "paginated-feed.syndication.v1",
    schema: positionSchema,
  });
  const bound = { topic: query.topic };
  let after: WalkPosition | undefined;
  if (query.cursor !== undefined) {
    const [publishedAt, id, snapshotMaxId] = await codec.decode(query.cursor, bound);
    after = { publishedAt, id, snapshotMaxId };
  }
  const page = await readPage(db, { topic: query.topic }, after, query.limit);
  const at = (cursor: string | null) => {
    const url = new URL(requestUrl);
    if (cursor === null) url.searchParams.delete("cursor");
    else url.searchParams.set("cursor", cursor);
    return url.toString();
  };
  const nextCursor =
    page.next === null
      ? null
      : await codec.encode([page.next.publishedAt, page.next.id, page.next.snapshotMaxId], bound);
  return {
    rows: page.rows,
    self: requestUrl,
    first: at(null),
    next: nextCursor === null ? null : at(nextCursor),
    origin: new URL(requestUrl).origin,
  };
}

/** An item's entry id: the item's own URL in this API, stable for as long as the item exists. */
export function entryId(origin: string, row: ItemRow): string {
  return `${origin}/v1/items/${row.id}`;
}

/** The feed's title: the service's name, and the topic when there is one. */
export function feedTitle(topic: string | undefined): string {
  return topic === undefined ? "paginated-feed" : `paginated-feed: ${topic}`;
}
