// Deadline propagation and shield: budgets that travel between services, cleanup that finishes.
import assert from "node:assert/strict";
import {
  DEADLINE_HEADER,
  DeadlineHeaderError,
  deadlineHeader,
  deadlineSignal,
  remainingMs,
  shield,
  signalFromDeadline,
  sleep,
  TimeoutError,
} from "../../src/index.ts";
import { describe, it } from "./harness.ts";

describe("deadlines", () => {
  it("deadlineSignal aborts with a TimeoutError when its budget runs out", async () => {
    const signal = deadlineSignal(5);
    const left = remainingMs(signal);
    assert.ok(left !== undefined && left <= 5);
    await assert.rejects(sleep(60_000, { signal }), (e) => e instanceof TimeoutError);
    assert.equal(remainingMs(signal), 0);
    assert.equal(remainingMs(new AbortController().signal), undefined);
  });

  it("a nested deadline never outlives its parent's", () => {
    const outer = deadlineSignal(1_000);
    const inner = deadlineSignal(60_000, { signal: outer });
    assert.ok((remainingMs(inner) ?? Number.POSITIVE_INFINITY) <= 1_000);
  });

  it("deadlineHeader and signalFromDeadline carry the budget between services", () => {
    assert.equal(DEADLINE_HEADER, "request-timeout-ms");
    assert.deepEqual(deadlineHeader(2_500.7), { [DEADLINE_HEADER]: "2500" });
    assert.deepEqual(deadlineHeader(new AbortController().signal), {});
    const received = signalFromDeadline(new Headers(deadlineHeader(800)), { max: 60_000 });
    const left = remainingMs(received) ?? Number.POSITIVE_INFINITY;
    assert.ok(left <= 800 && left > 0, `${left} ms left of 800`);
    // The callee's own max caps what a caller asks for.
    const capped = signalFromDeadline(new Headers({ [DEADLINE_HEADER]: "60000" }), { max: 50 });
    assert.ok((remainingMs(capped) ?? Number.POSITIVE_INFINITY) <= 50);
    assert.equal(
      signalFromDeadline(new Headers({ [DEADLINE_HEADER]: "0" }), { max: 10 }).aborted,
      true,
    );
  });

  it("a malformed header is a DeadlineHeaderError naming the header and the value", () => {
    assert.throws(
      () => signalFromDeadline(new Headers({ [DEADLINE_HEADER]: "soon" }), { max: 1_000 }),
      (e) => e instanceof DeadlineHeaderError && e.header === DEADLINE_HEADER && e.value === "soon",
    );
  });
});

describe("shield", () => {
  it("runs fn to completion when the caller aborts, and the caller stops waiting at once", async () => {
    const controller = new AbortController();
    let finished = false;
    let kept: Promise<unknown> | undefined;
    const pending = shield(
      async (signal) => {
        await sleep(5, { signal });
        finished = true;
      },
      { signal: controller.signal, waitUntil: (promise) => (kept = promise) },
    );
    controller.abort(new Error("request gone"));
    await assert.rejects(pending, (e) => (e as Error).message === "request gone");
    assert.equal(finished, false);
    await kept;
    assert.equal(finished, true);
  });

  it("timeoutMs aborts fn's own signal with a TimeoutError", async () => {
    await assert.rejects(
      shield((signal) => sleep(60_000, { signal }), { timeoutMs: 5 }),
      (e) => e instanceof TimeoutError,
    );
    assert.equal(await shield(() => "done"), "done");
  });
});
