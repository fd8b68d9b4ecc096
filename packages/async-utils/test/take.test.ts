import { describe, expect, it } from "vitest";
import { take } from "../src/take.ts";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** An endless source that records how far it was pulled and whether it was closed. */
function counter() {
  const state = { pulled: 0, closed: false };
  async function* source() {
    try {
      for (;;) yield state.pulled++;
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

describe("take", () => {
  it("yields the first count items of an endless source, then closes it", async () => {
    const { state, source } = counter();
    expect(await collect(take(source, 3))).toEqual([0, 1, 2]);
    expect(state.pulled).toBe(3); // item 4 was never requested
    expect(state.closed).toBe(true);
  });

  it("works on sync iterables and stops early on short ones", async () => {
    expect(await collect(take([1, 2, 3, 4], 2))).toEqual([1, 2]);
    expect(await collect(take(new Set(["a"]), 5))).toEqual(["a"]);
    expect(await collect(take([], 5))).toEqual([]);
  });

  it("take 0 never starts the source", async () => {
    const { state, source } = counter();
    expect(await collect(take(source, 0))).toEqual([]);
    expect(state.pulled).toBe(0);
  });

  it("take Infinity passes everything through", async () => {
    expect(await collect(take([1, 2, 3], Number.POSITIVE_INFINITY))).toEqual([1, 2, 3]);
  });

  it("closes the source when the consumer breaks first", async () => {
    const { state, source } = counter();
    for await (const n of take(source, 100)) if (n === 1) break;
    expect(state.closed).toBe(true);
  });

  it("propagates a source error", async () => {
    async function* failing() {
      yield 1;
      throw new Error("broken source");
    }
    await expect(collect(take(failing(), 5))).rejects.toThrow("broken source");
  });

  it("rejects a negative or NaN count", () => {
    expect(() => take([1], -1)).toThrow(RangeError);
    expect(() => take([1], Number.NaN)).toThrow(RangeError);
  });
});
