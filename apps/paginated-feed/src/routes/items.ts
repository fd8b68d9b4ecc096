import {
  createApi,
  HttpProblem,
  jsonInput,
  jsonResponse,
  NDJSON_HEADERS,
  problemResponses,
} from "@edge-async/http";
import { pageResponse } from "@edge-async/pagination";
import { createRoute } from "@hono/zod-openapi";
import { etag } from "hono/etag";
import * as z from "zod";
import {
  exportQuery,
  feedItem,
  feedPage,
  type IngestResponse,
  ingestBody,
  ingestResponse,
  itemParams,
  listQuery,
} from "../contract.ts";
import { feedCursors } from "../cursor.ts";
import { feedDb, findItem, readPage, upsertItems } from "../db/feed-store.ts";
import type { App } from "../env.ts";
import { exportStream } from "../export-feed.ts";
import { toFeedItem } from "../item-json.ts";

// 100 items at their largest fit well within 2 MiB.
const MAX_INGEST_BYTES = 2 * 1024 * 1024;

const conditional = z.object({
  "if-none-match": z
    .string()
    .optional()
    .meta({ description: "An ETag from an earlier answer: 304 while it still matches" }),
});

const text = { schema: { type: "string" as const } };
const cachedHeaders = {
  ETag: { description: "Weak ETag of the JSON", ...text },
  "Cache-Control": { description: "`private, no-cache`: revalidate before reuse", ...text },
};
const notModified = {
  description: "Unchanged since the ETag in If-None-Match; no body",
  headers: cachedHeaders,
};

const listItems = createRoute({
  method: "get",
  path: "/",
  tags: ["items"],
  summary: "One page of the feed, newest first",
  description:
    "Keyset pagination by signed cursor: pass `nextCursor` as `cursor` with the same filters for the next page (the `Link` header says the same). A walk returns every item that existed at its start exactly once.",
  // Weak: the bytes may be re-encoded (compressed) on the way; the JSON is what is compared.
  middleware: [etag({ weak: true })] as const,
  request: { query: listQuery, headers: conditional },
  responses: {
    200: {
      description: "One page",
      headers: { ...cachedHeaders, Link: { description: 'The next page, `rel="next"`', ...text } },
      content: { "application/json": { schema: feedPage } },
    },
    304: notModified,
    ...problemResponses({
      400: "A parameter is invalid, or the cursor is tampered, foreign or for other filters",
      503: "CURSOR_SECRET is not set outside development (not-configured)",
    }),
  },
});

const ingestItems = createRoute({
  method: "post",
  path: "/",
  tags: ["items"],
  summary: "Store up to 100 items, idempotent on externalKey",
  description:
    "One D1 batch, all or nothing. A known key keeps its id and first publishedAt and has its content updated. Always 200: `created` says what happened, in request order.",
  middleware: [jsonInput({ maxBytes: MAX_INGEST_BYTES })] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: ingestBody } } },
  },
  responses: {
    200: jsonResponse(ingestResponse, "The stored id of every item, in request order"),
    ...problemResponses({
      400: "The body is not JSON, not UTF-8, or an item is invalid (pointer to it)",
      413: "The body is larger than 2 MiB, as sent or decoded",
      415: "The body is not application/json, or its Content-Encoding is not gzip, deflate or br",
    }),
  },
});

const exportItems = createRoute({
  method: "get",
  path: "/export",
  tags: ["items"],
  summary: "The whole (filtered) feed as NDJSON, streamed",
  description:
    "One item per line, newest first, pinned to the items that existed when it started. A missing final newline means the export was cut short.",
  request: { query: exportQuery },
  responses: {
    200: {
      description: "One FeedItem per line",
      content: { "application/x-ndjson": { schema: feedItem } },
    },
    ...problemResponses({ 400: "A filter is invalid" }),
  },
});

const getItem = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["items"],
  summary: "One item by id",
  middleware: [etag({ weak: true })] as const,
  request: { params: itemParams, headers: conditional },
  responses: {
    200: { ...jsonResponse(feedItem, "The item"), headers: cachedHeaders },
    304: notModified,
    ...problemResponses({ 400: "The id is not a positive integer", 404: "No item has this id" }),
  },
});

// The document says /{id}; the router gets a pattern that leaves the one segment "export" to the
// export route, so the routes answer the same in any registration order, and every other segment
// still reaches the id's validation (400 naming it). zod-openapi turns `/{id{…}}` into `/:id{…}`.
const ITEM_ROUTING_PATH = "/{id{(?!export$)[^/]+}}";

/** `/v1/items`: the listing, the ingest, the export and one item. */
export const itemRoutes = createApi<App>()
  .openapi(listItems, async (c) => {
    const { limit, cursor, ...filters } = c.req.valid("query");
    const cursors = feedCursors(c.var.config);
    const after = cursor === undefined ? undefined : await cursors.decode(cursor, filters);
    const page = await readPage(feedDb(c.env.DB), filters, after, limit);
    const nextCursor = page.next === null ? null : await cursors.encode(page.next, filters);
    // Clients may cache a page but must revalidate (ETag) before reusing it.
    c.header("cache-control", "private, no-cache");
    return pageResponse(c, { items: page.rows.map(toFeedItem), nextCursor });
  })
  .openapi(ingestItems, async (c) => {
    const { items } = c.req.valid("json");
    const outcomes = await upsertItems(feedDb(c.env.DB), items, Date.now());
    const body: IngestResponse = {
      items: outcomes.map((outcome) => ({
        ...outcome,
        publishedAt: new Date(outcome.publishedAt).toISOString(),
      })),
    };
    // Always 200: a batch has no single created resource to point a Location at; `created` says it.
    return c.json(body, 200);
  })
  .openapi(exportItems, (c) => {
    const body = exportStream(feedDb(c.env.DB), c.req.valid("query"), c.req.raw);
    // zod-openapi types JSON and text answers only (it reads x-ndjson as no JSON at all).
    return c.body(body, 200, { ...NDJSON_HEADERS }) as never;
  })
  .openapi({ ...getItem, path: ITEM_ROUTING_PATH, hide: true }, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findItem(feedDb(c.env.DB), id);
    if (row === undefined) {
      throw new HttpProblem(404, "item-not-found", "Item not found", {
        detail: `There is no item with id ${id}.`,
      });
    }
    c.header("cache-control", "private, no-cache");
    return c.json(toFeedItem(row), 200);
  });

// Declared for the document under its own path (the route above is hidden from it).
const { middleware: _routing, ...getItemDocument } = getItem;
itemRoutes.openAPIRegistry.registerPath(getItemDocument);
