/**
 * `GET /v1/feed.json` (JSON Feed 1.1) and `GET /v1/feed.atom` (Atom, RFC 4287 with RFC 5005
 * paging): the feed for feed readers, newest first, optionally of one topic.
 *
 * @module
 */
import { createApi, problemResponses, secureRoute } from "@edge-async/http";
import type { Context } from "hono";
import { etag } from "hono/etag";
import * as z from "zod";
import { feedDb } from "../db/feed-store.ts";
import type { App } from "../env.ts";
import { readLimit } from "../limits.ts";
import { ATOM_TYPE, toAtom } from "../syndication/atom.ts";
import { readSyndicationPage, syndicationQuery } from "../syndication/feed-page.ts";
import { JSON_FEED_TYPE, jsonFeed, toJsonFeed } from "../syndication/json-feed.ts";
import {
  cachedHeaders,
  conditional,
  READ_ACCESS,
  READS_NOT_CONFIGURED,
  readProblems,
} from "./read-parts.ts";

function feedRoute(path: string, format: string, content: Record<string, { schema: z.ZodType }>) {
  return secureRoute({
    access: READ_ACCESS,
    method: "get",
    path,
    tags: ["syndication"],
    summary: `The feed as ${format}, newest first`,
    description:
      "One page of the feed (default 50 items), optionally of one topic; the next (older) page is linked with a signed cursor, under the listing's snapshot rule. A strong ETag answers If-None-Match with 304.",
    // Strong: the document's bytes are what a feed reader stores and compares.
    middleware: [readLimit, etag()] as const,
    request: { query: syndicationQuery, headers: conditional },
    responses: {
      200: { description: `One page as ${format}`, headers: cachedHeaders("Strong"), content },
      304: {
        description: "Unchanged since the ETag in If-None-Match; no body",
        headers: cachedHeaders("Strong"),
      },
      ...problemResponses({
        400: "topic or limit is invalid, or the cursor is tampered, foreign or for another topic",
        ...readProblems,
        503: `CURSOR_SECRET is not set outside development, or: ${READS_NOT_CONFIGURED}`,
      }),
    },
  });
}

const jsonFeedRoute = feedRoute("/feed.json", "JSON Feed 1.1", {
  [JSON_FEED_TYPE]: { schema: jsonFeed },
});
const atomRoute = feedRoute("/feed.atom", "Atom (RFC 4287, RFC 5005 paging)", {
  "application/atom+xml": {
    schema: z.string().meta({ description: "An Atom feed document" }),
  },
});

function page(c: Context<App>, query: z.output<typeof syndicationQuery>) {
  return readSyndicationPage(feedDb(c.env.DB), c.var.config, query, c.req.url);
}

/** `/v1/feed.json` and `/v1/feed.atom`, mounted under `/v1`. */
export const syndicationRoutes = createApi<App>()
  .openapi(jsonFeedRoute, async (c) => {
    const query = c.req.valid("query");
    const body = JSON.stringify(toJsonFeed(await page(c, query), query.topic));
    c.header("cache-control", "private, no-cache");
    // zod-openapi types application/json answers only; the body is the declared JsonFeed.
    return c.body(body, 200, { "content-type": JSON_FEED_TYPE }) as never;
  })
  .openapi(atomRoute, async (c) => {
    const query = c.req.valid("query");
    const jsonUrl = new URL(c.req.url);
    jsonUrl.pathname = "/v1/feed.json";
    const body = toAtom(await page(c, query), query.topic, jsonUrl.toString());
    c.header("cache-control", "private, no-cache");
    return c.body(body, 200, { "content-type": ATOM_TYPE }) as never;
  });
