import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncQueue } from "../src/async-queue.ts";
import { chunk } from "../src/chunk.ts";
import { mapConcurrent, mapConcurrentIter } from "../src/map-concurrent.ts";
import { merge } from "../src/merge.ts";
import { take } from "../src/take.ts";
import {
  gatedGenerator,
  nextMacrotask,
  queueSource,
  settlesSoon,
  watchUnhandledRejections,
} from "./helpers/iteration.ts";
import { flush } from "./helpers/signals.ts";

const DONE = { done: true, value: undefined };

let unhandled: ReturnType<typeof watchUnhandledRejections>;
beforeEach(() => {
  unhandled = watchUnhandledRejections();
});
afterEach(async () => {
  await nextMacrotask();
  unhandled.stop();
  expect(unhandled.reasons).toEqual([]);
});

describe("issue 8: an item put after the consumer stopped is not lost", () => {
  it("chunk over a queue: after next() and return(), the next get() returns the late item", async () => {
    const q = new AsyncQueue<number | string>();
    q.tryPut(1);
    const batches = chunk(q, 10, { maxWaitMs: 10 });
    expect(await batches.next()).toEqual({ done: false, value: [1] });
    await batches.return?.();
    expect(q.pendingGets).toBe(0); // the read chunk kept pending left with it
    expect(q.tryPut("late")).toBe(true);
    expect(q.size).toBe(1);
    expect(await q.get()).toBe("late");
  });
});

interface HelperCase {
  name: string;
  open(source: AsyncIterable<string>, signal: AbortSignal): AsyncIterableIterator<unknown>;
  /** Puts that make the helper yield its first value, and that value. */
  first: { put: string[]; value: unknown };
  takesSignal: boolean;
}

const identity = async (item: string): Promise<string> => item;

const helpers: HelperCase[] = [
  {
    name: "chunk",
    open: (source, signal) => chunk(source, 3, { signal }),
    first: { put: ["a", "b", "c"], value: ["a", "b", "c"] },
    takesSignal: true,
  },
  {
    name: "chunk with maxWaitMs",
    open: (source, signal) => chunk(source, 3, { maxWaitMs: 5, signal }),
    first: { put: ["a"], value: ["a"] },
    takesSignal: true,
  },
  {
    name: "take",
    open: (source) => take(source, 5),
    first: { put: ["a"], value: "a" },
    takesSignal: false,
  },
  {
    name: "merge",
    open: (source) => merge(source),
    first: { put: ["a"], value: "a" },
    takesSignal: false,
  },
  {
    name: "mapConcurrentIter (ordered)",
    open: (source, signal) => mapConcurrentIter(source, identity, { concurrency: 2, signal }),
    first: { put: ["a"], value: "a" },
    takesSignal: true,
  },
  {
    name: "mapConcurrentIter (unordered)",
    open: (source, signal) =>
      mapConcurrentIter(source, identity, { concurrency: 2, ordered: false, signal }),
    first: { put: ["a"], value: "a" },
    takesSignal: true,
  },
];

const queueIterator: HelperCase = {
  name: "AsyncQueue iterator",
  open: (source) => source[Symbol.asyncIterator]() as AsyncIterableIterator<unknown>,
  first: { put: ["a"], value: "a" },
  takesSignal: false,
};

type How = "return" | "throw" | "abort";

const closeCases = [queueIterator, ...helpers].flatMap((helper) =>
  (["return", "throw", "abort"] as How[])
    .filter((how) => how !== "abort" || helper.takesSignal)
    .map((how) => ({ name: helper.name, helper, how })),
);

/** Closes `iterator` the `how` way and checks what the close call itself answers. */
async function close(
  how: How,
  iterator: AsyncIterableIterator<unknown>,
  controller: AbortController,
): Promise<unknown> {
  const reason = new Error(`closed by ${how}`);
  if (how === "abort") controller.abort(reason);
  else if (how === "throw") await expect(iterator.throw?.(reason)).rejects.toBe(reason);
  else {
    const returned = iterator.return?.() as Promise<unknown>;
    expect(await settlesSoon(returned)).toBe(true);
    expect(await returned).toEqual(DONE);
  }
  return reason;
}

describe("closed while a read is pending on an AsyncQueue source", () => {
  it.each(closeCases)(
    "$name, closed by $how: the read is withdrawn, the next reader gets the item",
    async ({ helper, how }) => {
      const { queue, iterable, stats } = queueSource();
      const controller = new AbortController();
      const iterator = helper.open(iterable, controller.signal);
      const pending = iterator.next();
      await flush();
      expect(queue.pendingGets).toBe(1);

      const reason = await close(how, iterator, controller);
      if (how === "abort") await expect(pending).rejects.toBe(reason);
      else expect(await pending).toEqual(DONE);
      expect(stats.closeCalls).toBe(1);
      expect(queue.pendingGets).toBe(0);

      expect(queue.tryPut("late")).toBe(true);
      expect(queue.size).toBe(1);
      expect(await queue.get()).toBe("late");
      expect(await iterator.next()).toEqual(DONE);
    },
  );

  it.each([queueIterator, ...helpers])(
    "$name: a break after the first value leaves no read behind",
    async (helper) => {
      const { queue, iterable, stats } = queueSource();
      const iterator = helper.open(iterable, new AbortController().signal);
      for (const item of helper.first.put) queue.tryPut(item);
      const received: unknown[] = [];
      for await (const value of { [Symbol.asyncIterator]: () => iterator }) {
        received.push(value);
        break;
      }
      expect(received).toEqual([helper.first.value]);
      await flush();
      expect(stats.closeCalls).toBe(1);
      expect(queue.pendingGets).toBe(0);
      expect(queue.tryPut("late")).toBe(true);
      expect(await queue.get()).toBe("late");
    },
  );

  it("chunk closed while its next() waits on a partial chunk hands that chunk over", async () => {
    const { queue, iterable } = queueSource();
    const batches = chunk(iterable, 3);
    const pending = batches.next();
    queue.tryPut("a");
    queue.tryPut("b");
    await flush();
    expect(queue.pendingGets).toBe(1);
    await batches.return?.();
    expect(await pending).toEqual({ done: false, value: ["a", "b"] });
    queue.tryPut("late");
    expect(await queue.get()).toBe("late");
  });

  it("an item put in the same tick as the close was already handed out: it goes with the helper", async () => {
    const { queue, iterable } = queueSource();
    const items = take(iterable, 5);
    const pending = items.next();
    await flush();
    queue.tryPut("handed"); // served to take's parked read before take has seen it
    await items.return?.();
    expect(await pending).toEqual(DONE);
    expect(queue.size).toBe(0);
    queue.tryPut("next");
    expect(await queue.get()).toBe("next");
  });

  it("mapConcurrent aborted while it waits on a queue input withdraws its read", async () => {
    const { queue, iterable, stats } = queueSource();
    const controller = new AbortController();
    const all = mapConcurrent(iterable, identity, { concurrency: 2, signal: controller.signal });
    queue.tryPut("a");
    await flush();
    expect(queue.pendingGets).toBe(1);
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(all).rejects.toBe(reason);
    expect(stats.closeCalls).toBe(1);
    expect(queue.pendingGets).toBe(0);
    queue.tryPut("late");
    expect(await queue.get()).toBe("late");
  });
});

describe("closed while a generator source is mid-await", () => {
  const generatorCases = closeCases.filter(({ helper }) => helper !== queueIterator);

  it.each(generatorCases)(
    "$name, closed by $how: settles at once; the generator's late item is dropped",
    async ({ helper, how }) => {
      const { iterable, generator, stats, gate, state } = gatedGenerator();
      const controller = new AbortController();
      const iterator = helper.open(iterable, controller.signal);
      const pending = iterator.next();
      await flush();
      expect(stats.nextCalls).toBe(1);

      const reason = await close(how, iterator, controller);
      if (how === "abort") await expect(pending).rejects.toBe(reason);
      else expect(await pending).toEqual(DONE);
      expect(stats.closeCalls).toBe(1);
      // An async generator runs return() only after the step it is in: it cannot leave an await.
      expect(state.finalized).toBe(false);

      gate.resolve();
      await flush();
      expect(state.yieldedLate).toBe(true); // into the read that was abandoned: dropped
      expect(state.finalized).toBe(true);
      expect(await generator.next()).toEqual(DONE);
      expect(await iterator.next()).toEqual(DONE);
    },
  );

  it.each(helpers)(
    "$name: a generator failing after the close raises no unhandled rejection",
    async (helper) => {
      const { iterable, gate, state } = gatedGenerator();
      const iterator = helper.open(iterable, new AbortController().signal);
      const pending = iterator.next();
      await flush();
      await iterator.return?.();
      expect(await pending).toEqual(DONE);
      gate.reject(new Error("failed after the consumer left"));
      await flush();
      expect(state.finalized).toBe(true);
      // afterEach asserts that the abandoned read's rejection was handled.
    },
  );

  it("a generator wrapping a queue cannot give the item back: wrap nothing, pass the queue", async () => {
    const queue = new AsyncQueue<string>();
    async function* wrapped(): AsyncGenerator<string> {
      for await (const item of queue) yield item;
    }
    const batches = chunk(wrapped(), 10);
    const pending = batches.next();
    await flush();
    await batches.return?.();
    expect(await pending).toEqual(DONE);
    // The generator's own read of the queue is still parked, and only it can end it.
    expect(queue.pendingGets).toBe(1);
    queue.tryPut("late");
    await flush();
    expect(queue.size).toBe(0);
    expect(queue.pendingGets).toBe(0);
  });
});
