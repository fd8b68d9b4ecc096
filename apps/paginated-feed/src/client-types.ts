/**
 * The typed client's wire shapes: plain TypeScript types (no zod), so the packed client's .d.ts
 * carries them as they are; a compile-time check keeps each equal to the route declarations.
 *
 * @module
 */
import type * as changesWire from "./changes-contract.ts";
import type * as wire from "./contract.ts";
import type * as searchWire from "./search-contract.ts";
import type * as feedWire from "./syndication/json-feed-contract.ts";

/**
 * One feed item as every endpoint answers it. Times are ISO-8601 UTC strings.
 *
 * @example
 * ```ts
 * const item: FeedItem = await feed.item(10001);
 * console.log(item.publishedAt, item.title);
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

/**
 * One page of `GET /v1/items`.
 *
 * @example
 * ```ts
 * const page: FeedPage = await feed.page({ limit: 50 });
 * if (page.hasMore) console.log("next:", page.nextCursor);
 * ```
 */
export interface FeedPage {
  items: FeedItem[];
  /** Pass as `cursor`, with the same filters, for the next page; `null` on the last page. */
  nextCursor: string | null;
  hasMore: boolean;
}

/**
 * One page of `GET /v1/items`, which also links back to the page before and counts on request.
 *
 * @example
 * ```ts
 * const page: FeedListPage = await feed.page({ limit: 50, count: "estimate" });
 * console.log(page.total, page.prevCursor === null ? "first page" : "further on");
 * ```
 */
export interface FeedListPage extends FeedPage {
  /** Pass as `cursor`, with the same filters, for the page before; `null` on the first page. */
  prevCursor: string | null;
  /** Only with `count: "estimate"`: the walk's total, exact or (`exact: false`) at least `count`. */
  total?: { count: number; exact: boolean } | undefined;
}

/**
 * One item of a `POST /v1/items` body. Text is stored exactly as sent; `""` for author or summary
 * means null.
 *
 * @example
 * ```ts
 * const item: IngestItem = { externalKey: "hn:1", topic: "rust", title: "T", url: "https://x.dev", publishedAt: "2026-11-20T08:30:00Z" };
 * ```
 */
export interface IngestItem {
  /** The idempotency key, 1..256 characters. */
  externalKey: string;
  topic: string;
  title: string;
  /** Absolute http(s) URL. */
  url: string;
  author?: string | null | undefined;
  summary?: string | null | undefined;
  /**
   * RFC 3339 date-time with a zone, e.g. `2026-11-20T08:30:00Z`, years 0000-9999 in UTC; kept to
   * the millisecond (digits past the third dropped) and read back in UTC.
   */
  publishedAt: string;
}

/**
 * One entry of the `POST /v1/items` answer, in the order of the request's items.
 *
 * @example
 * ```ts
 * const results: IngestResult[] = await feed.ingest(items);
 * const created = results.filter((result) => result.created).length;
 * ```
 */
export interface IngestResult {
  id: number;
  externalKey: string;
  /** true when this request stored the key for the first time. */
  created: boolean;
  /** The stored publishedAt: the first ingest's value, which fixes the item's feed position. */
  publishedAt: string;
}

/**
 * Filters shared by the listing and the export.
 *
 * @example
 * ```ts
 * const filters: FeedFilters = { topic: "rust", since: "2026-11-01T00:00:00Z" };
 * ```
 */
export interface FeedFilters {
  /** Only items of this topic (exact match). */
  topic?: string | undefined;
  /** Only items published at or after this instant (RFC 3339 with a zone, to the millisecond). */
  since?: string | undefined;
  /** Only items published strictly before this instant (RFC 3339 with a zone, to the millisecond). */
  until?: string | undefined;
}

/**
 * The query of one page: filters, page size (1..100, default 20) and the previous page's cursor.
 *
 * @example
 * ```ts
 * const query: PageQuery = { topic: "rust", limit: 50, cursor: previous.nextCursor ?? undefined };
 * ```
 */
export interface PageQuery extends FeedFilters {
  limit?: number | undefined;
  cursor?: string | undefined;
  /** `"estimate"` adds `total` to the page (exact up to 10,000, else a lower bound). */
  count?: "estimate" | undefined;
}

/**
 * Which cursor {@link FeedClient.pages} follows: `next` (older items, the default) or `prev`
 * (newer items, back to the first page).
 *
 * @example
 * ```ts
 * for await (const page of feed.pages({ cursor: last.prevCursor! }, { direction: "prev" })) {}
 * ```
 */
export type PageDirection = "next" | "prev";

/**
 * One entry of the changes feed: an item created or updated since the token (its current state),
 * or a tombstone for one deleted since.
 *
 * @example
 * ```ts
 * for (const change of page.changes) {
 *   if (change.deleted) mirror.delete(change.id);
 *   else mirror.set(change.id, change.item);
 * }
 * ```
 */
export type Change =
  | { id: number; deleted: false; item: FeedItem }
  | { id: number; deleted: true; deletedAt: string };

/**
 * One page of `GET /v1/items/changes`.
 *
 * @example
 * ```ts
 * const page: ChangesPage = await feed.changes({ since: savedToken });
 * savedToken = page.nextToken;
 * ```
 */
export interface ChangesPage {
  changes: Change[];
  /** Send as `since` for the changes after this page; present even when there were none. */
  nextToken: string;
  /** More changes are waiting: call again at once. */
  hasMore: boolean;
}

/** The changes feed's query: `since` a previous `nextToken` (absent: from the start), `limit` 1..1000. */
export interface ChangesQuery {
  since?: string | undefined;
  limit?: number | undefined;
}

/**
 * A checkpoint line of the export (`checkpointEvery`): resume after it with `resume: checkpoint`.
 *
 * @example
 * ```ts
 * if ("checkpoint" in line) saved = line.checkpoint;
 * ```
 */
export interface ExportCheckpoint {
  checkpoint: string;
  /** Items written before this line. */
  count: number;
}

/** The export's filters, a checkpoint interval, and a checkpoint to resume after. */
export interface ResumableExportQuery extends FeedFilters {
  checkpointEvery?: number | undefined;
  resume?: string | undefined;
}

/**
 * The query of {@link FeedClient.search}: the words to find (all of them, in title or summary;
 * plain text, never query syntax), a topic, page size (1..100, default 20) and the cursor.
 *
 * @example
 * ```ts
 * const query: SearchQuery = { q: "keyset pagination", topic: "rust", limit: 10 };
 * ```
 */
export interface SearchQuery {
  /** 1..256 characters, not only whitespace, no control characters. */
  q: string;
  topic?: string | undefined;
  limit?: number | undefined;
  /** The previous page's `nextCursor`, with the same `q` and `topic`. */
  cursor?: string | undefined;
}

/**
 * One page of search results, best match (bm25) first.
 *
 * @example
 * ```ts
 * const page: SearchPage = await feed.search({ q: "tokio" });
 * const next = page.nextCursor && (await feed.search({ q: "tokio", cursor: page.nextCursor }));
 * ```
 */
export interface SearchPage {
  items: FeedItem[];
  /** Pass as `cursor`, with the same q and topic, for the next page; `null` on the last page. */
  nextCursor: string | null;
  hasMore: boolean;
}

/**
 * The query of {@link FeedClient.jsonFeed} and {@link FeedClient.atomFeed}: a topic, page size
 * (1..100, default 50) and the cursor from the previous page's next link.
 *
 * @example
 * ```ts
 * const query: SyndicationQuery = { topic: "rust", limit: 20 };
 * ```
 */
export interface SyndicationQuery {
  topic?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/**
 * A JSON Feed 1.1 document as `GET /v1/feed.json` writes it.
 *
 * @example
 * ```ts
 * const feed: JsonFeed = await client.jsonFeed({ topic: "rust" });
 * console.log(feed.items[0]?.title, feed.next_url ?? "last page");
 * ```
 */
export interface JsonFeed {
  version: "https://jsonfeed.org/version/1.1";
  title: string;
  home_page_url: string;
  feed_url: string;
  /** The next (older) page; absent on the last page. */
  next_url?: string | undefined;
  items: {
    /** The item's URL in this API. */
    id: string;
    url: string;
    title: string;
    /** The summary, or the title when there is none. */
    content_text: string;
    summary?: string | undefined;
    date_published: string;
    date_modified: string;
    authors?: { name: string }[] | undefined;
    /** The item's topic. */
    tags: string[];
  }[];
}

// These plain types are what the packed .d.ts carries (no zod); each must stay equal to the
// route declarations' shape in src/contract.ts, or typecheck fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
// biome-ignore lint/correctness/noUnusedVariables: read by tsc only, as the check above says.
type ContractCheck = [
  Holds<Same<FeedItem, wire.FeedItem>>,
  Holds<Same<FeedPage, wire.FeedPage>>,
  Holds<Same<FeedListPage, wire.FeedListPage>>,
  Holds<Same<IngestItem, wire.IngestItem>>,
  Holds<Same<IngestResult, wire.IngestResult>>,
  Holds<Same<FeedFilters, wire.FeedFilters>>,
  Holds<Same<PageQuery, wire.PageQuery>>,
  Holds<Same<SearchQuery, searchWire.SearchInput>>,
  Holds<Same<SearchPage, searchWire.SearchResultPage>>,
  Holds<Same<JsonFeed, feedWire.JsonFeed>>,
  Holds<Same<ChangesPage, changesWire.ChangesPage>>,
  Holds<Same<ChangesQuery, changesWire.ChangesQuery>>,
];
