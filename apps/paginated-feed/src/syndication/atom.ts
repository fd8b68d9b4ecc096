/**
 * Atom (RFC 4287) of one page, with RFC 5005 paged-feed links (`first`, `next`). The document is
 * built by fast-xml-parser's XMLBuilder, never by concatenating strings; the builder passes every
 * text and attribute value through escapeXml (./xml-text.ts says what is replaced and why).
 *
 * @module
 */
import { XMLBuilder } from "fast-xml-parser";
import type { ItemRow } from "../db/schema.ts";
import { entryId, feedTitle, type SyndicationPage } from "./feed-page.ts";
import { escapeXml } from "./xml-text.ts";

/** The Atom media type, with the charset the document is written in. */
export const ATOM_TYPE = "application/atom+xml; charset=utf-8";

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  // One escape for every value, including the characters XML 1.0 forbids (its own covers only
  // markup characters).
  processEntities: false,
  tagValueProcessor: (_name, value) => escapeXml(String(value)),
  attributeValueProcessor: (_name, value) => escapeXml(String(value)),
  // Otherwise an attribute whose value is "true" (a topic may be) is written bare, which is not
  // XML: `<category term/>`.
  suppressBooleanAttributes: false,
  suppressEmptyNode: true,
});

const iso = (ms: number) => new Date(ms).toISOString();
const textElement = (value: string) => ({ "@type": "text", "#text": value });
const link = (rel: string, href: string, type?: string) => ({
  "@rel": rel,
  "@href": href,
  ...(type === undefined ? {} : { "@type": type }),
});

function entry(origin: string, row: ItemRow) {
  return {
    id: entryId(origin, row),
    title: textElement(row.title),
    link: link("alternate", row.url),
    published: iso(row.publishedAt),
    updated: iso(row.updatedAt),
    ...(row.author === null ? {} : { author: { name: row.author } }),
    ...(row.summary === null ? {} : { summary: textElement(row.summary) }),
    category: { "@term": row.topic },
  };
}

// The feed's id names the feed, not a page of it nor its page size.
function feedId(origin: string, topic: string | undefined): string {
  const url = new URL("/v1/feed.atom", origin);
  if (topic !== undefined) url.searchParams.set("topic", topic);
  return url.toString();
}

/**
 * The Atom document of one page. The feed's `updated` is the newest `updated` of its entries
 * (the epoch for an empty page), so the same rows give the same bytes and the same ETag.
 */
export function toAtom(page: SyndicationPage, topic: string | undefined, jsonFeedUrl: string) {
  const updated = page.rows.reduce((newest, row) => Math.max(newest, row.updatedAt), 0);
  const links = [
    link("self", page.self, "application/atom+xml"),
    link("first", page.first, "application/atom+xml"),
    ...(page.next === null ? [] : [link("next", page.next, "application/atom+xml")]),
    link("alternate", jsonFeedUrl, "application/feed+json"),
  ];
  const document = {
    "?xml": { "@version": "1.0", "@encoding": "utf-8" },
    feed: {
      "@xmlns": "http://www.w3.org/2005/Atom",
      id: feedId(page.origin, topic),
      title: textElement(feedTitle(topic)),
      updated: iso(updated),
      author: { name: "paginated-feed" },
      link: links,
      entry: page.rows.map((row) => entry(page.origin, row)),
    },
  };
  return builder.build(document) as string;
}
