import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { chunk } from "../src/chunk.ts";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * A source driven by the test: `emit()` answers the oldest pending next(). Records how many
 * next() calls were ever outstanding at once and whether return() was called.
 */
function manualSource<T>() {
  const pending: ((result: IteratorResult<T>) => void)[] = [];
  const stats = { nextCalls: 0, maxOutstanding: 0, returned: false };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      stats.nextCalls++;
      return new Promise((resolve) => {
        pending.push(resolve);
        stats.maxOutstanding = Math.max(stats.maxOutstanding, pending.length);
      });
    },
    async return() {
      stats.returned = true;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return {
    iterator,
    stats,
    emit(value: T) {
      pending.shift()?.({ done: false, value });
    },
    end() {
      pending.shift()?.({ done: true, value: undefined });
    },
    get waiting() {
      return pending.length;
    },
  };
}

describe("chunk by size", () => {
  it("groups items, the last chunk possibly shorter", async () => {
    expect(await collect(chunk([1, 2, 3, 4, 5], 2))).toEqual([[1, 2], [3, 4], [5]]);
    expect(await collect(chunk([1, 2, 3, 4], 2))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("yields nothing for an empty source, and singletons for size 1", async () => {
    expect(await collect(chunk([], 3))).toEqual([]);
    expect(await collect(chunk(["a", "b"], 1))).toEqual([["a"], ["b"]]);
  });

  it("size Infinity collects everything into one chunk", async () => {
    async function* source() {
      yield* [1, 2, 3];
    }
    expect(await collect(chunk(source(), Number.POSITIVE_INFINITY))).toEqual([[1, 2, 3]]);
  });

  it("validates size and maxWaitMs", () => {
    expect(() => chunk([], 0)).toThrow(RangeError);
    expect(() => chunk([], 1.5)).toThrow(RangeError);
    expect(() => chunk([], 2, { maxWaitMs: -1 })).toThrow(RangeError);
  });

  it("emits what it collected before rethrowing a source error", async () => {
    async function* failing() {
      yield 1;
      yield 2;
      throw new Error("source failed");
    }
    const chunks = chunk(failing(), 5);
    expect(await chunks.next()).toEqual({ done: false, value: [1, 2] });
    await expect(chunks.next()).rejects.toThrow("source failed");
  });

  it("closes the source when the consumer breaks", async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const rows of chunk(source(), 3)) if (rows[0] === 3) break;
    expect(closed).toBe(true);
  });
});

describe("chunk with maxWaitMs (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("emits a partial chunk once maxWaitMs passed since its first item", async () => {
    const source = manualSource<string>();
    const chunks = chunk(source.iterator, 10, { maxWaitMs: 50 });
    const first = chunks.next();
    await vi.advanceTimersByTimeAsync(0);
    source.emit("a");
    await vi.advanceTimersByTimeAsync(30);
    source.emit("b");
    let settled = false;
    first.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(19);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // 50 ms after "a", not after "b"
    expect(await first).toEqual({ done: false, value: ["a", "b"] });
  });

  it("does not start the clock before the first item of a chunk arrives", async () => {
    const source = manualSource<number>();
    const chunks = chunk(source.iterator, 10, { maxWaitMs: 50 });
    const first = chunks.next();
    await vi.advanceTimersByTimeAsync(1_000); // an idle source produces no empty chunks
    expect(vi.getTimerCount()).toBe(0);
    source.emit(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(await first).toEqual({ done: false, value: [1] });
  });

  it("keeps at most one next() outstanding and reuses it after the timer fires", async () => {
    const source = manualSource<number>();
    const chunks = chunk(source.iterator, 10, { maxWaitMs: 50 });
    const first = chunks.next();
    await vi.advanceTimersByTimeAsync(0);
    source.emit(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(await first).toEqual({ done: false, value: [1] });
    expect(source.waiting).toBe(1); // the next() started before the timer fired is still the one

    const second = chunks.next();
    await vi.advanceTimersByTimeAsync(500);
    expect(source.waiting).toBe(1);
    source.emit(2);
    await vi.advanceTimersByTimeAsync(0);
    source.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(await second).toEqual({ done: false, value: [2] });
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
    expect(source.stats.maxOutstanding).toBe(1);
    expect(source.stats.nextCalls).toBe(3); // 1, 2, end: nothing abandoned
  });

  it("a full chunk goes out at once and clears its timer", async () => {
    const source = manualSource<number>();
    const chunks = chunk(source.iterator, 2, { maxWaitMs: 50 });
    const first = chunks.next();
    await vi.advanceTimersByTimeAsync(0);
    source.emit(1);
    await vi.advanceTimersByTimeAsync(0);
    source.emit(2);
    expect(await first).toEqual({ done: false, value: [1, 2] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes the partial chunk when the source ends before the timer", async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const chunks = await collect(chunk(source(), 5, { maxWaitMs: 1_000 }));
    expect(chunks).toEqual([[1, 2]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a break while the source's next() is pending returns without waiting on it", async () => {
    const source = manualSource<number>();
    const chunks = chunk(source.iterator, 10, { maxWaitMs: 10 });
    const first = chunks.next();
    await vi.advanceTimersByTimeAsync(0);
    source.emit(1);
    await vi.advanceTimersByTimeAsync(10);
    await first;
    await chunks.return!(undefined);
    expect(source.stats.returned).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborting the signal rejects with its reason and closes the source", async () => {
    const source = manualSource<number>();
    const controller = new AbortController();
    const chunks = chunk(source.iterator, 10, { maxWaitMs: 100, signal: controller.signal });
    const first = chunks.next();
    await vi.advanceTimersByTimeAsync(0);
    source.emit(1);
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error("shutdown");
    controller.abort(reason);
    await expect(first).rejects.toBe(reason);
    expect(source.stats.returned).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects at once when the signal is already aborted", async () => {
    await expect(collect(chunk([1, 2], 1, { signal: AbortSignal.abort() }))).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
