import type { FeedItem } from "./contract.ts";
import type { ItemRow } from "./db/schema.ts";

/**
 * A stored row in its wire shape (times as ISO-8601 UTC).
 *
 * @example
 * ```ts
 * return c.json(toFeedItem(row));
 * ```
 */
export function toFeedItem(row: ItemRow): FeedItem {
  return {
    id: row.id,
    externalKey: row.externalKey,
    topic: row.topic,
    title: row.title,
    url: row.url,
    author: row.author,
    summary: row.summary,
    publishedAt: new Date(row.publishedAt).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
