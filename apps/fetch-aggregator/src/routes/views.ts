import { HttpProblem } from "@edge-async/http";
import type { Context } from "hono";
import { runCall } from "../aggregate.ts";
import type { AggregatorApp } from "../config.ts";
import { serverTiming } from "../server-timing.ts";
import { mergeView, planView, viewParameters } from "../views.ts";

type ViewContext = Context<
  AggregatorApp,
  "/v1/views/:name",
  { in: { param: { name: string } }; out: { param: { name: string } } }
>;

/**
 * `GET /v1/views/:name?...`: runs a configured composition and merges its parts by name.
 *
 * @example
 * ```ts
 * import { params } from "@edge-async/http";
 * import { Hono } from "hono";
 * import { viewHandler } from "./routes/views.ts";
 * import { viewParamsSchema } from "./schemas.ts";
 * import { type AggregatorApp, withConfig } from "./config.ts";
 * const app = new Hono<AggregatorApp>().use(withConfig).get("/v1/views/:name", params(viewParamsSchema), viewHandler);
 * ```
 */
export async function viewHandler(c: ViewContext): Promise<Response> {
  const config = c.var.config;
  const { name } = c.req.valid("param");
  const view = Object.hasOwn(config.views, name) ? config.views[name] : undefined;
  if (view === undefined) {
    throw new HttpProblem(404, "unknown-view", "Unknown view", {
      detail: `No view named ${JSON.stringify(name)}; known views: ${Object.keys(config.views).join(", ") || "none"}.`,
    });
  }
  const plan = planView(name, view, c.req.queries(), config);
  const report = await runCall(plan, config, { signal: c.req.raw.signal });
  return c.json(mergeView(name, report), 200, {
    "server-timing": serverTiming(report.summary.durationMs, report.slowest),
    "cache-control": "no-store",
  });
}

/**
 * `GET /v1/views`: the configured views and the query parameters each needs.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { listViewsHandler } from "./routes/views.ts";
 * import { type AggregatorApp, withConfig } from "./config.ts";
 * const app = new Hono<AggregatorApp>().use(withConfig).get("/v1/views", listViewsHandler);
 * ```
 */
export function listViewsHandler(c: Context<AggregatorApp>): Response {
  const views = Object.entries(c.var.config.views).map(([name, view]) => ({
    name,
    description: view.description ?? null,
    parameters: viewParameters(view),
    parts: Object.keys(view.parts),
  }));
  return c.json({ views });
}
