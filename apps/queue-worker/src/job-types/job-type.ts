import type { TargetPolicy } from "@edge-async/http";
import type * as z from "zod";
import type { Env } from "../env.ts";

/** What a handler gets besides its payload: what it needs to stop in time and reach out. */
export interface JobContext {
  /** Aborts when the run's deadline passes (or the invocation gives up): stop the work then. */
  signal: AbortSignal;
  env: Env;
  /** Which URLs the job may fetch, parsed once per queue batch from the worker's vars. */
  outbound: TargetPolicy;
  jobId: string;
  /** 1 for the first run, counted in D1 across deliveries. */
  attempt: number;
  /**
   * Reports progress: `fraction` in 0..1 (clamped), an optional message (cut at 200 characters).
   * Cheap to call often: written at most once a second, the last report always kept.
   */
  progress(fraction: number, message?: string): void;
}

/**
 * A kind of job: a zod schema for its payload (checked when it is enqueued and again before it
 * runs) and the handler. A handler's side effect must be idempotent, since Queues deliver at least
 * once and a run whose outcome write is lost runs again.
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

/** Declares a job type; exists so the payload's type flows from its schema into `run`. */
export function defineJobType<S extends z.ZodType, R>(definition: JobType<S, R>): JobType<S, R> {
  return definition;
}
