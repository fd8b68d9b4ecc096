/**
 * JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the page as a feed document, with
 * `next_url` to the older page. Text goes out exactly as stored: JSON carries any character.
 *
 * @module
 */
import * as z from "zod";
import { entryId, feedTitle, type SyndicationPage } from "./feed-page.ts";

/** The media type JSON Feed registers. */
export const JSON_FEED_TYPE = "application/feed+json";

const jsonFeedItem = z.strictObject({
  id: z.string(),
  url: z.string(),
  title: z.string(),
  content_text: z.string().meta({ description: "The summary, or the title when there is none" }),
  summary: z.string().optional(),
  date_published: z.string(),
  date_modified: z.string(),
  authors: z.array(z.strictObject({ name: z.string() })).optional(),
  tags: z.array(z.string()),
});

/** A JSON Feed 1.1 document as this API writes it. */
export const jsonFeed = z
  .strictObject({
    version: z.literal("https://jsonfeed.org/version/1.1"),
    title: z.string(),
    home_page_url: z.string(),
    feed_url: z.string(),
    next_url: z.string().optional().meta({ description: "The next (older) page" }),
    items: z.array(jsonFeedItem),
  })
  .meta({ id: "JsonFeed" });

/** A JSON Feed 1.1 document. */
export type JsonFeed = z.output<typeof jsonFeed>;

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
