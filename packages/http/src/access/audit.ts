import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import { type RouteKey, routeTable } from "../openapi/conformance.ts";
import { isAccessMiddleware } from "./secure-route.ts";

/** A route that can ship open, and why. */
export interface UnguardedRoute extends RouteKey {
  reason: string;
}

const keyOf = (route: RouteKey) => `${route.method} ${route.path}`;

/**
 * Every route of `app` that has no access rule, for a test that fails when a route would ship
 * open: a route served without the access check of `secureRoute`/`requireAccess` in its own
 * handler chain (a plain `app.get`, a `createRoute` without `access`), and a declared route whose
 * OpenAPI operation lacks the rule (`x-access`). Checks what the router runs, not only what the
 * document says; middleware added with `app.use` does not count, since the rule belongs with the
 * route.
 *
 * @example
 * ```ts
 * import { expect, it } from "vitest";
 * import { routesWithoutAccessRule } from "@edge-async/http";
 * import app from "../src/index.ts";
 * it("every route states who may call it", () => expect(routesWithoutAccessRule(app)).toEqual([]));
 * ```
 */
export function routesWithoutAccessRule<E extends Env>(
  // biome-ignore lint/suspicious/noExplicitAny: any app's routes will do.
  app: OpenAPIHono<E, any, any>,
): UnguardedRoute[] {
  const declared = new Map<string, unknown>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const route = definition.route as unknown as {
      method: string;
      path: string;
      "x-access"?: unknown;
    };
    const path = route.path.replaceAll(/\{([^}]+)\}/g, ":$1");
    declared.set(`${route.method.toUpperCase()} ${path}`, route["x-access"]);
  }
  const guarded = new Set<string>();
  for (const route of app.routes) {
    if (route.method !== "ALL" && isAccessMiddleware(route.handler)) {
      guarded.add(keyOf({ method: route.method.toUpperCase(), path: route.path }));
    }
  }
  const unguarded: UnguardedRoute[] = [];
  for (const route of routeTable(app)) {
    const key = keyOf(route);
    const isDeclared = declared.has(key);
    const rule = declared.get(key);
    if (!guarded.has(key)) {
      const reason = !isDeclared
        ? "served without a declaration or an access check"
        : rule === undefined
          ? "declared without an access rule (use secureRoute)"
          : "declares an access rule, but no access check runs";
      unguarded.push({ ...route, reason });
    } else if (isDeclared && rule === undefined) {
      unguarded.push({
        ...route,
        reason: "checks access, but its OpenAPI operation does not declare the rule",
      });
    }
  }
  return unguarded;
}
