import {
  asCompleted,
  Coalescer,
  limit,
  linkedController,
  remainingMs,
  TimeoutError,
} from "@edge-async/async-utils";
import type { Config } from "./config.ts";
import type { CallSummary, ErrorCode, UpstreamResult } from "./contract.ts";
import { CancelledError, DeadlineError } from "./results.ts";
import {
  type CallScope,
  fetchUpstream,
  type Outcome,
  SubrequestBudget,
  type UpstreamRequest,
} from "./upstream-fetch.ts";

/** One request of a call: either ready to go upstream, or refused by the policy up front. */
export type PlannedRequest =
  | { id: string; upstream: UpstreamRequest; blocked?: undefined }
  | { id: string; blocked: string };

/** Everything a call needs, validated and with defaults applied. */
export interface CallPlan {
  requests: readonly PlannedRequest[];
  concurrency: number;
  deadlineMs: number;
  failFast: boolean;
}

/** What a call produced, in request order. */
export interface CallReport {
  results: UpstreamResult[];
  summary: CallSummary;
  /** The request that took longest, for `Server-Timing`. */
  slowest?: { id: string; durationMs: number };
}

interface TimedOutcome {
  outcome: Outcome;
  durationMs: number;
}

/** Sees each result as it finishes; a throw means its consumer is gone. */
type ResultHandler = (result: UpstreamResult, index: number) => void | Promise<void>;

/**
 * Runs a call: every request concurrently (at most `concurrency` upstream requests at a time),
 * identical GETs coalesced into one upstream request, all within the deadline. `onResult` sees
 * each result as it finishes (finish order); the report lists them in request order.
 *
 * One controller spans the call, linked to `signal` (the request's `c.var.signal`). It aborts at
 * the deadline (the plan's, or the caller's `request-timeout-ms` when that leaves less), when the
 * client goes away, and when `failFast` sees a failure; queued requests are
 * then dropped and running fetches aborted. The returned promise settles only after every fetch
 * has settled, so nothing of the call is still running when the answer goes out.
 */
export async function runCall(
  plan: CallPlan,
  config: Config,
  options: {
    signal?: AbortSignal;
    onResult?: ResultHandler;
    /** Asked before each retry; `false` (the caller's key has no budget left) skips the retry. */
    takeRetry?: () => Promise<boolean>;
  } = {},
): Promise<CallReport> {
  const startedAt = Date.now();
  const inherited = options.signal === undefined ? undefined : remainingMs(options.signal);
  const callerBinds = inherited !== undefined && inherited <= plan.deadlineMs;
  const deadlineMs = Math.min(plan.deadlineMs, inherited ?? Number.POSITIVE_INFINITY);
  const call = linkedController(options.signal, {
    // The caller's budget running out is this call's deadline, not a disconnect; it is reported
    // as the budget the caller gave (its TimeoutError's), not the part left when the call began,
    // and never as more than the plan's (callDeadlineMs, the streamed start line, says the same).
    reason: (reason) =>
      reason instanceof TimeoutError
        ? new DeadlineError(Math.min(reason.timeoutMs ?? deadlineMs, plan.deadlineMs))
        : new CancelledError("The client disconnected"),
  });
  // When the caller's budget binds, its own signal ends the call at that moment.
  const deadline = callerBinds
    ? undefined
    : setTimeout(() => call.controller.abort(new DeadlineError(deadlineMs)), deadlineMs);
  try {
    const upstreamCount = plan.requests.filter((request) => request.blocked === undefined).length;
    const scope: CallScope = {
      config,
      signal: call.signal,
      deadlineAt: startedAt + deadlineMs,
      budget: new SubrequestBudget(config.maxSubrequests, upstreamCount, options.takeRetry),
    };
    const tasks = requestTasks(plan, scope);
    const results = await collectResults(tasks, plan.failFast, call.controller, options.onResult);
    return buildReport(results, startedAt);
  } finally {
    if (deadline !== undefined) clearTimeout(deadline);
    call.dispose();
  }
}

/**
 * One task per planned request, each resolving to its result (never rejecting): a refused target
 * answers at once; the rest go upstream, identical GETs sharing one fetch.
 */
function requestTasks(plan: CallPlan, scope: CallScope): (() => Promise<UpstreamResult>)[] {
  const execute = upstreamExecutor(plan.concurrency, scope);
  const coalescer = new Coalescer<string, TimedOutcome>();
  return plan.requests.map((request) => async (): Promise<UpstreamResult> => {
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
}

/**
 * Fetches one request once a concurrency slot is free, timing it from then. The limiter counts
 * real upstream requests only: coalesced duplicates wait without a slot. Once the call aborts,
 * queued requests are dropped with the call's reason.
 */
function upstreamExecutor(
  concurrency: number,
  scope: CallScope,
): (upstream: UpstreamRequest) => Promise<TimedOutcome> {
  const { signal } = scope;
  const slot = limit(concurrency);
  signal.addEventListener("abort", () => slot.clearQueue(signal.reason), { once: true });
  return async (upstream) => {
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
}

/**
 * Gathers the results in request order as they finish, handing each to `onResult`. A failure
 * under `failFast` cancels the call; so does a consumer that throws, but the call is still
 * drained so that every fetch has settled on return.
 */
async function collectResults(
  tasks: (() => Promise<UpstreamResult>)[],
  failFast: boolean,
  controller: AbortController,
  onResult: ResultHandler | undefined,
): Promise<UpstreamResult[]> {
  const { signal } = controller;
  const results: UpstreamResult[] = new Array(tasks.length);
  let consumerFailed = false;
  for await (const done of asCompleted(tasks)) {
    // Tasks turn every failure into a result, so a rejection here is a bug worth a 500.
    if (done.status === "rejected") throw done.reason;
    results[done.index] = done.value;
    if (failFast && !done.value.ok && !signal.aborted) {
      controller.abort(
        new CancelledError(`failFast: request ${JSON.stringify(done.value.id)} failed`),
      );
    }
    if (consumerFailed) continue;
    try {
      await onResult?.(done.value, done.index);
    } catch (error) {
      // Whoever consumes results is gone: stop the call, but still drain it.
      consumerFailed = true;
      if (!signal.aborted) controller.abort(new CancelledError("The result consumer failed"));
      console.warn("fetch-aggregator: onResult failed", error);
    }
  }
  return results;
}

/** The totals of a call, and its slowest request for `Server-Timing`. */
function buildReport(results: UpstreamResult[], startedAt: number): CallReport {
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

/**
 * The upstream requests a plan makes before any retry or redirect: identical GETs count once
 * (they are coalesced), refused targets not at all. Cache hits are not known yet and count.
 */
export function plannedSubrequests(plan: CallPlan): number {
  const coalesced = new Set<string>();
  let others = 0;
  for (const request of plan.requests) {
    if (request.blocked !== undefined) continue;
    const key = coalescingKey(request.upstream);
    if (key === undefined) others++;
    else coalesced.add(key);
  }
  return coalesced.size + others;
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

function abortedOutcome(reason: unknown): Outcome {
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
