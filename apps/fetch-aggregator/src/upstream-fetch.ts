import { type CircuitBreaker, CircuitOpenError, retry, withTimeout } from "@edge-async/async-utils";
import {
  failureKind,
  fetchWithinPolicy,
  isRetryableStatus,
  retryClassifier,
  TargetRefusedError,
  withDeadline,
} from "@edge-async/http";
import { breakerFor } from "./breakers.ts";
import { cacheKey, isCacheable, readCached, storeCached } from "./cache.ts";
import type { Config } from "./config.ts";
import type { ErrorCode } from "./contract.ts";
import {
  BlockedError,
  DeadlineError,
  RetryableStatusError,
  TooLargeError,
  type UpstreamAnswer,
} from "./results.ts";
import { readAnswer } from "./upstream-body.ts";
import { reportUpstream } from "./upstream-observability.ts";

/** One upstream request, validated and with the call's defaults applied. */
export interface UpstreamRequest {
  url: URL;
  method: string;
  headers: Headers;
  body?: string;
  /** Limit of each attempt (headers and body), in milliseconds. */
  timeoutMs: number;
  /** Retries after the first attempt; only used for idempotent methods. */
  retries: number;
  /** Cache API TTL for a GET; 0 disables caching. */
  cacheTtlSeconds: number;
}

/**
 * Subrequests a call may still make. Each request's first attempt is reserved up front; retries
 * and redirect hops draw from what is left, so a call never exceeds the Workers subrequest limit.
 * A retry also draws from the caller's key (`perKey`), whose first attempts were counted before
 * the call started.
 */
export class SubrequestBudget {
  #left: number;
  readonly #perKey: (() => Promise<boolean>) | undefined;
  constructor(total: number, reserved: number, perKey?: () => Promise<boolean>) {
    this.#left = Math.max(0, total - reserved);
    this.#perKey = perKey;
  }
  /** Takes one subrequest; false when none is left. */
  take(): boolean {
    if (this.#left <= 0) return false;
    this.#left--;
    return true;
  }
  /** Takes one subrequest for a retry, from the call and from the caller's key. */
  async takeRetry(): Promise<boolean> {
    if (!this.take()) return false;
    return this.#perKey === undefined ? true : this.#perKey();
  }
}

/** What every upstream request of one call shares. */
export interface CallScope {
  config: Config;
  /** Aborts at the deadline, when the client disconnects and when `failFast` trips. */
  signal: AbortSignal;
  /** Epoch milliseconds of the deadline. */
  deadlineAt: number;
  budget: SubrequestBudget;
}

/** How a request ended, before the call adds its id and timing. */
export interface Outcome {
  ok: boolean;
  status?: number;
  body?: unknown;
  attempts: number;
  error?: { code: ErrorCode; message: string };
  cached?: true;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Failures another attempt cannot change: the answer is already known. */
const isFinal = (error: unknown): boolean =>
  error instanceof BlockedError ||
  error instanceof TooLargeError ||
  error instanceof CircuitOpenError ||
  error instanceof DeadlineError;

/**
 * Runs one upstream request to completion: cache lookup, circuit breaker of its origin, retries
 * with backoff for idempotent methods (honouring `Retry-After`), a timeout per attempt,
 * redirects re-checked against the policy, and a size-limited body read. Never rejects: every
 * failure becomes an {@link Outcome} with an error code. When it returns, nothing it started is
 * still running (an abandoned attempt is awaited after its fetch was aborted). Each request is
 * reported (log line and metric) when it ends.
 */
export async function fetchUpstream(request: UpstreamRequest, scope: CallScope): Promise<Outcome> {
  const started = Date.now();
  const outcome = await runUpstream(request, scope);
  reportUpstream(request, outcome, Date.now() - started);
  return outcome;
}

async function runUpstream(request: UpstreamRequest, scope: CallScope): Promise<Outcome> {
  const cacheable = isCacheable(request.method, request.headers, request.cacheTtlSeconds);
  const key = cacheable ? await cacheKey(request.url, request.headers) : undefined;
  if (key !== undefined) {
    const hit = await readCached(key);
    if (hit !== undefined) return { ...answerOutcome(hit, 0), cached: true };
  }
  const breaker = breakerFor(request.url.origin, {
    failureThreshold: scope.config.breakerFailureThreshold,
    resetTimeoutMs: scope.config.breakerResetMs,
  });
  const run = new AttemptRun(request, scope, breaker);
  try {
    const answer = await run.withRetries();
    if (key !== undefined && answer.status >= 200 && answer.status < 300) {
      await storeCached(key, answer, request.cacheTtlSeconds);
    }
    return answerOutcome(answer, run.attempts);
  } catch (error) {
    // retry() rejects as soon as the call aborts; wait for the aborted attempt to wind down.
    await run.current?.catch(() => {});
    return errorOutcome(error, scope.signal, run.attempts, run.lastStatus);
  }
}

/** The attempts of one request: what they share, and what the outcome needs to know of them. */
class AttemptRun {
  attempts = 0;
  lastStatus: number | undefined;
  current: Promise<UpstreamAnswer> | undefined;
  readonly #request: UpstreamRequest;
  readonly #scope: CallScope;
  readonly #breaker: CircuitBreaker;
  readonly #retryable: (error: unknown) => boolean;

  constructor(request: UpstreamRequest, scope: CallScope, breaker: CircuitBreaker) {
    this.#request = request;
    this.#scope = scope;
    this.#breaker = breaker;
    const { config } = scope;
    // A Retry-After we cannot honour within the limits is an answer, not a reason to wait.
    this.#retryable = retryClassifier({
      isFinal,
      maxDelayMs: () => Math.min(config.retryMaxDelayMs, scope.deadlineAt - Date.now()),
    });
  }

  withRetries(): Promise<UpstreamAnswer> {
    const { config, signal } = this.#scope;
    return retry((_attempt, attemptSignal) => this.#attempt(attemptSignal), {
      retries: IDEMPOTENT.has(this.#request.method) ? this.#request.retries : 0,
      minDelayMs: config.retryBaseDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
      signal,
      shouldRetry: (error) => this.#shouldRetry(error),
    });
  }

  #attempt(signal: AbortSignal): Promise<UpstreamAnswer> {
    // No time left: no attempt is made or counted (the upstream would be told it has 0 ms);
    // the call's abort, due this instant, ends the request as a deadline.
    if (this.#scope.deadlineAt <= Date.now()) return whenAborted(this.#scope.signal);
    this.current = this.#breaker.run(
      () => {
        this.attempts++;
        return attemptOnce(this.#request, signal, this.#scope);
      },
      { isFailure: (error) => this.#countsAgainstOrigin(error) },
    );
    return this.current;
  }

  async #shouldRetry(error: unknown): Promise<boolean> {
    if (error instanceof RetryableStatusError) this.lastStatus = error.status;
    if (this.#scope.signal.aborted || !this.#retryable(error)) return false;
    return this.#scope.budget.takeRetry();
  }

  /** Only the origin's own trouble opens its breaker: 5xx and no answer, not 4xx or our aborts. */
  #countsAgainstOrigin(error: unknown): boolean {
    if (this.#scope.signal.aborted) return false;
    const kind = failureKind(error, isFinal);
    return kind === "status" ? (error as RetryableStatusError).status >= 500 : kind === "transport";
  }
}

/** Rejects with `signal`'s reason once it aborts. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** One attempt: fetch (redirects followed under the policy) and read the body, within `timeoutMs`. */
async function attemptOnce(
  request: UpstreamRequest,
  signal: AbortSignal,
  scope: CallScope,
): Promise<UpstreamAnswer> {
  let work: Promise<UpstreamAnswer> | undefined;
  try {
    return await withTimeout(
      (attemptSignal) => {
        work = fetchAndRead(request, attemptSignal, scope);
        return work;
      },
      request.timeoutMs,
      { signal, message: `No answer within ${request.timeoutMs} ms` },
    );
  } catch (error) {
    // withTimeout has aborted the work's signal before rejecting; let the fetch settle.
    await work?.catch(() => {});
    throw error;
  }
}

async function fetchAndRead(
  request: UpstreamRequest,
  signal: AbortSignal,
  scope: CallScope,
): Promise<UpstreamAnswer> {
  const { config } = scope;
  // The upstream learns how long this attempt will wait (the call's deadline or the attempt's
  // timeout, whichever ends first), replacing any value the caller asked to forward.
  const budgetMs = Math.min(scope.deadlineAt - Date.now(), request.timeoutMs);
  const headers = withDeadline(request.headers, budgetMs);
  let fetched: Awaited<ReturnType<typeof fetchWithinPolicy>>;
  try {
    fetched = await fetchWithinPolicy(
      request.url,
      { method: request.method, headers, body: request.body ?? null },
      config,
      {
        signal,
        maxRedirects: config.maxRedirects,
        // A redirect past the limit, or to no URL, is the upstream's answer to report as is.
        unfollowable: "return",
        beforeRedirect: () => scope.budget.take(),
      },
    );
  } catch (error) {
    if (!(error instanceof TargetRefusedError)) throw error;
    throw new BlockedError(
      error.from === undefined
        ? `Refused: ${error.reason}`
        : `Redirect to ${error.url.href} refused: ${error.reason}`,
    );
  }
  const answer = await readAnswer(fetched.response, {
    maxBytes: config.maxBodyBytes,
    signal,
    method: fetched.method,
  });
  if (isRetryableStatus(answer.status)) throw new RetryableStatusError(answer);
  return answer;
}

function answerOutcome(answer: UpstreamAnswer, attempts: number): Outcome {
  const ok = answer.status >= 200 && answer.status < 300;
  const outcome: Outcome = { ok, status: answer.status, attempts };
  if (answer.body !== undefined) outcome.body = answer.body;
  if (!ok) outcome.error = { code: "http", message: `The upstream answered ${answer.status}` };
  return outcome;
}

function errorOutcome(
  error: unknown,
  callSignal: AbortSignal,
  attempts: number,
  lastStatus: number | undefined,
): Outcome {
  const failed = (code: ErrorCode, message: string, status?: number): Outcome =>
    status === undefined
      ? { ok: false, attempts, error: { code, message } }
      : { ok: false, status, attempts, error: { code, message } };
  if (error instanceof RetryableStatusError) {
    const outcome = answerOutcome(error.answer, attempts);
    if (attempts > 1) {
      outcome.error = {
        code: "http",
        message: `The upstream answered ${error.answer.status} (after ${attempts} attempts)`,
      };
    }
    return outcome;
  }
  if (error instanceof CircuitOpenError) {
    return failed(
      "circuit_open",
      error.retryAfterMs > 0
        ? `The circuit for this origin is open; it lets a probe through in ${Math.ceil(error.retryAfterMs)} ms`
        : "The circuit for this origin is half-open and its probe request is still in flight",
    );
  }
  if (error instanceof BlockedError) return failed("blocked", error.message);
  if (error instanceof TooLargeError) return failed("too_large", error.message);
  if (callSignal.aborted) {
    const reason: unknown = callSignal.reason;
    const code = reason instanceof DeadlineError ? "deadline" : "cancelled";
    const base = reason instanceof Error ? reason.message : "The call was cancelled";
    return lastStatus === undefined
      ? failed(code, base)
      : failed(code, `${base}; the previous attempt got ${lastStatus}`, lastStatus);
  }
  if ((error as { name?: unknown } | null)?.name === "TimeoutError") {
    return failed("timeout", (error as Error).message);
  }
  return failed("network", error instanceof Error ? error.message : String(error));
}
