/** The wire shapes of `GET /v1/jobs/{id}/runs` (a job's runs ledger) as zod schemas. */
import * as z from "zod";
import { isoTime } from "./contract.ts";
import { examples } from "./examples.ts";

/**
 * How one run ended: `running` until it reports, `lost` when its runner stopped reporting and the
 * job was claimed again (or left) after its lease ran out.
 */
export const runOutcome = z.enum(["running", "succeeded", "failed", "dead", "cancelled", "lost"]);

/** One run (attempt) of a job, from the runs ledger. */
export const jobRun = z
  .object({
    run: z.number().int().min(1).meta({
      description:
        "The run's place among the job's runs, from 1: attempt starts again at 1 after a retry, run does not",
    }),
    attempt: z.number().int().min(1),
    outcome: runOutcome,
    error: z.string().optional(),
    startedAt: isoTime,
    finishedAt: isoTime.optional(),
    durationMs: z.number().int().min(0).optional().meta({ description: "finishedAt - startedAt" }),
  })
  .meta({ id: "JobRun" });
/** One run as the API shows it. */
export type JobRunView = z.output<typeof jobRun>;

/** `GET /v1/jobs/{id}/runs`: every run of the job, oldest first (a retried job keeps its old runs). */
export const jobRunList = z
  .object({ items: z.array(jobRun) })
  .meta({ id: "JobRunList", example: examples.runs });
