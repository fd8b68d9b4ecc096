import { abortReason, linkedController } from "./internal/abort.ts";
import { abortable } from "./internal/abortable.ts";

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
  if (!(maxPages >= 0)) throw new RangeError(`maxPages must be >= 0, got ${maxPages}`);
  return pages(fetchPage, options.signal, maxPages, options.startCursor);
}

async function* pages<T, C>(
  fetchPage: (cursor: C | undefined, signal: AbortSignal) => Promise<Page<T, C>>,
  signal: AbortSignal | undefined,
  maxPages: number,
  startCursor: C | undefined,
): AsyncIterableIterator<T> {
  const { controller, dispose } = linkedController(signal);
  try {
    let cursor: C | undefined = startCursor;
    for (let fetched = 0; fetched < maxPages; fetched++) {
      if (controller.signal.aborted) throw abortReason(controller.signal);
      const page = await abortable(
        Promise.resolve().then(() => fetchPage(cursor, controller.signal)),
        controller.signal,
      );
      for (const item of page.items) {
        if (controller.signal.aborted) throw abortReason(controller.signal);
        yield item;
      }
      if (page.nextCursor === undefined || page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  } finally {
    dispose();
  }
}
