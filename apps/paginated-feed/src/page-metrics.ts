import { writeMetric } from "@edge-async/http";
import type { MiddlewareHandler } from "hono";
import type { App } from "./env.ts";

/** How a page answer ended, as blob3 of its data point. */
type PageOutcome = "ok" | "client_error" | "server_error" | "cut";

const outcomeOf = (status: number): PageOutcome =>
  status >= 500 ? "server_error" : status >= 400 ? "client_error" : "ok";

/**
 * Middleware that writes one `page` data point per GET of the listing or the export, so page
 * latency can be charted per route (README "Logs and metrics"). The listing is timed to its
 * answer; the export to the end of its stream, since its rows are read while it is sent, with the
 * lines sent (`cut` when the stream broke off or the client went away).
 *
 * Data point: index1 = route; blob1 = "page", blob2 = route ("list" or "export"), blob3 =
 * outcome (ok, client_error, server_error, cut); double1 = duration ms, double2 = status,
 * double3 = NDJSON lines sent (export; 0 for the listing).
 */
export function pageMetrics(route: "list" | "export"): MiddlewareHandler<App> {
  return async (c, next) => {
    const started = Date.now();
    await next();
    if (c.req.method !== "GET") return;
    const { status, body } = c.res;
    // The dataset is taken now: the export's stream ends outside this request's async context.
    const dataset = c.env.METRICS;
    let reported = false;
    const report = (outcome: PageOutcome, lines: number) => {
      if (reported) return;
      reported = true;
      const point = { blobs: [route, outcome], doubles: [Date.now() - started, status, lines] };
      writeMetric({ kind: "page", index: route, ...point }, dataset);
    };
    if (route === "list" || body === null || status !== 200) report(outcomeOf(status), 0);
    else c.res = new Response(countingLines(body, report), c.res);
  };
}

/** The export's bytes unchanged, counting newlines; reports once when the stream ends. */
function countingLines(
  body: ReadableStream<Uint8Array>,
  report: (outcome: PageOutcome, lines: number) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let lines = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          report("cut", lines);
          controller.error(error);
          return;
        }
        if (chunk.done) {
          report("ok", lines);
          controller.close();
          return;
        }
        // indexOf is native: a byte-by-byte loop here would cost the export real CPU time.
        for (let at = chunk.value.indexOf(0x0a); at !== -1; at = chunk.value.indexOf(0x0a, at + 1))
          lines++;
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        report("cut", lines);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
