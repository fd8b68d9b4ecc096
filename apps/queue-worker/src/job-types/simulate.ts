import { sleep } from "@edge-async/async-utils";
import * as z from "zod";
import { defineJobType } from "./job-type.ts";

/**
 * `simulate`: sleeps `durationMs` (honouring the run's signal), then fails with probability
 * `failureRate`. No side effect outside D1; for demos, fault tests and the benchmark.
 */
export const simulateJob = defineJobType({
  name: "simulate",
  description: "Sleeps durationMs, then fails with probability failureRate.",
  payload: z.strictObject({
    durationMs: z.number().int().min(0).max(600_000).default(0),
    failureRate: z.number().min(0).max(1).default(0),
  }),
  async run(payload, { signal, attempt }) {
    await sleep(payload.durationMs, { signal });
    if (Math.random() < payload.failureRate) {
      throw new Error(`simulated failure (failureRate ${payload.failureRate}, attempt ${attempt})`);
    }
    return { sleptMs: payload.durationMs, attempt };
  },
});
