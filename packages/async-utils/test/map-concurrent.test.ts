import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_STREAM_CONCURRENCY,
  mapConcurrent,
  mapConcurrentIter,
} from "../src/map-concurrent.ts";
import { sleep } from "../src/sleep.ts";
import { deferred, flush, trackedController } from "./helpers/signals.ts";

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

/** A sync generator that records how far it was pulled and whether it was closed. */
function countingSource(length: number): {
  source: Iterable<number>;
  pulled: () => number;
  closed: () => boolean;
} {
  let pulled = 0;
  let closed = false;
  function* generate(): Generator<number> {
    try {
      for (let i = 0; i < length; i++) {
        pulled++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { source: generate(), pulled: () => pulled, closed: () => closed };
}

async function* asyncRange(length: number, onPull?: () => void): AsyncGenerator<number> {
  for (let i = 0; i < length; i++) {
    await Promise.resolve();
    onPull?.();
    yield i;
  }
}

describe("mapConcurrent", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("returns results in input order whatever the finish order", async () => {
    vi.useFakeTimers();
    const pending = mapConcurrent([30, 10, 20, 0], async (ms, index, signal) => {
      await sleep(ms, { signal });
      return `${index}:${ms}`;
    });
    await vi.advanceTimersByTimeAsync(30);
    await expect(pending).resolves.toEqual(["0:30", "1:10", "2:20", "3:0"]);
  });

  it("keeps at most `concurrency` calls in flight", async () => {
    let active = 0;
    let peak = 0;
    const results = await mapConcurrent(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        active++;
        peak = Math.max(peak, active);
        await ticks(i % 5);
        active--;
        return i * 2;
      },
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });

  it("runs one at a time with concurrency 1", async () => {
    const log: string[] = [];
    await mapConcurrent(
      [1, 2, 3],
      async (i) => {
        log.push(`start ${i}`);
        await ticks(2);
        log.push(`end ${i}`);
      },
      { concurrency: 1 },
    );
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  it("starts everything at once by default (Infinity)", async () => {
    const gate = deferred();
    let started = 0;
    const pending = mapConcurrent(
      Array.from({ length: 1000 }, (_, i) => i),
      async () => {
        started++;
        await gate.promise;
      },
    );
    expect(started).toBe(1000);
    gate.resolve();
    await pending;
  });

  it("resolves an empty input with an empty array, for every input kind", async () => {
    const fn = vi.fn();
    await expect(mapConcurrent([], fn)).resolves.toEqual([]);
    await expect(mapConcurrent(new Set<number>(), fn)).resolves.toEqual([]);
    await expect(mapConcurrent(asyncRange(0), fn)).resolves.toEqual([]);
    expect(fn).not.toHaveBeenCalled();
  });

  it("handles synchronous results, thenables and sync iterables", async () => {
    const thenable = (value: number): PromiseLike<number> => ({
      // biome-ignore lint/suspicious/noThenProperty: a hand-rolled thenable is the point of the test
      then: (resolve) => Promise.resolve(value).then(resolve),
    });
    await expect(
      mapConcurrent([1, 2, 3], (i) => (i === 2 ? thenable(20) : i * 10), { concurrency: 2 }),
    ).resolves.toEqual([10, 20, 30]);
    await expect(mapConcurrent(new Set(["a", "b"]), (s, i) => `${s}${i}`)).resolves.toEqual([
      "a0",
      "b1",
    ]);
    await expect(mapConcurrent("xy", (c) => c.toUpperCase(), { concurrency: 1 })).resolves.toEqual([
      "X",
      "Y",
    ]);
  });

  it("maps async iterables, pulling lazily: never more than `concurrency` items ahead", async () => {
    let pulled = 0;
    let active = 0;
    let maxAhead = 0;
    let done = 0;
    const results = await mapConcurrent(
      asyncRange(40, () => {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - done);
      }),
      async (i) => {
        active++;
        await ticks(3);
        active--;
        done++;
        return i + 1;
      },
      { concurrency: 4 },
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(maxAhead).toBeLessThanOrEqual(4);
    expect(active).toBe(0);
  });

  it("on the first failure aborts its siblings, starts nothing more and rejects with that error", async () => {
    const boom = new Error("boom");
    const signals: AbortSignal[] = [];
    const started: number[] = [];
    const pending = mapConcurrent(
      Array.from({ length: 10 }, (_, i) => i),
      async (i, _index, signal) => {
        started.push(i);
        signals.push(signal);
        if (i === 1) {
          await ticks(1);
          throw boom;
        }
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      },
      { concurrency: 3 },
    );
    await expect(pending).rejects.toBe(boom);
    expect(started).toEqual([0, 1, 2]);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(signals[0]?.reason).toMatchObject({ name: "AbortError", cause: boom });
    await flush();
    expect(started).toEqual([0, 1, 2]);
  });

  it("treats a synchronous throw like a rejection", async () => {
    const boom = new Error("sync");
    await expect(
      mapConcurrent([1, 2, 3], (i) => {
        if (i === 2) throw boom;
        return i;
      }),
    ).rejects.toBe(boom);
  });

  it("with stopOnError false runs everything and rejects with an AggregateError in input order", async () => {
    const seen: number[] = [];
    const error = await mapConcurrent(
      [0, 1, 2, 3, 4, 5],
      async (i, _index, signal) => {
        await ticks(6 - i); // later items fail first
        seen.push(i);
        expect(signal.aborted).toBe(false);
        if (i % 2 === 1) throw new Error(`item ${i}`);
        return i;
      },
      { stopOnError: false, concurrency: 6 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      "item 1",
      "item 3",
      "item 5",
    ]);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("with stopOnError false, a long run of synchronous throws neither nests nor stops early", async () => {
    const items = Array.from({ length: 50_000 }, (_, i) => i);
    const error = await mapConcurrent(
      items,
      (i) => {
        if (i % 2 === 0) throw new Error(`item ${i}`);
        return i;
      },
      { stopOnError: false, concurrency: 2 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    const messages = (error as AggregateError).errors.map((e: Error) => e.message);
    expect(messages).toHaveLength(25_000);
    expect(messages[0]).toBe("item 0");
    expect(messages.at(-1)).toBe("item 49998");
  });

  it("with stopOnError false, also for iterables and synchronous throws", async () => {
    const error = await mapConcurrent(
      new Set([0, 1, 2]),
      (i) => {
        if (i !== 1) throw new Error(`item ${i}`);
        return i;
      },
      { stopOnError: false },
    ).catch((e: unknown) => e);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      "item 0",
      "item 2",
    ]);
  });

  it("rejects at once and calls nothing when the signal is already aborted", async () => {
    const fn = vi.fn();
    const reason = new Error("too late");
    await expect(mapConcurrent([1, 2], fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    await expect(
      mapConcurrent(asyncRange(2), fn, { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("aborting mid-way aborts the calls in flight, starts no more and detaches from the signal", async () => {
    for (const input of [
      () => Array.from({ length: 10 }, (_, i) => i),
      () => countingSource(10).source,
    ]) {
      const { controller, listeners } = trackedController();
      const signals: AbortSignal[] = [];
      const pending = mapConcurrent(
        input(),
        (_item, _index, signal) => {
          signals.push(signal);
          return new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason)),
          );
        },
        { concurrency: 2, signal: controller.signal },
      );
      expect(signals).toHaveLength(2);
      expect(listeners()).toBe(1);
      const reason = new Error("cancelled");
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(signals.map((signal) => signal.reason)).toEqual([reason, reason]);
      expect(signals).toHaveLength(2);
      expect(listeners()).toBe(0);
    }
  });

  it("detaches from the caller's signal when it completes", async () => {
    const { controller, listeners } = trackedController();
    await mapConcurrent([1, 2, 3], async (i) => i, { signal: controller.signal, concurrency: 2 });
    await mapConcurrent(new Set([1, 2, 3]), async (i) => i, { signal: controller.signal });
    await mapConcurrent([1], async () => Promise.reject(new Error("x")), {
      signal: controller.signal,
    }).catch(() => {});
    expect(listeners()).toBe(0);
  });

  it("closes the input iterator when it stops early", async () => {
    const { source, pulled, closed } = countingSource(100);
    await expect(
      mapConcurrent(
        source,
        async (i) => {
          if (i === 3) throw new Error("stop");
          await ticks(1);
        },
        { concurrency: 2 },
      ),
    ).rejects.toThrow("stop");
    expect(closed()).toBe(true);
    expect(pulled()).toBeLessThan(10);
  });

  it("rejects when the input itself throws, aborting the calls in flight", async () => {
    function* broken(): Generator<number> {
      yield 1;
      throw new Error("source broke");
    }
    const signals: AbortSignal[] = [];
    await expect(
      mapConcurrent(broken(), (_i, _index, signal) => {
        signals.push(signal);
        return new Promise(() => {});
      }),
    ).rejects.toThrow("source broke");
    expect(signals[0]?.aborted).toBe(true);
    async function* brokenAsync(): AsyncGenerator<number> {
      yield 1;
      throw new Error("async source broke");
    }
    await expect(mapConcurrent(brokenAsync(), () => new Promise(() => {}))).rejects.toThrow(
      "async source broke",
    );
  });

  it("rejects invalid concurrency", async () => {
    await expect(mapConcurrent([1], (i) => i, { concurrency: 0 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(mapConcurrent([1], (i) => i, { concurrency: 2.5 })).rejects.toBeInstanceOf(
      RangeError,
    );
  });

  it("property: exactly one result per input, in order, under random delays and failures", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.nat(5), fail: fc.nat(9), sync: fc.boolean() }), {
          maxLength: 40,
        }),
        fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(Number.POSITIVE_INFINITY)),
        fc.constantFrom("array", "iterable", "async"),
        fc.boolean(),
        async (items, concurrency, kind, stopOnError) => {
          const input =
            kind === "array"
              ? items
              : kind === "iterable"
                ? new Set(items)
                : (async function* () {
                    yield* items;
                  })();
          const calls = new Map<number, number>();
          let active = 0;
          let peak = 0;
          const fn = (item: (typeof items)[number], index: number): number | Promise<number> => {
            calls.set(index, (calls.get(index) ?? 0) + 1);
            if (item.sync) {
              if (item.fail === 0) throw new Error(`fail ${index}`);
              return index * 3;
            }
            active++;
            peak = Math.max(peak, active);
            return ticks(item.delay).then(() => {
              active--;
              if (item.fail === 0) throw new Error(`fail ${index}`);
              return index * 3;
            });
          };
          const failing = items.flatMap((item, index) => (item.fail === 0 ? [index] : []));
          const outcome = await mapConcurrent(input, fn, { concurrency, stopOnError }).then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          expect(peak).toBeLessThanOrEqual(concurrency);
          for (const count of calls.values()) expect(count).toBe(1);
          if (failing.length === 0) {
            expect(outcome).toEqual({ ok: true, value: items.map((_, index) => index * 3) });
            expect(calls.size).toBe(items.length);
          } else if (stopOnError) {
            expect(outcome.ok).toBe(false);
            expect(failing.map((i) => `fail ${i}`)).toContain(
              (outcome as { error: Error }).error.message,
            );
          } else {
            expect(calls.size).toBe(items.length);
            const errors = (outcome as { error: AggregateError }).error.errors as Error[];
            expect(errors.map((e) => e.message)).toEqual(failing.map((i) => `fail ${i}`));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("mapConcurrentIter", () => {
  const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const value of iterable) out.push(value);
    return out;
  };

  it("yields results in input order by default", async () => {
    const results = await collect(
      mapConcurrentIter(
        [5, 1, 3, 0, 2],
        async (ticksToWait, index) => {
          await ticks(ticksToWait);
          return index;
        },
        { concurrency: 3 },
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4]);
  });

  it("yields results as they finish with ordered: false", async () => {
    vi.useFakeTimers();
    try {
      const iterator = mapConcurrentIter(
        [30, 10, 20],
        async (ms, _index, signal) => {
          await sleep(ms, { signal });
          return ms;
        },
        { ordered: false },
      );
      const pending = collect(iterator);
      await vi.advanceTimersByTimeAsync(30);
      await expect(pending).resolves.toEqual([10, 20, 30]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("yields nothing for an empty input, and handles synchronous results", async () => {
    await expect(collect(mapConcurrentIter([], (x) => x))).resolves.toEqual([]);
    await expect(collect(mapConcurrentIter(asyncRange(0), (x) => x))).resolves.toEqual([]);
    await expect(
      collect(mapConcurrentIter(new Set([1, 2, 3]), (x) => x * 2, { concurrency: 1 })),
    ).resolves.toEqual([2, 4, 6]);
  });

  it("does not start before the first next() and pulls input lazily", async () => {
    const { source, pulled } = countingSource(1_000);
    const iterator = mapConcurrentIter(source, async (i) => i, { concurrency: 4 });
    await flush();
    expect(pulled()).toBe(0);
    const first = await iterator.next();
    expect(first).toEqual({ done: false, value: 0 });
    await flush();
    // 4 in flight or finished-and-buffered, never the whole input
    expect(pulled()).toBeLessThanOrEqual(1 + 4 + 4);
    await iterator.return?.();
  });

  it("bounds its reorder buffer: a slow head stops the input from being pulled further", async () => {
    const concurrency = 4;
    const head = deferred<number>();
    const { source, pulled } = countingSource(10_000);
    const iterator = mapConcurrentIter(
      source,
      (i) => (i === 0 ? head.promise : Promise.resolve(i)),
      { concurrency },
    );
    const first = iterator.next();
    await flush(100);
    // item 0 in flight plus at most `concurrency` finished results waiting behind it
    expect(pulled()).toBeLessThanOrEqual(2 * concurrency);
    head.resolve(0);
    expect(await first).toEqual({ done: false, value: 0 });
    let expected = 1;
    for await (const value of iterator) {
      expect(value).toBe(expected++);
      if (expected === 50) break;
    }
  });

  it("stays bounded without a concurrency option: an endless input is pulled only so far", async () => {
    const { source, pulled } = countingSource(Number.POSITIVE_INFINITY);
    const iterator = mapConcurrentIter(source, async (i) => i);
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await flush(100);
    expect(pulled()).toBeLessThanOrEqual(1 + 2 * DEFAULT_STREAM_CONCURRENCY);
    await iterator.return?.();
  });

  it("bounds what it holds for a slow consumer in unordered mode too", async () => {
    const { source, pulled } = countingSource(10_000);
    const iterator = mapConcurrentIter(source, async (i) => i, { concurrency: 3, ordered: false });
    await iterator.next();
    await flush(100);
    expect(pulled()).toBeLessThanOrEqual(1 + 3 + 3);
    await iterator.return?.();
  });

  it("break aborts the calls in flight and closes the input", async () => {
    const { source, closed } = countingSource(100);
    const signals: AbortSignal[] = [];
    for await (const value of mapConcurrentIter(
      source,
      (i, _index, signal) => {
        signals.push(signal);
        return i === 0 ? Promise.resolve(i) : new Promise<number>(() => {});
      },
      { concurrency: 3 },
    )) {
      expect(value).toBe(0);
      break;
    }
    expect(closed()).toBe(true);
    expect(signals.length).toBeGreaterThan(1);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it("throws the first failure from next(), aborting the rest, then is done", async () => {
    const boom = new Error("boom");
    const signals: AbortSignal[] = [];
    const iterator = mapConcurrentIter(
      [0, 1, 2, 3],
      async (i, _index, signal) => {
        signals.push(signal);
        if (i === 2) throw boom;
        if (i === 0) return 0;
        return new Promise<number>(() => {});
      },
      { concurrency: 4 },
    );
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await expect(iterator.next()).rejects.toBe(boom);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("rejects with the signal's reason when aborted, before or during the iteration", async () => {
    const reason = new Error("stop");
    await expect(
      collect(mapConcurrentIter([1], (x) => x, { signal: AbortSignal.abort(reason) })),
    ).rejects.toBe(reason);

    const { controller, listeners } = trackedController();
    const signals: AbortSignal[] = [];
    const iterator = mapConcurrentIter(
      [1, 2],
      (_x, _index, signal) => {
        signals.push(signal);
        return new Promise<number>(() => {});
      },
      { signal: controller.signal },
    );
    const next = iterator.next();
    expect(listeners()).toBe(1);
    controller.abort(reason);
    await expect(next).rejects.toBe(reason);
    expect(signals.every((signal) => signal.reason === reason)).toBe(true);
    expect(listeners()).toBe(0);
  });

  it("throw() aborts the calls in flight, closes the input and rethrows", async () => {
    const { source, closed } = countingSource(100);
    const signals: AbortSignal[] = [];
    const iterator = mapConcurrentIter(
      source,
      (i, _index, signal) => {
        signals.push(signal);
        return i === 0 ? i : new Promise<number>(() => {});
      },
      { concurrency: 2 },
    );
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    const reason = new Error("consumer failed");
    await expect(iterator.throw?.(reason)).rejects.toBe(reason);
    expect(closed()).toBe(true);
    expect(signals.at(-1)?.reason).toMatchObject({ name: "AbortError", cause: reason });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("closes an async input when the consumer leaves early", async () => {
    let finalized = false;
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        finalized = true;
      }
    }
    for await (const value of mapConcurrentIter(source(), async (i) => i, { concurrency: 3 })) {
      if (value === 10) break;
    }
    await flush();
    expect(finalized).toBe(true);
  });

  it("detaches from the caller's signal when the stream ends", async () => {
    const { controller, listeners } = trackedController();
    await collect(mapConcurrentIter([1, 2, 3], async (x) => x, { signal: controller.signal }));
    expect(listeners()).toBe(0);
  });

  it("serves concurrent next() calls in order", async () => {
    const iterator = mapConcurrentIter([3, 1, 2], async (t, index) => {
      await ticks(t);
      return index;
    });
    const results = await Promise.all([
      iterator.next(),
      iterator.next(),
      iterator.next(),
      iterator.next(),
    ]);
    expect(results).toEqual([
      { done: false, value: 0 },
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: true, value: undefined },
    ]);
  });

  it("property: every input yields exactly once, in order when ordered", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(6), { maxLength: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (delays, concurrency, ordered) => {
          let active = 0;
          let peak = 0;
          const results = await collect(
            mapConcurrentIter(
              delays,
              async (delay, index) => {
                active++;
                peak = Math.max(peak, active);
                await ticks(delay);
                active--;
                return index;
              },
              { concurrency, ordered },
            ),
          );
          expect(peak).toBeLessThanOrEqual(concurrency);
          const indices = delays.map((_, index) => index);
          if (ordered) expect(results).toEqual(indices);
          else expect([...results].sort((a, b) => a - b)).toEqual(indices);
        },
      ),
      { numRuns: 200 },
    );
  });
});
