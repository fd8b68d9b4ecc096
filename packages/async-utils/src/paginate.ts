import { AbortError } from "./errors.ts";
import { abortReason, linkedController, noop } from "./internal/abort.ts";
import { abortable } from "./internal/abortable.ts";
import { checkBound } from "./internal/concurrency.ts";
import { doneResult, endRequests, type Request } from "./internal/iterate.ts";
import { RingBuffer } from "./internal/ring-buffer.ts";

/**
 * One page of a cursor-paginated listing. A missing or `null` `nextCursor` means the last page.
 *
 * @example
 * ```ts
 * import type { Page } from "@edge-async/async-utils";
 * const last: Page<string, string> = { items: ["a", "b"], nextCursor: null };
 * ```
 */
export interface Page<T, C> {
  items: readonly T[];
  nextCursor?: C | null;
}

/**
 * Options for {@link paginate}.
 *
 * @example
 * ```ts
 * import { paginate, type PaginateOptions } from "@edge-async/async-utils";
 * const firstTen: PaginateOptions<string> = { maxPages: 10, signal: AbortSignal.timeout(5_000) };
 * const items = paginate(async () => ({ items: [1, 2, 3] }), firstTen);
 * ```
 */
export interface PaginateOptions<C> {
  /** Stops the iteration (and aborts the page being fetched) when it aborts. */
  signal?: AbortSignal;
  /** Fetch at most this many pages (default: no limit). */
  maxPages?: number;
  /** Cursor for the first page (default: `undefined`, the start). */
  startCursor?: C;
}

/**
 * Walks a cursor-paginated API item by item. Lazy: the next page is fetched only when the consumer
 * asks for an item beyond the current page, so `break` (or {@link take}) stops fetching.
 * `fetchPage` receives a signal that aborts when `options.signal` does; the iteration then
 * rejects with the signal's reason at once, even if `fetchPage` ignores its signal.
 *
 * Closing (`return()`, `throw()`, a `break`) takes effect at once, even mid-fetch: the page in
 * flight has its signal aborted, a `next()` still waiting resolves `{ done: true }`, and the page
 * (or the rest of the current one) is dropped. A `fetchPage` that reads from an `AsyncQueue` with
 * `get({ signal })` therefore leaves its item to the queue's next reader.
 *
 * The async-generator answer to Python's `async for item in paginated(...)`.
 *
 * @example
 * ```ts
 * import { paginate } from "@edge-async/async-utils";
 * const users = paginate(async (cursor, signal) => {
 *   const url = `https://api.example.com/users?cursor=${cursor ?? ""}`;
 *   const body = await (await fetch(url, { signal })).json();
 *   return { items: body.users, nextCursor: body.next };
 * }, { maxPages: 10 });
 * for await (const user of users) console.log(user);
 * ```
 */
export function paginate<T, C = string>(
  fetchPage: (cursor: C | undefined, signal: AbortSignal) => Promise<Page<T, C>>,
  options: PaginateOptions<C> = {},
): AsyncIterableIterator<T> {
  const { maxPages = Number.POSITIVE_INFINITY } = options;
  checkBound(maxPages, "maxPages", "non-negative integer");
  return new PageIterator(fetchPage, options.signal, maxPages, options.startCursor);
}

// Not an async generator: a generator's return() waits behind its pending step, so a consumer
// leaving mid-fetch would wait for (and could never abort) the page in flight.
class PageIterator<T, C> implements AsyncIterableIterator<T, undefined> {
  readonly #fetchPage: (cursor: C | undefined, signal: AbortSignal) => Promise<Page<T, C>>;
  readonly #parent: AbortSignal | undefined;
  readonly #maxPages: number;
  #cursor: C | undefined;
  /** Created by the first next(), as an async generator would. */
  #controller: AbortController | undefined;
  #dispose = noop;
  #items: readonly T[] = [];
  #index = 0;
  #fetched = 0;
  #lastPage = false;
  #fetching = false;
  #done = false;
  #requests = new RingBuffer<Request<T>>();

  constructor(
    fetchPage: (cursor: C | undefined, signal: AbortSignal) => Promise<Page<T, C>>,
    parent: AbortSignal | undefined,
    maxPages: number,
    startCursor: C | undefined,
  ) {
    this.#fetchPage = fetchPage;
    this.#parent = parent;
    this.#maxPages = maxPages;
    this.#cursor = startCursor;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return Promise.resolve(doneResult());
    if (this.#controller === undefined) {
      const { controller, dispose } = linkedController(this.#parent);
      this.#controller = controller;
      this.#dispose = dispose;
    }
    return new Promise((resolve, reject) => {
      this.#requests.push({ resolve, reject });
      this.#serve();
    });
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#close();
    return Promise.resolve(doneResult());
  }

  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.#close();
    return Promise.reject(error);
  }

  #serve(): void {
    const signal = (this.#controller as AbortController).signal;
    while (this.#requests.size > 0) {
      if (signal.aborted) {
        this.#fail(abortReason(signal));
        return;
      }
      if (this.#index < this.#items.length) {
        const value = this.#items[this.#index++] as T;
        (this.#requests.shift() as Request<T>).resolve({ done: false, value });
        continue;
      }
      if (this.#fetching) return;
      if (this.#lastPage || this.#fetched >= this.#maxPages) {
        this.#finish();
        endRequests(this.#requests);
        return;
      }
      this.#fetch(signal);
      return;
    }
  }

  #fetch(signal: AbortSignal): void {
    this.#fetching = true;
    this.#fetched++;
    const cursor = this.#cursor;
    abortable(
      Promise.resolve().then(() => this.#fetchPage(cursor, signal)),
      signal,
    ).then(this.#onPage, this.#onFetchFailed);
  }

  #onPage = (page: Page<T, C>): void => {
    this.#fetching = false;
    if (this.#done) return;
    this.#items = page.items;
    this.#index = 0;
    if (page.nextCursor === undefined || page.nextCursor === null) this.#lastPage = true;
    else this.#cursor = page.nextCursor;
    this.#serve();
  };

  #onFetchFailed = (error: unknown): void => {
    this.#fetching = false;
    if (!this.#done) this.#fail(error);
  };

  #fail(error: unknown): void {
    this.#finish();
    this.#requests.shift()?.reject(error);
    endRequests(this.#requests);
  }

  #finish(): void {
    this.#done = true;
    this.#items = [];
    this.#dispose();
  }

  #close(): void {
    if (this.#done) return;
    // Only a page in flight has a use for the signal: a finished fetch's signal is left alone.
    if (this.#fetching) {
      this.#controller?.abort(new AbortError("The iteration was closed early"));
    }
    this.#finish();
    endRequests(this.#requests);
  }
}
