import {
  createApi,
  HttpProblem,
  hasScope,
  jsonInput,
  jsonResponse,
  NDJSON_HEADERS,
  noQuery,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { etag } from "hono/etag";
import * as z from "zod";
import { exportCheckpointLine, exportRouteQuery } from "../changes-contract.ts";
import {
  feedItem,
  feedListPage,
  type IngestResponse,
  ingestBody,
  ingestResponse,
  itemParams,
  listQuery,
} from "../contract.ts";
import { findItem } from "../db/feed-store.ts";
import {
  BOOKMARK_HEADER,
  bookmarkRequestHeader,
  bookmarkResponseHeader,
  readSession,
  writeSession,
} from "../db/session.ts";
import { NotOwnerError, upsertItems } from "../db/upsert.ts";
import type { App } from "../env.ts";
import { exportStream } from "../export-feed.ts";
import { toFeedItem } from "../item-json.ts";
import { readLimit, writeLimit } from "../limits.ts";
import { walkPage } from "../walk-response.ts";
import {
  cachedHeaders as cachedReadHeaders,
  conditional,
  READ_ACCESS,
  READS_NOT_CONFIGURED,
  readProblems,
  textHeader,
} from "./read-parts.ts";

// 100 items at their largest fit well within 2 MiB.
const MAX_INGEST_BYTES = 2 * 1024 * 1024;

const cachedHeaders = cachedReadHeaders("Weak");

const notModified = {
  description: "Unchanged since the ETag in If-None-Match; no body",
  headers: cachedHeaders,
};

const listItems = secureRoute({
  access: READ_ACCESS,
  method: "get",
  path: "/",
  tags: ["items"],
  summary: "One page of the feed, newest first",
  description:
    "Keyset pagination by signed cursor: pass `nextCursor` as `cursor` with the same filters for the next page (the `Link` header says the same). A walk returns every item that existed at its start exactly once.",
  // Weak: the bytes may be re-encoded (compressed) on the way; the JSON is what is compared.
  middleware: [readLimit, etag({ weak: true })] as const,
  request: { query: listQuery, headers: conditional.extend(bookmarkRequestHeader) },
  responses: {
    200: {
      description: "One page",
      headers: {
        ...cachedHeaders,
        ...bookmarkResponseHeader,
        Link: {
          description:
            'RFC 8288: `rel="next"` and `rel="prev"` when they exist, `rel="first"` always',
          ...textHeader,
        },
      },
      content: { "application/json": { schema: feedListPage } },
    },
    304: notModified,
    ...problemResponses({
      400: "A parameter is invalid, or the cursor is tampered, foreign or for other filters",
      ...readProblems,
      503: `CURSOR_SECRET is not set outside development, or: ${READS_NOT_CONFIGURED}`,
    }),
  },
});

const ingestItems = secureRoute({
  access: { scope: "feed:write" },
  method: "post",
  path: "/",
  tags: ["items"],
  summary: "Store up to 100 items, idempotent on externalKey",
  description:
    "One D1 batch, all or nothing. A known key keeps its id and first publishedAt and has its content updated; only the key that created an item, or one with feed:admin, may update it. Always 200: `created` says what happened, in request order.",
  middleware: [writeLimit, jsonInput({ maxBytes: MAX_INGEST_BYTES })] as const,
  request: {
    query: noQuery,
    body: { required: true, content: { "application/json": { schema: ingestBody } } },
  },
  responses: {
    200: {
      ...jsonResponse(ingestResponse, "The stored id of every item, in request order"),
      headers: bookmarkResponseHeader,
    },
    ...problemResponses({
      400: "The body is not JSON, not UTF-8, or an item is invalid (pointer to it)",
      401: "No valid credentials were sent",
      403: "The credentials lack feed:write, or items belong to another key (`not-owner`, a pointer to each item's externalKey; nothing was written)",
      413: "The body is larger than 2 MiB, as sent or decoded",
      415: "The body is not application/json, or its Content-Encoding is not gzip, deflate or br",
      429: "More ingest requests than WRITE_REQUESTS_PER_MINUTE from this key",
      503: "Neither API_KEYS nor a JWT issuer is set outside development (not-configured)",
    }),
  },
});

const exportItems = secureRoute({
  access: READ_ACCESS,
  method: "get",
  path: "/export",
  tags: ["items"],
  summary: "The whole (filtered) feed as NDJSON, streamed",
  description:
    'One item per line, newest first, pinned to the items that existed when it started. An export cut short (the deadline in `request-timeout-ms`, the client gone, a D1 failure) breaks off the chunked transfer: the body never ends as if complete, and the lines before the cut are whole. With `checkpointEvery=N`, a line `{"checkpoint":"<signed>","count":N}` follows every N-th item; `resume=<checkpoint>` (same filters) continues after it under the same snapshot, so a cut download resumes without a duplicate or a gap.',
  middleware: [readLimit] as const,
  request: { query: exportRouteQuery },
  responses: {
    200: {
      description: "One FeedItem per line, and checkpoint lines when asked",
      content: {
        "application/x-ndjson": { schema: z.union([feedItem, exportCheckpointLine]) },
      },
    },
    ...problemResponses({
      400: "A filter or checkpointEvery is invalid, or resume is tampered or for other filters",
      ...readProblems,
      503: `${READS_NOT_CONFIGURED}, or checkpoints were asked for and CURSOR_SECRET is not set outside development`,
    }),
  },
});

const getItem = secureRoute({
  access: READ_ACCESS,
  method: "get",
  path: "/{id}",
  tags: ["items"],
  summary: "One item by id",
  middleware: [readLimit, etag({ weak: true })] as const,
  request: {
    query: noQuery,
    params: itemParams,
    headers: conditional.extend(bookmarkRequestHeader),
  },
  responses: {
    200: {
      ...jsonResponse(feedItem, "The item"),
      headers: { ...cachedHeaders, ...bookmarkResponseHeader },
    },
    304: notModified,
    ...problemResponses({
      400: "The id is not a positive integer",
      404: "No item has this id",
      ...readProblems,
      503: READS_NOT_CONFIGURED,
    }),
  },
});

/** 403 naming each item the caller may not overwrite; the owner itself is never named. */
function notOwner(positions: readonly number[]): HttpProblem {
  return new HttpProblem(403, "not-owner", "Forbidden", {
    detail: `${positions.length === 1 ? "An item" : `${positions.length} items`} of the batch were created by another API key; only that key or one with feed:admin may overwrite them. Nothing was stored.`,
    errors: positions.map((position) => ({
      pointer: `/items/${position}/externalKey`,
      detail: "was not created by this key",
    })),
    headers: { "cache-control": "no-store" },
  });
}

// The document says /{id}; the router gets a pattern that leaves the segments "export", "changes"
// and "search" to their routes, so the routes answer the same in any registration order, and every
// other segment still reaches the id's validation (400 naming it). zod-openapi turns `/{id{…}}`
// into `/:id{…}`.
const ITEM_ROUTING_PATH = "/{id{(?!(?:export|changes|search)$)[^/]+}}";

/** `/v1/items`: the listing, the ingest, the export and one item. */
export const itemRoutes = createApi<App>()
  .openapi(listItems, async (c) => {
    const { limit, cursor, count, ...filters } = c.req.valid("query");
    const bookmark = c.req.valid("header")[BOOKMARK_HEADER];
    const page = await walkPage(c, { limit, cursor, count, filters, bookmark });
    // Clients may cache a page but must revalidate (ETag) before reusing it.
    c.header("cache-control", "private, no-cache");
    return c.json(page, 200);
  })
  .openapi(ingestItems, async (c) => {
    const { items } = c.req.valid("json");
    const { principal } = c.var;
    const writer = { id: principal.id, overwritesAny: hasScope(principal, "feed:admin") };
    // On the primary: the session's bookmark then covers this write, for the client to read it back.
    const session = writeSession(c.env.DB);
    const outcomes = await upsertItems(session.db, items, Date.now(), writer).catch(
      (error: unknown) => {
        throw error instanceof NotOwnerError ? notOwner(error.positions) : error;
      },
    );
    const body: IngestResponse = {
      items: outcomes.map((outcome) => ({
        ...outcome,
        publishedAt: new Date(outcome.publishedAt).toISOString(),
      })),
    };
    const bookmark = session.bookmark();
    if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
    // Always 200: a batch has no single created resource to point a Location at; `created` says it.
    return c.json(body, 200);
  })
  .openapi(exportItems, async (c) => {
    const query = c.req.valid("query");
    const body = await exportStream(c.env.DB, query, c.var.signal, c.var.config);
    // zod-openapi types JSON and text answers only (it reads x-ndjson as no JSON at all).
    return c.body(body, 200, { ...NDJSON_HEADERS }) as never;
  })
  .openapi({ ...getItem, path: ITEM_ROUTING_PATH, hide: true }, async (c) => {
    const { id } = c.req.valid("param");
    const session = readSession(c.env.DB, c.req.valid("header")[BOOKMARK_HEADER]);
    const row = await findItem(session.db, id);
    if (row === undefined) {
      throw new HttpProblem(404, "item-not-found", "Item not found", {
        detail: `There is no item with id ${id}.`,
      });
    }
    const bookmark = session.bookmark();
    if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
    c.header("cache-control", "private, no-cache");
    return c.json(toFeedItem(row), 200);
  });

// Declared for the document under its own path (the route above is hidden from it).
const { middleware: _routing, ...getItemDocument } = getItem;
itemRoutes.openAPIRegistry.registerPath(getItemDocument);
