import type { Context } from "hono";
import type { AggregatorApp } from "../config.ts";
import { proxyOnce } from "../proxy.ts";

type ProxyContext = Context<
  AggregatorApp,
  "/v1/proxy",
  { in: { query: { url: string } }; out: { query: { url: string } } }
>;

/**
 * `GET /v1/proxy?url=...`: one upstream GET passed through (see {@link proxyOnce}).
 *
 * @example
 * ```ts
 * import { query } from "@edge-async/http";
 * import { Hono } from "hono";
 * import { proxyHandler } from "./routes/proxy.ts";
 * import { proxyQuerySchema } from "./schemas.ts";
 * import { type AggregatorApp, withConfig } from "./config.ts";
 * const app = new Hono<AggregatorApp>().use(withConfig).get("/v1/proxy", query(proxyQuerySchema), proxyHandler);
 * ```
 */
export function proxyHandler(c: ProxyContext): Promise<Response> {
  return proxyOnce(new URL(c.req.valid("query").url), c.var.config, c.req.raw.signal);
}
