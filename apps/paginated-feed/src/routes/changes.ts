import {
  createApi,
  HttpProblem,
  hasScope,
  jsonResponse,
  noQuery,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { type Change, type ChangesPage, changesPage, changesQuery } from "../changes-contract.ts";
import { changeTokens } from "../changes-tokens.ts";
import { itemParams } from "../contract.ts";
import { deleteItem, readChanges, type StoredChange } from "../db/changes.ts";
import { feedDb } from "../db/feed-store.ts";
import { BOOKMARK_HEADER, bookmarkResponseHeader, writeSession } from "../db/session.ts";
import type { App } from "../env.ts";
import { toFeedItem } from "../item-json.ts";
import { readLimit, writeLimit } from "../limits.ts";

// The same rule as the listing: a mirror reads what any reader may read.
const READ_ACCESS = { scope: "feed:read", publicUnless: "FEED_READS_PRIVATE" } as const;

const listChanges = secureRoute({
  access: READ_ACCESS,
  method: "get",
  path: "/changes",
  tags: ["items"],
  summary: "Every item created, updated or deleted since a token, in change order",
  description:
    "For mirrors: replay the changes in order (store `item` by `id`, drop tombstones), keep `nextToken`, and call again with it as `since`; `hasMore` says to call again at once. The first call, without `since`, starts from the first change. Each item appears once, with its state when read; deletions appear as tombstones.",
  middleware: [readLimit] as const,
  request: { query: changesQuery },
  responses: {
    200: {
      ...jsonResponse(changesPage, "Changes after the token, and the token after them"),
      headers: {
        "Cache-Control": {
          description: "`private, no-cache`, or `no-store` once reads need a key",
          schema: { type: "string" as const },
        },
      },
    },
    ...problemResponses({
      400: "limit is invalid, or since is tampered, truncated or not a changes token",
      401: "A bearer credential was sent that does not verify (also while reads are public), or reads are private (FEED_READS_PRIVATE) and none was sent",
      403: "Reads are private and the credentials lack feed:read",
      429: "More reads than READ_REQUESTS_PER_MINUTE from this client address (or key, when private)",
      503: "CURSOR_SECRET is not set outside development, or reads are private and neither API_KEYS nor a JWT issuer is set (not-configured)",
    }),
  },
});

const removeItem = secureRoute({
  access: { scope: "feed:write" },
  method: "delete",
  path: "/{id}",
  tags: ["items"],
  summary: "Delete one of your items",
  description:
    "Only the key that created the item, or one with feed:admin, may delete it. The changes feed reports the deletion as a tombstone; the id is never reused.",
  middleware: [writeLimit] as const,
  request: { query: noQuery, params: itemParams },
  responses: {
    204: { description: "Deleted; no body", headers: bookmarkResponseHeader },
    ...problemResponses({
      400: "The id is not a positive integer",
      401: "No valid credentials were sent",
      403: "The credentials lack feed:write, or the item was created by another key (`not-owner`)",
      404: "No item has this id",
      429: "More write requests than WRITE_REQUESTS_PER_MINUTE from this key",
      503: "Neither API_KEYS nor a JWT issuer is set outside development (not-configured)",
    }),
  },
});

function toChange(change: StoredChange): Change {
  return change.deleted
    ? { id: change.id, deleted: true, deletedAt: new Date(change.deletedAt).toISOString() }
    : { id: change.id, deleted: false, item: toFeedItem(change.row) };
}

// Leaves the segments other routes own to them, so DELETE /v1/items/export is 405, not 400.
const ITEM_ROUTING_PATH = "/{id{(?!(?:export|changes|search)$)[^/]+}}";

/** `/v1/items/changes` and `DELETE /v1/items/{id}`: what mirrors need to follow the feed. */
export const changesRoutes = createApi<App>()
  .openapi(listChanges, async (c) => {
    const { since, limit } = c.req.valid("query");
    const tokens = changeTokens(c.var.config);
    const after = since === undefined ? 0 : await tokens.decode(since);
    const page = await readChanges(feedDb(c.env.DB), after, limit);
    const body: ChangesPage = {
      changes: page.changes.map(toChange),
      nextToken: await tokens.encode(page.last),
      hasMore: page.hasMore,
    };
    c.header("cache-control", "private, no-cache");
    return c.json(body, 200);
  })
  .openapi({ ...removeItem, path: ITEM_ROUTING_PATH, hide: true }, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = c.var;
    const writer = { id: principal.id, overwritesAny: hasScope(principal, "feed:admin") };
    // On the primary, so the answer's bookmark covers the delete (read-your-writes).
    const session = writeSession(c.env.DB);
    const refusal = await deleteItem(session.db, id, writer);
    if (refusal === "not-found") {
      throw new HttpProblem(404, "item-not-found", "Item not found", {
        detail: `There is no item with id ${id}.`,
      });
    }
    if (refusal === "not-owner") {
      throw new HttpProblem(403, "not-owner", "Forbidden", {
        detail:
          "The item was created by another API key; only that key or one with feed:admin may delete it.",
        headers: { "cache-control": "no-store" },
      });
    }
    const bookmark = session.bookmark();
    if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
    return c.body(null, 204);
  });

// Declared for the document under its own path (the route above is hidden from it).
const { middleware: _routing, ...removeItemDocument } = removeItem;
changesRoutes.openAPIRegistry.registerPath(removeItemDocument);
