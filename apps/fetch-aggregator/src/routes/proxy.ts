import type { Context } from "hono";
import type { AggregatorApp } from "../config.ts";
import { proxyOnce } from "../proxy.ts";

type ProxyContext = Context<
  AggregatorApp,
  "/v1/proxy",
  { in: { query: { url: string } }; out: { query: { url: string } } }
>;

/** `GET /v1/proxy?url=...`: one upstream GET passed through (see {@link proxyOnce}). */
export function proxyHandler(c: ProxyContext): Promise<Response> {
  return proxyOnce(new URL(c.req.valid("query").url), c.var.config, c.req.raw.signal);
}
