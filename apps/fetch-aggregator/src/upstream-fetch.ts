import { CircuitOpenError, isAbortError, retry, withTimeout } from "@edge-async/async-utils";
import { checkTarget, isRetryableStatus } from "@edge-async/http";
import { breakerFor } from "./breakers.ts";
import { cacheKey, isCacheable, readCached, storeCached } from "./cache.ts";
import type { Config } from "./config.ts";
import {
  BlockedError,
  DeadlineError,
  type ErrorCode,
  RetryableStatusError,
  TooLargeError,
  type UpstreamAnswer,
} from "./results.ts";
import { readAnswer } from "./upstream-body.ts";

/**
 * One upstream request, validated and with the call's defaults applied.
 *
 * @example
 * ```ts
 * import type { UpstreamRequest } from "./upstream-fetch.ts";
 * const request: UpstreamRequest = { url: new URL("https://api.example.com/"), method: "GET", headers: new Headers(), timeoutMs: 2_000, retries: 2, cacheTtlSeconds: 0 };
 * ```
 */
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
 *
 * @example
 * ```ts
 * import { SubrequestBudget } from "./upstream-fetch.ts";
 * const budget = new SubrequestBudget(50, 10); // 10 first attempts reserved
 * console.assert(budget.take()); // one retry or redirect hop
 * ```
 */
export class SubrequestBudget {
  #left: number;
  constructor(total: number, reserved: number) {
    this.#left = Math.max(0, total - reserved);
  }
  /** Takes one subrequest; false when none is left. */
  take(): boolean {
    if (this.#left <= 0) return false;
    this.#left--;
    return true;
  }
}

/**
 * What every upstream request of one call shares.
 *
 * @example
 * ```ts
 * import { readConfig } from "./config.ts";
 * import { type CallScope, SubrequestBudget } from "./upstream-fetch.ts";
 * const scope: CallScope = { config: readConfig({}), signal: AbortSignal.timeout(5_000), deadlineAt: Date.now() + 5_000, budget: new SubrequestBudget(10, 1) };
 * ```
 */
export interface CallScope {
  config: Config;
  /** Aborts at the deadline, when the client disconnects and when `failFast` trips. */
  signal: AbortSignal;
  /** Epoch milliseconds of the deadline. */
  deadlineAt: number;
  budget: SubrequestBudget;
}

/**
 * How a request ended, before the call adds its id and timing.
 *
 * @example
 * ```ts
 * import type { Outcome } from "./upstream-fetch.ts";
 * const outcome: Outcome = { ok: false, attempts: 0, error: { code: "circuit_open", message: "open" } };
 * ```
 */
export interface Outcome {
  ok: boolean;
  status?: number;
  body?: unknown;
  attempts: number;
  error?: { code: ErrorCode; message: string };
  cached?: true;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/**
 * Runs one upstream request to completion: cache lookup, circuit breaker of its origin, retries
 * with backoff for idempotent methods (honouring `Retry-After`), a timeout per attempt,
 * redirects re-checked against the policy, and a size-limited body read. Never rejects: every
 * failure becomes an {@link Outcome} with an error code. When it returns, nothing it started is
 * still running (an abandoned attempt is awaited after its fetch was aborted).
 *
 * @example
 * ```ts
 * import { fetchUpstream, SubrequestBudget } from "./upstream-fetch.ts";
 * import { readConfig } from "./config.ts";
 * const config = readConfig({ ALLOWED_HOSTS: "api.example.com" });
 * const outcome = await fetchUpstream(
 *   { url: new URL("https://api.example.com/users/1"), method: "GET", headers: new Headers(), timeoutMs: 2_000, retries: 2, cacheTtlSeconds: 0 },
 *   { config, signal: AbortSignal.timeout(5_000), deadlineAt: Date.now() + 5_000, budget: new SubrequestBudget(10, 1) },
 * );
 * ```
 */
export async function fetchUpstream(request: UpstreamRequest, scope: CallScope): Promise<Outcome> {
  const cacheable = isCacheable(request.method, request.headers, request.cacheTtlSeconds);
  const key = cacheable ? await cacheKey(request.url, request.headers) : undefined;
  if (key !== undefined) {
    const hit = await readCached(key);
    if (hit !== undefined) return { ...answerOutcome(hit, 0), cached: true };
  }
  const { config, signal } = scope;
  const breaker = breakerFor(request.url.origin, {
    failureThreshold: config.breakerFailureThreshold,
    resetTimeoutMs: config.breakerResetMs,
  });
  const countsAgainstOrigin = (error: unknown): boolean =>
    !signal.aborted &&
    (error instanceof RetryableStatusError
      ? error.answer.status >= 500
      : isTransportFailure(error));

  let attempts = 0;
  let current: Promise<UpstreamAnswer> | undefined;
  let lastStatus: number | undefined;
  try {
    const answer = await retry(
      (_attempt, attemptSignal) => {
        current = breaker.run(
          () => {
            attempts++;
            return attemptOnce(request, attemptSignal, scope);
          },
          { isFailure: countsAgainstOrigin },
        );
        return current;
      },
      {
        retries: IDEMPOTENT.has(request.method) ? request.retries : 0,
        minDelayMs: config.retryBaseDelayMs,
        maxDelayMs: config.retryMaxDelayMs,
        signal,
        shouldRetry: (error) => {
          if (error instanceof RetryableStatusError) lastStatus = error.answer.status;
          if (signal.aborted) return false;
          if (!(error instanceof RetryableStatusError) && !isTransportFailure(error)) return false;
          const hint = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
          // A Retry-After we cannot honour within the limits is an answer, not a reason to wait.
          if (hint > Math.min(config.retryMaxDelayMs, scope.deadlineAt - Date.now())) return false;
          return scope.budget.take();
        },
      },
    );
    if (key !== undefined && answer.status >= 200 && answer.status < 300) {
      await storeCached(key, answer, request.cacheTtlSeconds);
    }
    return answerOutcome(answer, attempts);
  } catch (error) {
    // retry() rejects as soon as the call aborts; wait for the aborted attempt to wind down.
    await current?.catch(() => {});
    return errorOutcome(error, signal, attempts, lastStatus);
  }
}

/** One attempt: fetch (following redirects by hand) and read the body, within `timeoutMs`. */
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
  let url = request.url;
  let method = request.method;
  let body = request.body;
  const headers = new Headers(request.headers);
  for (let hop = 0; ; hop++) {
    const response = await fetch(url, { method, headers, body, signal, redirect: "manual" });
    const location = response.headers.get("location");
    if (REDIRECTS.has(response.status) && location !== null && hop < config.maxRedirects) {
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return readAnswer(response, { maxBytes: config.maxBodyBytes, signal, method });
      }
      const verdict = checkTarget(next, config);
      if (!verdict.allowed) {
        await response.body?.cancel();
        throw new BlockedError(`Redirect to ${next.href} refused: ${verdict.reason}`);
      }
      if (scope.budget.take()) {
        await response.body?.cancel();
        if (response.status === 303 || (response.status <= 302 && method === "POST")) {
          method = method === "HEAD" ? "HEAD" : "GET";
          body = undefined;
          headers.delete("content-type");
        }
        // As browsers do: credentials are for the origin they were given to.
        if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
        url = next;
        continue;
      }
    }
    const answer = await readAnswer(response, { maxBytes: config.maxBodyBytes, signal, method });
    if (isRetryableStatus(answer.status)) {
      throw new RetryableStatusError(answer);
    }
    return answer;
  }
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
  if (isTimeout(error)) return failed("timeout", (error as Error).message);
  return failed("network", error instanceof Error ? error.message : String(error));
}

function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "TimeoutError";
}

/** Timeouts and connection failures: the origin did not give an answer. */
function isTransportFailure(error: unknown): boolean {
  if (isTimeout(error)) return true;
  if (isAbortError(error)) return false;
  return !(
    error instanceof BlockedError ||
    error instanceof TooLargeError ||
    error instanceof CircuitOpenError ||
    error instanceof RetryableStatusError ||
    error instanceof DeadlineError
  );
}
