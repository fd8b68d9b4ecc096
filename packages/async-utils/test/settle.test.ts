import { describe, expect, it, vi } from "vitest";
import { settle } from "../src/settle.ts";
import { flush } from "./helpers/signals.ts";

describe("settle", () => {
  it("reports every outcome in task order, including synchronous throws", async () => {
    const boom = new Error("boom");
    const sync = new Error("sync");
    const outcomes = await settle<number | string>([
      async () => {
        await flush(3);
        return 1;
      },
      () => Promise.reject(boom),
      () => {
        throw sync;
      },
      () => "plain",
    ]);
    expect(outcomes).toEqual([
      { status: "fulfilled", value: 1 },
      { status: "rejected", reason: boom },
      { status: "rejected", reason: sync },
      { status: "fulfilled", value: "plain" },
    ]);
  });

  it("does not abort the other tasks when one fails", async () => {
    const signals: AbortSignal[] = [];
    const outcomes = await settle([
      async (signal) => {
        signals.push(signal);
        throw new Error("first");
      },
      async (signal) => {
        signals.push(signal);
        await flush(5);
        return signal.aborted;
      },
    ]);
    expect(outcomes[1]).toEqual({ status: "fulfilled", value: false });
    expect(signals.some((signal) => signal.aborted)).toBe(false);
  });

  it("resolves [] for no tasks and respects concurrency", async () => {
    await expect(settle([])).resolves.toEqual([]);
    let active = 0;
    let peak = 0;
    const outcomes = await settle(
      Array.from({ length: 10 }, (_, i) => async () => {
        active++;
        peak = Math.max(peak, active);
        await flush(2);
        active--;
        if (i % 3 === 0) throw new Error(String(i));
        return i;
      }),
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
    expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(4);
  });

  it("rejects with the signal's reason and aborts running tasks when the signal aborts", async () => {
    const reason = new Error("stop");
    const task = vi.fn();
    await expect(settle([task], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(task).not.toHaveBeenCalled();

    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const pending = settle(
      [
        (signal) => {
          seen = signal;
          return new Promise(() => {});
        },
      ],
      { signal: controller.signal },
    );
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(seen?.reason).toBe(reason);
  });
});
