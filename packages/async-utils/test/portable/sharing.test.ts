// Coalescer, Pool and KeyedLimiter: work and resources shared between callers.
import assert from "node:assert/strict";
import {
  BulkheadFullError,
  Coalescer,
  isAbortError,
  KeyedLimiter,
  Pool,
  PoolDrainedError,
  sleep,
} from "../../src/index.ts";
import { describe, flush, it } from "./harness.ts";

describe("Coalescer", () => {
  it("concurrent calls with one key share one execution; nothing is cached after", async () => {
    const coalescer = new Coalescer<string, number>();
    let calls = 0;
    const fn = async (): Promise<number> => {
      calls++;
      await sleep(2);
      return calls;
    };
    const [a, b] = await Promise.all([coalescer.run("k", fn), coalescer.run("k", fn)]);
    assert.deepEqual([a, b, calls], [1, 1, 1]);
    assert.equal(coalescer.inFlight, 0);
    assert.equal(await coalescer.run("k", fn), 2);
  });

  it("the shared signal aborts only when every caller has gone", async () => {
    const coalescer = new Coalescer<string, void>();
    let shared: AbortSignal | undefined;
    const fn = (signal: AbortSignal): Promise<void> => {
      shared = signal;
      return sleep(60_000, { signal });
    };
    const one = new AbortController();
    const two = new AbortController();
    const a = coalescer.run("k", fn, { signal: one.signal });
    const b = coalescer.run("k", fn, { signal: two.signal });
    one.abort();
    await assert.rejects(a, (e) => isAbortError(e));
    assert.equal(shared?.aborted, false);
    two.abort();
    await assert.rejects(b, (e) => isAbortError(e));
    await flush();
    assert.equal(shared?.aborted, true);
  });
});

describe("Pool", () => {
  it("lends, reuses and bounds resources; drain destroys them and refuses new leases", async () => {
    let created = 0;
    const destroyed: number[] = [];
    const pool = new Pool({
      create: () => ++created,
      destroy: (resource) => {
        destroyed.push(resource);
      },
      max: 1,
    });
    {
      await using lease = await pool.acquire();
      assert.equal(lease.value, 1);
      const controller = new AbortController();
      const waiting = pool.acquire({ signal: controller.signal });
      assert.equal(pool.pending, 1);
      controller.abort();
      await assert.rejects(waiting, (e) => isAbortError(e));
    }
    assert.equal(pool.idle, 1);
    assert.equal(await pool.use((resource) => resource * 100), 100);
    assert.equal(created, 1, "the idle resource is reused");
    await pool.drain();
    assert.deepEqual(destroyed, [1]);
    await assert.rejects(pool.acquire(), (e) => e instanceof PoolDrainedError);
  });

  it("a destroyed lease frees its slot for a new resource", async () => {
    let created = 0;
    const pool = new Pool({ create: () => ++created, max: 1 });
    const lease = await pool.acquire();
    await lease.destroy();
    assert.equal(pool.size, 0);
    const next = await pool.acquire();
    assert.equal(next.value, 2);
    await next.release();
    await pool.drain();
  });
});

describe("KeyedLimiter", () => {
  it("bounds each key on its own, in call order, and forgets idle keys", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1 });
    const order: string[] = [];
    const step = (name: string) => async (): Promise<string> => {
      order.push(`${name} start`);
      await sleep(2);
      order.push(`${name} end`);
      return name;
    };
    const calls = [
      limiter.run("a", step("a1")),
      limiter.run("a", step("a2")),
      limiter.run("b", step("b1")),
    ];
    assert.equal(limiter.activeCount("a"), 1);
    assert.equal(limiter.pendingCount("a"), 1);
    assert.equal(limiter.size, 2);
    assert.deepEqual(await Promise.all(calls), ["a1", "a2", "b1"]);
    // b1 ran beside a1; a2 waited for a1.
    assert.ok(order.indexOf("b1 start") < order.indexOf("a1 end"));
    assert.ok(order.indexOf("a2 start") > order.indexOf("a1 end"));
    assert.equal(limiter.size, 0);
  });

  it("a waiter that aborts leaves its line; a full line fails fast", async () => {
    const limiter = new KeyedLimiter<string>({ concurrency: 1, maxWaiting: 1 });
    const controller = new AbortController();
    const running = limiter.run("k", () => sleep(2));
    const leaving = limiter.run("k", () => "never", { signal: controller.signal });
    await assert.rejects(
      limiter.run("k", () => "full"),
      BulkheadFullError,
    );
    controller.abort(new Error("left"));
    await assert.rejects(leaving, (e) => (e as Error).message === "left");
    assert.equal(limiter.pendingCount("k"), 0);
    await running;
  });
});
