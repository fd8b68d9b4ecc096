import { linkedController } from "@edge-async/async-utils";
import { DEADLINE_HEADER, NDJSON_HEADERS, ndjsonStream } from "@edge-async/http";
import type { Context } from "hono";
import { type CallPlan, type CallReport, runCall } from "./aggregate.ts";
import type { Config } from "./config.ts";
import type { UpstreamResult } from "./contract.ts";

/**
 * What a streamed call writes: an optional first line, one line per result as it finishes,
 * and a last line made from the report. The aggregate and the views differ only in these.
 */
export interface CallLines {
  first?: unknown;
  result: (result: UpstreamResult, index: number) => unknown;
  last: (report: CallReport) => unknown;
}

/**
 * The deadline a call runs under, as its results report it (runCall): the plan's, or the
 * caller's `request-timeout-ms` as given when that is less. Not what is left of the budget when
 * the line is written: the time spent counting the key's limits would make the two disagree (a
 * budget of 1 ms would start as 0 and end as "the deadline of 1 ms passed"). requestDeadline has
 * refused the header unless it is digits above 0.
 */
export function callDeadlineMs(plan: CallPlan, headers: Headers): number {
  const given = headers.get(DEADLINE_HEADER);
  return given === null ? plan.deadlineMs : Math.min(plan.deadlineMs, Number(given));
}

/**
 * The NDJSON answer of a call: its lines as `lines` frames them. The call stops as soon as the
 * client goes away, whether the runtime reports that by aborting the request's signal or by
 * cancelling the response stream, and at the caller's deadline (`c.var.signal`).
 */
export function streamCall(
  c: Context,
  plan: CallPlan,
  config: Config,
  takeRetry: () => Promise<boolean>,
  lines: CallLines,
): Response {
  const call = linkedController(c.var.signal);
  const finished = Promise.withResolvers<void>();
  const body = ndjsonStream(
    async (write) => {
      try {
        if (lines.first !== undefined) await write(lines.first);
        const report = await runCall(plan, config, {
          signal: call.signal,
          takeRetry,
          onResult: async (result, index) => {
            await write(lines.result(result, index));
          },
        });
        await write(lines.last(report));
      } catch (error) {
        console.error("fetch-aggregator: NDJSON producer failed", error);
        throw error;
      } finally {
        call.dispose();
        finished.resolve();
      }
    },
    { onCancel: (reason) => call.controller.abort(reason) },
  );
  keepAlive(c, finished.promise);
  return new Response(body, { headers: { ...NDJSON_HEADERS } });
}

/** Keeps the isolate serving the stream until the producer is done (no-op outside Workers). */
function keepAlive(c: Context, done: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // app.request() in unit tests has no execution context; the stream still completes.
  }
}
