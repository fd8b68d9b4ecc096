/**
 * Search's wire shapes and cursors: the query of `GET /v1/items/search`, how `q` becomes an FTS5
 * MATCH expression, and the signed cursor of a search walk.
 *
 * @module
 */
import { text } from "@edge-async/http";
import { createCursorCodec, pageParams } from "@edge-async/pagination";
import * as z from "zod";
import type { Config } from "./config.ts";
import { exportQuery, feedItem } from "./contract.ts";
import { feedCursors } from "./cursor.ts";
import type { SearchPosition } from "./db/search.ts";

/** Longest `q` accepted, in UTF-16 code units; more words only make the query slower. */
export const MAX_QUERY_LENGTH = 256;

/** Query of `GET /v1/items/search`; unknown keys are refused as on the listing. */
export const searchQuery = z.strictObject({
  q: text("q")
    .regex(/\S/, "q must not be empty or only whitespace")
    .max(MAX_QUERY_LENGTH, `q must be at most ${MAX_QUERY_LENGTH} characters`)
    // A control character can end the text early on its way into SQLite's query parser.
    .regex(/^[^\p{Cc}]*$/u, "q must not contain control characters")
    .meta({
      description:
        "Words to find in title or summary, all of them (AND), case and accents ignored. Plain text: quotes, operators (AND, OR, NOT, NEAR) and `column:` are searched as words, never read as query syntax.",
      example: "keyset pagination",
    }),
  topic: exportQuery.shape.topic,
  ...pageParams({ defaultLimit: 20, maxLimit: 100 }),
});

/** One page of `GET /v1/items/search`: a forward walk only (no prevCursor, no total). */
export const searchResultPage = z
  .strictObject({
    items: z.array(feedItem),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor`, with the same q and topic; null on the last page" }),
    hasMore: z.boolean(),
  })
  .meta({ id: "SearchPage" });

/** One page of search results. */
export type SearchResultPage = z.output<typeof searchResultPage>;
/** The search query as a caller sends it (the client sends numbers as text). */
export type SearchInput = Omit<z.input<typeof searchQuery>, "limit"> & { limit?: number };

/** The search query as parsed. */
export type SearchQuery = z.output<typeof searchQuery>;

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
