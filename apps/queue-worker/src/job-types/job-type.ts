import type { TargetPolicy } from "@edge-async/http";
import type * as z from "zod";
import type { Env } from "../env.ts";

/**
 * What a handler gets besides its payload.
 *
 * @example
 * ```ts
 * import type { JobContext } from "./job-type.ts";
 * const run = async (payload: { url: string }, { signal }: JobContext) => fetch(payload.url, { signal });
 * ```
 */
export interface JobContext {
  /** Aborts when the run's deadline passes (or the invocation gives up): stop the work then. */
  signal: AbortSignal;
  env: Env;
  /** Which URLs the job may fetch, parsed once per queue batch from the worker's vars. */
  outbound: TargetPolicy;
  jobId: string;
  /** 1 for the first run, counted in D1 across deliveries. */
  attempt: number;
}

/**
 * A kind of job: a zod schema for its payload (checked when it is enqueued and again before it
 * runs) and the handler. A handler's side effect must be idempotent, since Queues deliver at least
 * once and a run whose outcome write is lost runs again.
 *
 * @example
 * ```ts
 * import type { JobType } from "./job-type.ts";
 * const types: Record<string, JobType> = { simulate: simulateJob };
 * ```
 */
export interface JobType<S extends z.ZodType = z.ZodType, R = unknown> {
  readonly name: string;
  readonly description: string;
  readonly payload: S;
  /**
   * The URLs a run will fetch, keyed by their JSON pointer inside the payload (`/url`): the
   * producer refuses a job whose URL the outbound policy refuses.
   */
  outboundUrls?(payload: z.output<S>): Record<string, string>;
  run(payload: z.output<S>, context: JobContext): Promise<R>;
}

/**
 * Declares a job type, keeping the payload's type from its schema into `run`.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { defineJobType } from "./job-type.ts";
 * export const echoJob = defineJobType({
 *   name: "echo",
 *   description: "Returns its payload.",
 *   payload: z.object({ text: z.string() }),
 *   run: async (payload) => ({ echoed: payload.text }),
 * });
 * ```
 */
export function defineJobType<S extends z.ZodType, R>(definition: JobType<S, R>): JobType<S, R> {
  return definition;
}
