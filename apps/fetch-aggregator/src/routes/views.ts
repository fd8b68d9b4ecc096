import {
  createApi,
  HttpProblem,
  jsonResponse,
  NDJSON_HEADERS,
  problemResponses,
  secureRoute,
  wantsNdjson,
} from "@edge-async/http";
import { plannedSubrequests, runCall } from "../aggregate.ts";
import { NOT_CONFIGURED } from "../config.ts";
import { noQuery } from "../contract.ts";
import type { App } from "../env.ts";
import {
  ACCESS_REFUSALS,
  FAN_OUT_LIMITS,
  keyCounter,
  REQUEST_LIMITS,
  requestLimit,
  reserveSubrequests,
  subrequestBudget,
} from "../limits.ts";
import { serverTiming } from "../server-timing.ts";
import { callDeadlineMs, streamCall } from "../stream.ts";
import { mergeView, planView, viewLines, viewParameters } from "../views.ts";
import { viewAnswer, viewLine, viewList, viewParams, viewQuery } from "../views-contract.ts";

// The list needs the scope too: it names the configured upstream compositions, and only a
// caller who may run them has a use for it.
const listViews = secureRoute({
  access: { scope: "aggregate" },
  middleware: [requestLimit],
  method: "get",
  path: "/",
  tags: ["views"],
  summary: "The configured views and the query parameters each needs",
  request: { query: noQuery },
  responses: {
    200: jsonResponse(viewList, "Every view in the VIEWS var"),
    ...problemResponses({ ...ACCESS_REFUSALS, ...REQUEST_LIMITS, ...NOT_CONFIGURED }),
  },
});

const runView = secureRoute({
  access: { scope: "aggregate" },
  middleware: [requestLimit, subrequestBudget],
  method: "get",
  path: "/{name}",
  tags: ["views"],
  summary: "Run a named composition and merge its parts by name",
  description:
    "Each part of the view is a URL template whose `{placeholders}` come from the query string (e.g. `?userId=42`), percent-encoded so a value cannot add path segments or parameters. Failed parts are listed under `errors` and `complete` is false. With `Accept: application/x-ndjson` the call streams as `POST /v1/aggregate` does: a `{start}` line with the parts and the deadline, one line per part in finish order (its timing and outcome, no body), then an `{answer}` line holding the JSON answer.",
  request: { params: viewParams, query: viewQuery },
  responses: {
    200: {
      description:
        "The parts merged by name, failures beside them; or (Accept: application/x-ndjson) a `{start}` line, one line per part in finish order, then the `{answer}` line",
      headers: {
        "Server-Timing": {
          description: "The call's total and its slowest part (not on NDJSON)",
          schema: { type: "string" },
        },
      },
      content: {
        "application/json": { schema: viewAnswer },
        "application/x-ndjson": { schema: viewLine },
      },
    },
    ...problemResponses({
      400: "The name is malformed, or a parameter the view needs is missing, repeated or not valid percent-encoded UTF-8",
      404: "No view has this name (the answer lists the known ones)",
      ...ACCESS_REFUSALS,
      ...FAN_OUT_LIMITS,
      503: "The worker is misconfigured: a var does not parse, outside development no API_KEYS is set, a part's URL template does not yield an absolute URL (naming VIEWS), or the view has more parts than MAX_SUBREQUESTS_PER_KEY_PER_MINUTE (not-configured, naming the setting)",
    }),
  },
});

/**
 * A GET's status and media type without running the view: every refusal comes before the fan-out
 * and a view that runs answers 200 whatever its parts do, so HEAD calls no upstream and counts
 * none. Server-Timing is known only once the parts are done; RFC 9110 (9.3.2) lets HEAD omit it.
 */
function headOfView(ndjson: boolean): Response {
  const headers = ndjson
    ? NDJSON_HEADERS
    : { "content-type": "application/json", "cache-control": "no-store" };
  return new Response(null, { status: 200, headers });
}

/** `/v1/views`: named compositions from the VIEWS var (views.ts builds and merges them). */
export const viewRoutes = createApi<App>()
  .openapi(listViews, (c) => {
    const views = Object.entries(c.var.config.views).map(([name, view]) => ({
      name,
      description: view.description ?? null,
      parameters: viewParameters(view),
      parts: Object.keys(view.parts),
    }));
    return c.json({ views }, 200);
  })
  .openapi(runView, async (c) => {
    const config = c.var.config;
    const { name } = c.req.valid("param");
    const view = Object.hasOwn(config.views, name) ? config.views[name] : undefined;
    if (view === undefined) {
      throw new HttpProblem(404, "unknown-view", "Unknown view", {
        detail: `No view named ${JSON.stringify(name)}; known views: ${Object.keys(config.views).join(", ") || "none"}.`,
      });
    }
    // Every value of each parameter, so that a repeated one is refused rather than one picked.
    const plan = planView(name, view, c.req.queries(), config);
    const ndjson = wantsNdjson(c.req.header("accept"));
    if (c.req.method === "HEAD") return headOfView(ndjson) as never;
    await reserveSubrequests(c, plannedSubrequests(plan));
    const takeRetry = keyCounter(c);
    // zod-openapi types JSON and text answers only; the NDJSON answer is a plain Response.
    if (ndjson) {
      const lines = viewLines(name, plan, callDeadlineMs(plan, c.req.raw.headers));
      return streamCall(c, plan, config, takeRetry, lines) as never;
    }
    const report = await runCall(plan, config, { signal: c.var.signal, takeRetry });
    return c.json(mergeView(name, report), 200, {
      "server-timing": serverTiming(report.summary.durationMs, report.slowest),
      "cache-control": "no-store",
    });
  });
