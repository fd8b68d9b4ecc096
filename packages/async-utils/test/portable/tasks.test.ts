// gather, settle, asCompleted and TaskGroup: results, ordering and cancellation.
import assert from "node:assert/strict";
import { asCompleted, gather, isAbortError, settle, sleep, TaskGroup } from "../../src/index.ts";
import { describe, flush, it } from "./harness.ts";

/** A task that finishes after `ms` with `value`, or rejects with the signal's reason. */
const after =
  <T>(ms: number, value: T) =>
  async (signal: AbortSignal): Promise<T> => {
    await sleep(ms, { signal });
    return value;
  };

describe("gather", () => {
  it("resolves with results in input order whatever the finishing order", async () => {
    const results = await gather([after(15, "slow"), () => 2, after(1, "fast")]);
    assert.deepEqual(results, ["slow", 2, "fast"]);
  });

  it("aborts the other tasks on the first failure and rejects with it", async () => {
    const failure = new Error("boom");
    let otherReason: unknown;
    const pending = gather([
      async (signal) => {
        try {
          await sleep(60_000, { signal });
        } catch (error) {
          otherReason = error;
          throw error;
        }
      },
      async () => {
        await flush();
        throw failure;
      },
    ]);
    await assert.rejects(pending, (e) => e === failure);
    await flush();
    assert.ok(isAbortError(otherReason));
  });

  it("runs at most `concurrency` tasks at once", async () => {
    let running = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      peak = Math.max(peak, ++running);
      await sleep(2);
      running--;
    };
    await gather(
      Array.from({ length: 6 }, () => task),
      { concurrency: 2 },
    );
    assert.equal(peak, 2);
  });
});

describe("settle", () => {
  it("reports every outcome and never rejects because of a task", async () => {
    const reason = new Error("no");
    const outcomes = await settle<number>([() => 1, () => Promise.reject(reason), async () => 3]);
    assert.deepEqual(outcomes, [
      { status: "fulfilled", value: 1 },
      { status: "rejected", reason },
      { status: "fulfilled", value: 3 },
    ]);
  });

  it("rejects with the caller's reason when its signal aborts", async () => {
    const reason = new Error("caller");
    await assert.rejects(
      settle([() => 1], { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
  });
});

describe("asCompleted", () => {
  it("yields outcomes in finishing order with their input index", async () => {
    const seen: [number, string][] = [];
    for await (const done of asCompleted([after(20, "c"), after(1, "a"), after(8, "b")])) {
      assert.equal(done.status, "fulfilled");
      if (done.status === "fulfilled") seen.push([done.index, done.value]);
    }
    assert.deepEqual(seen, [
      [1, "a"],
      [2, "b"],
      [0, "c"],
    ]);
  });

  it("aborts the tasks still running when the loop breaks", async () => {
    const reasons: unknown[] = [];
    const slow = async (signal: AbortSignal): Promise<string> => {
      try {
        return await after(60_000, "never")(signal);
      } catch (error) {
        reasons.push(error);
        throw error;
      }
    };
    for await (const done of asCompleted([slow, () => "first", slow])) {
      assert.equal(done.index, 1);
      break;
    }
    await flush();
    assert.equal(reasons.length, 2);
    assert.ok(reasons.every(isAbortError));
  });
});

describe("TaskGroup", () => {
  it("waits for every task, including tasks spawned while waiting", async () => {
    const group = new TaskGroup();
    const order: string[] = [];
    const first = group.spawn(async (signal) => {
      await sleep(2, { signal });
      order.push("first");
      void group.spawn(async () => {
        await sleep(2);
        order.push("nested");
      });
      return 1;
    });
    await group.wait();
    assert.equal(await first, 1);
    assert.deepEqual(order, ["first", "nested"]);
    assert.equal(group.signal.aborted, true, "the group's signal aborts once it ends");
    assert.throws(() => group.spawn(() => 0));
  });

  it("one failure aborts the others and wait() rejects with an AggregateError of it", async () => {
    const failure = new Error("bad");
    const group = new TaskGroup();
    const sibling = group.spawn((signal) => sleep(60_000, { signal }));
    const failing = group.spawn(async () => {
      await flush();
      throw failure;
    });
    await assert.rejects(
      group.wait(),
      (e) => e instanceof AggregateError && e.errors[0] === failure,
    );
    await assert.rejects(sibling, (e) => isAbortError(e));
    await assert.rejects(failing, (e) => e === failure);
  });

  it("leaving an `await using` block waits for the group", async () => {
    let finished = false;
    {
      await using group = new TaskGroup();
      void group.spawn(async () => {
        await sleep(2);
        finished = true;
      });
    }
    assert.equal(finished, true);
  });

  it("the parent signal aborts every task", async () => {
    const parent = new AbortController();
    const group = new TaskGroup({ signal: parent.signal });
    const task = group.spawn((signal) => sleep(60_000, { signal }));
    parent.abort(new Error("parent"));
    await assert.rejects(task, (e) => (e as Error).message === "parent");
    await assert.rejects(group.wait(), (e) => (e as Error).message === "parent");
  });
});
