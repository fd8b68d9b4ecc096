import { sleep } from "@edge-async/async-utils";
import * as z from "zod";
import { defineJobType } from "./job-type.ts";

/** Progress steps of a `simulate` run: it sleeps in this many slices, reporting each. */
const STEPS = 10;

/**
 * `simulate`: sleeps `durationMs` (honouring the run's signal) in ten slices (one under 100 ms),
 * reporting progress after each, then fails with probability `failureRate`. No side effect outside D1; for demos,
 * fault tests and the benchmark.
 */
export const simulateJob = defineJobType({
  name: "simulate",
  description: "Sleeps durationMs, then fails with probability failureRate.",
  payload: z.strictObject({
    durationMs: z.number().int().min(0).max(600_000).default(0),
    failureRate: z.number().min(0).max(1).default(0),
  }),
  async run(payload, { signal, attempt, progress }) {
    // Short sleeps are not worth slicing: one sleep, one report.
    const steps = payload.durationMs >= 100 ? STEPS : 1;
    let slept = 0;
    for (let step = 1; step <= steps; step += 1) {
      const until = Math.round((payload.durationMs * step) / steps);
      await sleep(until - slept, { signal });
      slept = until;
      progress(step / steps, `slept ${slept} of ${payload.durationMs} ms`);
    }
    if (Math.random() < payload.failureRate) {
      throw new Error(`simulated failure (failureRate ${payload.failureRate}, attempt ${attempt})`);
    }
    return { sleptMs: payload.durationMs, attempt };
  },
});
