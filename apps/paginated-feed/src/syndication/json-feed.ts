/**
 * JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the page as a feed document, with
 * `next_url` to the older page. Text goes out exactly as stored: JSON carries any character.
 *
 * @module
 */

import { entryId, feedTitle, type SyndicationPage } from "./feed-page.ts";
import type { JsonFeed } from "./json-feed-contract.ts";

export * from "./json-feed-contract.ts";

/** The JSON Feed of one page. */
export function toJsonFeed(page: SyndicationPage, topic: string | undefined): JsonFeed {
  const home = new URL("/v1/items", page.origin);
  if (topic !== undefined) home.searchParams.set("topic", topic);
  return {
    version: "https://jsonfeed.org/version/1.1",
    title: feedTitle(topic),
    home_page_url: home.toString(),
    feed_url: page.first,
    ...(page.next === null ? {} : { next_url: page.next }),
    items: page.rows.map((row) => ({
      id: entryId(page.origin, row),
      url: row.url,
      title: row.title,
      content_text: row.summary ?? row.title,
      ...(row.summary === null ? {} : { summary: row.summary }),
      date_published: new Date(row.publishedAt).toISOString(),
      date_modified: new Date(row.updatedAt).toISOString(),
      ...(row.author === null ? {} : { authors: [{ name: row.author }] }),
      tags: [row.topic],
    })),
  };
}
