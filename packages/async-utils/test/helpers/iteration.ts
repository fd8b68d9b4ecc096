// Sources and probes for the tests of iterator helpers being closed mid-read.

import { AsyncQueue } from "../../src/async-queue.ts";
import { deferred } from "./signals.ts";

/** What a spied source saw: reads asked of it, and return() or throw() calls that end it. */
export interface SourceStats {
  nextCalls: number;
  closeCalls: number;
}

/**
 * Wraps `iterable` so its iterators count next() and return() calls. The wrapped next() returns
 * the inner promise itself, so a helper sees exactly the timing the inner iterator gives.
 */
export function spied<T>(iterable: AsyncIterable<T>): {
  iterable: AsyncIterable<T>;
  stats: SourceStats;
} {
  const stats: SourceStats = { nextCalls: 0, closeCalls: 0 };
  return {
    stats,
    iterable: {
      [Symbol.asyncIterator]() {
        const inner = iterable[Symbol.asyncIterator]();
        return {
          next() {
            stats.nextCalls++;
            return inner.next();
          },
          return(value?: unknown) {
            stats.closeCalls++;
            return inner.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
          },
          throw(error?: unknown) {
            stats.closeCalls++;
            return inner.throw?.(error) ?? Promise.reject(error);
          },
          [Symbol.asyncIterator]() {
            return this;
          },
        };
      },
    },
  };
}

/** An empty queue behind a spied iterable. */
export function queueSource(): {
  queue: AsyncQueue<string>;
  iterable: AsyncIterable<string>;
  stats: SourceStats;
} {
  const queue = new AsyncQueue<string>();
  return { queue, ...spied(queue) };
}

/**
 * An async generator that first waits on `gate` (so a read of it is pending mid-`await`), then
 * yields "late" and "never". `state` records whether it got to yield "late" and ran its finally.
 */
export function gatedGenerator(): {
  iterable: AsyncIterable<string>;
  generator: AsyncGenerator<string>;
  stats: SourceStats;
  gate: PromiseWithResolvers<void>;
  state: { yieldedLate: boolean; finalized: boolean };
} {
  const gate = deferred();
  const state = { yieldedLate: false, finalized: false };
  async function* source(): AsyncGenerator<string> {
    try {
      await gate.promise;
      state.yieldedLate = true;
      yield "late";
      yield "never";
    } finally {
      state.finalized = true;
    }
  }
  const generator = source();
  const { iterable, stats } = spied<string>({ [Symbol.asyncIterator]: () => generator });
  return { iterable, generator, stats, gate, state };
}

/** Lets microtasks and one macrotask run (so unhandled rejections get reported). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Collects unhandled promise rejections until `stop()`. Uses `process.on`, which Node and
 * workerd (with nodejs_compat) both provide.
 */
export function watchUnhandledRejections(): { reasons: unknown[]; stop: () => void } {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on("unhandledRejection", onRejection);
  return { reasons, stop: () => process.off("unhandledRejection", onRejection) };
}

/** True if `promise` settles once pending microtasks have run (it does not wait longer). */
export async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 50; i++) await Promise.resolve();
  return settled;
}
