import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limit } from "../src/limit.ts";
import { BulkheadFullError } from "../src/semaphore.ts";
import { deferred, flush } from "./helpers/signals.ts";

describe("limit", () => {
  it("runs at most `concurrency` calls at once and starts the rest in call order", async () => {
    const run = limit(2);
    const gates = [0, 1, 2, 3, 4].map(() => deferred<number>());
    const started: number[] = [];
    const results = gates.map((gate, i) =>
      run(() => {
        started.push(i);
        return gate.promise;
      }),
    );
    expect(started).toEqual([]);
    expect(run.activeCount).toBe(2);
    expect(run.pendingCount).toBe(3);
    await flush();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve(1);
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.resolve(0);
    await flush();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const [i, gate] of gates.entries()) gate.resolve(i);
    await expect(Promise.all(results)).resolves.toEqual([0, 1, 2, 3, 4]);
    expect(run.activeCount).toBe(0);
    expect(run.pendingCount).toBe(0);
  });

  it("passes arguments through", async () => {
    const run = limit(1);
    await expect(run((a: number, b: string) => `${a}${b}`, 1, "x")).resolves.toBe("1x");
    const gate = deferred();
    const first = run(() => gate.promise);
    const queued = run((a: number, b: number) => a + b, 2, 3);
    gate.resolve();
    await first;
    await expect(queued).resolves.toBe(5);
  });

  it("turns synchronous throws into rejections and frees the slot", async () => {
    const run = limit(1);
    const boom = new Error("boom");
    await expect(
      run(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(run.activeCount).toBe(0);
    const gate = deferred();
    const held = run(() => gate.promise);
    const queued = run(() => {
      throw boom;
    });
    const after = run(() => "after");
    gate.resolve();
    await held;
    await expect(queued).rejects.toBe(boom);
    await expect(after).resolves.toBe("after");
    expect(run.activeCount).toBe(0);
  });

  it("frees the slot of a rejected call and keeps going", async () => {
    const run = limit(1);
    const failing = run(() => Promise.reject(new Error("no")));
    const next = run(async () => "yes");
    await expect(failing).rejects.toThrow("no");
    await expect(next).resolves.toBe("yes");
  });

  it("accepts plain values and thenables", async () => {
    const run = limit(1);
    const thenable: PromiseLike<number> = {
      // biome-ignore lint/suspicious/noThenProperty: a hand-rolled thenable is the point of the test
      then: (resolve) => Promise.resolve(7).then(resolve),
    };
    await expect(run(() => 3)).resolves.toBe(3);
    await expect(run(() => thenable)).resolves.toBe(7);
    expect(run.activeCount).toBe(0);
  });

  it("clearQueue rejects every waiting call and leaves running ones alone", async () => {
    const run = limit(1);
    const gate = deferred<string>();
    const running = run(() => gate.promise);
    const waiting = [run(() => "a"), run(() => "b")];
    expect(run.pendingCount).toBe(2);
    run.clearQueue();
    expect(run.pendingCount).toBe(0);
    for (const call of waiting) await expect(call).rejects.toMatchObject({ name: "AbortError" });
    const custom = new Error("shutting down");
    const later = run(() => "c");
    run.clearQueue(custom);
    await expect(later).rejects.toBe(custom);
    gate.resolve("done");
    await expect(running).resolves.toBe("done");
    await expect(run(() => "fresh")).resolves.toBe("fresh");
  });

  it("exposes its concurrency and validates it, naming a bad value", () => {
    expect(limit(3).concurrency).toBe(3);
    expect(limit(Number.POSITIVE_INFINITY).concurrency).toBe(Number.POSITIVE_INFINITY);
    expect(() => limit(0)).toThrow("concurrency must be a positive integer or Infinity, got 0");
    expect(() => limit(-1)).toThrow(RangeError);
    expect(() => limit(1.5)).toThrow("got 1.5");
    expect(() => limit("4" as unknown as number)).toThrow('got "4"');
    // A missing limit is an error, not "no limit": a typo must not turn the limiter off.
    expect(() => limit(undefined as unknown as number)).toThrow("got undefined");
    expect(() => limit({ concurrency: undefined } as unknown as { concurrency: number })).toThrow(
      "got undefined",
    );
  });

  it("property: accepts exactly the positive integers and Infinity as concurrency", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -5, max: 1_000 }),
          fc.double(),
          fc.constantFrom(undefined, null, true, "3", [], {}, Number.NEGATIVE_INFINITY),
        ),
        (value) => {
          const valid =
            value === Number.POSITIVE_INFINITY ||
            (Number.isInteger(value) && (value as number) > 0);
          if (valid) expect(limit(value as number).concurrency).toBe(value);
          else
            expect(() => limit(value as number)).toThrow(
              /^concurrency must be a positive integer or Infinity, got .+/,
            );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("clearQueue(reason) rejects even with rejectOnClear: false", async () => {
    const run = limit({ concurrency: 1, rejectOnClear: false });
    const gate = deferred();
    const running = run(() => gate.promise);
    const waiting = run(() => "never");
    const reason = new Error("shutting down");
    run.clearQueue(reason);
    await expect(waiting).rejects.toBe(reason);
    gate.resolve();
    await running;
  });

  it("a cleared call never runs and frees no slot it did not hold", async () => {
    const run = limit(1);
    const gate = deferred();
    const running = run(() => gate.promise);
    let ran = false;
    const cleared = run(() => {
      ran = true;
    });
    run.clearQueue();
    await expect(cleared).rejects.toMatchObject({ name: "AbortError" });
    expect(run.activeCount).toBe(1);
    const next = run(() => "next");
    expect(run.pendingCount).toBe(1);
    gate.resolve();
    await running;
    await expect(next).resolves.toBe("next");
    expect(ran).toBe(false);
    expect(run.activeCount).toBe(0);
  });

  it("a slot freed while concurrency was lowered goes to the oldest waiting call", async () => {
    const run = limit(3);
    const gates = [0, 1, 2].map(() => deferred());
    const held = gates.map((gate) => run(() => gate.promise));
    const started: string[] = [];
    const waiting = ["a", "b"].map((name) => run(() => started.push(name)));
    run.concurrency = 1;
    gates[0]?.resolve();
    gates[1]?.resolve();
    await flush();
    expect(started).toEqual([]);
    expect(run.activeCount).toBe(1);
    gates[2]?.resolve();
    await Promise.all([...held, ...waiting]);
    expect(started).toEqual(["a", "b"]);
  });

  it("with Infinity, starts everything at once", async () => {
    const run = limit(Number.POSITIVE_INFINITY);
    const gate = deferred();
    const calls = Array.from({ length: 100 }, () => run(() => gate.promise));
    expect(run.activeCount).toBe(100);
    expect(run.pendingCount).toBe(0);
    gate.resolve();
    await Promise.all(calls);
    expect(run.activeCount).toBe(0);
  });

  it("property: never exceeds the limit, every call settles with its own outcome", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ ticks: fc.nat(4), fail: fc.boolean(), sync: fc.boolean() }), {
          maxLength: 30,
        }),
        async (concurrency, jobs) => {
          const run = limit(concurrency);
          let active = 0;
          let peak = 0;
          const outcomes = await Promise.allSettled(
            jobs.map((job, i) =>
              run(async () => {
                active++;
                peak = Math.max(peak, active);
                for (let t = 0; t < job.ticks; t++) await Promise.resolve();
                active--;
                if (job.fail) throw new Error(String(i));
                return i;
              }),
            ),
          );
          expect(peak).toBeLessThanOrEqual(concurrency);
          outcomes.forEach((outcome, i) => {
            if (jobs[i]?.fail)
              expect(outcome).toMatchObject({ status: "rejected", reason: { message: String(i) } });
            else expect(outcome).toEqual({ status: "fulfilled", value: i });
          });
          expect(run.activeCount).toBe(0);
          expect(run.pendingCount).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("maxWaiting rejects a call at once with BulkheadFullError once that many wait", async () => {
    const run = limit({ concurrency: 1, maxWaiting: 2 });
    const gate = deferred();
    const running = run(() => gate.promise);
    const waiting = [run(() => "a"), run(() => "b")];
    let called = false;
    const refused = run(() => {
      called = true;
    });
    expect(run.pendingCount).toBe(2);
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect(error).toMatchObject({ name: "BulkheadFullError", maxWaiting: 2 });
    gate.resolve();
    await running;
    await expect(Promise.all(waiting)).resolves.toEqual(["a", "b"]);
    expect(called).toBe(false);
    // with the line empty again, calls are admitted
    await expect(run(() => "c")).resolves.toBe("c");
  });

  it("maxWaiting 0 runs what fits and refuses the rest; map rejects with the first refusal", async () => {
    const run = limit({ concurrency: 2, maxWaiting: 0 });
    const results = await Promise.allSettled([run(() => 1), run(() => 2), run(() => 3)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    await expect(run.map([1, 2, 3], (n) => n)).rejects.toBeInstanceOf(BulkheadFullError);
    expect(run.activeCount).toBe(0);
    expect(() => limit({ concurrency: 1, maxWaiting: -1 })).toThrow(
      "maxWaiting must be a non-negative integer or Infinity, got -1",
    );
    expect(() => limit({ concurrency: 1, maxWaiting: "1" as unknown as number })).toThrow(
      'got "1"',
    );
  });

  it("passes arguments to a call that waited, and to calls with and without arguments alike", async () => {
    const run = limit(1);
    const gate = deferred();
    const held = run(() => gate.promise);
    const calls = [
      run((...args: number[]) => args.length),
      run((a: number) => a * 2, 21),
      run((a: number, b: number, c: number) => a + b + c, 1, 2, 3),
    ];
    gate.resolve();
    await held;
    await expect(Promise.all(calls)).resolves.toEqual([0, 42, 6]);
  });
});
