/**
 * fetch-aggregator: one request in, many upstream requests out, concurrently, every result back
 * within a deadline. This file is the table of contents: each resource's routes are declared
 * beside their handlers under routes/, and the work lives in the modules those name.
 *
 * @module
 */
import { ACCESS_SECURITY_SCHEMES, createWorkerApi, serviceRoutes } from "@edge-async/http";
import packageJson from "../package.json" with { type: "json" };
import { parseConfig } from "./config.ts";
import type { App } from "./env.ts";
import { aggregateRoutes } from "./routes/aggregate.ts";
import { proxyRoutes } from "./routes/proxy.ts";
import { viewRoutes } from "./routes/views.ts";

/** The worker's routes; exported for the contract tests. */
// Security headers on every answer, CORS for CORS_ORIGINS (none by default), and the vars parsed
// once per isolate: a var that does not parse answers 503 on every /v1 route. Each route states
// who may call it (secureRoute, in routes/): every /v1 route needs `aggregate`.
export const app = createWorkerApi<App>(parseConfig);
app
  // Fan-out with deadline, retries, breakers, coalescing, cache: aggregate.ts, upstream-fetch.ts.
  .route("/v1/aggregate", aggregateRoutes)
  // Named compositions from the VIEWS var: views.ts.
  .route("/v1/views", viewRoutes)
  // One upstream call passed through, the benchmark's baseline: proxy.ts.
  .route("/v1/proxy", proxyRoutes);
serviceRoutes(app, {
  name: "fetch-aggregator",
  version: packageJson.version,
  description:
    "One request in, many upstream requests out: fans a call out to upstream HTTP APIs concurrently (limit, per-attempt timeout, deadline, retries honouring Retry-After, a circuit breaker per origin, coalescing, optional caching) and answers every result, failures included, as JSON or streamed NDJSON. Targets are checked against an allowlist and private networks are refused.",
  tags: [
    { name: "aggregate", description: "Fan one call out to many upstream requests" },
    { name: "views", description: "Named compositions configured in the VIEWS var" },
    { name: "proxy", description: "One upstream GET passed through" },
  ],
  securitySchemes: ACCESS_SECURITY_SCHEMES,
});

/** The module worker: `fetch` is the app's. */
export default { fetch: app.fetch } satisfies ExportedHandler<App["Bindings"]>;
