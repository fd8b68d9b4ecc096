/**
 * The waterfall's wire format: the console re-streams the aggregator's NDJSON (a fan-out request's
 * or a view's) with each result placed on the call's timeline, measured here (next to the aggregator) rather than in the
 * browser: `end` is when its line arrived, `start` is `end` minus its `durationMs`.
 */
import type {
  AggregateCall,
  AggregateLine,
  AggregatorClient,
  ViewAnswer,
  ViewLine,
} from "@edge-async/fetch-aggregator/client";

/**
 * First line: the calls to expect and the deadline. A view's is the one it runs under (from the
 * aggregator); a request's is what it asked for, null when the aggregator's default applies.
 */
export interface StartLine {
  start: { ids: string[]; deadlineMs: number | null; kind: "request" | "view" };
}
/** One upstream call on the timeline (ms since the call started). */
export interface BarLine {
  bar: {
    id: string;
    start: number;
    end: number;
    ok: boolean;
    status?: number;
    attempts?: number;
    cached?: boolean;
    error?: string;
    message?: string;
  };
}
/** Last line: the aggregator's summary. */
export interface DoneLine {
  done: { total: number; succeeded: number; failed: number; durationMs: number };
}
export type WaterfallLine = StartLine | BarLine | DoneLine;

const encoder = new TextEncoder();
const line = (value: WaterfallLine) => encoder.encode(`${JSON.stringify(value)}\n`);

/**
 * Sends a fan-out request and answers its results as a stream of waterfall lines, in the order
 * they finish. Rejects (ApiError) when the aggregator refuses the call, before any line is out.
 */
export async function streamRequest(
  client: AggregatorClient,
  call: AggregateCall,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const started = performance.now();
  const lines = client.stream(call, { signal });
  const first = await lines.next();
  const ids = call.requests.map((request, index) => request.id ?? String(index));
  const head: StartLine = { start: { ids, deadlineMs: call.deadlineMs ?? null, kind: "request" } };
  return relay(lines, first, started, head);
}

/**
 * Runs a view streamed and answers it as waterfall lines: the aggregator's start line gives the
 * parts and the deadline the view runs under, then each part's bar as it finishes, then done.
 * Rejects (ApiError) when the aggregator refuses the view, before any line is out.
 */
export async function streamView(
  client: AggregatorClient,
  name: string,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const lines = client.streamView(name, params, { signal });
  const first = await lines.next();
  // The start line goes out as the aggregator begins the call: the timeline counts from here,
  // so the bars and the deadline line share the aggregator's zero.
  const started = performance.now();
  if (first.done === true || !("start" in first.value)) {
    await lines.return?.(undefined);
    throw new Error("The aggregator's view stream did not begin with its start line");
  }
  const { parts, deadlineMs } = first.value.start;
  return relay(lines, undefined, started, { start: { ids: parts, deadlineMs, kind: "view" } });
}

/**
 * Re-streams the aggregator's lines as waterfall lines, each placed on the timeline when it
 * arrives. Cancelling the answer leaves the loop, which cancels the aggregator's answer and so
 * stops the call upstream too.
 */
function relay(
  lines: AsyncIterableIterator<AggregateLine | ViewLine>,
  first: IteratorResult<AggregateLine | ViewLine> | undefined,
  started: number,
  head: StartLine,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(line(head));
      try {
        for (
          let next = first ?? (await lines.next());
          next.done !== true;
          next = await lines.next()
        ) {
          const end = Math.round(performance.now() - started);
          const out = waterfallLine(next.value as unknown as Record<string, unknown>, end);
          if (out !== undefined) controller.enqueue(line(out));
        }
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await lines.return?.(undefined);
    },
  });
}

/** An aggregator line as a waterfall line: a result is a bar, a summary or answer is done. */
function waterfallLine(value: Record<string, unknown>, end: number): WaterfallLine | undefined {
  if ("summary" in value) return { done: value.summary as DoneLine["done"] };
  if ("answer" in value) return { done: (value.answer as ViewAnswer).summary };
  if ("start" in value) return undefined;
  return { bar: barOf(value, end) };
}

function barOf(result: Record<string, unknown>, end: number): BarLine["bar"] {
  const duration = typeof result.durationMs === "number" ? result.durationMs : 0;
  const error = result.error as { code: string; message: string } | undefined;
  return {
    id: String(result.id),
    start: Math.max(0, end - duration),
    end,
    ok: result.ok === true,
    ...(typeof result.status === "number" ? { status: result.status } : {}),
    ...(typeof result.attempts === "number" ? { attempts: result.attempts } : {}),
    ...(result.cached === true ? { cached: true } : {}),
    ...(error === undefined ? {} : { error: error.code, message: error.message }),
  };
}
