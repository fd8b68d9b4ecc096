/**
 * `GET /v1/items/search`: full-text search over title and summary, ranked by bm25.
 *
 * @module
 */
import { createApi, problemResponses, secureRoute } from "@edge-async/http";
import { pageResponse } from "@edge-async/pagination";
import { etag } from "hono/etag";
import { feedDb } from "../db/feed-store.ts";
import { searchPage } from "../db/search.ts";
import type { App } from "../env.ts";
import { toFeedItem } from "../item-json.ts";
import { readLimit } from "../limits.ts";
import { matchExpression, searchCursors, searchQuery, searchResultPage } from "../search.ts";
import {
  cachedHeaders,
  conditional,
  READ_ACCESS,
  READS_NOT_CONFIGURED,
  readProblems,
  textHeader,
} from "./read-parts.ts";

const searchItems = secureRoute({
  access: READ_ACCESS,
  method: "get",
  path: "/search",
  tags: ["items"],
  summary: "Items whose title or summary hold all the words of q, best match first",
  description:
    "Ranked by SQLite FTS5's bm25 (best first), ties by id. `q` is plain words, never query syntax. Pages like the listing: pass `nextCursor` as `cursor` with the same q and topic. A walk leaves out items stored after its first page; bm25 reads the whole index's statistics, which later writes shift, and each page continues after the last item's current score.",
  // Weak, like the listing's: the JSON is what is compared, not its (compressed) bytes.
  middleware: [readLimit, etag({ weak: true })] as const,
  request: { query: searchQuery, headers: conditional },
  responses: {
    200: {
      description: "One page of matches",
      headers: {
        ...cachedHeaders("Weak"),
        Link: { description: 'The next page, `rel="next"`', ...textHeader },
      },
      content: { "application/json": { schema: searchResultPage } },
    },
    304: {
      description: "Unchanged since the ETag in If-None-Match; no body",
      headers: cachedHeaders("Weak"),
    },
    ...problemResponses({
      400: "q, topic or limit is invalid, or the cursor is tampered, foreign or for another q or topic",
      ...readProblems,
      503: `CURSOR_SECRET is not set outside development, or: ${READS_NOT_CONFIGURED}`,
    }),
  },
});

/** `/v1/items/search`, mounted under `/v1/items`. */
export const searchRoutes = createApi<App>().openapi(searchItems, async (c) => {
  const query = c.req.valid("query");
  const cursors = searchCursors(c.var.config);
  const after = query.cursor === undefined ? undefined : await cursors.decode(query.cursor, query);
  const match = matchExpression(query.q);
  const page = await searchPage(feedDb(c.env.DB), match, query.topic, after, query.limit);
  const nextCursor = page.next === null ? null : await cursors.encode(page.next, query);
  c.header("cache-control", "private, no-cache");
  return pageResponse(c, { items: page.rows.map(toFeedItem), nextCursor });
});
