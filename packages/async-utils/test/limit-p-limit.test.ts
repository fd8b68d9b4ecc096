// limit as a drop-in for p-limit 7.3: one test per behaviour that p-limit's README, type
// declarations and test suite promise, written against limit. The differences are the ones the
// README's "Differences from p-limit" table lists; the tests that touch them say so.
import { describe, expect, it } from "vitest";
import { limit, limitFunction } from "../src/limit.ts";
import { deferred, flush } from "./helpers/signals.ts";

/** Resolves after `ticks` microtask turns: a deterministic stand-in for a short delay. */
async function ticks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

/** Runs `calls` calls of `work` through `run`, logging how many were running as each started. */
function logRunning(
  run: (fn: () => Promise<void>) => Promise<void>,
  calls: number,
  gates: PromiseWithResolvers<void>[],
): { log: number[]; done: Promise<unknown> } {
  let running = 0;
  const log: number[] = [];
  const done = Promise.all(
    Array.from({ length: calls }, (_, i) =>
      run(async () => {
        log.push(++running);
        await (gates[i] as PromiseWithResolvers<void>).promise;
        running--;
      }),
    ),
  );
  return { log, done };
}

describe("limit behaves as p-limit 7.3", () => {
  it("concurrency 1 runs the calls one after another and keeps each result", async () => {
    const run = limit(1);
    const order: string[] = [];
    const input: [number, number][] = [
      [10, 6],
      [20, 4],
      [30, 2],
    ];
    const results = input.map(([value, wait]) =>
      run(async () => {
        order.push(`start ${value}`);
        await ticks(wait);
        order.push(`end ${value}`);
        return value;
      }),
    );
    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30]);
    expect(order).toEqual(["start 10", "end 10", "start 20", "end 20", "start 30", "end 30"]);
  });

  it("never runs more than `concurrency` calls at once", async () => {
    const run = limit(5);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        run(async () => {
          peak = Math.max(peak, ++running);
          await ticks((i * 7) % 11);
          running--;
        }),
      ),
    );
    expect(peak).toBe(5);
  });

  it("resolves with a non-promise return value", async () => {
    await expect(limit(1)(() => null)).resolves.toBeNull();
  });

  it("turns a synchronous throw into a rejection and runs the next call", async () => {
    const run = limit(1);
    let ran = false;
    const failing = run(() => {
      throw new Error("err");
    });
    const next = run(() => {
      ran = true;
    });
    await expect(failing).rejects.toThrow("err");
    await next;
    expect(ran).toBe(true);
  });

  it("passes additional arguments to fn", async () => {
    const symbol = Symbol("test");
    await expect(limit(1)((a: symbol, b: number) => [a, b], symbol, 2)).resolves.toEqual([
      symbol,
      2,
    ]);
  });

  it("rejects with the error of the call that failed", async () => {
    const run = limit(1);
    const error = new Error("🦄");
    const calls = [
      run(() => ticks(3)),
      run(async () => {
        await ticks(8);
        throw error;
      }),
      run(() => ticks(5)),
    ];
    await expect(Promise.all(calls)).rejects.toBe(error);
  });

  it("counts a call as active at once and starts fn after the current synchronous code", async () => {
    const run = limit(5);
    let value = "before";
    const first = run(() => value);
    // p-limit 7.3: the slot is taken synchronously, fn is called in a later microtask.
    expect(run.activeCount).toBe(1);
    expect(run.pendingCount).toBe(0);
    value = "after";
    await expect(first).resolves.toBe("after");
    expect(run.activeCount).toBe(0);

    const gates = Array.from({ length: 8 }, () => deferred());
    const calls = gates.map((gate) => run(() => gate.promise));
    expect(run.activeCount).toBe(5);
    expect(run.pendingCount).toBe(3);
    for (const gate of gates.slice(0, 5)) gate.resolve();
    await Promise.all(calls.slice(0, 5));
    expect(run.activeCount).toBe(3);
    expect(run.pendingCount).toBe(0);
    for (const gate of gates.slice(5)) gate.resolve();
    await Promise.all(calls);
    expect(run.activeCount).toBe(0);
  });

  it("clearQueue with rejectOnClear: false drops the waiting calls as p-limit does", async () => {
    const run = limit({ concurrency: 1, rejectOnClear: false });
    const gate = deferred();
    const running = run(() => gate.promise);
    let called = 0;
    let settled = 0;
    for (let i = 0; i < 3; i++) {
      run(() => called++).then(
        () => settled++,
        () => settled++,
      );
    }
    expect(run.pendingCount).toBe(3);
    run.clearQueue();
    expect(run.pendingCount).toBe(0);
    gate.resolve();
    await running;
    await flush();
    expect(called).toBe(0);
    expect(settled).toBe(0);
  });

  it("clearQueue with rejectOnClear: true rejects the waiting calls with an AbortError", async () => {
    const run = limit({ concurrency: 1, rejectOnClear: true });
    const gate = deferred();
    const running = run(() => gate.promise);
    const waiting = [run(() => 1), run(() => 2)];
    run.clearQueue();
    for (const call of waiting) await expect(call).rejects.toMatchObject({ name: "AbortError" });
    gate.resolve();
    await expect(running).resolves.toBeUndefined();
  });

  it("throws on an invalid concurrency, naming the value", () => {
    for (const bad of [0, -1, 1.2, undefined, true, Number.NaN, "2", null]) {
      expect(() => limit(bad as number)).toThrow(RangeError);
      expect(() => limit({ concurrency: bad as number })).toThrow(RangeError);
    }
    expect(() => limit(undefined as unknown as number)).toThrow(
      "concurrency must be a positive integer or Infinity, got undefined",
    );
    expect(() => limit({} as { concurrency: number })).toThrow("got undefined");
    expect(() => limit({ concurrency: 1, rejectOnClear: "yes" as unknown as boolean })).toThrow(
      TypeError,
    );
  });

  it("accepts an options object", async () => {
    const run = limit({ concurrency: 2 });
    expect(run.concurrency).toBe(2);
    await expect(run(() => "ok")).resolves.toBe("ok");
  });

  it("lowering concurrency lets running calls finish and starts no more until below it", async () => {
    const run = limit(4);
    const gates = Array.from({ length: 10 }, () => deferred());
    const { log, done } = logRunning(run, 10, gates);
    await flush();
    expect(log).toEqual([1, 2, 3, 4]);
    run.concurrency = 2;
    expect(run.concurrency).toBe(2);
    for (const gate of gates) {
      gate.resolve();
      await flush();
    }
    await done;
    expect(log).toEqual([1, 2, 3, 4, 2, 2, 2, 2, 2, 2]);
  });

  it("raising concurrency starts waiting calls at once", async () => {
    const run = limit(2);
    const gates = Array.from({ length: 10 }, () => deferred());
    const { log, done } = logRunning(run, 10, gates);
    await flush();
    expect(log).toEqual([1, 2]);
    run.concurrency = 4;
    expect(run.activeCount).toBe(4);
    await flush();
    expect(log).toEqual([1, 2, 3, 4]);
    for (const gate of gates) {
      gate.resolve();
      await flush();
    }
    await done;
    expect(log).toEqual([1, 2, 3, 4, 4, 4, 4, 4, 4, 4]);
  });

  it("setting an invalid concurrency throws and keeps the old one", () => {
    const run = limit(3);
    for (const bad of [0, 1.5, undefined, "4"]) {
      expect(() => {
        run.concurrency = bad as number;
      }).toThrow(RangeError);
    }
    expect(run.concurrency).toBe(3);
  });

  it("map resolves with the results in input order and gives fn the index", async () => {
    const run = limit(2);
    let running = 0;
    let peak = 0;
    const results = await run.map([5, 1, 3, 0], async (value, index) => {
      peak = Math.max(peak, ++running);
      await ticks(value);
      running--;
      return `${index}:${value}`;
    });
    expect(results).toEqual(["0:5", "1:1", "2:3", "3:0"]);
    expect(peak).toBe(2);
  });

  it("map accepts any iterable and works detached from the limiter", async () => {
    const run = limit(1);
    const { map } = run;
    function* letters(): Generator<string> {
      yield "a";
      yield "b";
    }
    await expect(map(letters(), (letter) => letter.toUpperCase())).resolves.toEqual(["A", "B"]);
    await expect(map(new Set([1, 2]), (n, i) => n * 10 + i)).resolves.toEqual([10, 21]);
    await expect(map([], () => 1)).resolves.toEqual([]);
  });

  it("map rejects when the iterable throws and leaves no unhandled rejection behind", async () => {
    const run = limit(1);
    const boom = new Error("iterable failed");
    function* failing(): Generator<number> {
      yield 1;
      throw boom;
    }
    // The call already scheduled for item 1 rejects too; an unhandled rejection fails the run.
    await expect(run.map(failing(), () => Promise.reject(new Error("mapper failed")))).rejects.toBe(
      boom,
    );
    await flush();
  });

  it("map rejects with the first failure", async () => {
    const error = new Error("no");
    await expect(
      limit(2).map([1, 2, 3], (n) => (n === 2 ? Promise.reject(error) : n)),
    ).rejects.toBe(error);
  });

  it("limitFunction limits the calls of one function", async () => {
    let running = 0;
    let peak = 0;
    const limited = limitFunction(
      async (i: number) => {
        peak = Math.max(peak, ++running);
        await ticks(i % 5);
        running--;
        return i * 2;
      },
      { concurrency: 5 },
    );
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => limited(i)));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(peak).toBe(5);
  });

  it("limitFunction exposes clearQueue and honours rejectOnClear", async () => {
    const gate = deferred();
    const limited = limitFunction(() => gate.promise, { concurrency: 1, rejectOnClear: true });
    const running = limited();
    const waiting = limited();
    limited.clearQueue();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    gate.resolve();
    await running;
    expect(() => limitFunction(() => 1, { concurrency: 0 })).toThrow(RangeError);
  });

  it("differs on purpose: clearQueue rejects by default", async () => {
    // p-limit's default (rejectOnClear: false) leaves the dropped promises pending forever.
    const run = limit(1);
    const gate = deferred();
    const running = run(() => gate.promise);
    const waiting = run(() => 1);
    run.clearQueue();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    gate.resolve();
    await running;
  });
});
