import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sleep } from "../src/sleep.ts";
import { trackedController } from "./helpers/signals.ts";

describe("sleep", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves only after the delay", async () => {
    let done = false;
    const pending = sleep(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(done).toBe(true);
  });

  it("treats negative and NaN delays as zero", async () => {
    const order: string[] = [];
    const a = sleep(-5).then(() => order.push("negative"));
    const b = sleep(Number.NaN).then(() => order.push("nan"));
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all([a, b]);
    expect(order).toEqual(["negative", "nan"]);
  });

  it("rejects with the signal's reason and clears its timer when aborted", async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, { signal: controller.signal });
    expect(vi.getTimerCount()).toBe(1);
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects at once, without a timer, when the signal is already aborted", async () => {
    const pending = sleep(10, { signal: AbortSignal.abort() });
    expect(vi.getTimerCount()).toBe(0);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("detaches its abort listener when it resolves", async () => {
    const { controller, listeners } = trackedController();
    const pending = sleep(50, { signal: controller.signal });
    expect(listeners()).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    await pending;
    expect(listeners()).toBe(0);
  });

  it("sleeps forever with Infinity, until aborted", async () => {
    const controller = new AbortController();
    const pending = sleep(Number.POSITIVE_INFINITY, { signal: controller.signal });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1e9);
    controller.abort(new Error("enough"));
    await expect(pending).rejects.toThrow("enough");
  });

  it("chains timers for delays beyond the 32-bit timer limit", async () => {
    const day = 24 * 60 * 60 * 1000;
    let done = false;
    const pending = sleep(30 * day).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(25 * day);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * day);
    await pending;
    expect(done).toBe(true);
  });
});
