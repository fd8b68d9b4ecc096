import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Context, Env } from "hono";
import * as z from "zod";
import { secureRoute } from "../access/secure-route.ts";
import { cspNonce } from "../access/security-headers.ts";
import { addDeadlineParameter } from "../deadline.ts";
import { HttpProblem } from "../problem.ts";
import { jsonResponse, problemResponses } from "./problem-schema.ts";

/** What a worker says about itself on `GET /` and in its OpenAPI document. */
export interface ServiceInfo {
  /** The worker's name, e.g. `paginated-feed`. */
  name: string;
  /** The API's version, e.g. `0.1.0`. */
  version: string;
  /** One paragraph on what the worker does (Markdown). */
  description: string;
  /** OpenAPI tags with a sentence each, in the order the docs page shows them. */
  tags: { name: string; description: string }[];
  /** OpenAPI security schemes, filled by the access-control layer. */
  securitySchemes?: Record<string, unknown>;
}

/** Where Workers Static Assets serves the docs page's script (see `scripts/docs-assets.ts`). */
export const DOCS_SCRIPT_PATH = "/_docs/scalar.js";

const indexSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    description: z.string(),
    links: z.object({ docs: z.string(), openapi: z.string(), health: z.string() }),
  })
  .meta({ id: "ServiceIndex" });

const healthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

/**
 * Adds the routes every worker serves about itself, public (access `"public"`) and declared in
 * its OpenAPI document under the `service` tag: `GET /` (a JSON index), `GET /healthz` (200 when
 * `probe` resolves, 503 problem+json naming `dependency` when it throws), `GET /openapi.json`
 * (OpenAPI 3.1, built once per isolate) and `GET /docs` (an interactive reference whose script
 * is served by the worker's static assets, so the page works with no CDN, and whose inline
 * bootstrap carries the CSP nonce of `securityHeaders`).
 *
 * @example
 * ```ts
 * import { createApi, serviceRoutes } from "@edge-async/http";
 * const app = createApi();
 * serviceRoutes(app, { name: "demo", version: "0.1.0", description: "A demo.", tags: [] });
 * ```
 */
export function serviceRoutes<E extends Env>(
  app: OpenAPIHono<E>,
  info: ServiceInfo,
  health: { dependency?: string; probe?: (c: Context<E>) => Promise<unknown> } = {},
): void {
  let document: object | undefined;
  for (const [name, scheme] of Object.entries(info.securitySchemes ?? {})) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme as never);
  }
  app.openapi(
    secureRoute({
      access: "public",
      method: "get",
      path: "/",
      tags: ["service"],
      summary: "What this worker is, with links to its docs, contract and health",
      responses: { 200: jsonResponse(indexSchema, "The worker's index") },
    }),
    (c) =>
      c.json(
        {
          name: info.name,
          version: info.version,
          description: info.description,
          links: { docs: "/docs", openapi: "/openapi.json", health: "/healthz" },
        },
        200,
      ),
  );
  app.openapi(
    secureRoute({
      access: "public",
      method: "get",
      path: "/healthz",
      tags: ["service"],
      summary: "Whether the worker and its dependencies answer",
      responses: {
        200: jsonResponse(healthSchema, "The worker and its dependencies answer"),
        ...problemResponses({ 503: "A dependency did not answer" }),
      },
    }),
    async (c) => {
      if (health.probe !== undefined) {
        try {
          await health.probe(c as unknown as Context<E>);
        } catch (error) {
          console.error("health check failed", health.dependency, error);
          throw new HttpProblem(503, "unhealthy", "Service Unavailable", {
            detail: `The ${health.dependency ?? "dependency"} did not answer.`,
            headers: { "retry-after": "5" },
          });
        }
      }
      return c.json({ status: "ok" as const }, 200);
    },
  );
  app.openapi(
    secureRoute({
      access: "public",
      method: "get",
      path: "/openapi.json",
      tags: ["service"],
      summary: "This worker's OpenAPI 3.1 document",
      responses: { 200: jsonResponse(z.looseObject({ openapi: z.string() }), "OpenAPI 3.1") },
    }),
    (c) => {
      document ??= openApiDocument(app, info);
      return c.json(document as { openapi: string }, 200);
    },
  );
  app.openapi(
    secureRoute({
      access: "public",
      method: "get",
      path: "/docs",
      tags: ["service"],
      summary: "Interactive API reference",
      responses: {
        200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } },
      },
    }),
    // Scalar's middleware answers the request itself; the route's typed handler is not needed.
    Scalar((c) => ({
      url: "/openapi.json",
      cdn: DOCS_SCRIPT_PATH,
      pageTitle: `${info.name} API`,
      // Fonts would come from a third-party host; the page must work offline.
      withDefaultFonts: false,
      // Every tag open, so the page lists every operation without a click.
      defaultOpenAllTags: true,
      // The inline bootstrap runs under securityHeaders' CSP through this request's nonce.
      nonce: cspNonce(c),
    })) as never,
  );
}

/**
 * The OpenAPI 3.1 document of `app`: every route declared with `createRoute`, the shared
 * `Problem` component, the `request-timeout-ms` header parameter on every operation, the info and
 * tags of `info`.
 *
 * @example
 * ```ts
 * import { createApi, openApiDocument } from "@edge-async/http";
 * const doc = openApiDocument(createApi(), { name: "demo", version: "0.1.0", description: "", tags: [] });
 * console.assert(doc.openapi === "3.1.0");
 * ```
 */
export function openApiDocument<E extends Env>(app: OpenAPIHono<E>, info: ServiceInfo) {
  const document = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: info.name, version: info.version, description: info.description },
    tags: [{ name: "service", description: "What every worker serves about itself" }, ...info.tags],
  });
  // Every worker reads request-timeout-ms (createWorkerApi's requestDeadline): one shared
  // component, referred to from each operation, instead of a header schema on every route.
  return addDeadlineParameter(document);
}
