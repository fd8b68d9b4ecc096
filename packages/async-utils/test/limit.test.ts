import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limit } from "../src/limit.ts";
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
    expect(started).toEqual([0, 1]);
    expect(run.activeCount).toBe(2);
    expect(run.pendingCount).toBe(3);
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

  it("exposes its concurrency and validates it", () => {
    expect(limit(3).concurrency).toBe(3);
    expect(limit(Number.POSITIVE_INFINITY).concurrency).toBe(Number.POSITIVE_INFINITY);
    expect(() => limit(0)).toThrow(RangeError);
    expect(() => limit(-1)).toThrow(RangeError);
    expect(() => limit(1.5)).toThrow(RangeError);
  });

  it("with Infinity, starts everything at once", async () => {
    const run = limit(Number.POSITIVE_INFINITY);
    const gate = deferred();
    const calls = Array.from({ length: 100 }, () => run(() => gate.promise));
    expect(run.activeCount).toBe(100);
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
});
