/**
 * The typed client's wire shapes: plain TypeScript types, so the packed client needs nothing
 * else; the package's tests prove each one equal to the schema the worker declares and validates
 * with (`src/contract.ts`, `src/views-contract.ts`).
 *
 * @module
 */

/**
 * One upstream request of a call. `method` is one of GET, HEAD, POST, PUT, PATCH, DELETE,
 * OPTIONS in any case (default GET); a string `body` is sent as is, any other value as JSON (not
 * with GET or HEAD). `id` defaults to the request's index and must be unique in the call.
 * `url` is absolute and goes out as the WHATWG URL parser serialises it (no fragment, dot
 * segments resolved, spaces percent-encoded); one holding a user name or password, a control
 * character or space at either end, a tab or a line break is refused (400 naming it).
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
