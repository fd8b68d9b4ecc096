import { describe, expect, it, vi } from "vitest";
import { AsyncQueue } from "../src/async-queue.ts";
import { chunk } from "../src/chunk.ts";
import { type Page, paginate } from "../src/paginate.ts";
import { take } from "../src/take.ts";
import { nextMacrotask, settlesSoon, watchUnhandledRejections } from "./helpers/iteration.ts";
import { deferred, flush } from "./helpers/signals.ts";

/** A fake API: `pages[i]` is served for cursor `c${i}` (and `undefined` for the first). */
function fakeApi<T>(pages: T[][]) {
  const requested: (string | undefined)[] = [];
  const fetchPage = vi.fn(
    async (cursor: string | undefined, _signal: AbortSignal): Promise<Page<T, string>> => {
      requested.push(cursor);
      const index = cursor === undefined ? 0 : Number(cursor.slice(1));
      const items = pages[index] ?? [];
      return { items, nextCursor: index + 1 < pages.length ? `c${index + 1}` : null };
    },
  );
  return { fetchPage, requested };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("paginate", () => {
  it("follows cursors until a page has none", async () => {
    const { fetchPage, requested } = fakeApi([[1, 2], [3], [4, 5]]);
    expect(await collect(paginate(fetchPage))).toEqual([1, 2, 3, 4, 5]);
    expect(requested).toEqual([undefined, "c1", "c2"]);
  });

  it("is lazy: fetches nothing until asked, and the next page only past the current one", async () => {
    const { fetchPage, requested } = fakeApi([[1, 2], [3, 4], [5]]);
    const items = paginate(fetchPage);
    expect(fetchPage).not.toHaveBeenCalled();
    expect(await items.next()).toEqual({ done: false, value: 1 });
    expect(await items.next()).toEqual({ done: false, value: 2 });
    expect(requested).toEqual([undefined]);
    expect(await items.next()).toEqual({ done: false, value: 3 });
    expect(requested).toEqual([undefined, "c1"]);
  });

  it("stops fetching when the consumer breaks", async () => {
    const { fetchPage } = fakeApi([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    for await (const item of paginate(fetchPage)) if (item === 2) break;
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });

  it("respects maxPages and startCursor", async () => {
    const { fetchPage, requested } = fakeApi([[1], [2], [3], [4]]);
    expect(await collect(paginate(fetchPage, { maxPages: 2, startCursor: "c1" }))).toEqual([2, 3]);
    expect(requested).toEqual(["c1", "c2"]);
    expect(await collect(paginate(fetchPage, { maxPages: 0 }))).toEqual([]);
    expect(() => paginate(fetchPage, { maxPages: -1 })).toThrow(RangeError);
  });

  it("keeps going through empty pages that still carry a cursor", async () => {
    const { fetchPage } = fakeApi([[], [], [7]]);
    expect(await collect(paginate(fetchPage))).toEqual([7]);
  });

  it("handles an empty listing and an undefined nextCursor", async () => {
    expect(await collect(paginate(async () => ({ items: [] })))).toEqual([]);
  });

  it("propagates a fetch error", async () => {
    const items = paginate<number>(async (cursor) => {
      if (cursor === undefined) return { items: [1], nextCursor: "next" };
      throw new Error("503");
    });
    expect(await items.next()).toEqual({ done: false, value: 1 });
    await expect(items.next()).rejects.toThrow("503");
  });

  it("aborting mid-fetch aborts fetchPage's signal and rejects at once", async () => {
    const controller = new AbortController();
    let pageSignal: AbortSignal | undefined;
    const items = paginate<number>(
      (_cursor, signal) => {
        pageSignal = signal;
        return new Promise<never>(() => {}); // ignores its signal
      },
      { signal: controller.signal },
    );
    const next = items.next();
    await vi.waitFor(() => expect(pageSignal).toBeDefined());
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(next).rejects.toBe(reason);
    expect(pageSignal?.aborted).toBe(true);
  });

  it("an abort between items ends the iteration with the reason", async () => {
    const controller = new AbortController();
    const { fetchPage } = fakeApi([[1, 2, 3]]);
    const items = paginate(fetchPage, { signal: controller.signal });
    await items.next();
    controller.abort(new Error("stop"));
    await expect(items.next()).rejects.toThrow("stop");
  });

  it("never calls fetchPage when the signal is already aborted", async () => {
    const { fetchPage } = fakeApi([[1]]);
    await expect(
      collect(paginate(fetchPage, { signal: AbortSignal.abort() })),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(fetchPage).not.toHaveBeenCalled();
  });
});

const DONE = { done: true, value: undefined };

/** A feed whose pages are items read from a queue, each read honouring the page's signal. */
function queueFeed() {
  const queue = new AsyncQueue<string>();
  const signals: AbortSignal[] = [];
  const items = (signal?: AbortSignal) =>
    paginate<string, string>(
      async (_cursor, pageSignal) => {
        signals.push(pageSignal);
        return { items: [await queue.get({ signal: pageSignal })], nextCursor: "more" };
      },
      { signal },
    );
  return { queue, signals, items };
}

describe("paginate closed mid-fetch", () => {
  type How = "return" | "throw" | "abort";
  it.each<How>(["return", "throw", "abort"])(
    "closed by %s: the page in flight is aborted and its queue item goes to the next reader",
    async (how) => {
      const { queue, signals, items } = queueFeed();
      const controller = new AbortController();
      const feed = items(controller.signal);
      const pending = feed.next();
      await flush();
      expect(queue.pendingGets).toBe(1);
      const reason = new Error(how);
      if (how === "return") {
        const returned = feed.return?.() as Promise<unknown>;
        expect(await settlesSoon(returned)).toBe(true);
        expect(await pending).toEqual(DONE);
      } else if (how === "throw") {
        await expect(feed.throw?.(reason)).rejects.toBe(reason);
        expect(await pending).toEqual(DONE);
      } else {
        controller.abort(reason);
        await expect(pending).rejects.toBe(reason);
      }
      expect(signals[0]?.aborted).toBe(true);
      expect(queue.pendingGets).toBe(0);
      queue.tryPut("late");
      expect(await queue.get()).toBe("late");
      expect(await feed.next()).toEqual(DONE);
    },
  );

  it.each([
    ["take", (feed: AsyncIterable<string>) => take(feed, 5)],
    ["chunk", (feed: AsyncIterable<string>) => chunk(feed, 3, { maxWaitMs: 5 })],
  ] as const)(
    "%s over paginate, closed while the page is fetched, leaves the item in the queue",
    async (_name, wrap) => {
      const { queue, signals, items } = queueFeed();
      const consumer = wrap(items());
      const pending = consumer.next();
      await flush();
      expect(queue.pendingGets).toBe(1);
      await consumer.return?.();
      expect(await pending).toEqual(DONE);
      expect(signals[0]?.aborted).toBe(true);
      expect(queue.pendingGets).toBe(0);
      queue.tryPut("late");
      expect(await queue.get()).toBe("late");
    },
  );

  it("a fetchPage that ignores its signal does not hold return() up; its page is dropped", async () => {
    const unhandled = watchUnhandledRejections();
    try {
      const page = deferred<Page<string, string>>();
      let pageSignal: AbortSignal | undefined;
      const fetchPage = vi.fn((_cursor: string | undefined, signal: AbortSignal) => {
        pageSignal = signal;
        return page.promise;
      });
      const feed = paginate(fetchPage);
      const first = feed.next();
      await flush();
      const returned = feed.return?.() as Promise<unknown>;
      expect(await settlesSoon(returned)).toBe(true);
      expect(await first).toEqual(DONE);
      expect(pageSignal?.aborted).toBe(true);
      page.resolve({ items: ["late"], nextCursor: "more" });
      await flush();
      expect(await feed.next()).toEqual(DONE);
      expect(fetchPage).toHaveBeenCalledTimes(1);

      const failed = deferred<Page<string, string>>();
      const failing = paginate<string, string>(() => failed.promise);
      const waiting = failing.next();
      await flush();
      await failing.return?.();
      expect(await waiting).toEqual(DONE);
      failed.reject(new Error("503 after the consumer left"));
      await nextMacrotask();
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it("return() before the first next() never fetches", async () => {
    const { fetchPage } = fakeApi([[1]]);
    const feed = paginate(fetchPage);
    expect(await feed.return?.()).toEqual(DONE);
    expect(await feed.next()).toEqual(DONE);
    expect(fetchPage).not.toHaveBeenCalled();
  });

  it("serves concurrent next() calls in order across pages", async () => {
    const { fetchPage } = fakeApi([[1, 2], [3]]);
    const feed = paginate(fetchPage);
    const results = await Promise.all([feed.next(), feed.next(), feed.next(), feed.next()]);
    expect(results).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: false, value: 3 },
      DONE,
    ]);
  });
});
