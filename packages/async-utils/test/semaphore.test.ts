import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BulkheadFullError, type Permit, Semaphore } from "../src/semaphore.ts";
import { abortInBulk, BULK, heapUsed } from "./helpers/bulk-abort.ts";
import { nextMacrotask, watchUnhandledRejections } from "./helpers/iteration.ts";
import { flush, trackedController } from "./helpers/signals.ts";

describe("Semaphore", () => {
  it("hands out permits until none are left, then parks callers", async () => {
    const semaphore = new Semaphore(2);
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    expect(semaphore.available).toBe(0);
    let third = false;
    const c = semaphore.acquire().then((permit) => {
      third = true;
      return permit;
    });
    await flush();
    expect(third).toBe(false);
    expect(semaphore.waiting).toBe(1);
    a.release();
    (await c).release();
    b.release();
    expect(third).toBe(true);
    expect(semaphore.available).toBe(2);
    expect(semaphore.waiting).toBe(0);
  });

  it("serves waiters first-in first-out", async () => {
    const semaphore = new Semaphore(1);
    const first = await semaphore.acquire();
    const order: number[] = [];
    const waiters = [0, 1, 2, 3, 4].map((i) =>
      semaphore.acquire().then((permit) => {
        order.push(i);
        permit.release();
      }),
    );
    first.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("never lets tryAcquire or a newcomer overtake a waiter", async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const waiter = semaphore.acquire();
    held.release();
    // the freed permit already belongs to the waiter
    expect(semaphore.tryAcquire()).toBeUndefined();
    expect(semaphore.available).toBe(0);
    (await waiter).release();
    const permit = semaphore.tryAcquire();
    expect(permit).toBeDefined();
    permit?.release();
  });

  it("releases idempotently", async () => {
    const semaphore = new Semaphore(1);
    const permit = await semaphore.acquire();
    permit.release();
    permit.release();
    permit[Symbol.dispose]();
    expect(semaphore.available).toBe(1);
  });

  it("releases the permit when a `using` block ends, even by throwing", async () => {
    const semaphore = new Semaphore(1);
    const attempt = async (): Promise<void> => {
      using _permit = await semaphore.acquire();
      expect(semaphore.available).toBe(0);
      throw new Error("inside");
    };
    await expect(attempt()).rejects.toThrow("inside");
    expect(semaphore.available).toBe(1);
  });

  it("run() holds a permit while fn runs and releases it on success, throw and rejection", async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => semaphore.available)).resolves.toBe(0);
    await expect(
      semaphore.run(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    await expect(semaphore.run(() => Promise.reject(new Error("async")))).rejects.toThrow("async");
    expect(semaphore.available).toBe(1);
  });

  it("removes an aborted waiter at once, rejects it with the reason and keeps the order of the rest", async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const controller = new AbortController();
    const order: string[] = [];
    const a = semaphore.acquire().then((p) => {
      order.push("a");
      p.release();
    });
    const aborted = semaphore.acquire({ signal: controller.signal });
    const c = semaphore.acquire().then((p) => {
      order.push("c");
      p.release();
    });
    expect(semaphore.waiting).toBe(3);
    const reason = new Error("gone");
    controller.abort(reason);
    expect(semaphore.waiting).toBe(2);
    await expect(aborted).rejects.toBe(reason);
    held.release();
    await Promise.all([a, c]);
    expect(order).toEqual(["a", "c"]);
    expect(semaphore.available).toBe(1);
  });

  it("rejects at once when the signal is already aborted, even with permits free", async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(semaphore.available).toBe(1);
    let ran = false;
    await expect(
      semaphore.run(
        () => {
          ran = true;
        },
        { signal: AbortSignal.abort() },
      ),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(ran).toBe(false);
  });

  it("detaches the abort listener of a waiter once it gets its permit", async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const { controller, listeners } = trackedController();
    const waiter = semaphore.acquire({ signal: controller.signal });
    expect(listeners()).toBe(1);
    held.release();
    (await waiter).release();
    expect(listeners()).toBe(0);
    controller.abort();
    expect(semaphore.available).toBe(1);
  });

  it("supports Infinity permits", async () => {
    const semaphore = new Semaphore(Number.POSITIVE_INFINITY);
    const permits = await Promise.all(Array.from({ length: 1000 }, () => semaphore.acquire()));
    expect(semaphore.waiting).toBe(0);
    expect(semaphore.available).toBe(Number.POSITIVE_INFINITY);
    for (const permit of permits) permit.release();
  });

  it("rejects invalid permit counts", () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    expect(() => new Semaphore(Number.NaN)).toThrow(RangeError);
    expect(() => new Semaphore(undefined as unknown as number)).toThrow(
      "permits must be a non-negative integer or Infinity, got undefined",
    );
    expect(() => new Semaphore("2" as unknown as number)).toThrow('got "2"');
    expect(new Semaphore(0).permits).toBe(0);
  });

  it("property: never more than `permits` holders at once, and everyone gets through", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ hold: fc.nat(3), abort: fc.boolean() }), { maxLength: 40 }),
        async (permits, jobs) => {
          const semaphore = new Semaphore(permits);
          let holders = 0;
          let peak = 0;
          let completed = 0;
          let aborted = 0;
          const controllers: AbortController[] = [];
          const runs = jobs.map(async (job) => {
            const controller = new AbortController();
            if (job.abort) controllers.push(controller);
            try {
              await semaphore.run(
                async () => {
                  holders++;
                  peak = Math.max(peak, holders);
                  for (let i = 0; i < job.hold; i++) await Promise.resolve();
                  holders--;
                  completed++;
                },
                { signal: controller.signal },
              );
            } catch {
              aborted++;
            }
          });
          await Promise.resolve();
          for (const controller of controllers) controller.abort();
          await Promise.all(runs);
          expect(peak).toBeLessThanOrEqual(permits);
          expect(completed + aborted).toBe(jobs.length);
          expect(semaphore.available).toBe(permits);
          expect(semaphore.waiting).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Semaphore weights", () => {
  it("a weighted permit takes and gives back its weight", async () => {
    const semaphore = new Semaphore(5);
    const heavy = await semaphore.acquire({ weight: 3 });
    expect(heavy.weight).toBe(3);
    expect(semaphore.available).toBe(2);
    const byNumber = await semaphore.acquire(2);
    expect(semaphore.available).toBe(0);
    heavy.release();
    heavy.release();
    expect(semaphore.available).toBe(3);
    byNumber.release();
    expect(semaphore.available).toBe(5);
  });

  it("a heavy waiter at the head holds back lighter ones behind it until it fits", async () => {
    const semaphore = new Semaphore(4);
    const held = [await semaphore.acquire(2), await semaphore.acquire(1)];
    const order: string[] = [];
    const heavy = semaphore.acquire(3).then((permit) => {
      order.push("heavy");
      return permit;
    });
    const light = semaphore.acquire(1).then((permit) => {
      order.push("light");
      return permit;
    });
    await flush();
    // one permit is free and the light waiter would fit, but it must not overtake
    expect(semaphore.available).toBe(1);
    expect(order).toEqual([]);
    expect(semaphore.tryAcquire()).toBeUndefined();
    held[1]?.release();
    await flush();
    expect(order).toEqual([]);
    held[0]?.release();
    const heavyPermit = await heavy;
    const lightPermit = await light;
    expect(order).toEqual(["heavy", "light"]);
    expect(semaphore.available).toBe(0);
    heavyPermit.release();
    lightPermit.release();
    expect(semaphore.available).toBe(4);
  });

  it("an aborted heavy waiter at the head lets the lighter ones behind it through", async () => {
    const semaphore = new Semaphore(3);
    const held = await semaphore.acquire(2);
    const controller = new AbortController();
    const heavy = semaphore.acquire({ weight: 3, signal: controller.signal });
    const light = semaphore.acquire(1);
    expect(semaphore.waiting).toBe(2);
    controller.abort(new Error("gave up"));
    await expect(heavy).rejects.toThrow("gave up");
    (await light).release();
    held.release();
    expect(semaphore.available).toBe(3);
    expect(semaphore.waiting).toBe(0);
  });

  it("run() takes its weight and rejects a bad one without calling fn", async () => {
    const semaphore = new Semaphore(4);
    await expect(semaphore.run(() => semaphore.available, { weight: 3 })).resolves.toBe(1);
    let called = false;
    const fn = () => {
      called = true;
    };
    await expect(semaphore.run(fn, { weight: 5 })).rejects.toThrow(
      "weight 5 exceeds the semaphore's 4 permits",
    );
    await expect(semaphore.run(fn, { weight: 0 })).rejects.toThrow(
      "weight must be a positive integer, got 0",
    );
    await expect(semaphore.acquire(1.5)).rejects.toThrow(RangeError);
    await expect(semaphore.acquire(Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    expect(() => semaphore.tryAcquire(-1)).toThrow(RangeError);
    expect(() => semaphore.tryAcquire(9)).toThrow("exceeds");
    expect(called).toBe(false);
    expect(semaphore.available).toBe(4);
  });

  it("tryAcquire(weight) takes only what is free", () => {
    const semaphore = new Semaphore(3);
    const two = semaphore.tryAcquire(2);
    expect(two?.weight).toBe(2);
    expect(semaphore.tryAcquire(2)).toBeUndefined();
    const one = semaphore.tryAcquire(1);
    expect(semaphore.available).toBe(0);
    two?.release();
    one?.release();
    expect(semaphore.available).toBe(3);
  });

  it("property: held weight never exceeds the permits, FIFO order holds, all get through", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.record({
            weight: fc.integer({ min: 1, max: 6 }),
            hold: fc.nat(3),
            abort: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        async (permits, jobs) => {
          const semaphore = new Semaphore(permits);
          let held = 0;
          let peak = 0;
          const served: number[] = [];
          const controllers: AbortController[] = [];
          const outcomes = await Promise.allSettled(
            jobs.map((job, index) => {
              const controller = new AbortController();
              if (job.abort) controllers.push(controller);
              if (controllers.length > 0 && index === jobs.length - 1) {
                queueMicrotask(() => {
                  for (const c of controllers) c.abort();
                });
              }
              return semaphore.run(
                async () => {
                  served.push(index);
                  held += job.weight;
                  peak = Math.max(peak, held);
                  for (let i = 0; i < job.hold; i++) await Promise.resolve();
                  held -= job.weight;
                },
                { weight: job.weight, signal: controller.signal },
              );
            }),
          );
          expect(peak).toBeLessThanOrEqual(permits);
          // served in arrival order, never overtaken
          expect(served).toEqual([...served].sort((a, b) => a - b));
          outcomes.forEach((outcome, index) => {
            const job = jobs[index] as (typeof jobs)[number];
            if (job.weight > permits) expect(outcome.status).toBe("rejected");
            else if (!job.abort) expect(outcome.status).toBe("fulfilled");
          });
          expect(semaphore.available).toBe(permits);
          expect(semaphore.waiting).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("Semaphore.resize", () => {
  it("growing serves waiters at once, in order", async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const order: number[] = [];
    const waiters = [0, 1, 2].map((i) =>
      semaphore.acquire().then((permit) => {
        order.push(i);
        return permit;
      }),
    );
    semaphore.resize(3);
    expect(semaphore.permits).toBe(3);
    expect(semaphore.waiting).toBe(1);
    await flush();
    expect(order).toEqual([0, 1]);
    held.release();
    const permits = await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2]);
    for (const permit of permits) permit.release();
    expect(semaphore.available).toBe(3);
  });

  it("shrinking revokes nothing and serves no one until fewer than the new count are held", async () => {
    const semaphore = new Semaphore(3);
    const held = [await semaphore.acquire(), await semaphore.acquire(), await semaphore.acquire()];
    let served = false;
    const waiter = semaphore.acquire().then((permit) => {
      served = true;
      return permit;
    });
    semaphore.resize(1);
    expect(semaphore.available).toBe(0);
    held[0]?.release();
    held[1]?.release();
    await flush();
    expect(served).toBe(false);
    expect(semaphore.available).toBe(0);
    held[2]?.release();
    (await waiter).release();
    expect(semaphore.available).toBe(1);
  });

  it("0 pauses it; a later resize resumes it", async () => {
    const semaphore = new Semaphore(0);
    const waiter = semaphore.acquire(2);
    expect(semaphore.tryAcquire()).toBeUndefined();
    await flush();
    expect(semaphore.waiting).toBe(1);
    semaphore.resize(2);
    const permit = await waiter;
    expect(permit.weight).toBe(2);
    semaphore.resize(0);
    permit.release();
    expect(semaphore.available).toBe(0);
  });

  it("rejects waiters too heavy for a smaller non-zero size and serves the rest", async () => {
    const semaphore = new Semaphore(0);
    const { controller, listeners } = trackedController();
    const heavy = semaphore.acquire({ weight: 3, signal: controller.signal });
    const light = semaphore.acquire(1);
    const middle = semaphore.acquire({ weight: 2, signal: controller.signal });
    expect(listeners()).toBe(1); // the shared hub's one native listener
    semaphore.resize(2);
    await expect(heavy).rejects.toThrow("weight 3 exceeds the semaphore's 2 permits");
    (await light).release();
    (await middle).release();
    expect(listeners()).toBe(0);
    expect(semaphore.waiting).toBe(0);
    // the rebuilt line still leaves on abort
    const held = await semaphore.acquire(2);
    const aborted = new AbortController();
    const parked = semaphore.acquire({ weight: 1, signal: aborted.signal });
    semaphore.resize(1);
    aborted.abort();
    await expect(parked).rejects.toMatchObject({ name: "AbortError" });
    expect(semaphore.waiting).toBe(0);
    held.release();
  });

  it("validates the new size", () => {
    const semaphore = new Semaphore(2);
    expect(() => semaphore.resize(-1)).toThrow(
      "permits must be a non-negative integer or Infinity, got -1",
    );
    expect(() => semaphore.resize(undefined as unknown as number)).toThrow("got undefined");
    expect(semaphore.permits).toBe(2);
    semaphore.resize(Number.POSITIVE_INFINITY);
    expect(semaphore.available).toBe(Number.POSITIVE_INFINITY);
  });

  it("property: under random acquires, releases, aborts and resizes, grants stay within the size in force, in order, and no one who fits is left waiting", async () => {
    type Step =
      | { kind: "acquire"; weight: number }
      | { kind: "release"; pick: number }
      | { kind: "abort"; pick: number }
      | { kind: "resize"; permits: number };
    const step = fc.oneof(
      fc.record({ kind: fc.constant("acquire" as const), weight: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("abort" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("resize" as const), permits: fc.integer({ min: 0, max: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps: Step[]) => {
        const semaphore = new Semaphore(3);
        interface Entry {
          weight: number;
          controller: AbortController;
          permit?: Permit;
          settled: boolean;
        }
        const queue: Entry[] = []; // waiters still parked, in arrival order
        const holding: Entry[] = [];
        let held = 0;
        for (const current of steps) {
          const before = holding.length;
          if (current.kind === "acquire") {
            if (semaphore.permits > 0 && current.weight > semaphore.permits) continue;
            const entry: Entry = {
              weight: current.weight,
              controller: new AbortController(),
              settled: false,
            };
            queue.push(entry);
            semaphore.acquire({ weight: entry.weight, signal: entry.controller.signal }).then(
              (permit) => {
                entry.permit = permit;
                entry.settled = true;
              },
              () => {
                entry.settled = true;
              },
            );
          } else if (current.kind === "release" && holding.length > 0) {
            const [entry] = holding.splice(current.pick % holding.length, 1);
            entry?.permit?.release();
            held -= entry?.weight ?? 0;
          } else if (current.kind === "abort" && queue.length > 0) {
            queue[current.pick % queue.length]?.controller.abort();
          } else if (current.kind === "resize") {
            semaphore.resize(current.permits);
          }
          await flush();
          // collect what this step settled, checking arrival order of the grants
          for (let i = 0; i < queue.length; i++) {
            const entry = queue[i] as Entry;
            if (!entry.settled) continue;
            queue.splice(i--, 1);
            if (entry.permit === undefined) continue;
            expect(queue.slice(0, i + 1).every((earlier) => earlier.settled)).toBe(true);
            holding.push(entry);
            held += entry.weight;
          }
          if (holding.length > before) expect(held).toBeLessThanOrEqual(semaphore.permits);
          const head = queue[0];
          if (head !== undefined) {
            expect(semaphore.permits === 0 || held + head.weight > semaphore.permits).toBe(true);
          }
          expect(semaphore.waiting).toBe(queue.length);
          expect(semaphore.available).toBe(Math.max(0, semaphore.permits - held));
        }
        for (const entry of queue) entry.controller.abort();
        for (const entry of holding) entry.permit?.release();
        await flush();
        expect(semaphore.waiting).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe("Semaphore maxWaiting (bulkhead)", () => {
  it("rejects at once with BulkheadFullError when the line is full, and admits again later", async () => {
    const semaphore = new Semaphore(1, { maxWaiting: 2 });
    expect(semaphore.maxWaiting).toBe(2);
    const held = await semaphore.acquire();
    const waiting = [semaphore.acquire(), semaphore.acquire()];
    const error = await semaphore.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect(error).toMatchObject({ name: "BulkheadFullError", maxWaiting: 2 });
    let ran = false;
    await expect(
      semaphore.run(() => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(BulkheadFullError);
    expect(ran).toBe(false);
    expect(semaphore.waiting).toBe(2);
    held.release();
    const first = await waiting[0];
    const third = semaphore.acquire(); // a place freed up
    first?.release();
    (await waiting[1])?.release();
    (await third).release();
    expect(semaphore.available).toBe(1);
  });

  it("a refusal carries no stack trace and leaves Error.stackTraceLimit as it was", async () => {
    const before = (Error as { stackTraceLimit?: number }).stackTraceLimit;
    const semaphore = new Semaphore(0, { maxWaiting: 0 });
    const error = (await semaphore.acquire().catch((e: unknown) => e)) as BulkheadFullError;
    expect(error.message).toBe("The wait line is full (maxWaiting 0)");
    expect(error.stack ?? "").not.toMatch(/\n\s+at /);
    expect((Error as { stackTraceLimit?: number }).stackTraceLimit).toBe(before);
    // made directly, it is an ordinary error with a stack
    expect(new BulkheadFullError(3).name).toBe("BulkheadFullError");
    expect(new BulkheadFullError(3)).toBeInstanceOf(Error);
  });

  it("refusals handled by their caller leave no unhandled rejection", async () => {
    const watch = watchUnhandledRejections();
    try {
      const semaphore = new Semaphore(1, { maxWaiting: 0 });
      const held = await semaphore.acquire();
      const refusals = await Promise.all([
        semaphore.run(() => "never").catch((e: unknown) => e),
        semaphore.acquire().catch((e: unknown) => e),
        semaphore.run(() => "never", { weight: 2 }).catch((e: unknown) => e),
      ]);
      expect(refusals[0]).toBeInstanceOf(BulkheadFullError);
      expect(refusals[1]).toBeInstanceOf(BulkheadFullError);
      expect(refusals[2]).toBeInstanceOf(RangeError);
      held.release();
      await nextMacrotask();
      expect(watch.reasons).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it("0 means never wait; an acquire that needs no wait still succeeds", async () => {
    const semaphore = new Semaphore(1, { maxWaiting: 0 });
    const permit = await semaphore.acquire();
    await expect(semaphore.acquire()).rejects.toBeInstanceOf(BulkheadFullError);
    permit.release();
    (await semaphore.acquire()).release();
  });

  it("validates maxWaiting", () => {
    expect(() => new Semaphore(1, { maxWaiting: -1 })).toThrow(
      "maxWaiting must be a non-negative integer or Infinity, got -1",
    );
    expect(() => new Semaphore(1, { maxWaiting: 0.5 })).toThrow("got 0.5");
    expect(new Semaphore(1).maxWaiting).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("Semaphore waiters aborted in bulk", () => {
  it(`retains nothing after ${BULK.toLocaleString("en-US")} aborted acquires`, async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    // The first batch lets the runtime grow its own tables to their high-water mark; a leak of
    // ours would show as growth from one batch to the next.
    const park = (signal: AbortSignal) => semaphore.acquire({ signal });
    await abortInBulk(park, () => semaphore.waiting);
    const afterFirst = heapUsed();
    await abortInBulk(park, () => semaphore.waiting);
    const afterSecond = heapUsed();

    // the list is really empty: the held permit goes back to the pool, not to a stale waiter
    held.release();
    expect(semaphore.available).toBe(1);
    expect(semaphore.waiting).toBe(0);
    // Under Node (gc exposed) also the heap: 100,000 retained waiters would hold well over 10 MB.
    if (afterFirst !== undefined && afterSecond !== undefined) {
      expect(afterSecond - afterFirst).toBeLessThan(2 * 2 ** 20);
    }
  });

  it(`retains nothing after ${BULK.toLocaleString("en-US")} aborted weighted acquires behind a heavy head`, async () => {
    const semaphore = new Semaphore(4, { maxWaiting: BULK + 1 });
    const held = await semaphore.acquire(3);
    // the head waits for 2 while 1 is free; everyone behind it waits too
    const head = semaphore.acquire(2);
    const park = (signal: AbortSignal, index: number) =>
      semaphore.acquire({ weight: 1 + (index % 2), signal });
    await abortInBulk(park, () => semaphore.waiting - 1);
    const afterFirst = heapUsed();
    await abortInBulk(park, () => semaphore.waiting - 1);
    const afterSecond = heapUsed();
    held.release();
    const headPermit: Permit = await head;
    expect(semaphore.waiting).toBe(0);
    headPermit.release();
    expect(semaphore.available).toBe(4);
    if (afterFirst !== undefined && afterSecond !== undefined) {
      expect(afterSecond - afterFirst).toBeLessThan(2 * 2 ** 20);
    }
  });
});
