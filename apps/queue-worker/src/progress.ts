import { and, eq } from "drizzle-orm";
import type { Database } from "./db/database.ts";
import { jobs } from "./db/schema.ts";

/** Progress writes one job makes at most, one per this many milliseconds. */
export const PROGRESS_INTERVAL_MS = 1_000;

/** Longest progress message kept, in UTF-16 code units; a longer one is cut. */
const MAX_MESSAGE = 200;

/** One progress report: a fraction in 0..1, an optional message, and when it was reported. */
export interface Progress {
  fraction: number;
  message: string | undefined;
  at: number;
}

/** The clock and timers of a reporter; tests pass fake ones. */
export interface ProgressClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ProgressClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A run's progress function and what is left to write when the run ends. */
export interface ProgressReporter {
  /** What handlers call: `fraction` is clamped into 0..1 (NaN is ignored). */
  report(fraction: number, message?: string): void;
  /** Stops the timer; returns the last report not written yet (the outcome write carries it). */
  finish(): Promise<Progress | undefined>;
}

/**
 * Throttles a run's progress reports to one `write` per `intervalMs` (counted from the run's
 * start), always the latest, so the last report before a quiet spell is written on the next tick; {@link ProgressReporter.finish} hands over a report
 * still unwritten when the run ends. A failed write is logged and not retried (the next report
 * or the outcome carries on).
 */
export function createProgressReporter(
  write: (progress: Progress) => Promise<void>,
  options: { intervalMs?: number; clock?: ProgressClock } = {},
): ProgressReporter {
  const clock = options.clock ?? realClock;
  const intervalMs = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  let latest: Progress | undefined;
  let dirty = false;
  // A run's first write waits one interval too: a short run's progress rides on its outcome write.
  let lastWriteAt = clock.now();
  let timer: unknown;
  let writing: Promise<void> | undefined;
  let finished = false;

  function schedule(): void {
    if (finished || timer !== undefined || writing !== undefined || !dirty) return;
    const wait = lastWriteAt + intervalMs - clock.now();
    if (wait <= 0) writeLatest();
    else {
      timer = clock.setTimeout(() => {
        timer = undefined;
        writeLatest();
      }, wait);
    }
  }

  function writeLatest(): void {
    if (!dirty || latest === undefined || finished) return;
    dirty = false;
    lastWriteAt = clock.now();
    writing = write(latest)
      .catch((error: unknown) => console.error("writing job progress failed", error))
      .finally(() => {
        writing = undefined;
        schedule();
      });
  }

  return {
    report(fraction, message) {
      if (finished || Number.isNaN(fraction)) return;
      latest = {
        fraction: Math.min(1, Math.max(0, fraction)),
        message: message?.slice(0, MAX_MESSAGE),
        at: clock.now(),
      };
      dirty = true;
      schedule();
    },
    async finish() {
      finished = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await writing;
      return dirty ? latest : undefined;
    },
  };
}

/** The progress of job `id`, written only while run `runToken` still holds it. */
export function progressWriter(db: Database, id: string, runToken: string) {
  return async (progress: Progress): Promise<void> => {
    await db
      .update(jobs)
      .set(progressColumns(progress))
      .where(and(eq(jobs.id, id), eq(jobs.runToken, runToken)));
  };
}

/** The columns a progress report sets. */
export function progressColumns(progress: Progress) {
  return {
    progressFraction: progress.fraction,
    progressMessage: progress.message ?? null,
    progressUpdatedAt: progress.at,
  };
}
