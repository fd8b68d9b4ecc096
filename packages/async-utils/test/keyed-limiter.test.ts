import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyedLimiter } from "../src/keyed-limiter.ts";
import { BulkheadFullError } from "../src/semaphore.ts";
import { abortInBulk, BULK, heapUsed } from "./helpers/bulk-abort.ts";
import { nextMacrotask, watchUnhandledRejections } from "./helpers/iteration.ts";
import { deferred, flush, trackedController } from "./helpers/signals.ts";

describe("KeyedLimiter", () => {
  it("limits each key on its own and starts a key's calls in call order", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1 });
    const gates = { a: deferred(), b: deferred() };
    const started: string[] = [];
    const calls = [
      limiter.run("a", async () => {
        started.push("a1");
        await gates.a.promise;
      }),
      limiter.run("a", () => started.push("a2")),
      limiter.run("b", async () => {
        started.push("b1");
        await gates.b.promise;
      }),
      limiter.run("a", () => started.push("a3")),
    ];
    expect(limiter.activeCount("a")).toBe(1);
    expect(limiter.pendingCount("a")).toBe(2);
    expect(limiter.activeCount("b")).toBe(1);
    await flush();
    expect(started).toEqual(["a1", "b1"]);
    gates.a.resolve();
    await flush();
    expect(started).toEqual(["a1", "b1", "a2", "a3"]);
    gates.b.resolve();
    await Promise.all(calls);
    expect(limiter.size).toBe(0);
  });

  it("settles as fn does: values, rejections, synchronous throws and thenables", async () => {
    const limiter = new KeyedLimiter<number>({ concurrency: 1 });
    const thenable: PromiseLike<string> = {
      // biome-ignore lint/suspicious/noThenProperty: a hand-rolled thenable is the point of the test
      then: (resolve) => Promise.resolve("thenable").then(resolve),
    };
    const boom = new Error("boom");
    const outcomes = await Promise.allSettled([
      limiter.run(1, () => "plain"),
      limiter.run(1, () => Promise.reject(boom)),
      limiter.run(1, () => {
        throw boom;
      }),
      limiter.run(1, () => thenable),
      limiter.run(1, async () => "async"),
    ]);
    expect(outcomes).toEqual([
      { status: "fulfilled", value: "plain" },
      { status: "rejected", reason: boom },
      { status: "rejected", reason: boom },
      { status: "fulfilled", value: "thenable" },
      { status: "fulfilled", value: "async" },
    ]);
    expect(limiter.size).toBe(0);
  });

  it("forgets a key as soon as nothing of it runs or waits", async () => {
    const limiter = new KeyedLimiter<object>({ concurrency: 2 });
    const key = {};
    const gate = deferred();
    const running = limiter.run(key, () => gate.promise);
    expect(limiter.size).toBe(1);
    gate.resolve();
    await running;
    expect(limiter.size).toBe(0);
    expect(limiter.activeCount(key)).toBe(0);
    for (let i = 0; i < 1_000; i++) await limiter.run({}, () => i);
    expect(limiter.size).toBe(0);
  });

  it("a waiting call whose signal aborts leaves its line at once and rejects with the reason", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1 });
    const gate = deferred();
    const running = limiter.run("k", () => gate.promise);
    const { controller, listeners } = trackedController();
    let ran = false;
    const aborted = limiter.run(
      "k",
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    const after = limiter.run("k", () => "after");
    expect(listeners()).toBe(1);
    const reason = new Error("client left");
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(limiter.pendingCount("k")).toBe(1);
    gate.resolve();
    await running;
    await expect(after).resolves.toBe("after");
    expect(ran).toBe(false);
    expect(limiter.size).toBe(0);
  });

  it("detaches the listener of a call once it starts, and rejects at once on an aborted signal", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1 });
    const gate = deferred();
    const running = limiter.run("k", () => gate.promise);
    const { controller, listeners } = trackedController();
    const waiting = limiter.run("k", () => "served", { signal: controller.signal });
    gate.resolve();
    await running;
    await expect(waiting).resolves.toBe("served");
    expect(listeners()).toBe(0);
    const reason = new Error("already gone");
    await expect(limiter.run("k", () => 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(limiter.size).toBe(0);
  });

  it("maxWaiting rejects a key's call at once with BulkheadFullError; other keys are not affected", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1, maxWaiting: 1 });
    const gate = deferred();
    const running = limiter.run("busy", () => gate.promise);
    const waiting = limiter.run("busy", () => "queued");
    let called = false;
    const refused = limiter.run("busy", () => {
      called = true;
    });
    await expect(refused).rejects.toBeInstanceOf(BulkheadFullError);
    await expect(limiter.run("calm", () => "fine")).resolves.toBe("fine");
    gate.resolve();
    await running;
    await expect(waiting).resolves.toBe("queued");
    expect(called).toBe(false);
    expect(limiter.size).toBe(0);
  });

  it("raising concurrency starts waiting calls of every key; lowering it starts no more", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1 });
    const gate = deferred();
    const calls = ["a", "a", "a", "b", "b"].map((key) => limiter.run(key, () => gate.promise));
    limiter.concurrency = 2;
    expect([limiter.activeCount("a"), limiter.activeCount("b")]).toEqual([2, 2]);
    expect(limiter.pendingCount("a")).toBe(1);
    limiter.concurrency = 1;
    expect(limiter.activeCount("a")).toBe(2);
    gate.resolve();
    await Promise.all(calls);
    expect(limiter.size).toBe(0);
    expect(() => {
      limiter.concurrency = 0;
    }).toThrow("concurrency must be a positive integer or Infinity, got 0");
  });

  it("validates its options, naming a bad value", () => {
    expect(() => new KeyedLimiter({ concurrency: 0 })).toThrow(RangeError);
    expect(() => new KeyedLimiter({} as { concurrency: number })).toThrow(
      "concurrency must be a positive integer or Infinity, got undefined",
    );
    expect(() => new KeyedLimiter({ concurrency: 1, maxWaiting: 1.5 })).toThrow(
      "maxWaiting must be a non-negative integer or Infinity, got 1.5",
    );
    expect(new KeyedLimiter({ concurrency: Number.POSITIVE_INFINITY }).concurrency).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("leaves no unhandled rejection behind when calls fail, are aborted or refused", async () => {
    const watch = watchUnhandledRejections();
    try {
      const limiter = new KeyedLimiter<string>({ concurrency: 1, maxWaiting: 1 });
      const controller = new AbortController();
      const outcomes = Promise.allSettled([
        limiter.run("k", () => Promise.reject(new Error("fails"))),
        limiter.run("k", () => "never", { signal: controller.signal }),
        limiter.run("k", () => "refused"),
      ]);
      controller.abort();
      await outcomes;
      await nextMacrotask();
      expect(watch.reasons).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it("property: never more than `concurrency` running per key, order kept per key, idle keys forgotten", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            key: fc.constantFrom("a", "b", "c", "d"),
            ticks: fc.nat(3),
            fail: fc.boolean(),
            abort: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        async (concurrency, jobs) => {
          const limiter = new KeyedLimiter<string>({ concurrency });
          const running = new Map<string, number>();
          const started = new Map<string, number[]>();
          let violations = 0;
          const controllers: AbortController[] = [];
          const outcomes = Promise.allSettled(
            jobs.map((job, index) => {
              const controller = new AbortController();
              if (job.abort) controllers.push(controller);
              return limiter.run(
                job.key,
                async () => {
                  const now = (running.get(job.key) ?? 0) + 1;
                  running.set(job.key, now);
                  if (now > concurrency) violations++;
                  started.set(job.key, [...(started.get(job.key) ?? []), index]);
                  for (let t = 0; t < job.ticks; t++) await Promise.resolve();
                  running.set(job.key, (running.get(job.key) ?? 0) - 1);
                  if (job.fail) throw new Error(String(index));
                  return index;
                },
                { signal: controller.signal },
              );
            }),
          );
          // the keys in use right now are all that is tracked
          expect(limiter.size).toBe(new Set(jobs.map((job) => job.key)).size);
          await Promise.resolve();
          for (const controller of controllers) controller.abort();
          const settled = await outcomes;
          expect(violations).toBe(0);
          for (const order of started.values()) {
            expect(order).toEqual([...order].sort((a, b) => a - b));
          }
          settled.forEach((outcome, index) => {
            const job = jobs[index] as (typeof jobs)[number];
            if (!job.abort && !job.fail)
              expect(outcome).toEqual({ status: "fulfilled", value: index });
            if (!job.abort && job.fail) expect(outcome.status).toBe("rejected");
          });
          expect(limiter.size).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("KeyedLimiter calls aborted in bulk", () => {
  it(`retains nothing after ${BULK.toLocaleString("en-US")} aborted waiting calls`, async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1 });
    const gate = deferred();
    const held = limiter.run("origin", () => gate.promise);
    const park = (signal: AbortSignal) => limiter.run("origin", () => "never", { signal });
    await abortInBulk(park, () => limiter.pendingCount("origin"));
    const afterFirst = heapUsed();
    await abortInBulk(park, () => limiter.pendingCount("origin"));
    const afterSecond = heapUsed();
    gate.resolve();
    await held;
    expect(limiter.size).toBe(0);
    if (afterFirst !== undefined && afterSecond !== undefined) {
      expect(afterSecond - afterFirst).toBeLessThan(2 * 2 ** 20);
    }
  });

  it(`holds no memory for ${BULK.toLocaleString("en-US")} distinct keys once their calls are done`, async () => {
    const limiter = new KeyedLimiter<number>({ concurrency: 1 });
    const before = heapUsed();
    await Promise.all(Array.from({ length: BULK }, (_, key) => limiter.run(key, () => key)));
    expect(limiter.size).toBe(0);
    const after = heapUsed();
    if (before !== undefined && after !== undefined) {
      expect(after - before).toBeLessThan(2 * 2 ** 20);
    }
  });
});
