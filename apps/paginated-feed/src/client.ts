/**
 * A typed client for the paginated-feed API, over the network or a service binding. `items()` is
 * an async iterable over the whole (filtered) feed that follows cursors lazily: a page is
 * requested only when the loop reaches it, so `break` stops the requests. Every call takes an
 * `AbortSignal`, answers of 429 and 503 are retried after their `Retry-After`, and any other
 * answer outside 2xx rejects with {@link ApiError}.
 *
 * @module
 */
import { paginate } from "@edge-async/async-utils";
import {
  ApiError,
  type CallOptions,
  type ClientOptions,
  createCaller,
  ndjsonLines,
} from "@edge-async/client";
import type * as changesWire from "./changes-contract.ts";
import type * as wire from "./contract.ts";
import type * as searchWire from "./search-contract.ts";
import type * as feedWire from "./syndication/json-feed-contract.ts";

export type { CallOptions, ClientOptions, Problem } from "@edge-async/client";
export { ApiError };

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
  /** ISO-8601 date-time with an offset, e.g. `2026-11-20T08:30:00Z`. */
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
  /** Only items published at or after this instant (ISO-8601 with an offset). */
  since?: string | undefined;
  /** Only items published strictly before this instant (ISO-8601 with an offset). */
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

/** The client {@link createFeedClient} returns. */
export interface FeedClient {
  /** One page; pass the previous page's `nextCursor` (and the same filters) for the next one. */
  page(query?: PageQuery, options?: CallOptions): Promise<FeedListPage>;
  /**
   * Every page from `query` (its `cursor`, or the first page) on, following `nextCursor` (or
   * `prevCursor` with `direction: "prev"`) lazily until the walk ends; pages come in walk order.
   */
  pages(
    query?: PageQuery,
    options?: CallOptions & { direction?: PageDirection },
  ): AsyncIterableIterator<FeedListPage>;
  /** Every item matching `filters`, newest first, fetching `pageSize` items per request lazily. */
  items(
    filters?: FeedFilters,
    options?: CallOptions & { pageSize?: number },
  ): AsyncIterableIterator<FeedItem>;
  /** One page of items whose title or summary hold every word of `query.q`, best first. */
  search(query: SearchQuery, options?: CallOptions): Promise<SearchPage>;
  /** One page of the feed as JSON Feed 1.1, newest first; follow `next_url` for older items. */
  jsonFeed(query?: SyndicationQuery, options?: CallOptions): Promise<JsonFeed>;
  /** One page of the feed as an Atom document (the XML text), newest first. */
  atomFeed(query?: SyndicationQuery, options?: CallOptions): Promise<string>;
  /** One item by id; 404 rejects with {@link ApiError}. */
  item(id: number, options?: CallOptions): Promise<FeedItem>;
  /** Stores up to 100 items, idempotent on externalKey; answers one result per item, in order. */
  ingest(items: IngestItem[], options?: CallOptions): Promise<IngestResult[]>;
  /** The NDJSON export, parsed line by line as it streams; leaving the loop stops the worker. */
  exportItems(filters?: FeedFilters, options?: CallOptions): AsyncIterableIterator<FeedItem>;
  /**
   * The export with checkpoint lines every `checkpointEvery` items; after a cut, call again with
   * `resume` set to the last checkpoint seen (and the same filters) to get the rest.
   */
  exportLines(
    query?: ResumableExportQuery,
    options?: CallOptions,
  ): AsyncIterableIterator<FeedItem | ExportCheckpoint>;
  /** One page of changes after `since` (from the start without it). */
  changes(query?: ChangesQuery, options?: CallOptions): Promise<ChangesPage>;
  /** Deletes one of the caller's items; 403 (not yours) and 404 reject with {@link ApiError}. */
  deleteItem(id: number, options?: CallOptions): Promise<void>;
}

/**
 * Creates a client for the feed API.
 *
 * @param options where the worker answers (`baseUrl`), and optionally the `fetch` to use (a
 *   service binding's), headers for every call, and how many times to retry 429/503 answers
 * @example
 * ```ts
 * import { createFeedClient } from "@edge-async/paginated-feed/client";
 * const feed = createFeedClient({ baseUrl: "http://127.0.0.1:8788" });
 * for await (const item of feed.items({ topic: "rust" }, { pageSize: 100 })) {
 *   console.log(item.publishedAt, item.title);
 * }
 * ```
 */
export function createFeedClient(options: ClientOptions): FeedClient {
  const caller = createCaller(options);
  const client: FeedClient = {
    page: (query = {}, call = {}) =>
      caller.json<FeedListPage>({ ...call, path: "v1/items", query: { ...query } }),

    items(filters = {}, { pageSize = 100, ...call } = {}) {
      return paginate<FeedItem>(
        async (cursor, signal) => {
          const page = await client.page(
            { ...filters, limit: pageSize, cursor },
            { ...call, signal },
          );
          return { items: page.items, nextCursor: page.nextCursor };
        },
        call.signal === undefined ? {} : { signal: call.signal },
      );
    },

    async *pages(query = {}, { direction = "next", ...call } = {}) {
      let cursor = query.cursor;
      for (;;) {
        const page = await client.page({ ...query, cursor }, call);
        yield page;
        const following = direction === "prev" ? page.prevCursor : page.nextCursor;
        if (following === null) return;
        cursor = following;
      }
    },

    search: (query, call = {}) =>
      caller.json<SearchPage>({ ...call, path: "v1/items/search", query: { ...query } }),

    jsonFeed: (query = {}, call = {}) =>
      caller.json<JsonFeed>({ ...call, path: "v1/feed.json", query: { ...query } }),

    async atomFeed(query = {}, call = {}) {
      return (await caller.send({ ...call, path: "v1/feed.atom", query: { ...query } })).text();
    },

    item: (id, call = {}) =>
      caller.json<FeedItem>({ ...call, path: `v1/items/${encodeURIComponent(id)}` }),

    async ingest(items, call = {}) {
      const body: wire.IngestBody = { items };
      const answer = await caller.json<wire.IngestResponse>({
        ...call,
        method: "POST",
        path: "v1/items",
        body,
      });
      return answer.items;
    },

    async *exportItems(filters = {}, call = {}) {
      const response = await caller.send({
        ...call,
        path: "v1/items/export",
        query: { ...filters },
      });
      if (response.body === null) return;
      for await (const item of ndjsonLines<FeedItem>(response.body, call.signal)) {
        // ndjsonLines checks the signal between reads only; lines already read would still come.
        call.signal?.throwIfAborted();
        yield item;
      }
    },

    async *exportLines(query = {}, call = {}) {
      const response = await caller.send({ ...call, path: "v1/items/export", query: { ...query } });
      if (response.body === null) return;
      for await (const line of ndjsonLines<FeedItem | ExportCheckpoint>(
        response.body,
        call.signal,
      )) {
        call.signal?.throwIfAborted();
        yield line;
      }
    },

    changes: (query = {}, call = {}) =>
      caller.json<ChangesPage>({ ...call, path: "v1/items/changes", query: { ...query } }),

    async deleteItem(id, call = {}) {
      const path = `v1/items/${encodeURIComponent(id)}`;
      await (await caller.send({ ...call, method: "DELETE", path })).body?.cancel();
    },
  };
  return client;
}

/**
 * The former name of {@link ApiError}, kept so existing `instanceof FeedApiError` checks hold.
 *
 * @deprecated Use {@link ApiError}.
 * @example
 * ```ts
 * const missing = await feed.item(42).catch((error: unknown) => error);
 * if (missing instanceof FeedApiError && missing.status === 404) console.log("gone");
 * ```
 */
export const FeedApiError = ApiError;
/** The former name of {@link ApiError}. @deprecated Use {@link ApiError}. */
export type FeedApiError = ApiError;
/** The former name of {@link ClientOptions}. @deprecated Use {@link ClientOptions}. */
export type FeedClientOptions = ClientOptions;
