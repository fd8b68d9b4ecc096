/**
 * The wire shapes of the feed API, shared by the worker and the typed client. Types only: the
 * client imports this without pulling in zod or drizzle.
 *
 * @module
 */

/** One feed item as every endpoint answers it. Times are ISO-8601 UTC strings. */
export interface FeedItem {
  id: number;
  externalKey: string;
  topic: string;
  title: string;
  url: string;
  author: string | null;
  summary: string | null;
  publishedAt: string;
  createdAt: string;
  updatedAt: string;
}

/** One item of a `POST /v1/items` body. */
export interface IngestItem {
  externalKey: string;
  topic: string;
  title: string;
  url: string;
  author?: string | null;
  summary?: string | null;
  /** ISO-8601 date-time with an offset, e.g. `2026-11-20T08:30:00Z`. */
  publishedAt: string;
}

/** The body of `POST /v1/items`: 1 to 100 items. */
export interface IngestBody {
  items: IngestItem[];
}

/** One entry of the `POST /v1/items` answer, in the order of the request's items. */
export interface IngestResult {
  id: number;
  externalKey: string;
  /** true when this request stored the key for the first time. */
  created: boolean;
  /** The stored publishedAt: the first ingest's value, which fixes the item's feed position. */
  publishedAt: string;
}

/** The answer of `POST /v1/items`. */
export interface IngestResponse {
  items: IngestResult[];
}

/** Filters shared by the listing, the export and the client. */
export interface FeedFilters {
  /** Only items of this topic. */
  topic?: string;
  /** Only items published at or after this instant (ISO-8601). */
  since?: string;
  /** Only items published strictly before this instant (ISO-8601). */
  until?: string;
}

/** One page of `GET /v1/items`. */
export interface FeedPage {
  items: FeedItem[];
  nextCursor: string | null;
  hasMore: boolean;
}
