/// <reference path="../node-async-hooks.d.ts" />
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What one unit of work (a request, a job run) is known by while it runs: the W3C Trace Context
 * of the call (`traceId` is the request id every log line carries; `spanId` is this worker's part
 * of the trace) and the Analytics Engine dataset its metrics go to.
 */
export interface Observation {
  /** 32 lowercase hex digits: the trace-id of `traceparent`, logged as `requestId`. */
  traceId: string;
  /** 16 lowercase hex digits: this worker's span, the parent-id of every call it makes. */
  spanId: string;
  /** The trace-flags, 2 lowercase hex digits (`01`: sampled). */
  flags: string;
  /** Where {@link writeMetric} writes; none writes nothing. */
  metrics?: AnalyticsEngineDataset | undefined;
}

const storage = new AsyncLocalStorage<Observation>();

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The trace-id, parent-id and flags of a W3C `traceparent` header (Trace Context Level 1, §3.2),
 * or undefined when it is missing or malformed: a version other than 2 lowercase hex digits or
 * `ff`, an all-zero trace-id or parent-id, upper-case hex, or for version `00` anything past the
 * flags. A later version may carry more fields after a `-`; its first four are read.
 *
 * @param header the header's value, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`
 * @example
 * ```ts
 * import { parseTraceparent } from "@edge-async/http";
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.traceId;
 * // "4bf92f3577b34da6a3ce929d0e0e4736"
 * ```
 */
export function parseTraceparent(
  header: string | null | undefined,
): { traceId: string; parentId: string; flags: string } | undefined {
  const match = TRACEPARENT.exec(header ?? "");
  if (match === null) return undefined;
  const [, version, traceId = "", parentId = "", flags = "", rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

const hex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) =>
    byte.toString(16).padStart(2, "0"),
  ).join("");

/**
 * A new {@link Observation}: it continues the trace of `traceparent` when that parses (same
 * trace-id and flags, a new span id), and starts a new trace otherwise. A malformed header is
 * ignored, never refused.
 *
 * @param traceparent the incoming header (or a queue message's copy of it), if any
 * @param metrics the worker's Analytics Engine binding (`env.METRICS`), if bound
 * @example
 * ```ts
 * import { newObservation } from "@edge-async/http";
 * const observation = newObservation(request.headers.get("traceparent"), env.METRICS);
 * ```
 */
export function newObservation(
  traceparent?: string | null,
  metrics?: AnalyticsEngineDataset,
): Observation {
  const parent = parseTraceparent(traceparent);
  let traceId = parent?.traceId ?? hex(16);
  // getRandomValues can draw all zeros, which Trace Context forbids; so can the span id.
  while (/^0+$/.test(traceId)) traceId = hex(16);
  let spanId = hex(8);
  while (/^0+$/.test(spanId)) spanId = hex(8);
  return { traceId, spanId, flags: parent?.flags ?? "01", metrics };
}

/**
 * Runs `work` with `observation` as the current one: log lines, metrics and outgoing calls made
 * anywhere inside it (awaits included) see it through {@link currentObservation}.
 *
 * @example
 * ```ts
 * import { newObservation, observe } from "@edge-async/http";
 * await observe(newObservation(), () => runJob());
 * ```
 */
export function observe<T>(observation: Observation, work: () => T): T {
  return storage.run(observation, work);
}

/**
 * The observation of the request or job run in progress, or undefined outside one.
 *
 * @example
 * ```ts
 * import { currentObservation } from "@edge-async/http";
 * const requestId = currentObservation()?.traceId;
 * ```
 */
export function currentObservation(): Observation | undefined {
  return storage.getStore();
}

/**
 * The `traceparent` header naming `observation`'s span as the parent (version `00`): what this
 * worker sends on its outgoing calls and answers with.
 *
 * @example
 * ```ts
 * import { formatTraceparent, newObservation } from "@edge-async/http";
 * formatTraceparent(newObservation()); // "00-<32 hex>-<16 hex>-01"
 * ```
 */
export function formatTraceparent(observation: Observation): string {
  return `00-${observation.traceId}-${observation.spanId}-${observation.flags}`;
}

/**
 * `headers` with the current `traceparent` added (when a request or job run is in progress and
 * the headers do not already carry one): the headers of every outgoing call, so the callee's log
 * lines carry the same request id.
 *
 * @example
 * ```ts
 * import { withTraceparent } from "@edge-async/http";
 * await fetch(url, { headers: withTraceparent({ accept: "application/json" }) });
 * ```
 */
export function withTraceparent(headers?: HeadersInit): Headers {
  const result = new Headers(headers);
  const observation = currentObservation();
  if (observation !== undefined && !result.has("traceparent")) {
    result.set("traceparent", formatTraceparent(observation));
  }
  return result;
}

/**
 * A `fetch` for a service binding (or any `Fetcher`) that sends the current `traceparent` with
 * every request, for clients such as `createCaller({ fetch })`.
 *
 * @example
 * ```ts
 * import { tracedFetch } from "@edge-async/http";
 * const client = createFeedClient({ baseUrl: "https://feed", fetch: tracedFetch(env.FEED) });
 * ```
 */
export function tracedFetch(
  binding: Pick<Fetcher, "fetch">,
): (request: Request) => Promise<Response> {
  return (request) => {
    const headers = withTraceparent(request.headers);
    return binding.fetch(new Request(request, { headers }));
  };
}
