import { describe, expect, it, vi } from "vitest";
import { createProgressReporter, type Progress, type ProgressClock } from "../src/progress.ts";
import { api, deliver, getJob, insertJob } from "./fixtures/jobs.ts";

// Progress: a handler reports (fraction, message) as often as it likes; at most one write a
// second reaches D1, always the latest report, and the last one is never lost.

/** A clock whose time only moves when the test says, with the timers it fires. */
function fakeClock(): ProgressClock & { advance(ms: number): Promise<void> } {
  let now = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let next = 1;
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const handle = next++;
      timers.set(handle, { at: now + ms, callback });
      return handle;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, timer]) => timer.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
        // Let the write's promise chain settle before the next timer.
        for (let i = 0; i < 10; i += 1) await Promise.resolve();
      }
      now = until;
    },
  };
}

describe("progress throttling", () => {
  it("writes at most once per interval, always the latest report, the last one on the next tick", async () => {
    const clock = fakeClock();
    const writes: Progress[] = [];
    const reporter = createProgressReporter(async (progress) => void writes.push(progress), {
      clock,
    });
    // 100 reports in the first 990 ms: nothing written within the first interval.
    for (let i = 1; i <= 100; i += 1) {
      reporter.report(i / 200, `step ${i}`);
      await clock.advance(9.9);
    }
    expect(writes).toEqual([]);
    // At 1 s: one write, of the latest report.
    await clock.advance(20);
    expect(writes.map((w) => w.message)).toEqual(["step 100"]);
    // Three reports in the next 300 ms: the last of them is written at 2 s, not before.
    reporter.report(0.6, "a");
    reporter.report(0.7, "b");
    await clock.advance(300);
    reporter.report(0.8, "c");
    await clock.advance(600);
    expect(writes).toHaveLength(1);
    await clock.advance(200);
    expect(writes.map((w) => [w.fraction, w.message])).toEqual([
      [0.5, "step 100"],
      [0.8, "c"],
    ]);
    // Nothing new: no write.
    await clock.advance(5_000);
    expect(writes).toHaveLength(2);
    // After a quiet spell longer than the interval, a report is written at once...
    reporter.report(0.9, "almost");
    await clock.advance(1);
    expect(writes.at(-1)?.message).toBe("almost");
    // ...and one just before the end, within the interval, is handed to the outcome write.
    reporter.report(1, "done");
    const left = await reporter.finish();
    expect(left).toMatchObject({ fraction: 1, message: "done" });
    expect(writes).toHaveLength(3);
    // After the end, reports are ignored and nothing fires.
    reporter.report(0.1);
    await clock.advance(5_000);
    expect(writes).toHaveLength(3);
  });

  it("clamps the fraction into 0..1, ignores NaN and cuts long messages", async () => {
    const clock = fakeClock();
    const reporter = createProgressReporter(async () => {}, { clock });
    reporter.report(1.5, "x".repeat(500));
    expect(await reporter.finish()).toMatchObject({ fraction: 1, message: "x".repeat(200) });
    const other = createProgressReporter(async () => {}, { clock });
    other.report(-2);
    other.report(Number.NaN);
    expect((await other.finish())?.fraction).toBe(0);
  });
});

describe("progress of a running job", () => {
  it("shows on GET /v1/jobs/:id while it runs, and ends at 1", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: { durationMs: 3_000 },
      timeoutMs: 30_000,
    });
    const delivery = deliver([id]);
    const seen = await vi.waitUntil(
      async () => {
        const view = (await (await api(`/v1/jobs/${id}`)).json()) as {
          status: string;
          progress?: { fraction: number; message?: string; updatedAt: string };
        };
        return view.status === "running" && view.progress !== undefined ? view : undefined;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(seen.progress!.fraction).toBeGreaterThan(0);
    expect(seen.progress!.fraction).toBeLessThan(1);
    expect(seen.progress!.message).toMatch(/^slept \d+ of 3000 ms$/);
    await delivery;
    const job = await getJob(id);
    expect(job).toMatchObject({
      status: "succeeded",
      progressFraction: 1,
      progressMessage: "slept 3000 of 3000 ms",
    });
  });
});
