/**
 * Search's wire shapes: the query and the page of `GET /v1/items/search`, apart from the worker's
 * code so the typed client (and workers that import it) type-check them alone.
 *
 * @module
 */
import { text } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";
import { exportQuery, feedItem } from "./contract.ts";

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
