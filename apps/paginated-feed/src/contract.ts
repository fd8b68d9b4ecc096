/**
 * The wire shapes of the feed API, shared by the worker and the typed client. Types only: the
 * client imports this without pulling in zod or drizzle.
 *
 * @module
 */

/**
 * One feed item as every endpoint answers it. Times are ISO-8601 UTC strings.
 *
 * @example
 * ```ts
 * const item: FeedItem = await (await fetch("http://127.0.0.1:8788/v1/items/1")).json();
 * ```
 */
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

/**
 * The body of `POST /v1/items`: 1 to 100 items.
 *
 * @example
 * ```ts
 * const body: IngestBody = {
 *   items: [{ externalKey: "hn:1", topic: "rust", title: "T", url: "https://x.dev", publishedAt: "2026-11-20T08:30:00Z" }],
 * };
 * await env.FEED.fetch("https://feed/v1/items", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
 * ```
 */
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

/**
 * The answer of `POST /v1/items`.
 *
 * @example
 * ```ts
 * const { items }: IngestResponse = await response.json();
 * const created = items.filter((item) => item.created).length;
 * ```
 */
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

/**
 * One page of `GET /v1/items`.
 *
 * @example
 * ```ts
 * const page: FeedPage = await (await fetch(`${base}/v1/items?limit=50`)).json();
 * if (page.hasMore) console.log("next:", page.nextCursor);
 * ```
 */
export interface FeedPage {
  items: FeedItem[];
  nextCursor: string | null;
  hasMore: boolean;
}
