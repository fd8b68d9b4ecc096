/**
 * A typed client for the fetch-aggregator API: fan a call out (one JSON answer, or the results
 * as an async iterator while they stream in), run a named view (one answer, or its parts as they
 * finish), list the views, pass one GET through. Every call takes an `AbortSignal`, retries 429 and 503 answers after their
 * `Retry-After`, and rejects with {@link ApiError} for any other failure.
 *
 * The types below are plain TypeScript so the packed client needs nothing else; the package's
 * tests prove each one equal to the schema the worker declares and validates with
 * (`src/contract.ts`, `src/views-contract.ts`).
 *
 * @module
 */
import {
  ApiError,
  type CallOptions,
  type ClientOptions,
  createCaller,
  ndjsonLines,
  type Problem,
} from "@edge-async/client";

export type { CallOptions, ClientOptions, Problem };
export { ApiError };

/**
 * One upstream request of a call. `method` is one of GET, HEAD, POST, PUT, PATCH, DELETE,
 * OPTIONS in any case (default GET); a string `body` is sent as is, any other value as JSON (not
 * with GET or HEAD). `id` defaults to the request's index and must be unique in the call.
 *
 * @example
 * ```ts
 * const request: UpstreamRequest = { id: "user", url: "https://api.example.com/users/42", timeoutMs: 2_000 };
 * ```
 */
export interface UpstreamRequest {
  id?: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Per attempt (headers and body), in milliseconds. */
  timeoutMs?: number;
  /** Retries after the first attempt; idempotent methods only. */
  retries?: number;
  /** Cache API TTL of a GET; 0 is off. */
  cacheTtlSeconds?: number;
}

/**
 * A call: its requests (at least one), how many run at once, the deadline of the whole call in
 * milliseconds, and whether the first failure cancels the rest.
 *
 * @example
 * ```ts
 * const call: AggregateCall = { requests: [{ url: "https://api.example.com/users/42" }], deadlineMs: 5_000 };
 * ```
 */
export interface AggregateCall {
  requests: UpstreamRequest[];
  concurrency?: number;
  deadlineMs?: number;
  failFast?: boolean;
}

/**
 * Why an upstream request produced no usable answer.
 *
 * @example
 * ```ts
 * const worthRetrying = (code: ErrorCode) => code === "timeout" || code === "network";
 * ```
 */
export type ErrorCode =
  | "timeout"
  | "deadline"
  | "network"
  | "http"
  | "blocked"
  | "too_large"
  | "circuit_open"
  | "cancelled";

/**
 * How one upstream request ended. `body` is parsed JSON when the upstream said JSON, else text,
 * and is also there on `http` errors; `durationMs` counts from when it got a concurrency slot.
 *
 * @example
 * ```ts
 * const failed = (result: UpstreamResult) => !result.ok && result.error?.code !== "blocked";
 * ```
 */
export interface UpstreamResult {
  id: string;
  ok: boolean;
  status?: number;
  durationMs: number;
  attempts: number;
  body?: unknown;
  error?: { code: ErrorCode; message: string };
  cached?: true;
  coalesced?: true;
}

/**
 * Totals of a call; `durationMs` is the whole call's.
 *
 * @example
 * ```ts
 * const share = (summary: CallSummary) => summary.succeeded / summary.total;
 * ```
 */
export interface CallSummary {
  total: number;
  succeeded: number;
  failed: number;
  durationMs: number;
}

/**
 * The JSON answer of a call: every result in request order, and the totals.
 *
 * @example
 * ```ts
 * const { results, summary }: AggregateResult = await aggregator.aggregate(call);
 * ```
 */
export interface AggregateResult {
  results: UpstreamResult[];
  summary: CallSummary;
}

/**
 * A result as it streams in, with its position in the call's `requests`.
 *
 * @example
 * ```ts
 * const line: ResultLine = { index: 0, id: "0", ok: true, status: 200, durationMs: 9, attempts: 1 };
 * ```
 */
export interface ResultLine extends UpstreamResult {
  index: number;
}

/**
 * The last line of a streamed call.
 *
 * @example
 * ```ts
 * const last: SummaryLine = { summary: { total: 1, succeeded: 1, failed: 0, durationMs: 9 } };
 * ```
 */
export interface SummaryLine {
  summary: CallSummary;
}

/**
 * One line of a streamed call: results in finish order, then the summary.
 *
 * @example
 * ```ts
 * const isSummary = (line: AggregateLine): line is SummaryLine => "summary" in line;
 * ```
 */
export type AggregateLine = ResultLine | SummaryLine;

/**
 * First line of a streamed view: its parts in order, and the deadline in milliseconds the call
 * runs under (the view's, or the caller's `request-timeout-ms` when that leaves less).
 *
 * @example
 * ```ts
 * const first: ViewStartLine = { start: { view: "dashboard", parts: ["user", "orders"], deadlineMs: 2_000 } };
 * ```
 */
export interface ViewStartLine {
  start: { view: string; parts: string[]; deadlineMs: number };
}

/**
 * A view's part as it finishes: a {@link ResultLine} without `body` (the answer carries each
 * part's body once). `id` is the part's name, `index` its position in the start line's `parts`.
 *
 * @example
 * ```ts
 * const part: ViewPartLine = { index: 1, id: "orders", ok: false, durationMs: 500, attempts: 1, error: { code: "timeout", message: "No answer within 500 ms" } };
 * ```
 */
export type ViewPartLine = Omit<ResultLine, "body">;

/**
 * The last line of a streamed view: the answer {@link AggregatorClient.view} gives.
 *
 * @example
 * ```ts
 * const complete = (line: ViewAnswerLine) => line.answer.complete;
 * ```
 */
export interface ViewAnswerLine {
  answer: ViewAnswer;
}

/**
 * One line of a streamed view: the start, each part in finish order, then the answer.
 *
 * @example
 * ```ts
 * const isPart = (line: ViewLine): line is ViewPartLine => "index" in line;
 * ```
 */
export type ViewLine = ViewStartLine | ViewPartLine | ViewAnswerLine;

/**
 * A configured view and the query parameters it needs.
 *
 * @example
 * ```ts
 * const needs = (view: ViewInfo) => view.parameters.join(", ");
 * ```
 */
export interface ViewInfo {
  name: string;
  description: string | null;
  parameters: string[];
  parts: string[];
}

/**
 * A view's answer: each part that succeeded under `data`, each that failed under `errors`, both
 * by part name; `complete` is false when any failed.
 *
 * @example
 * ```ts
 * const { data, complete }: ViewAnswer = await aggregator.view("dashboard", { userId: "42" });
 * ```
 */
export interface ViewAnswer {
  view: string;
  data: Record<string, unknown>;
  errors: Record<string, { code: ErrorCode; message: string; status?: number }>;
  complete: boolean;
  summary: CallSummary;
}

/**
 * The client {@link createAggregatorClient} returns. Every method rejects with {@link ApiError}
 * (400 with `problem.errors` naming each invalid field, 404, 413, 415, 503 ...) and aborts with
 * its signal.
 *
 * @example
 * ```ts
 * const aggregator: AggregatorClient = createAggregatorClient({ baseUrl: "http://127.0.0.1:8787" });
 * ```
 */
export interface AggregatorClient {
  /** Runs a call and answers every result in request order (`POST /v1/aggregate`). */
  aggregate(call: AggregateCall, options?: CallOptions): Promise<AggregateResult>;
  /**
   * Runs a call and yields each result as it finishes, then the summary (`POST /v1/aggregate`,
   * NDJSON). The call starts when the loop does; leaving the loop early stops it upstream too.
   */
  stream(call: AggregateCall, options?: CallOptions): AsyncIterableIterator<AggregateLine>;
  /** The configured views (`GET /v1/views`). */
  views(options?: CallOptions): Promise<ViewInfo[]>;
  /** Runs a view with its query parameters (`GET /v1/views/{name}`). */
  view(name: string, params?: Record<string, string>, options?: CallOptions): Promise<ViewAnswer>;
  /**
   * Runs a view and yields its start line (parts and deadline), each part's timing and outcome
   * as it finishes, then the answer (`GET /v1/views/{name}`, NDJSON). The view starts when the
   * loop does; leaving the loop early stops it upstream too.
   */
  streamView(
    name: string,
    params?: Record<string, string>,
    options?: CallOptions,
  ): AsyncIterableIterator<ViewLine>;
  /** One GET passed through (`GET /v1/proxy`): the upstream's 2xx answer as it streams in. */
  proxy(url: string, options?: CallOptions): Promise<Response>;
}

/**
 * Creates a client for the fetch-aggregator at `options.baseUrl`, or through a service binding.
 *
 * @param options where the worker answers, the `fetch` to use, retries on 429/503
 * @throws nothing itself; its methods reject with {@link ApiError}
 * @example
 * ```ts
 * import { createAggregatorClient } from "@edge-async/fetch-aggregator/client";
 * const aggregator = createAggregatorClient({ baseUrl: "http://127.0.0.1:8787" });
 * const call = { requests: [{ id: "user", url: "http://127.0.0.1:8790/users/42" }] };
 * const { results } = await aggregator.aggregate(call);
 * for await (const line of aggregator.stream(call, { signal: AbortSignal.timeout(10_000) })) {
 *   if ("summary" in line) console.log(line.summary);
 *   else console.log(line.id, line.ok);
 * }
 * for await (const line of aggregator.streamView("dashboard", { userId: "42" })) {
 *   if ("start" in line) console.log("deadline", line.start.deadlineMs);
 *   else if ("answer" in line) console.log(line.answer.data);
 *   else console.log(line.id, line.durationMs);
 * }
 * // Inside another worker, through a service binding:
 * const bound = createAggregatorClient({ baseUrl: "https://fetch-aggregator", fetch: (request) => env.AGGREGATOR.fetch(request) });
 * ```
 */
export function createAggregatorClient(options: ClientOptions): AggregatorClient {
  const caller = createCaller(options);
  const call = (callOptions: CallOptions = {}) => ({
    signal: callOptions.signal,
    headers: callOptions.headers,
  });

  return {
    aggregate: (body, callOptions) =>
      caller.json<AggregateResult>({
        method: "POST",
        path: "v1/aggregate",
        body,
        ...call(callOptions),
      }),

    async *stream(body, callOptions = {}) {
      const headers = new Headers(callOptions.headers);
      headers.set("accept", "application/x-ndjson");
      const response = await caller.send({
        method: "POST",
        path: "v1/aggregate",
        body,
        signal: callOptions.signal,
        headers,
      });
      if (response.body === null) return;
      yield* ndjsonLines<AggregateLine>(response.body, callOptions.signal);
    },

    async views(callOptions) {
      const list = await caller.json<{ views: ViewInfo[] }>({
        path: "v1/views",
        ...call(callOptions),
      });
      return list.views;
    },

    view: (name, params = {}, callOptions = {}) =>
      caller.json<ViewAnswer>({
        path: `v1/views/${encodeURIComponent(name)}`,
        query: params,
        ...call(callOptions),
      }),

    async *streamView(name, params = {}, callOptions = {}) {
      const headers = new Headers(callOptions.headers);
      headers.set("accept", "application/x-ndjson");
      const response = await caller.send({
        path: `v1/views/${encodeURIComponent(name)}`,
        query: params,
        signal: callOptions.signal,
        headers,
      });
      if (response.body === null) return;
      yield* ndjsonLines<ViewLine>(response.body, callOptions.signal);
    },

    proxy: (url, callOptions) =>
      caller.send({ path: "v1/proxy", query: { url }, ...call(callOptions) }),
  };
}
