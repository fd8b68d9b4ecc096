import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Pool, PoolDrainedError, type PoolOptions } from "../src/pool.ts";

interface Conn {
  id: number;
  destroyed: boolean;
}

function connections() {
  let nextId = 0;
  const created: Conn[] = [];
  const create = vi.fn(async (_signal: AbortSignal): Promise<Conn> => {
    const conn = { id: ++nextId, destroyed: false };
    created.push(conn);
    return conn;
  });
  const destroy = vi.fn(async (conn: Conn) => {
    conn.destroyed = true;
  });
  return { create, destroy, created };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("Pool", () => {
  it("creates up to max resources, then makes callers wait", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect([a.value.id, b.value.id]).toEqual([1, 2]);
    expect(pool.size).toBe(2);
    let got = false;
    const c = pool.acquire().then((lease) => {
      got = true;
      return lease;
    });
    await flush();
    expect(got).toBe(false);
    expect(pool.pending).toBe(1);
    await a.release();
    expect((await c).value.id).toBe(1); // handed straight to the waiter
    expect(create).toHaveBeenCalledTimes(2);
    expect(pool.pending).toBe(0);
  });

  it("serves waiters in FIFO order", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 1 });
    const first = await pool.acquire();
    const order: string[] = [];
    const waiters = ["w1", "w2", "w3"].map((name) =>
      pool.acquire().then(async (lease) => {
        order.push(name);
        await lease.release();
      }),
    );
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual(["w1", "w2", "w3"]);
  });

  it("reuses idle resources, most recently returned first", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 3 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    await a.release();
    await b.release();
    expect(pool.idle).toBe(2);
    const again = await pool.acquire();
    expect(again.value.id).toBe(b.value.id);
    expect(create).toHaveBeenCalledTimes(2);
  });

  it("releases with await using", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 1 });
    {
      await using lease = await pool.acquire();
      expect(lease.value.id).toBe(1);
      expect(pool.idle).toBe(0);
    }
    expect(pool.idle).toBe(1);
  });

  it("release and destroy are idempotent and exclusive", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 1 });
    const lease = await pool.acquire();
    await lease.release();
    await lease.release();
    await lease.destroy();
    expect(pool.idle).toBe(1);
    expect(destroy).not.toHaveBeenCalled();
  });

  it("lease.destroy() destroys the resource and frees its slot for a waiter", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 1 });
    const broken = await pool.acquire();
    const waiter = pool.acquire();
    await broken.destroy();
    expect(broken.value.destroyed).toBe(true);
    expect((await waiter).value.id).toBe(2);
    expect(pool.size).toBe(1);
  });

  it("use() gives the resource back even when fn throws", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 1 });
    await expect(
      pool.use(() => {
        throw new Error("query failed");
      }),
    ).rejects.toThrow("query failed");
    expect(pool.idle).toBe(1);
    expect(await pool.use((conn) => conn.id)).toBe(1);
  });

  it("a failing create() rejects acquire and does not leak its slot", async () => {
    let calls = 0;
    const pool = new Pool({
      create: async () => {
        if (++calls === 1) throw new Error("connect refused");
        return { id: calls };
      },
      max: 1,
    });
    await expect(pool.acquire()).rejects.toThrow("connect refused");
    expect(pool.size).toBe(0);
    expect((await pool.acquire()).value.id).toBe(2);
  });

  it("a failing create() hands its slot to the next waiter", async () => {
    let calls = 0;
    let failNext: (error: Error) => void = () => {};
    const pool = new Pool({
      create: () => {
        calls++;
        if (calls === 1) return { id: 1 };
        if (calls === 2) {
          return new Promise<{ id: number }>((_, reject) => {
            failNext = reject;
          });
        }
        return { id: calls };
      },
      max: 2,
    });
    const held = await pool.acquire();
    const failing = pool.acquire(); // takes the second slot, create() pending
    const waiter = pool.acquire(); // pool full: waits
    await flush();
    expect(pool.pending).toBe(1);
    failNext(new Error("boom"));
    await expect(failing).rejects.toThrow("boom");
    expect((await waiter).value.id).toBe(3);
    expect(pool.size).toBe(2);
    await held.release();
  });

  it("validate() discards a stale idle resource and creates a fresh one", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, validate: (conn) => conn.id !== 1, max: 1 });
    const first = await pool.acquire();
    await first.release();
    const second = await pool.acquire();
    expect(second.value.id).toBe(2);
    expect(first.value.destroyed).toBe(true);
    expect(pool.size).toBe(1);
  });

  it("treats a validate() that throws as invalid", async () => {
    const { create } = connections();
    const pool = new Pool({
      create,
      validate: (conn) => {
        if (conn.id === 1) throw new Error("ping failed");
        return true;
      },
      max: 1,
    });
    await (await pool.acquire()).release();
    expect((await pool.acquire()).value.id).toBe(2);
  });

  it("allows max Infinity and rejects a bad max or idleTimeoutMs", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: Number.POSITIVE_INFINITY });
    const leases = await Promise.all(Array.from({ length: 100 }, () => pool.acquire()));
    expect(pool.size).toBe(100);
    await Promise.all(leases.map((lease) => lease.release()));
    expect(() => new Pool({ create, max: 0 })).toThrow(RangeError);
    expect(() => new Pool({ create, max: 1.5 })).toThrow(RangeError);
    expect(() => new Pool({ create } as unknown as PoolOptions<object>)).toThrow(
      "max must be a positive integer or Infinity, got undefined",
    );
    expect(() => new Pool({ create, max: 1, idleTimeoutMs: -1 })).toThrow(RangeError);
  });
});

describe("Pool cancellation", () => {
  it("an aborted waiter leaves the queue at once", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal });
    await flush();
    expect(pool.pending).toBe(1);
    const reason = new Error("request cancelled");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(pool.pending).toBe(0);
    await held.release();
    expect(pool.idle).toBe(1); // not handed to the departed waiter
  });

  it("10,000 aborted waiters leave nothing behind", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiters = Array.from({ length: 10_000 }, () =>
      pool.acquire({ signal: controller.signal }),
    );
    await flush();
    expect(pool.pending).toBe(10_000);
    controller.abort();
    const outcomes = await Promise.allSettled(waiters);
    expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
    expect(pool.pending).toBe(0);
    await held.release();
    expect(pool.idle).toBe(1);
  });

  it("never creates anything when the signal is already aborted", async () => {
    const { create } = connections();
    const pool = new Pool({ create, max: 1 });
    await expect(pool.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(create).not.toHaveBeenCalled();
    expect(pool.size).toBe(0);
  });

  it("aborting during create() aborts create's signal; a late resource goes to the pool", async () => {
    let createSignal: AbortSignal | undefined;
    let finish: (conn: { id: number }) => void = () => {};
    const pool = new Pool({
      create: (signal) => {
        createSignal = signal;
        return new Promise<{ id: number }>((resolve) => {
          finish = resolve; // ignores the signal
        });
      },
      max: 1,
    });
    const controller = new AbortController();
    const acquiring = pool.acquire({ signal: controller.signal });
    await flush();
    controller.abort();
    await expect(acquiring).rejects.toMatchObject({ name: "AbortError" });
    expect(createSignal?.aborted).toBe(true);
    expect(pool.size).toBe(1); // the slot stays taken while create() is still running
    finish({ id: 7 });
    await flush();
    expect(pool.idle).toBe(1);
    expect((await pool.acquire()).value.id).toBe(7);
  });
});

describe("Pool idle timeout (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("destroys resources left idle for idleTimeoutMs", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 2, idleTimeoutMs: 1_000 });
    const lease = await pool.acquire();
    await lease.release();
    await vi.advanceTimersByTimeAsync(999);
    expect(pool.idle).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pool.idle).toBe(0);
    expect(pool.size).toBe(0);
    expect(lease.value.destroyed).toBe(true);
  });

  it("reusing a resource cancels its idle timer", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 1, idleTimeoutMs: 1_000 });
    await (await pool.acquire()).release();
    await vi.advanceTimersByTimeAsync(900);
    const lease = await pool.acquire();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(destroy).not.toHaveBeenCalled();
    await lease.release();
  });
});

describe("Pool.drain", () => {
  it("rejects waiters, destroys idle resources, waits for lent ones, then refuses acquire", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 2 });
    const lent = await pool.acquire();
    const idle = await pool.acquire();
    await idle.release();
    const blocker = await pool.acquire(); // takes the idle one back
    await blocker.release();
    const heldAgain = await pool.acquire();
    const waiter = pool.acquire();
    await flush();

    let drained = false;
    const draining = pool.drain().then(() => {
      drained = true;
    });
    await expect(waiter).rejects.toBeInstanceOf(PoolDrainedError);
    await flush();
    expect(drained).toBe(false);
    await lent.release();
    await flush();
    expect(lent.value.destroyed).toBe(true);
    expect(drained).toBe(false);
    await heldAgain.release();
    await draining;
    expect(pool.size).toBe(0);
    expect(destroy).toHaveBeenCalledTimes(2);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolDrainedError);
    expect(pool.drain()).toBe(pool.drain());
  });

  it("resolves at once on an empty pool and destroys idle ones immediately", async () => {
    const { create, destroy } = connections();
    const pool = new Pool({ create, destroy, max: 3 });
    await pool.drain();
    const other = new Pool({ create, destroy, max: 3 });
    await (await other.acquire()).release();
    await other.drain();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it("rejects with an AggregateError when destroy fails, after trying them all", async () => {
    const { create } = connections();
    const pool = new Pool({
      create,
      destroy: (conn) => {
        if (conn.id === 1) throw new Error("close failed");
      },
      max: 2,
    });
    const a = await pool.acquire();
    const b = await pool.acquire();
    await a.release();
    await b.release();
    const error = await pool.drain().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toHaveLength(1);
    expect(pool.size).toBe(0);
  });
});

describe("Pool properties", () => {
  it("never exceeds max, never lends one resource twice, never hangs, destroys each at most once", async () => {
    type Step = { abort: boolean; destroy: boolean; createFails: boolean };
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.array(
            fc.record({ abort: fc.boolean(), destroy: fc.boolean(), createFails: fc.boolean() }),
            {
              maxLength: 4,
            },
          ),
          { minLength: 1, maxLength: 5 },
        ),
        async (s, max, clients) => {
          let nextId = 0;
          const destroyed = new Map<number, number>();
          const lent = new Set<number>();
          let failNextCreate = false;
          const pool = new Pool<{ id: number }>({
            create: async () => {
              await s.schedule(Promise.resolve(), "create");
              expect(pool.size).toBeLessThanOrEqual(max);
              if (failNextCreate) {
                failNextCreate = false;
                throw new Error("create failed");
              }
              return { id: ++nextId };
            },
            destroy: async (resource) => {
              await s.schedule(Promise.resolve(), `destroy ${resource.id}`);
              destroyed.set(resource.id, (destroyed.get(resource.id) ?? 0) + 1);
            },
            max,
          });
          const runClient = async (steps: Step[], client: number) => {
            for (const [round, step] of steps.entries()) {
              await s.schedule(Promise.resolve(), `c${client} round ${round}`);
              const controller = new AbortController();
              if (step.abort) {
                s.schedule(Promise.resolve(), `abort c${client}:${round}`).then(() =>
                  controller.abort(),
                );
              }
              if (step.createFails) failNextCreate = true;
              let lease: Awaited<ReturnType<typeof pool.acquire>>;
              try {
                lease = await pool.acquire({ signal: controller.signal });
              } catch {
                continue; // aborted, or a failed create
              }
              expect(lent.has(lease.value.id)).toBe(false);
              lent.add(lease.value.id);
              expect(lent.size).toBeLessThanOrEqual(max);
              expect(pool.size).toBeLessThanOrEqual(max);
              await s.schedule(Promise.resolve(), `c${client} holds ${lease.value.id}`);
              lent.delete(lease.value.id);
              if (step.destroy) await lease.destroy();
              else await lease.release();
            }
          };
          await s.waitFor(Promise.all(clients.map(runClient)));
          expect(pool.pending).toBe(0);
          await s.waitFor(pool.drain());
          expect(pool.size).toBe(0);
          expect(destroyed.size).toBe(nextId); // every resource ever created was destroyed...
          for (const count of destroyed.values()) expect(count).toBe(1); // ...exactly once
        },
      ),
      { numRuns: 200 },
    );
  });
});
