// AsyncQueue and the async-iterator helpers: backpressure, laziness and closing early.
import assert from "node:assert/strict";
import {
  AsyncQueue,
  chunk,
  merge,
  paginate,
  QueueClosedError,
  sleep,
  take,
} from "../../src/index.ts";
import { describe, flush, it } from "./harness.ts";

/** Collects an async iterable into an array. */
async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** An async generator over `values` that records whether it was closed (finally ran). */
function tracked<T>(values: T[]): { source: AsyncGenerator<T>; closed: () => boolean } {
  let closed = false;
  async function* source(): AsyncGenerator<T> {
    try {
      yield* values;
    } finally {
      closed = true;
    }
  }
  return { source: source(), closed: () => closed };
}

describe("AsyncQueue", () => {
  it("put waits while full and get hands items over in order", async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    await queue.put(1);
    assert.equal(queue.tryPut(2), false);
    let admitted = false;
    const parked = queue.put(2).then(() => {
      admitted = true;
    });
    await flush();
    assert.equal(admitted, false);
    assert.equal(queue.pendingPuts, 1);
    assert.equal(await queue.get(), 1);
    await parked;
    assert.equal(queue.tryGet(), 2);
    assert.equal(queue.size, 0);
  });

  it("close() rejects producers and lets consumers drain before their loop ends", async () => {
    const queue = new AsyncQueue<string>({ capacity: 2 });
    queue.tryPut("a");
    queue.tryPut("b");
    const rejected = queue.put("c");
    queue.close();
    await assert.rejects(rejected, QueueClosedError);
    assert.equal(queue.closed, true);
    assert.deepEqual(await collect(queue), ["a", "b"]);
    await assert.rejects(queue.get(), (e) => e instanceof QueueClosedError);
  });

  it("join() resolves once every item is marked done", async () => {
    const queue = new AsyncQueue<number>();
    queue.tryPut(1);
    queue.tryPut(2);
    let joined = false;
    const join = queue.join().then(() => {
      joined = true;
    });
    await queue.get();
    queue.taskDone();
    await flush();
    assert.equal(joined, false);
    await queue.get();
    queue.taskDone();
    await join;
    assert.equal(joined, true);
  });

  it("a get() that aborts leaves no claim on the next item", async () => {
    const queue = new AsyncQueue<number>();
    const controller = new AbortController();
    const gone = queue.get({ signal: controller.signal });
    controller.abort();
    await assert.rejects(gone);
    assert.equal(queue.pendingGets, 0);
    queue.tryPut(7);
    assert.equal(await queue.get(), 7);
  });
});

describe("paginate", () => {
  it("follows cursors lazily and stops at the last page", async () => {
    const fetched: (string | undefined)[] = [];
    const pages: Record<string, { items: number[]; nextCursor?: string }> = {
      start: { items: [1, 2], nextCursor: "b" },
      b: { items: [3], nextCursor: "c" },
      c: { items: [4] },
    };
    const fetchPage = async (cursor: string | undefined) => {
      fetched.push(cursor);
      return pages[cursor ?? "start"] ?? { items: [] };
    };
    const firstTwo = await collect(take(paginate(fetchPage), 2));
    assert.deepEqual(firstTwo, [1, 2]);
    assert.deepEqual(fetched, [undefined], "no page fetched past the items asked for");
    fetched.length = 0;
    assert.deepEqual(await collect(paginate(fetchPage)), [1, 2, 3, 4]);
    assert.deepEqual(fetched, [undefined, "b", "c"]);
    assert.deepEqual(await collect(paginate(fetchPage, { maxPages: 2 })), [1, 2, 3]);
  });

  it("closing the iterator aborts the page in flight", async () => {
    let pageSignal: AbortSignal | undefined;
    const items = paginate<number>(async (_cursor, signal) => {
      pageSignal = signal;
      await sleep(60_000, { signal });
      return { items: [1] };
    });
    const next = items.next();
    await flush();
    await items.return?.();
    assert.deepEqual(await next, { done: true, value: undefined });
    assert.equal(pageSignal?.aborted, true);
  });
});

describe("chunk", () => {
  it("batches by count, the last batch partial", async () => {
    assert.deepEqual(await collect(chunk([1, 2, 3, 4, 5], 2)), [[1, 2], [3, 4], [5]]);
  });

  it("maxWaitMs emits a partial batch when the source is slow", async () => {
    async function* slow(): AsyncGenerator<number> {
      yield 1;
      await sleep(60);
      yield 2;
    }
    assert.deepEqual(await collect(chunk(slow(), 10, { maxWaitMs: 5 })), [[1], [2]]);
  });
});

describe("take", () => {
  it("yields the first count items and closes the source without pulling more", async () => {
    const { source, closed } = tracked([1, 2, 3, 4]);
    assert.deepEqual(await collect(take(source, 2)), [1, 2]);
    assert.equal(closed(), true);
    assert.deepEqual(await collect(take([1, 2], 5)), [1, 2]);
  });
});

describe("merge", () => {
  it("interleaves sources as values arrive and ends when all have ended", async () => {
    async function* ticks(prefix: string, ms: number, n: number): AsyncGenerator<string> {
      for (let i = 0; i < n; i++) {
        await sleep(ms);
        yield `${prefix}${i}`;
      }
    }
    const out = await collect(merge(ticks("slow", 50, 1), ticks("fast", 1, 2), ["sync"]));
    assert.equal(out.length, 4);
    assert.equal(out.at(-1), "slow0");
    assert.deepEqual(
      out.filter((value) => value.startsWith("fast")),
      ["fast0", "fast1"],
    );
  });

  it("breaking out closes every source", async () => {
    const a = tracked([1, 2, 3]);
    const b = tracked([4, 5, 6]);
    for await (const _ of merge(a.source, b.source)) break;
    await flush();
    assert.equal(a.closed() && b.closed(), true);
  });
});
