// Errors, sleep, withTimeout and linkedController on the runtime's real clock.
import assert from "node:assert/strict";
import {
  AbortError,
  isAbortError,
  linkedController,
  sleep,
  TimeoutError,
  withTimeout,
} from "../../src/index.ts";
import { describe, it } from "./harness.ts";

describe("errors", () => {
  it("AbortError and TimeoutError carry the DOM names and their options", () => {
    const cause = new Error("root");
    const abort = new AbortError("stopped", { cause });
    assert.ok(abort instanceof Error);
    assert.equal(abort.name, "AbortError");
    assert.equal(abort.message, "stopped");
    assert.equal(abort.cause, cause);
    const timeout = new TimeoutError("too slow", { timeoutMs: 25 });
    assert.equal(timeout.name, "TimeoutError");
    assert.equal(timeout.timeoutMs, 25);
  });

  it("isAbortError accepts this package's AbortError and the runtime's own abort reason", () => {
    assert.equal(isAbortError(new AbortError()), true);
    assert.equal(isAbortError(AbortSignal.abort().reason), true);
    assert.equal(isAbortError(new Error("x")), false);
    assert.equal(isAbortError(new TimeoutError()), false);
    assert.equal(isAbortError("AbortError"), false);
  });
});

describe("sleep", () => {
  it("resolves after at least the delay", async () => {
    const start = performance.now();
    await sleep(20);
    // Timers may fire a hair early on some runtimes' clocks; a whole millisecond never.
    assert.ok(performance.now() - start >= 19);
  });

  it("rejects with the signal's reason, at once when already aborted", async () => {
    const reason = new Error("stop");
    await assert.rejects(sleep(10, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    const controller = new AbortController();
    const pending = sleep(60_000, { signal: controller.signal });
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
  });

  it("Infinity waits for the signal alone", async () => {
    const controller = new AbortController();
    const pending = sleep(Number.POSITIVE_INFINITY, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e) => isAbortError(e));
  });
});

describe("withTimeout", () => {
  it("resolves with fn's value before the deadline", async () => {
    assert.equal(await withTimeout(async () => "ok", 1_000), "ok");
    assert.equal(await withTimeout(() => 7, 1_000), 7);
  });

  it("aborts fn's signal with a TimeoutError and rejects with it", async () => {
    let seen: unknown;
    const pending = withTimeout(async (signal) => {
      try {
        await sleep(60_000, { signal });
      } catch (error) {
        seen = error;
        throw error;
      }
    }, 10);
    await assert.rejects(pending, (e) => e instanceof TimeoutError && e.timeoutMs === 10);
    assert.ok(seen instanceof TimeoutError);
  });

  it("rejects with the caller's reason when the caller aborts first", async () => {
    const controller = new AbortController();
    const reason = new Error("caller left");
    const pending = withTimeout((signal) => sleep(60_000, { signal }), 60_000, {
      signal: controller.signal,
    });
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
  });
});

describe("linkedController", () => {
  it("aborts with the parent, mapping the reason", async () => {
    const parent = new AbortController();
    const call = linkedController(parent.signal, { reason: (r) => new Error(`parent: ${r}`) });
    assert.equal(call.signal.aborted, false);
    parent.abort("gone");
    assert.equal(call.signal.aborted, true);
    assert.equal((call.signal.reason as Error).message, "parent: gone");
  });

  it("aborts on its own and stops following the parent once disposed", () => {
    const parent = new AbortController();
    const own = linkedController(parent.signal);
    own.controller.abort("self");
    assert.equal(own.signal.reason, "self");
    const disposed = linkedController(parent.signal);
    disposed[Symbol.dispose]();
    parent.abort();
    assert.equal(disposed.signal.aborted, false);
    assert.equal(linkedController(undefined).signal.aborted, false);
  });
});
