import { createRoute, type RouteConfig, type RouteConfigToEnv } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { notConfigured } from "../config.ts";
import {
  type AccessEnv,
  accessSettings,
  authenticate,
  insufficientScope,
  verifySentBearer,
} from "./authenticate.ts";
import { isAccessCheck, markAccessCheck, refuseHeldBack } from "./route-guard.ts";
import type { Principal, Scope } from "./scopes.ts";

/**
 * Who may call a route: `"public"` (anyone; credentials are not read), `{ scope }` (a caller
 * whose credentials grant the scope), or `{ scope, publicUnless: "VAR" }` (anyone while the
 * variable `VAR` is unset or `"false"`, but an `Authorization: Bearer` credential sent anyway
 * must verify; the scope once it is `"true"`).
 */
export type AccessRule = "public" | { scope: Scope; publicUnless?: string };

/** What a route's handler finds in `c.var` under each kind of rule. */
export type AccessVariables<A extends AccessRule> = A extends "public"
  ? object
  : A extends { publicUnless: string }
    ? { principal?: Principal }
    : { principal: Principal };

/**
 * The security schemes routes declared with {@link secureRoute} refer to; pass them as
 * `ServiceInfo.securitySchemes` so the OpenAPI document defines them.
 *
 * @example
 * ```ts
 * import { ACCESS_SECURITY_SCHEMES, serviceRoutes } from "@edge-async/http";
 * serviceRoutes(app, { name: "demo", version: "1.0.0", description: "", tags: [], securitySchemes: ACCESS_SECURITY_SCHEMES });
 * ```
 */
export const ACCESS_SECURITY_SCHEMES = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "ea_<id>_<secret>",
    description: "An API key from `pnpm keys create`: `Authorization: Bearer ea_...`.",
  },
  jwt: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A JWT from the configured issuer (Cloudflare Access or any OIDC provider), when one is configured.",
  },
  cfAccess: {
    type: "apiKey",
    in: "header",
    name: "Cf-Access-Jwt-Assertion",
    description:
      "The JWT Cloudflare Access adds to requests it lets through, when Access is configured.",
  },
} as const;

/**
 * Whether `handler` is the access check of a route (made by {@link requireAccess}), also as Hono
 * wraps it when it mounts a sub-app.
 *
 * @example
 * ```ts
 * import { isAccessMiddleware, requireAccess } from "@edge-async/http";
 * console.assert(isAccessMiddleware(requireAccess("public")));
 * ```
 */
export function isAccessMiddleware(handler: unknown): boolean {
  return isAccessCheck(handler);
}

// Each check ends with the refusal requestDeadline held back, so a malformed request-timeout-ms
// answers only once the caller may call the route (401/403 first).
const publicAccess: MiddlewareHandler = (c, next) => {
  refuseHeldBack(c);
  return next();
};
markAccessCheck(publicAccess);

/**
 * The middleware that enforces `rule`: it resolves the caller into `c.var.principal`, answers
 * 401 (no or bad credentials), 403 (scope missing) or 503 (no credentials configured outside
 * development), and marks every answer to an authenticated request `Cache-Control: no-store`.
 * While a `publicUnless` route is public it needs no credentials, but a sent `Authorization:
 * Bearer` one that does not verify is refused with the same 401 (a caller learns its key is
 * wrong now, not when reads turn private); a valid one is not used. A `"public"` route reads no
 * credentials. Then it answers a malformed `request-timeout-ms` held back by `requestDeadline`.
 * Prefer {@link secureRoute}, which also declares the rule in the OpenAPI document.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { requireAccess } from "@edge-async/http";
 * const app = new Hono().get("/internal", requireAccess({ scope: "jobs:admin" }), (c) => c.text("ok"));
 * ```
 */
export function requireAccess<A extends AccessRule>(
  rule: A,
): MiddlewareHandler<{ Variables: AccessVariables<A> }> {
  if (rule === "public") return publicAccess;
  const { scope, publicUnless } = rule as Exclude<AccessRule, "public">;
  const middleware: MiddlewareHandler = async (c, next) => {
    const env = (c.env ?? {}) as AccessEnv & Record<string, unknown>;
    if (publicUnless !== undefined && !isPrivate(env, publicUnless)) {
      await verifySentBearer(c, env);
      refuseHeldBack(c);
      return next();
    }
    const principal = await authenticate(c, accessSettings(env));
    if (!principal.scopes.includes(scope)) throw insufficientScope(c, scope);
    refuseHeldBack(c);
    c.set("principal" as never, principal as never);
    await next();
    c.header("cache-control", "no-store");
  };
  markAccessCheck(middleware);
  return middleware;
}

function isPrivate(env: Record<string, unknown>, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === "" || value === "false" || value === "0" || value === false)
    return false;
  if (value === "true" || value === "1" || value === true) return true;
  throw notConfigured(name, 'must be "true" or "false"');
}

/**
 * The OpenAPI security requirement of `rule`: none for public routes, the scope under every
 * scheme of {@link ACCESS_SECURITY_SCHEMES} otherwise (OpenAPI 3.1 lets bearer schemes list
 * roles), optional (`{}` first) while a `publicUnless` route is public.
 *
 * @example
 * ```ts
 * import { securityRequirement } from "@edge-async/http";
 * console.assert(securityRequirement("public").length === 0);
 * ```
 */
export function securityRequirement(rule: AccessRule): Record<string, string[]>[] {
  if (rule === "public") return [];
  const required = Object.keys(ACCESS_SECURITY_SCHEMES).map((name) => ({ [name]: [rule.scope] }));
  return rule.publicUnless === undefined ? required : [{}, ...required];
}

type Middlewares = NonNullable<RouteConfig["middleware"]>;
type AccessRouteConfig = RouteConfig & { access: AccessRule };

/**
 * `createRoute` with the route's access rule stated in its declaration: the rule's check
 * ({@link requireAccess}) runs before the route's own middleware, the OpenAPI operation gets
 * its `security` requirement and an `x-access` member holding the rule, and the handler's
 * `c.var.principal` is typed by the rule. `routesWithoutAccessRule` finds routes made without it.
 *
 * @example
 * ```ts
 * import { createApi, jsonResponse, secureRoute } from "@edge-async/http";
 * import * as z from "zod";
 * const app = createApi().openapi(
 *   secureRoute({ access: { scope: "jobs:read" }, method: "get", path: "/v1/jobs", responses: { 200: jsonResponse(z.object({ by: z.string() }), "Jobs") } }),
 *   (c) => c.json({ by: c.var.principal.id }, 200),
 * );
 * ```
 */
export function secureRoute<R extends AccessRouteConfig>(config: R) {
  const { access, middleware, ...route } = config;
  const own: Middlewares[] =
    middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
  return createRoute({
    ...route,
    // Typed as one handler (the access check merged with the route's own): the handler's env
    // then carries the principal; the router accepts the array either way.
    middleware: [requireAccess(access), ...own] as unknown as [
      MiddlewareHandler<RouteConfigToEnv<R> & { Variables: AccessVariables<R["access"]> }>,
    ],
    security: securityRequirement(access),
    "x-access": access,
  }) as unknown as Omit<R, "access" | "middleware"> & {
    middleware: [
      MiddlewareHandler<RouteConfigToEnv<R> & { Variables: AccessVariables<R["access"]> }>,
    ];
    security: Record<string, string[]>[];
    "x-access": R["access"];
    getRoutingPath(): string;
  };
}
