import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { merge } from "../src/merge.ts";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Yields `values` with `gapMs` between them; records whether it was closed. */
function timed<T>(values: T[], gapMs: number) {
  const state = { closed: false, pulled: 0 };
  async function* source() {
    try {
      for (const value of values) {
        await delay(gapMs);
        state.pulled++;
        yield value;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

describe("merge", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("interleaves values in arrival order", async () => {
    const fast = timed(["f1", "f2", "f3"], 10);
    const slow = timed(["s1", "s2"], 25);
    const merged = collect(merge(fast.source, slow.source));
    await vi.advanceTimersByTimeAsync(100);
    // f at 10, 20, 30; s at 25, 50
    expect(await merged).toEqual(["f1", "f2", "s1", "f3", "s2"]);
  });

  it("yields everything from mixed sync and async sources", async () => {
    const result = collect(merge([1, 2], timed([3], 5).source, new Set([4])));
    await vi.advanceTimersByTimeAsync(10);
    expect((await result).sort()).toEqual([1, 2, 3, 4]);
  });

  it("with no sources ends at once; with one source passes it through", async () => {
    expect(await collect(merge())).toEqual([]);
    expect(await collect(merge([1, 2, 3]))).toEqual([1, 2, 3]);
  });

  it("pulls a source again only after its previous value was consumed", async () => {
    const a = timed([1, 2, 3], 1);
    const merged = merge(a.source);
    const first = merged.next();
    await vi.advanceTimersByTimeAsync(50);
    expect(await first).toEqual({ done: false, value: 1 });
    await vi.advanceTimersByTimeAsync(50);
    expect(a.state.pulled).toBe(1); // nothing read ahead while the consumer sat on value 1
  });

  it("return() closes every source, including one stuck in a pending next()", async () => {
    const quick = timed([1, 2, 3], 1);
    const idle = timed(["never"], 1_000_000);
    const merged = merge<number | string>(quick.source, idle.source);
    const first = merged.next();
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toEqual({ done: false, value: 1 });
    await merged.return!(undefined); // does not wait for the idle source's next()
    expect(quick.state.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(idle.state.closed).toBe(true); // closed as soon as its pending step finished
  });

  it("a break in for-await closes the other sources", async () => {
    const a = timed([1, 2, 3], 1);
    const b = timed([10, 20, 30], 1);
    const run = (async () => {
      for await (const value of merge(a.source, b.source)) if (value === 10) break;
    })();
    await vi.advanceTimersByTimeAsync(10);
    await run;
    await vi.advanceTimersByTimeAsync(10);
    expect(a.state.closed).toBe(true);
    expect(b.state.closed).toBe(true);
  });

  it("a failing source rejects the merge and closes the others", async () => {
    async function* failing() {
      yield 0;
      await delay(5);
      throw new Error("source exploded");
    }
    const other = timed([1, 2, 3, 4, 5], 2);
    const result = collect(merge<number>(other.source, failing()));
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(20);
    await expect(result).rejects.toThrow("source exploded");
    expect(other.state.closed).toBe(true);
  });
});

describe("merge without a loop", () => {
  it("return() ends a next() that is waiting on idle sources, at once", async () => {
    async function* idle() {
      await new Promise(() => {});
      yield 1;
    }
    const merged = merge(idle(), idle());
    const waiting = merged.next();
    await merged.return!(undefined);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await merged.next()).toEqual({ done: true, value: undefined });
  });

  it("serves concurrent next() calls in order with distinct values", async () => {
    const merged = merge([1, 2], [3]);
    const results = await Promise.all([merged.next(), merged.next(), merged.next(), merged.next()]);
    const values = results.filter((r) => !r.done).map((r) => r.value);
    expect(values.sort()).toEqual([1, 2, 3]);
    expect(results[3]).toEqual({ done: true, value: undefined });
  });

  it("is done after a source error", async () => {
    const failing = (): AsyncIterable<number> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("bad source")) }),
    });
    const merged = merge(failing());
    await expect(merged.next()).rejects.toThrow("bad source");
    expect(await merged.next()).toEqual({ done: true, value: undefined });
  });

  it("loses and duplicates nothing and keeps each source's order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(fc.integer(), { maxLength: 6 }), { maxLength: 5 }),
        async (s, sources) => {
          async function* source(values: number[], index: number) {
            for (const [position, value] of values.entries()) {
              await s.schedule(Promise.resolve(), `source ${index} item ${position}`);
              yield { index, position, value };
            }
          }
          const collected = s.waitFor(
            (async () => {
              const out: { index: number; position: number; value: number }[] = [];
              for await (const item of merge(...sources.map(source))) out.push(item);
              return out;
            })(),
          );
          const out = await collected;
          expect(out).toHaveLength(sources.reduce((sum, values) => sum + values.length, 0));
          for (const [index, values] of sources.entries()) {
            const mine = out.filter((item) => item.index === index);
            expect(mine.map((item) => item.position)).toEqual(values.map((_, i) => i));
            expect(mine.map((item) => item.value)).toEqual(values);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
