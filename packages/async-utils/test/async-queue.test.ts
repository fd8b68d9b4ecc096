import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { AsyncQueue, QueueClosedError } from "../src/async-queue.ts";
import { AbortError } from "../src/errors.ts";
import { abortInBulk, heapUsed } from "./helpers/bulk-abort.ts";

/** Lets every queued microtask (and the chains they start) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** "pending", "fulfilled" or "rejected", observed after pending microtasks ran. */
async function stateOf(promise: Promise<unknown>): Promise<string> {
  let state = "pending";
  promise.then(
    () => {
      state = "fulfilled";
    },
    () => {
      state = "rejected";
    },
  );
  await flush();
  return state;
}

describe("AsyncQueue basics", () => {
  it("hands items out in FIFO order", async () => {
    const queue = new AsyncQueue<number>();
    for (let i = 0; i < 5; i++) await queue.put(i);
    expect(queue.size).toBe(5);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push(await queue.get());
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(queue.size).toBe(0);
  });

  it("defaults to an unbounded capacity that never blocks put", async () => {
    const queue = new AsyncQueue<number>();
    expect(queue.capacity).toBe(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 10_000; i++) expect(queue.tryPut(i)).toBe(true);
    expect(queue.size).toBe(10_000);
    expect(queue.tryGet()).toBe(0);
  });

  it("rejects a capacity that is negative or fractional", () => {
    expect(() => new AsyncQueue({ capacity: -1 })).toThrow(RangeError);
    expect(() => new AsyncQueue({ capacity: 1.5 })).toThrow(RangeError);
    expect(() => new AsyncQueue({ capacity: Number.NaN })).toThrow(RangeError);
  });

  it("tryPut and tryGet never wait", () => {
    const queue = new AsyncQueue<string>({ capacity: 1 });
    expect(queue.tryGet()).toBeUndefined();
    expect(queue.tryPut("a")).toBe(true);
    expect(queue.tryPut("b")).toBe(false);
    expect(queue.tryGet()).toBe("a");
    expect(queue.tryGet()).toBeUndefined();
  });
});

describe("AsyncQueue backpressure and waiting", () => {
  it("put waits while the queue is full and resumes when an item is taken (capacity 1)", async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    await queue.put(1);
    const second = queue.put(2);
    expect(await stateOf(second)).toBe("pending");
    expect(queue.pendingPuts).toBe(1);
    expect(await queue.get()).toBe(1);
    await second;
    expect(queue.size).toBe(1);
    expect(queue.pendingPuts).toBe(0);
    expect(await queue.get()).toBe(2);
  });

  it("get waits while empty and receives the next put directly", async () => {
    const queue = new AsyncQueue<string>();
    const got = queue.get();
    expect(await stateOf(got)).toBe("pending");
    expect(queue.pendingGets).toBe(1);
    await queue.put("x");
    expect(await got).toBe("x");
    expect(queue.size).toBe(0);
  });

  it("serves parked consumers first come, first served", async () => {
    const queue = new AsyncQueue<number>();
    const consumers = [queue.get(), queue.get(), queue.get()];
    for (let i = 0; i < 3; i++) queue.tryPut(i);
    expect(await Promise.all(consumers)).toEqual([0, 1, 2]);
  });

  it("admits parked producers in the order they arrived", async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    queue.tryPut(0);
    const producers = [queue.put(1), queue.put(2), queue.put(3)];
    expect(queue.tryPut(99)).toBe(false); // no jumping the line, even if room appears later
    const out: number[] = [];
    for (let i = 0; i < 4; i++) out.push(await queue.get());
    await Promise.all(producers);
    expect(out).toEqual([0, 1, 2, 3]);
  });

  it("capacity 0 is a rendezvous: put completes only when a consumer takes the item", async () => {
    const queue = new AsyncQueue<string>({ capacity: 0 });
    expect(queue.tryPut("lost")).toBe(false);
    const put = queue.put("hello");
    expect(await stateOf(put)).toBe("pending");
    expect(queue.size).toBe(0);
    expect(queue.tryGet()).toBe("hello");
    await put;
    const get = queue.get();
    expect(queue.tryPut("direct")).toBe(true);
    expect(await get).toBe("direct");
  });
});

describe("AsyncQueue close", () => {
  it("lets consumers drain what is left, then ends them", async () => {
    const queue = new AsyncQueue<number>();
    queue.tryPut(1);
    queue.tryPut(2);
    queue.close();
    expect(queue.closed).toBe(true);
    expect(await queue.get()).toBe(1);
    expect(await queue.get()).toBe(2);
    await expect(queue.get()).rejects.toBeInstanceOf(QueueClosedError);
  });

  it("rejects further and parked puts; tryPut returns false", async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    queue.tryPut(1);
    const parked = queue.put(2);
    queue.close();
    await expect(parked).rejects.toBeInstanceOf(QueueClosedError);
    await expect(queue.put(3)).rejects.toBeInstanceOf(QueueClosedError);
    expect(queue.tryPut(4)).toBe(false);
    expect(queue.pendingPuts).toBe(0);
    expect(queue.tryGet()).toBe(1);
  });

  it("wakes parked consumers with QueueClosedError", async () => {
    const queue = new AsyncQueue<number>();
    const waiting = [queue.get(), queue.get()];
    queue.close();
    for (const get of waiting) await expect(get).rejects.toBeInstanceOf(QueueClosedError);
    expect(queue.pendingGets).toBe(0);
    queue.close(); // idempotent
  });

  it("async iteration yields everything, then ends once closed and drained", async () => {
    const queue = new AsyncQueue<number>({ capacity: 2 });
    const producer = (async () => {
      for (let i = 0; i < 10; i++) await queue.put(i);
      queue.close();
    })();
    const seen: number[] = [];
    for await (const item of queue) seen.push(item);
    await producer;
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("async iteration over a closed empty queue yields nothing", async () => {
    const queue = new AsyncQueue<number>();
    queue.close();
    const seen: number[] = [];
    for await (const item of queue) seen.push(item);
    expect(seen).toEqual([]);
  });
});

describe("AsyncQueue iterator leaving early", () => {
  const DONE = { done: true, value: undefined };

  it("return() withdraws every parked next(); the next item goes to the next reader", async () => {
    const queue = new AsyncQueue<string>();
    const reader = queue[Symbol.asyncIterator]();
    const parked = [reader.next(), reader.next()];
    expect(queue.pendingGets).toBe(2);
    expect(await reader.return?.()).toEqual(DONE);
    expect(queue.pendingGets).toBe(0);
    expect(await Promise.all(parked)).toEqual([DONE, DONE]);
    expect(queue.tryPut("late")).toBe(true);
    expect(queue.size).toBe(1);
    expect(await queue.get()).toBe("late");
    expect(await reader.next()).toEqual(DONE); // over for good, even with items queued
    queue.tryPut("more");
    expect(await reader.next()).toEqual(DONE);
    expect(await reader.return?.()).toEqual(DONE);
    expect(queue.tryGet()).toBe("more");
  });

  it("throw() withdraws the parked reads too, then rejects with the error", async () => {
    const queue = new AsyncQueue<string>();
    const reader = queue[Symbol.asyncIterator]();
    const parked = reader.next();
    const error = new Error("consumer failed");
    await expect(reader.throw?.(error)).rejects.toBe(error);
    expect(await parked).toEqual(DONE);
    expect(queue.pendingGets).toBe(0);
  });

  it("another reader keeps its place in line", async () => {
    const queue = new AsyncQueue<string>();
    const leaving = queue[Symbol.asyncIterator]();
    const staying = queue[Symbol.asyncIterator]();
    const abandoned = leaving.next();
    const waiting = staying.next();
    const getter = queue.get();
    await leaving.return?.();
    queue.tryPut("x");
    queue.tryPut("y");
    expect(await abandoned).toEqual(DONE);
    expect(await waiting).toEqual({ done: false, value: "x" });
    expect(await getter).toBe("y");
  });

  it("a read the queue already served keeps its item when return() follows in the same tick", async () => {
    const queue = new AsyncQueue<string>();
    const reader = queue[Symbol.asyncIterator]();
    const served = reader.next();
    queue.tryPut("x"); // handed to the parked read at once
    await reader.return?.();
    expect(await served).toEqual({ done: false, value: "x" });
    expect(queue.size).toBe(0);
  });

  it("close() ends parked reads; return() afterwards is harmless", async () => {
    const queue = new AsyncQueue<string>();
    const reader = queue[Symbol.asyncIterator]();
    const parked = reader.next();
    queue.close();
    expect(await parked).toEqual(DONE);
    expect(await reader.next()).toEqual(DONE);
    expect(await reader.return?.()).toEqual(DONE);
  });

  it("a long iteration whose every read parks first keeps nothing per item", async () => {
    const queue = new AsyncQueue<number>();
    const reader = queue[Symbol.asyncIterator]();
    let mismatches = 0;
    const run = async (from: number): Promise<void> => {
      for (let i = from; i < from + 100_000; i++) {
        const next = reader.next();
        queue.tryPut(i);
        if ((await next).value !== i) mismatches++;
      }
    };
    await run(0);
    const before = heapUsed();
    await run(100_000);
    const after = heapUsed();
    expect(mismatches).toBe(0);
    expect(queue.pendingGets).toBe(0);
    // 100,000 retained read records would hold several MB
    if (before !== undefined && after !== undefined) {
      expect(after - before).toBeLessThan(2 * 2 ** 20);
    }
  });
});

describe("AsyncQueue clear", () => {
  it("drops buffered items, returns the count and lets parked producers in", async () => {
    const queue = new AsyncQueue<number>({ capacity: 2 });
    queue.tryPut(1);
    queue.tryPut(2);
    const parked = [queue.put(3), queue.put(4), queue.put(5)];
    expect(queue.clear()).toBe(2);
    const states = await Promise.all(parked.map(stateOf));
    expect(states).toEqual(["fulfilled", "fulfilled", "pending"]);
    expect([queue.tryGet(), queue.tryGet()]).toEqual([3, 4]);
    await parked[2];
    expect(queue.tryGet()).toBe(5);
  });

  it("returns 0 on an empty queue and leaves parked consumers waiting for real items", async () => {
    const queue = new AsyncQueue<number>();
    const get = queue.get();
    expect(queue.clear()).toBe(0);
    expect(await stateOf(get)).toBe("pending");
    queue.tryPut(7);
    expect(await get).toBe(7);
  });

  it("counts dropped items as done, so join() does not hang", async () => {
    const queue = new AsyncQueue<number>();
    queue.tryPut(1);
    queue.tryPut(2);
    const joined = queue.join();
    expect(await stateOf(joined)).toBe("pending");
    queue.clear();
    await joined;
  });
});

describe("AsyncQueue taskDone and join", () => {
  it("join resolves at once when nothing was put", async () => {
    await new AsyncQueue<number>().join();
  });

  it("join waits until every item got taskDone()", async () => {
    const queue = new AsyncQueue<number>();
    queue.tryPut(1);
    queue.tryPut(2);
    const joined = queue.join();
    await queue.get();
    queue.taskDone();
    expect(await stateOf(joined)).toBe("pending");
    await queue.get();
    expect(await stateOf(joined)).toBe("pending"); // taken but not processed yet
    queue.taskDone();
    await joined;
  });

  it("counts items handed straight to a waiting consumer or admitted from a parked producer", async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    const got = queue.get();
    queue.tryPut(1); // direct hand-off
    await got;
    queue.tryPut(2);
    const parked = queue.put(3);
    await queue.get();
    await parked;
    await queue.get();
    const joined = queue.join();
    queue.taskDone();
    queue.taskDone();
    expect(await stateOf(joined)).toBe("pending");
    queue.taskDone();
    await joined;
  });

  it("taskDone() beyond the items put throws RangeError", () => {
    const queue = new AsyncQueue<number>();
    expect(() => queue.taskDone()).toThrow(RangeError);
    queue.tryPut(1);
    queue.taskDone();
    expect(() => queue.taskDone()).toThrow(RangeError);
  });

  it("join can be aborted", async () => {
    const queue = new AsyncQueue<number>();
    queue.tryPut(1);
    const controller = new AbortController();
    const joined = queue.join({ signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(joined).rejects.toThrow("stop");
    await expect(queue.join({ signal: controller.signal })).rejects.toThrow("stop");
  });
});

describe("AsyncQueue cancellation", () => {
  it("an aborted get leaves the queue at once and rejects with the signal's reason", async () => {
    const queue = new AsyncQueue<number>();
    const controller = new AbortController();
    const get = queue.get({ signal: controller.signal });
    const reason = new Error("gone");
    controller.abort(reason);
    await expect(get).rejects.toBe(reason);
    expect(queue.pendingGets).toBe(0);
    queue.tryPut(1);
    expect(queue.size).toBe(1); // not swallowed by the aborted consumer
  });

  it("an aborted put leaves the queue and its item is never added", async () => {
    const queue = new AsyncQueue<string>({ capacity: 1 });
    queue.tryPut("a");
    const controller = new AbortController();
    const put = queue.put("b", { signal: controller.signal });
    controller.abort();
    await expect(put).rejects.toMatchObject({ name: "AbortError" });
    expect(queue.pendingPuts).toBe(0);
    expect(queue.tryGet()).toBe("a");
    expect(queue.tryGet()).toBeUndefined();
  });

  it("rejects at once when the signal is already aborted, without touching the queue", async () => {
    const queue = new AsyncQueue<number>();
    const signal = AbortSignal.abort(new AbortError("early"));
    await expect(queue.put(1, { signal })).rejects.toThrow("early");
    await expect(queue.get({ signal })).rejects.toThrow("early");
    expect(queue.size).toBe(0);
  });

  it("an abort that arrives after the item was delivered changes nothing", async () => {
    const queue = new AsyncQueue<number>();
    const controller = new AbortController();
    const get = queue.get({ signal: controller.signal });
    queue.tryPut(5);
    controller.abort();
    expect(await get).toBe(5);
  });

  it("100,000 aborted get() waiters leave nothing behind", async () => {
    const queue = new AsyncQueue<number>();
    // The first batch lets the runtime grow its own tables to their high-water mark; a leak of
    // ours would show as growth from one batch to the next.
    await abortInBulk(
      (signal) => queue.get({ signal }),
      () => queue.pendingGets,
    );
    const afterFirst = heapUsed();
    await abortInBulk(
      (signal) => queue.get({ signal }),
      () => queue.pendingGets,
    );
    const afterSecond = heapUsed();
    queue.tryPut(1);
    expect(queue.size).toBe(1); // not swallowed by a stale consumer
    expect(await queue.get()).toBe(1);
    // 100,000 retained waiters would hold well over 10 MB (promise, closures, node, listener)
    if (afterFirst !== undefined && afterSecond !== undefined) {
      expect(afterSecond - afterFirst).toBeLessThan(2 * 2 ** 20);
    }
  });

  it("100,000 aborted put() waiters on a full queue leave nothing behind", async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    queue.tryPut(-1);
    await abortInBulk(
      (signal, i) => queue.put(i, { signal }),
      () => queue.pendingPuts,
    );
    const afterFirst = heapUsed();
    await abortInBulk(
      (signal, i) => queue.put(i, { signal }),
      () => queue.pendingPuts,
    );
    const afterSecond = heapUsed();
    expect(queue.tryGet()).toBe(-1);
    expect(queue.tryGet()).toBeUndefined(); // no aborted item slipped in
    if (afterFirst !== undefined && afterSecond !== undefined) {
      expect(afterSecond - afterFirst).toBeLessThan(2 * 2 ** 20);
    }
  });

  it("detaches its abort listener from a long-lived signal whether the wait ends by item or by abort", async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const add = vi.spyOn(signal, "addEventListener");
    const remove = vi.spyOn(signal, "removeEventListener");
    const queue = new AsyncQueue<number>({ capacity: 1 });
    const gets = Array.from({ length: 1_000 }, () => queue.get({ signal }));
    for (let i = 0; i < 1_000; i++) queue.tryPut(i);
    await Promise.all(gets);
    queue.tryPut(0);
    const puts = Array.from({ length: 1_000 }, (_, i) => queue.put(i, { signal }));
    for (let i = 0; i < 1_000; i++) await queue.get();
    await Promise.all(puts);
    // Waiters on one signal share a native listener; nothing may stay attached afterwards.
    expect(add.mock.calls.length).toBeGreaterThan(0);
    expect(remove.mock.calls.length).toBe(add.mock.calls.length);
  });

  it("100,000 waiters parked on one shared signal cost one native listener and all leave on abort", async () => {
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const queue = new AsyncQueue<number>();
    const gets = Array.from({ length: 100_000 }, () => queue.get({ signal: controller.signal }));
    expect(add).toHaveBeenCalledTimes(1);
    expect(queue.pendingGets).toBe(100_000);
    const reason = new Error("request finished");
    controller.abort(reason);
    expect(queue.pendingGets).toBe(0);
    const outcomes = await Promise.allSettled(gets);
    expect(outcomes.every((o) => o.status === "rejected" && o.reason === reason)).toBe(true);
  });
});

describe("AsyncQueue properties", () => {
  it("loses nothing, duplicates nothing and keeps each producer's order under any interleaving", async () => {
    type Item = { producer: number; seq: number };
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Number.POSITIVE_INFINITY)),
        fc.array(fc.array(fc.boolean(), { maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
        async (s, capacity, producerPlans, consumerPlans) => {
          const queue = new AsyncQueue<Item>({ capacity });
          const accepted: Item[] = [];
          const received: Item[] = [];

          // Each planned put may be raced by an abort released at a random point.
          const producers = producerPlans.map(async (plan, producer) => {
            for (let seq = 0; seq < plan.length; seq++) {
              await s.schedule(Promise.resolve(), `p${producer} before put ${seq}`);
              const item = { producer, seq };
              const controller = new AbortController();
              if (plan[seq]) {
                s.schedule(Promise.resolve(), `abort put p${producer}:${seq}`).then(() =>
                  controller.abort(),
                );
              }
              try {
                await queue.put(item, { signal: controller.signal });
                accepted.push(item);
              } catch (error) {
                expect(error).toMatchObject({ name: "AbortError" });
              }
            }
          });
          const consumers = consumerPlans.map(async (abortsSometimes, consumer) => {
            for (let round = 0; ; round++) {
              await s.schedule(Promise.resolve(), `c${consumer} before get ${round}`);
              const controller = new AbortController();
              if (abortsSometimes && round % 2 === 1) {
                s.schedule(Promise.resolve(), `abort get c${consumer}:${round}`).then(() =>
                  controller.abort(),
                );
              }
              try {
                received.push(await queue.get({ signal: controller.signal }));
              } catch (error) {
                if (error instanceof QueueClosedError) return;
                expect(error).toMatchObject({ name: "AbortError" });
              }
            }
          });
          const closer = Promise.all(producers).then(() => queue.close());
          await s.waitFor(Promise.all([closer, ...consumers]));

          const key = (item: Item) => `${item.producer}:${item.seq}`;
          expect(received.map(key).sort()).toEqual(accepted.map(key).sort());
          expect(new Set(received.map(key)).size).toBe(received.length);
          for (let producer = 0; producer < producerPlans.length; producer++) {
            const order = received.filter((item) => item.producer === producer).map((i) => i.seq);
            expect(order).toEqual([...order].sort((a, b) => a - b));
          }
          expect(queue.size).toBe(0);
          expect(queue.pendingGets).toBe(0);
          expect(queue.pendingPuts).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("delivers a single producer's items in exactly the order they were accepted", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 3 }),
        async (s, capacity, count, consumerCount) => {
          const queue = new AsyncQueue<number>({ capacity });
          const received: number[] = [];
          const producer = (async () => {
            for (let i = 0; i < count; i++) {
              await s.schedule(Promise.resolve());
              if (!queue.tryPut(i)) await queue.put(i);
            }
            queue.close();
          })();
          const consumers = Array.from({ length: consumerCount }, async () => {
            for await (const item of queue) {
              received.push(item);
              await s.schedule(Promise.resolve());
            }
          });
          await s.waitFor(Promise.all([producer, ...consumers]));
          expect(received).toEqual(Array.from({ length: count }, (_, i) => i));
        },
      ),
      { numRuns: 200 },
    );
  });
});
