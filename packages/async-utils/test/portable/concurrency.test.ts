// Semaphore, limit and mapConcurrent(Iter): bounds, order and cancellation.
import assert from "node:assert/strict";
import {
  BulkheadFullError,
  DEFAULT_STREAM_CONCURRENCY,
  isAbortError,
  limit,
  limitFunction,
  mapConcurrent,
  mapConcurrentIter,
  Semaphore,
  sleep,
} from "../../src/index.ts";
import { describe, it } from "./harness.ts";

/** Counts how many calls of the returned function run at once, and the most ever seen. */
function gauge(): { peak: () => number; run: <T>(value: T) => Promise<T> } {
  let running = 0;
  let peak = 0;
  return {
    peak: () => peak,
    async run(value) {
      peak = Math.max(peak, ++running);
      await sleep(1);
      running--;
      return value;
    },
  };
}

describe("Semaphore", () => {
  it("hands out permits FIFO and a released permit goes to the next waiter", async () => {
    const semaphore = new Semaphore(1);
    const first = await semaphore.acquire();
    assert.equal(semaphore.available, 0);
    assert.equal(semaphore.tryAcquire(), undefined);
    const order: number[] = [];
    const second = semaphore.acquire().then((permit) => {
      order.push(2);
      return permit;
    });
    const third = semaphore.run(() => order.push(3));
    assert.equal(semaphore.waiting, 2);
    first.release();
    first.release(); // idempotent: must not free a second permit
    (await second)[Symbol.dispose]();
    await third;
    assert.deepEqual(order, [2, 3]);
    assert.equal(semaphore.available, 1);
  });

  it("a waiter that aborts leaves the queue with the signal's reason", async () => {
    const semaphore = new Semaphore(1);
    using _held = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire({ signal: controller.signal });
    controller.abort(new Error("gave up"));
    await assert.rejects(waiting, (e) => (e as Error).message === "gave up");
    assert.equal(semaphore.waiting, 0);
  });

  it("weighted permits, resize, and a bounded wait line that fails fast", async () => {
    const semaphore = new Semaphore(3, { maxWaiting: 1 });
    const heavy = await semaphore.acquire({ weight: 2 });
    assert.equal(semaphore.available, 1);
    const parked = semaphore.acquire({ weight: 2 });
    await assert.rejects(
      semaphore.acquire(),
      (e) => e instanceof BulkheadFullError && e.maxWaiting === 1,
    );
    semaphore.resize(4); // room for the parked weight-2 call at once
    const second = await parked;
    assert.equal(semaphore.available, 0);
    heavy.release();
    second.release();
    assert.equal(semaphore.available, 4);
  });
});

describe("limit", () => {
  it("runs at most `concurrency` calls, passes arguments and keeps call order", async () => {
    const load = gauge();
    const run = limit(2);
    const started: number[] = [];
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        run(async (x: number) => {
          started.push(x);
          return load.run(x * 10);
        }, n),
      ),
    );
    assert.deepEqual(results, [10, 20, 30, 40, 50]);
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.equal(load.peak(), 2);
    assert.deepEqual(await run.map([1, 2], (value, index) => value + index), [1, 3]);
  });

  it("clearQueue rejects waiting calls and leaves running ones alone", async () => {
    const run = limit({ concurrency: 1 });
    const running = run(() => sleep(2).then(() => "done"));
    const waiting = run(() => "never");
    assert.equal(run.activeCount, 1);
    assert.equal(run.pendingCount, 1);
    run.clearQueue();
    await assert.rejects(waiting, (e) => isAbortError(e));
    assert.equal(await running, "done");
    assert.throws(() => limit(0), RangeError);
  });

  it("maxWaiting rejects a call that would wait behind a full line, without calling fn", async () => {
    const run = limit({ concurrency: 1, maxWaiting: 1 });
    let calls = 0;
    const fn = async (): Promise<void> => {
      calls++;
      await sleep(2);
    };
    const first = run(fn);
    const second = run(fn);
    await assert.rejects(run(fn), BulkheadFullError);
    await Promise.all([first, second]);
    assert.equal(calls, 2);
  });

  it("limitFunction bounds one function", async () => {
    const load = gauge();
    const limited = limitFunction((n: number) => load.run(n), { concurrency: 3 });
    assert.deepEqual(
      await Promise.all([1, 2, 3, 4, 5, 6].map((n) => limited(n))),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(load.peak(), 3);
  });
});

describe("mapConcurrent", () => {
  it("maps an iterable in input order within the bound", async () => {
    const load = gauge();
    const out = await mapConcurrent([1, 2, 3, 4, 5], (x, i) => load.run(x * 2 + i), {
      concurrency: 2,
    });
    assert.deepEqual(out, [2, 5, 8, 11, 14]);
    assert.equal(load.peak(), 2);
  });

  it("stopOnError: false runs everything and rejects with an AggregateError", async () => {
    const seen: number[] = [];
    const pending = mapConcurrent(
      [1, 2, 3],
      async (x) => {
        seen.push(x);
        if (x !== 2) throw new Error(`bad ${x}`);
        return x;
      },
      { stopOnError: false },
    );
    await assert.rejects(pending, (e) => e instanceof AggregateError && e.errors.length === 2);
    assert.deepEqual(seen, [1, 2, 3]);
  });
});

describe("mapConcurrentIter", () => {
  it("streams results in order from an async source, pulling lazily", async () => {
    assert.equal(DEFAULT_STREAM_CONCURRENCY, 16);
    let pulled = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const out: number[] = [];
    for await (const value of mapConcurrentIter(source(), (x) => sleep(1).then(() => x * x), {
      concurrency: 3,
    })) {
      out.push(value);
      if (out.length === 5) break;
    }
    assert.deepEqual(out, [0, 1, 4, 9, 16]);
    assert.ok(pulled <= 5 + 3 + 1, `pulled ${pulled} items for 5 results at concurrency 3`);
  });

  it("ordered: false yields in finishing order", async () => {
    const out: number[] = [];
    const iterator = mapConcurrentIter([30, 1, 10], (ms) => sleep(ms).then(() => ms), {
      ordered: false,
    });
    for await (const value of iterator) out.push(value);
    assert.deepEqual(out, [1, 10, 30]);
  });
});
