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

export type { CallOptions, ClientOptions, Problem } from "@edge-async/client";
export { ApiError };

import type {
  ChangesPage,
  ChangesQuery,
  ExportCheckpoint,
  FeedFilters,
  FeedItem,
  FeedListPage,
  IngestItem,
  IngestResult,
  JsonFeed,
  PageDirection,
  PageQuery,
  ResumableExportQuery,
  SearchPage,
  SearchQuery,
  SyndicationQuery,
} from "./client-types.ts";
import type * as wire from "./contract.ts";

export type * from "./client-types.ts";

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
