import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { Coalescer } from "../src/coalescer.ts";

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Coalescer", () => {
  it("shares one execution among concurrent calls with the same key", async () => {
    const coalescer = new Coalescer<string, number>();
    const gate = deferred<number>();
    const fn = vi.fn(() => gate.promise);
    const calls = [coalescer.run("k", fn), coalescer.run("k", fn), coalescer.run("k", fn)];
    expect(fn).toHaveBeenCalledTimes(1);
    expect(coalescer.inFlight).toBe(1);
    gate.resolve(42);
    expect(await Promise.all(calls)).toEqual([42, 42, 42]);
    expect(coalescer.inFlight).toBe(0);
  });

  it("runs different keys separately", async () => {
    const coalescer = new Coalescer<string, string>();
    const fn = vi.fn(async (signal: AbortSignal) => (signal.aborted ? "aborted" : "ok"));
    const [a, b] = await Promise.all([coalescer.run("a", fn), coalescer.run("b", fn)]);
    expect([a, b]).toEqual(["ok", "ok"]);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("shares a failure with every caller, then starts afresh (no caching)", async () => {
    const coalescer = new Coalescer<string, number>();
    const failure = new Error("upstream 500");
    const failing = vi.fn(() => Promise.reject(failure));
    const results = await Promise.allSettled([
      coalescer.run("k", failing),
      coalescer.run("k", failing),
    ]);
    expect(results).toEqual([
      { status: "rejected", reason: failure },
      { status: "rejected", reason: failure },
    ]);
    expect(failing).toHaveBeenCalledTimes(1);
    await expect(coalescer.run("k", async () => 7)).resolves.toBe(7);
  });

  it("turns a synchronous throw into a shared rejection", async () => {
    const coalescer = new Coalescer<string, number>();
    const fn = (): Promise<number> => {
      throw new Error("sync");
    };
    await expect(coalescer.run("k", fn)).rejects.toThrow("sync");
    expect(coalescer.inFlight).toBe(0);
  });

  it("one caller aborting leaves the others and the execution untouched", async () => {
    const coalescer = new Coalescer<string, string>();
    const gate = deferred<string>();
    let workSignal: AbortSignal | undefined;
    const fn = (signal: AbortSignal) => {
      workSignal = signal;
      return gate.promise;
    };
    const controller = new AbortController();
    const leaving = coalescer.run("k", fn, { signal: controller.signal });
    const staying = coalescer.run("k", fn);
    const reason = new Error("this caller left");
    controller.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    expect(workSignal?.aborted).toBe(false);
    gate.resolve("value");
    await expect(staying).resolves.toBe("value");
  });

  it("aborts the shared execution once every caller has aborted, and a new call starts afresh", async () => {
    const coalescer = new Coalescer<string, string>();
    let workSignal: AbortSignal | undefined;
    const hanging = (signal: AbortSignal) => {
      workSignal = signal;
      return new Promise<string>(() => {});
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = coalescer.run("k", hanging, { signal: first.signal });
    const b = coalescer.run("k", hanging, { signal: second.signal });
    first.abort();
    expect(workSignal?.aborted).toBe(false);
    second.abort(new Error("last one out"));
    await expect(a).rejects.toMatchObject({ name: "AbortError" });
    await expect(b).rejects.toThrow("last one out");
    expect(workSignal?.aborted).toBe(true);
    expect(workSignal?.reason).toEqual(new Error("last one out"));
    expect(coalescer.inFlight).toBe(0);

    const fresh = vi.fn(async () => "fresh");
    await expect(coalescer.run("k", fresh)).resolves.toBe("fresh");
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it("a late settlement of an abandoned execution does not disturb the new one", async () => {
    const coalescer = new Coalescer<string, string>();
    const old = deferred<string>();
    const controller = new AbortController();
    const abandoned = coalescer.run("k", () => old.promise, { signal: controller.signal });
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ name: "AbortError" });
    const current = deferred<string>();
    const next = coalescer.run("k", () => current.promise);
    old.resolve("stale");
    await Promise.resolve();
    expect(coalescer.inFlight).toBe(1);
    const joined = coalescer.run("k", async () => "should not run");
    current.resolve("current");
    expect(await Promise.all([next, joined])).toEqual(["current", "current"]);
  });

  it("rejects at once without starting anything when the signal is already aborted", async () => {
    const coalescer = new Coalescer<string, number>();
    const fn = vi.fn(async () => 1);
    await expect(coalescer.run("k", fn, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(fn).not.toHaveBeenCalled();
    expect(coalescer.inFlight).toBe(0);
  });

  it("detaches every caller's abort listener when the execution settles", async () => {
    const coalescer = new Coalescer<string, number>();
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const gate = deferred<number>();
    const calls = Array.from({ length: 100 }, () =>
      coalescer.run("k", () => gate.promise, { signal: controller.signal }),
    );
    gate.resolve(1);
    await Promise.all(calls);
    expect(add.mock.calls.length).toBeGreaterThan(0);
    expect(remove.mock.calls.length).toBe(add.mock.calls.length);
  });
});

describe("Coalescer properties", () => {
  it("callers share their key's execution, which is aborted only when all its callers left", async () => {
    interface Execution {
      id: number;
      aborted: boolean;
      callers: { aborted: boolean; outcome?: unknown }[];
    }
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ key: fc.constantFrom("a", "b"), abort: fc.boolean() }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (s, plans) => {
          const coalescer = new Coalescer<string, number>();
          const current = new Map<string, Execution>();
          const executions: Execution[] = [];
          const callers = plans.map(async ({ key, abort }, index) => {
            await s.schedule(Promise.resolve(), `caller ${index} arrives`);
            const controller = new AbortController();
            let started: Execution | undefined;
            const call = coalescer.run(
              key,
              async (signal) => {
                const execution: Execution = { id: executions.length, aborted: false, callers: [] };
                executions.push(execution);
                current.set(key, execution);
                started = execution;
                signal.addEventListener("abort", () => {
                  execution.aborted = true;
                  if (current.get(key) === execution) current.delete(key);
                });
                await s.schedule(Promise.resolve(), `execution ${execution.id} works`);
                if (current.get(key) === execution) current.delete(key);
                return execution.id;
              },
              { signal: controller.signal },
            );
            const joined = started ?? current.get(key);
            expect(joined).toBeDefined();
            const me: { aborted: boolean; outcome?: unknown } = { aborted: abort };
            joined?.callers.push(me);
            if (abort) {
              s.schedule(Promise.resolve(), `caller ${index} aborts`).then(() =>
                controller.abort(),
              );
            }
            try {
              me.outcome = await call;
              me.aborted = false; // the abort came too late to matter
            } catch (error) {
              expect(error).toMatchObject({ name: "AbortError" });
              me.aborted = true;
            }
            return { me, joined };
          });
          const results = await s.waitFor(Promise.all(callers));
          for (const { me, joined } of results) {
            if (!me.aborted) expect(me.outcome).toBe(joined?.id); // got the shared result
          }
          for (const execution of executions) {
            if (execution.aborted) {
              expect(execution.callers.every((caller) => caller.aborted)).toBe(true);
            }
          }
          expect(coalescer.inFlight).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
