// Work that a primitive starts later than it was asked for (a queued call, a waiter served by
// another caller's release, a delayed attempt) must run in the async context of the caller that
// asked for it: AsyncLocalStorage carries request ids and trace spans (Hono's context storage
// uses it under nodejs_compat). Runs under Node and under workerd with nodejs_compat.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { asCompleted } from "../src/as-completed.ts";
import { gather } from "../src/gather.ts";
import { hedge } from "../src/hedge.ts";
import { KeyedLimiter } from "../src/keyed-limiter.ts";
import { limit, limitFunction } from "../src/limit.ts";
import { Pool } from "../src/pool.ts";
import { retry } from "../src/retry.ts";
import { Semaphore } from "../src/semaphore.ts";
import { TaskGroup } from "../src/task-group.ts";

const store = new AsyncLocalStorage<{ id: number }>();
const CALLERS = 100;
const ids = Array.from({ length: CALLERS }, (_, id) => id);

/** Reads the store after a turn of the microtask queue, as real work would. */
async function currentId(): Promise<number | undefined> {
  await Promise.resolve();
  return store.getStore()?.id;
}

/** Makes CALLERS calls of `call`, each inside its own store, and returns what each saw. */
function fromEachCaller(call: (id: number) => Promise<number | undefined>) {
  return Promise.all(ids.map((id) => store.run({ id }, () => call(id))));
}

describe("limit keeps the caller's async context", () => {
  it("a call queued behind others runs fn in its own caller's context", async () => {
    const run = limit(2);
    await expect(fromEachCaller(() => run(currentId))).resolves.toEqual(ids);
  });

  it("after the limit is raised, and through map and limitFunction", async () => {
    const run = limit(1);
    const gate = Promise.withResolvers<void>();
    const held = run(() => gate.promise);
    const seen = fromEachCaller(() => run(currentId));
    run.concurrency = 3; // the setter starts waiting calls; they must not see the setter's context
    gate.resolve();
    await held;
    await expect(seen).resolves.toEqual(ids);

    const limited = limitFunction(currentId, { concurrency: 2 });
    await expect(fromEachCaller(() => limited())).resolves.toEqual(ids);

    const mapper = limit(2);
    const mapped = await Promise.all(
      ids.map((id) => store.run({ id }, () => mapper.map([0, 1], currentId))),
    );
    expect(mapped).toEqual(ids.map((id) => [id, id]));
  });
});

describe("other primitives that start work later keep the caller's context", () => {
  it("Semaphore.run: a waiter served by another caller's release", async () => {
    const semaphore = new Semaphore(2);
    await expect(fromEachCaller(() => semaphore.run(currentId))).resolves.toEqual(ids);
  });

  it("Semaphore.run with weights, and after a resize; KeyedLimiter.run behind others of its key", async () => {
    const semaphore = new Semaphore(2);
    const weighted = fromEachCaller((id) =>
      semaphore.run(currentId, { weight: 1 + (id % 2) }).finally(() => {
        if (id === 50) semaphore.resize(3);
      }),
    );
    await expect(weighted).resolves.toEqual(ids);

    const limiter = new KeyedLimiter<number>({ concurrency: 1 });
    await expect(fromEachCaller((id) => limiter.run(id % 3, currentId))).resolves.toEqual(ids);
  });

  it("Pool.use: a waiter handed a resource, and the create() it triggers", async () => {
    const created: (number | undefined)[] = [];
    const pool = new Pool({
      create: () => {
        created.push(store.getStore()?.id);
        return {};
      },
      max: 2,
    });
    await expect(fromEachCaller(() => pool.use(currentId))).resolves.toEqual(ids);
    expect(created).toEqual([0, 1]);
    await pool.drain();
  });

  it("TaskGroup.spawn, gather and asCompleted with a concurrency below the task count", async () => {
    const spawned = fromEachCaller(async () => {
      await using group = new TaskGroup();
      return group.spawn(currentId);
    });
    await expect(spawned).resolves.toEqual(ids);

    const gathered = fromEachCaller(async () => {
      const seen = await gather([currentId, currentId, currentId], { concurrency: 1 });
      expect(new Set(seen).size).toBe(1);
      return seen[2];
    });
    await expect(gathered).resolves.toEqual(ids);

    const completed = fromEachCaller(async () => {
      const seen: (number | undefined)[] = [];
      for await (const done of asCompleted([currentId, currentId], { concurrency: 1 })) {
        if (done.status === "fulfilled") seen.push(done.value);
      }
      expect(seen[0]).toBe(seen[1]);
      return seen[1];
    });
    await expect(completed).resolves.toEqual(ids);
  });

  it("retry: an attempt after a backoff wait", async () => {
    const seen = fromEachCaller((id) =>
      retry(
        async (attempt) => {
          if (attempt === 1) throw new Error(`first attempt of ${id}`);
          return currentId();
        },
        { minDelayMs: 1, jitter: false },
      ),
    );
    await expect(seen).resolves.toEqual(ids);
  });

  it("hedge: an attempt started by the hedging timer", async () => {
    const seen = fromEachCaller(() =>
      hedge(
        async (signal, attempt) => {
          if (attempt === 1) {
            // The first attempt hangs until the second one wins and aborts it.
            await new Promise((resolve) => signal.addEventListener("abort", resolve));
            return undefined;
          }
          return currentId();
        },
        { delayMs: 1, maxAttempts: 2 },
      ),
    );
    await expect(seen).resolves.toEqual(ids);
  });
});
