/**
 * Search's wire shapes and cursors: the query of `GET /v1/items/search`, how `q` becomes an FTS5
 * MATCH expression, and the signed cursor of a search walk.
 *
 * @module
 */
import { createCursorCodec } from "@edge-async/pagination";
import * as z from "zod";
import type { Config } from "./config.ts";
import { feedCursors } from "./cursor.ts";
import type { SearchPosition } from "./db/search.ts";

import type { SearchQuery } from "./search-contract.ts";

export * from "./search-contract.ts";

/**
 * `q` as an FTS5 MATCH expression: each whitespace-separated word becomes a quoted FTS5 string
 * (inner `"` doubled), and the strings are joined with spaces, which FTS5 reads as AND. A quoted
 * string is never query syntax, so no `q` can make the MATCH fail to parse; the tokenizer then
 * splits a word at punctuation into a phrase ("e-mail" finds "e mail").
 */
export function matchExpression(q: string): string {
  return q
    .split(/\s+/u)
    .filter((word) => word !== "")
    .map((word) => `"${word.replaceAll('"', '""')}"`)
    .join(" ");
}

// [bm25 score of the last item, its id, snapshotMaxId]: a tuple keeps the token short.
const positionSchema = z.tuple([
  z.number(),
  z.number().int().positive(),
  z.number().int().nonnegative(),
]);

/** Signs search walk positions into cursors bound to `q` and `topic`, and reads them back. */
export interface SearchCursors {
  encode(position: SearchPosition, query: SearchQuery): Promise<string>;
  decode(token: string, query: SearchQuery): Promise<SearchPosition>;
}

/**
 * The cursor codec for search walks, keyed by CURSOR_SECRET like the listing's (503 without
 * one outside development). Its own purpose keeps listing and search cursors apart.
 */
export function searchCursors(config: Config): SearchCursors {
  // feedCursors refuses a missing secret with the shared 503 not-configured problem.
  feedCursors(config);
  const codec = createCursorCodec({
    secret: config.cursorSecret!,
    purpose: "paginated-feed.search.v1",
    schema: positionSchema,
  });
  const bound = (query: SearchQuery) => ({ q: query.q, topic: query.topic });
  return {
    encode: (position, query) =>
      codec.encode([position.score, position.id, position.snapshotMaxId], bound(query)),
    async decode(token, query) {
      const [score, id, snapshotMaxId] = await codec.decode(token, bound(query));
      return { score, id, snapshotMaxId };
    },
  };
}
