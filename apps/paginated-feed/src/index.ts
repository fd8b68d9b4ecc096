/**
 * paginated-feed: a D1 feed served by signed keyset cursors, with idempotent batch ingest and a
 * streaming NDJSON export. The table of contents: each resource's routes, declared with their
 * schemas beside their handlers, live under src/routes/.
 *
 * @module
 */
import { ACCESS_SECURITY_SCHEMES, createWorkerApi, serviceRoutes } from "@edge-async/http";
import packageJson from "../package.json" with { type: "json" };
import { parseConfig } from "./config.ts";
import type { App } from "./env.ts";
import { pageMetrics } from "./page-metrics.ts";
import { benchRoutes } from "./routes/bench-routes.ts";
import { changesRoutes } from "./routes/changes.ts";
import { itemRoutes } from "./routes/items.ts";
import { searchRoutes } from "./routes/search.ts";
import { syndicationRoutes } from "./routes/syndication.ts";

// Security headers, CORS from CORS_ORIGINS (none by default), and the config parsed once per
// isolate for both prefixes.
const app = createWorkerApi<App>(parseConfig, ["/v1/*", "/__bench/*"]);
// Page latency of the listing and the export, as Analytics Engine data points.
app.use("/v1/items", pageMetrics("list"));
app.use("/v1/items/export", pageMetrics("export"));
app.route("/v1/items", itemRoutes);
app.route("/v1/items", changesRoutes);
app.route("/v1/items", searchRoutes);
app.route("/v1", syndicationRoutes);
app.route("/__bench", benchRoutes);

serviceRoutes(
  app,
  {
    name: "paginated-feed",
    version: packageJson.version,
    description:
      "A D1 feed served newest first by signed keyset cursors (`nextCursor`, `Link` headers, ETags), with an idempotent batch ingest and a streaming NDJSON export. Errors are RFC 9457 problem+json. Reads are public unless FEED_READS_PRIVATE is true (then they need feed:read); the ingest needs feed:write: send `Authorization: Bearer <API key>`.",
    tags: [
      { name: "items", description: "The feed: listing, ingest, export and single items" },
      {
        name: "syndication",
        description: "The feed for feed readers: JSON Feed 1.1 and Atom, paged, with ETags",
      },
      {
        name: "bench",
        description:
          'Benchmark-only routes: they need feed:admin and answer 404 unless ENABLE_BENCH_ROUTES is "true", which only `pnpm bench` sets. Never enable in production.',
      },
    ],
    securitySchemes: ACCESS_SECURITY_SCHEMES,
  },
  { dependency: "database", probe: (c) => c.env.DB.prepare("select 1").first() },
);

export default app;
