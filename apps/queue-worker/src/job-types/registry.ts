import { parseInput } from "@edge-async/http";
import type * as z from "zod";
import { PermanentJobError } from "../errors.ts";
import { fetchJob } from "./fetch.ts";
import { ingestJob } from "./ingest.ts";
import type { JobType } from "./job-type.ts";
import { simulateJob } from "./simulate.ts";

/** Every job type this worker runs, by name: the one list the producer, routes and consumer read. */
export const jobTypes = {
  fetch: fetchJob,
  ingest: ingestJob,
  simulate: simulateJob,
} as const satisfies Record<string, JobType<z.ZodType, unknown>>;

/** Name of a registered job type. */
export type JobTypeName = keyof typeof jobTypes;

/** The registered type names, for validation messages and filters. */
export const JOB_TYPE_NAMES = Object.keys(jobTypes) as [JobTypeName, ...JobTypeName[]];

/** Whether `name` is a registered job type. */
function isJobTypeName(name: string): name is JobTypeName {
  return Object.hasOwn(jobTypes, name);
}

/** A job ready to run: its handler and its parsed payload. */
export interface RunnableJob {
  type: JobType<z.ZodType, unknown>;
  payload: unknown;
}

/**
 * Resolves a stored job to its handler and re-validates its payload (a row may predate a schema
 * change); anything unrunnable is a {@link PermanentJobError} naming what is wrong.
 */
export function resolveJob(typeName: string, payloadJson: string): RunnableJob {
  if (!isJobTypeName(typeName)) {
    throw new PermanentJobError(
      `unknown job type "${typeName}"; this worker runs ${JOB_TYPE_NAMES.join(", ")}`,
    );
  }
  const type = jobTypes[typeName] as JobType<z.ZodType, unknown>;
  let raw: unknown;
  try {
    raw = JSON.parse(payloadJson);
  } catch {
    throw new PermanentJobError(`the stored payload of this ${typeName} job is not JSON`);
  }
  try {
    return { type, payload: parseInput(type.payload, raw, "payload") };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new PermanentJobError(`invalid ${typeName} payload: ${detail}`);
  }
}
