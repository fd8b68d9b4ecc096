import { asCompleted, Coalescer, limit } from "@edge-async/async-utils";
import type { Config } from "./config.ts";
import {
  type CallSummary,
  CancelledError,
  DeadlineError,
  type ErrorCode,
  type UpstreamResult,
} from "./results.ts";
import {
  type CallScope,
  fetchUpstream,
  SubrequestBudget,
  type UpstreamRequest,
} from "./upstream-fetch.ts";

/**
 * One request of a call: either ready to go upstream, or refused by the policy up front.
 *
 * @example
 * ```ts
 * import type { PlannedRequest } from "./aggregate.ts";
 * const refused: PlannedRequest = { id: "meta", blocked: "169.254.169.254 is link-local" };
 * ```
 */
export type PlannedRequest =
  | { id: string; upstream: UpstreamRequest; blocked?: undefined }
  | { id: string; blocked: string };

/**
 * Everything a call needs, validated and with defaults applied.
 *
 * @example
 * ```ts
 * import type { CallPlan } from "./aggregate.ts";
 * const plan: CallPlan = { requests: [], concurrency: 6, deadlineMs: 10_000, failFast: false };
 * ```
 */
export interface CallPlan {
  requests: readonly PlannedRequest[];
  concurrency: number;
  deadlineMs: number;
  failFast: boolean;
}

/**
 * What a call produced, in request order.
 *
 * @example
 * ```ts
 * import type { CallReport } from "./aggregate.ts";
 * const report: CallReport = { results: [], summary: { total: 0, succeeded: 0, failed: 0, durationMs: 0 } };
 * ```
 */
export interface CallReport {
  results: UpstreamResult[];
  summary: CallSummary;
  /** The request that took longest, for `Server-Timing`. */
  slowest?: { id: string; durationMs: number };
}

interface TimedOutcome {
  outcome: Awaited<ReturnType<typeof fetchUpstream>>;
  durationMs: number;
}

/**
 * Runs a call: every request concurrently (at most `concurrency` upstream requests at a time),
 * identical GETs coalesced into one upstream request, all within the deadline. `onResult` sees
 * each result as it finishes (finish order); the report lists them in request order.
 *
 * One AbortController spans the call. It aborts at the deadline, when `signal` (the client's
 * request) aborts, and when `failFast` sees a failure; queued requests are then dropped and
 * running fetches aborted. The returned promise settles only after every fetch has settled, so
 * nothing of the call is still running when the answer goes out.
 *
 * @example
 * ```ts
 * import { runCall } from "./aggregate.ts";
 * import { readConfig } from "./config.ts";
 * const config = readConfig({ ALLOWED_HOSTS: "api.example.com" });
 * const report = await runCall(
 *   { requests: [{ id: "blocked", blocked: "not on the allowlist" }], concurrency: 6, deadlineMs: 1_000, failFast: false },
 *   config,
 * );
 * console.assert(report.results[0]?.error?.code === "blocked");
 * ```
 */
export async function runCall(
  plan: CallPlan,
  config: Config,
  options: {
    signal?: AbortSignal;
    onResult?: (result: UpstreamResult, index: number) => void | Promise<void>;
  } = {},
): Promise<CallReport> {
  const startedAt = Date.now();
  const controller = new AbortController();
  const { signal } = controller;
  const deadline = setTimeout(
    () => controller.abort(new DeadlineError(plan.deadlineMs)),
    plan.deadlineMs,
  );
  const onClientAbort = (): void => controller.abort(new CancelledError("The client disconnected"));
  if (options.signal?.aborted) onClientAbort();
  options.signal?.addEventListener("abort", onClientAbort, { once: true });

  const upstreamCount = plan.requests.filter((request) => request.blocked === undefined).length;
  const scope: CallScope = {
    config,
    signal,
    deadlineAt: startedAt + plan.deadlineMs,
    budget: new SubrequestBudget(config.maxSubrequests, upstreamCount),
  };
  // The limiter counts real upstream requests only: coalesced duplicates wait without a slot.
  const slot = limit(plan.concurrency);
  signal.addEventListener("abort", () => slot.clearQueue(signal.reason), { once: true });
  const coalescer = new Coalescer<string, TimedOutcome>();

  const execute = async (upstream: UpstreamRequest): Promise<TimedOutcome> => {
    try {
      return await slot(async () => {
        if (signal.aborted) return { outcome: abortedOutcome(signal.reason), durationMs: 0 };
        const started = Date.now();
        const outcome = await fetchUpstream(upstream, scope);
        return { outcome, durationMs: Date.now() - started };
      });
    } catch (reason) {
      return { outcome: abortedOutcome(reason), durationMs: 0 };
    }
  };

  const tasks = plan.requests.map((request) => async (): Promise<UpstreamResult> => {
    if (request.blocked !== undefined) {
      return {
        id: request.id,
        ok: false,
        durationMs: 0,
        attempts: 0,
        error: { code: "blocked", message: request.blocked },
      };
    }
    const key = coalescingKey(request.upstream);
    if (key === undefined) return toResult(request.id, await execute(request.upstream), false);
    let leader = false;
    const timed = await coalescer.run(key, () => {
      leader = true;
      return execute(request.upstream);
    });
    return toResult(request.id, timed, !leader);
  });

  const results: UpstreamResult[] = new Array(plan.requests.length);
  let consumerFailed = false;
  try {
    for await (const done of asCompleted(tasks)) {
      // Tasks turn every failure into a result, so a rejection here is a bug worth a 500.
      if (done.status === "rejected") throw done.reason;
      results[done.index] = done.value;
      if (plan.failFast && !done.value.ok && !signal.aborted) {
        controller.abort(
          new CancelledError(`failFast: request ${JSON.stringify(done.value.id)} failed`),
        );
      }
      if (consumerFailed) continue;
      try {
        await options.onResult?.(done.value, done.index);
      } catch (error) {
        // Whoever consumes results is gone: stop the call, but still drain it.
        consumerFailed = true;
        if (!signal.aborted) controller.abort(new CancelledError("The result consumer failed"));
        console.warn("fetch-aggregator: onResult failed", error);
      }
    }
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onClientAbort);
  }

  const succeeded = results.filter((result) => result.ok).length;
  let slowest: CallReport["slowest"];
  for (const result of results) {
    if (slowest === undefined || result.durationMs > slowest.durationMs) {
      slowest = { id: result.id, durationMs: result.durationMs };
    }
  }
  const report: CallReport = {
    results,
    summary: {
      total: results.length,
      succeeded,
      failed: results.length - succeeded,
      durationMs: Date.now() - startedAt,
    },
  };
  if (slowest !== undefined) report.slowest = slowest;
  return report;
}

/** Identical GETs (and HEADs) share one upstream request; anything else never does. */
function coalescingKey(request: UpstreamRequest): string | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const headers = [...request.headers].sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([
    request.method,
    request.url.href,
    headers,
    request.timeoutMs,
    request.retries,
    request.cacheTtlSeconds,
  ]);
}

function abortedOutcome(reason: unknown): TimedOutcome["outcome"] {
  const code: ErrorCode = reason instanceof DeadlineError ? "deadline" : "cancelled";
  const message = reason instanceof Error ? reason.message : "The call was cancelled";
  return { ok: false, attempts: 0, error: { code, message } };
}

function toResult(id: string, timed: TimedOutcome, coalesced: boolean): UpstreamResult {
  const { outcome, durationMs } = timed;
  return {
    id,
    ok: outcome.ok,
    ...(outcome.status === undefined ? {} : { status: outcome.status }),
    durationMs,
    attempts: outcome.attempts,
    ...(outcome.body === undefined ? {} : { body: outcome.body }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    ...(outcome.cached ? { cached: true as const } : {}),
    ...(coalesced ? { coalesced: true as const } : {}),
  };
}
