import { deadlineHeader, retry } from "@edge-async/async-utils";
// The one Retry-After parser, by its own entry so a client bundle does not walk the worker pieces.
import { parseRetryAfter } from "@edge-async/http/retry-after";
import { ApiError, apiError } from "./api-error.ts";

/**
 * Where and how a client reaches its worker.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@edge-async/client";
 * // Over the network:
 * const remote: ClientOptions = { baseUrl: "http://127.0.0.1:8788" };
 * // Through a service binding (any origin will do; the binding routes the request):
 * const bound: ClientOptions = { baseUrl: "https://feed", fetch: (request) => env.FEED.fetch(request) };
 * ```
 */
export interface ClientOptions {
  /** The worker's origin (and optional base path), e.g. `http://127.0.0.1:8788`. */
  baseUrl: string;
  /** The fetch to send with: a service binding's, a test's, ... Default: the global `fetch`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every call (e.g. `authorization`); a function is asked on each call. */
  headers?: HeadersInit | (() => HeadersInit);
  /** Retries after an answer of 429 or 503 (default 2); each waits at least its `Retry-After`. */
  retries?: number;
  /** The longest wait before a retry, in milliseconds (default 30 000). */
  maxRetryDelayMs?: number;
}

/**
 * Per-call options every client method takes.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "@edge-async/client";
 * const options: CallOptions = { signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface CallOptions {
  /**
   * Aborts the call, its retries and any wait between them. A signal with a known deadline (a
   * worker's `c.var.signal`, or async-utils' `deadlineSignal`) also sends what is left of it as
   * `request-timeout-ms` with each attempt.
   */
  signal?: AbortSignal;
  /** Headers for this call only. */
  headers?: HeadersInit;
}

/** Query parameters; `undefined` and `null` values are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

/**
 * One call: method, path relative to the base URL, query, JSON body.
 *
 * @example
 * ```ts
 * import type { CallSpec } from "@edge-async/client";
 * const spec: CallSpec = { method: "POST", path: "v1/jobs", body: { type: "simulate", payload: {} } };
 * ```
 */
export interface CallSpec extends CallOptions {
  method?: string;
  path: string;
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
}

/**
 * Sends calls to one worker: {@link Caller.send} answers the 2xx response, {@link Caller.json}
 * its parsed body. Anything else rejects with {@link ApiError}.
 */
export interface Caller {
  send(spec: CallSpec): Promise<Response>;
  json<T>(spec: CallSpec): Promise<T>;
}

/** Answers that mean "not now, nothing was done": worth another try after `Retry-After`. */
const RETRIED = new Set([429, 503]);

/**
 * A {@link Caller} for the worker at `options.baseUrl`. Answers 429 and 503 are retried (with
 * exponential backoff, at least the answer's `Retry-After`); the signal of a call aborts the
 * attempt in flight and any wait.
 *
 * @throws {ApiError} for an answer outside 2xx once retries are spent
 * @example
 * ```ts
 * import { createCaller } from "@edge-async/client";
 * const feed = createCaller({ baseUrl: "http://127.0.0.1:8788" });
 * const page = await feed.json<{ items: unknown[] }>({ path: "v1/items", query: { limit: 5 } });
 * ```
 */
export function createCaller(options: ClientOptions): Caller {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
  const maxDelayMs = options.maxRetryDelayMs ?? 30_000;

  async function attempt(spec: CallSpec, signal: AbortSignal): Promise<Response> {
    const headers = new Headers(
      typeof options.headers === "function" ? options.headers() : options.headers,
    );
    for (const [name, value] of new Headers(spec.headers)) headers.set(name, value);
    // What is left of the call's deadline travels with each attempt, so the callee stops when
    // this side does (a signal without a known deadline adds nothing).
    if (spec.signal !== undefined) {
      for (const [name, value] of Object.entries(deadlineHeader(spec.signal))) {
        headers.set(name, value);
      }
    }
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(spec.body);
    }
    const url = new URL(spec.path.replace(/^\//, ""), base);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const response = await send(
      new Request(url, { method: spec.method ?? "GET", headers, body, signal }),
    );
    if (response.ok) return response;
    throw await apiError(
      response,
      parseRetryAfter(response.headers.get("retry-after"), { maxMs: maxDelayMs }),
    );
  }

  const caller: Caller = {
    send: (spec) =>
      retry((_, signal) => attempt(spec, signal), {
        retries: options.retries ?? 2,
        minDelayMs: 100,
        maxDelayMs,
        shouldRetry: (error) => error instanceof ApiError && RETRIED.has(error.status),
        ...(spec.signal ? { signal: spec.signal } : {}),
      }),
    json: async <T>(spec: CallSpec) => (await (await caller.send(spec)).json()) as T,
  };
  return caller;
}
