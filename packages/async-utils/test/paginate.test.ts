import { describe, expect, it, vi } from "vitest";
import { type Page, paginate } from "../src/paginate.ts";

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
