/**
 * The waterfall's wire format: the console re-streams the aggregator's NDJSON with each result
 * placed on the call's timeline, measured here (next to the aggregator) rather than in the
 * browser: `end` is when its line arrived, `start` is `end` minus its `durationMs`.
 */
import type {
  AggregateCall,
  AggregatorClient,
  ViewAnswer,
} from "@edge-async/fetch-aggregator/client";

/** First line: what the call asked for. `deadlineMs` null: the aggregator's default applies. */
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
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const deadlineMs = call.deadlineMs ?? null;
      controller.enqueue(line({ start: { ids, deadlineMs, kind: "request" } }));
      try {
        for (let next = first; next.done !== true; next = await lines.next()) {
          const end = Math.round(performance.now() - started);
          const value = next.value as unknown as Record<string, unknown>;
          if ("summary" in value)
            controller.enqueue(line({ done: value.summary as DoneLine["done"] }));
          else controller.enqueue(line({ bar: barOf(value, end) }));
        }
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      // Leaving the loop cancels the aggregator's answer, which stops the call upstream too.
      await lines.return?.(undefined);
    },
  });
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

/**
 * A view's answer as waterfall lines. A view answers once, with no time per part, so each part's
 * bar spans the whole call; only a fan-out request streams finish times.
 */
export function viewLines(answer: ViewAnswer, parts: string[]): WaterfallLine[] {
  const end = Math.max(answer.summary.durationMs, 1);
  return [
    { start: { ids: parts, deadlineMs: null, kind: "view" } },
    ...parts.map((id): BarLine => {
      const error = answer.errors[id];
      return {
        bar: {
          id,
          start: 0,
          end,
          ok: error === undefined,
          ...(error?.status === undefined ? {} : { status: error.status }),
          ...(error === undefined ? {} : { error: error.code, message: error.message }),
        },
      };
    }),
    { done: answer.summary },
  ];
}
