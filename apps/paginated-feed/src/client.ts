/**
 * A typed client for the paginated-feed API. `items()` is an async iterable over the whole
 * (filtered) feed that follows cursors lazily: a page is requested only when the loop reaches it,
 * so `break` stops the requests.
 *
 * @module
 */
import { paginate } from "@edge-async/async-utils";
import type {
  FeedFilters,
  FeedItem,
  FeedPage,
  IngestItem,
  IngestResponse,
  IngestResult,
} from "./contract.ts";

export type {
  FeedFilters,
  FeedItem,
  FeedPage,
  IngestItem,
  IngestResponse,
  IngestResult,
} from "./contract.ts";

/** Options for {@link createFeedClient}. */
export interface FeedClientOptions {
  /** Where the worker answers, e.g. `http://127.0.0.1:8788`. */
  baseUrl: string;
  /** The fetch to use: a service binding's `fetch`, a test's `exports.default.fetch`, ... */
  fetch?: (request: Request) => Promise<Response>;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * An RFC 9457 problem the API answered with.
 *
 * @example
 * ```ts
 * try {
 *   await feed.item(42);
 * } catch (error) {
 *   if (error instanceof FeedApiError && error.status === 404) console.log("gone");
 * }
 * ```
 */
export class FeedApiError extends Error {
  override name = "FeedApiError";
  readonly status: number;
  /** The problem document (type, title, detail, errors, ...), or `undefined` if the body was not one. */
  readonly problem: Record<string, unknown> | undefined;

  constructor(status: number, problem: Record<string, unknown> | undefined) {
    const detail = typeof problem?.detail === "string" ? problem.detail : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.problem = problem;
  }
}

/** The client {@link createFeedClient} returns. */
export interface FeedClient {
  /** One page; pass the previous page's `nextCursor` (and the same filters) for the next one. */
  page(
    query?: FeedFilters & { limit?: number; cursor?: string },
    options?: CallOptions,
  ): Promise<FeedPage>;
  /** Every item matching `filters`, newest first, fetching `pageSize` items per request lazily. */
  items(
    filters?: FeedFilters,
    options?: CallOptions & { pageSize?: number },
  ): AsyncIterableIterator<FeedItem>;
  /** One item by id. */
  item(id: number, options?: CallOptions): Promise<FeedItem>;
  /** Stores up to 100 items, idempotent on externalKey. */
  ingest(items: IngestItem[], options?: CallOptions): Promise<IngestResult[]>;
  /** The NDJSON export, parsed line by line as it streams. */
  exportItems(filters?: FeedFilters, options?: CallOptions): AsyncIterableIterator<FeedItem>;
}

/**
 * Creates a client for the feed API.
 *
 * @example
 * ```ts
 * import { createFeedClient } from "@edge-async/paginated-feed/client";
 * const feed = createFeedClient({ baseUrl: "http://127.0.0.1:8788" });
 * for await (const item of feed.items({ topic: "rust" }, { pageSize: 100 })) {
 *   console.log(item.publishedAt, item.title);
 * }
 * ```
 */
export function createFeedClient(options: FeedClientOptions): FeedClient {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;

  async function call(path: string, init: RequestInit & { signal?: AbortSignal | undefined }) {
    const response = await send(new Request(new URL(path, base), init));
    if (!response.ok) throw await apiError(response);
    return response;
  }

  function listUrl(path: string, query: Record<string, string | number | undefined>) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) search.set(key, String(value));
    }
    const text = search.toString();
    return text === "" ? path : `${path}?${text}`;
  }

  const client: FeedClient = {
    async page(query = {}, callOptions = {}) {
      const response = await call(listUrl("v1/items", { ...query }), {
        signal: callOptions.signal,
      });
      return (await response.json()) as FeedPage;
    },

    items(filters = {}, callOptions = {}) {
      const { pageSize = 100, signal } = callOptions;
      return paginate<FeedItem>(
        async (cursor, pageSignal) => {
          const page = await client.page(
            { ...filters, limit: pageSize, cursor },
            { signal: pageSignal },
          );
          return { items: page.items, nextCursor: page.nextCursor };
        },
        { signal },
      );
    },

    async item(id, callOptions = {}) {
      const response = await call(`v1/items/${encodeURIComponent(id)}`, {
        signal: callOptions.signal,
      });
      return (await response.json()) as FeedItem;
    },

    async ingest(items, callOptions = {}) {
      const response = await call("v1/items", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ items }),
        signal: callOptions.signal,
      });
      return ((await response.json()) as IngestResponse).items;
    },

    exportItems(filters = {}, callOptions = {}) {
      return ndjsonLines(() =>
        call(listUrl("v1/items/export", { ...filters }), { signal: callOptions.signal }),
      );
    },
  };
  return client;
}

async function* ndjsonLines(open: () => Promise<Response>): AsyncGenerator<FeedItem> {
  const response = await open();
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
      let newline = buffered.indexOf("\n");
      while (newline !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line !== "") yield JSON.parse(line) as FeedItem;
        newline = buffered.indexOf("\n");
      }
    }
    if (buffered.trim() !== "") yield JSON.parse(buffered) as FeedItem;
  } finally {
    // Leaving early (break, error) cancels the body, which tells the worker to stop.
    await reader.cancel().catch(() => {});
  }
}

async function apiError(response: Response): Promise<FeedApiError> {
  let problem: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = await response.json();
    if (typeof parsed === "object" && parsed !== null) problem = parsed as Record<string, unknown>;
  } catch {
    problem = undefined;
  }
  return new FeedApiError(response.status, problem);
}
