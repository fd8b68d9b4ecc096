/**
 * JSON Feed 1.1's wire shape as this API writes it, apart from the code that builds it, so the
 * typed client type-checks it alone.
 *
 * @module
 */
import * as z from "zod";

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
