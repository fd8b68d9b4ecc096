/**
 * A typed client for the fetch-aggregator API: fan a call out (one JSON answer, or the results
 * as an async iterator while they stream in), run a named view (one answer, or its parts as they
 * finish), list the views, pass one GET through. Every call takes an `AbortSignal`, retries 429 and 503 answers after their
 * `Retry-After`, and rejects with {@link ApiError} for any other failure.
 *
 * The wire shapes are in `src/client-types.ts`, exported from here.
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

import type {
  AggregateCall,
  AggregateLine,
  AggregateResult,
  ViewAnswer,
  ViewInfo,
  ViewLine,
} from "./client-types.ts";

export type * from "./client-types.ts";

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
