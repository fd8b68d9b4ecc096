/**
 * Which routes run an access check, and refusals held back until that check has run: a problem
 * found before routing (such as a malformed `request-timeout-ms`) must not answer for a path that
 * does not exist or a caller that may not call it. Internal: not exported from the package.
 *
 * @module
 */
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import type { HttpProblem } from "../problem.ts";

const accessChecks = new WeakSet<object>();
const heldBack = new WeakMap<Context, HttpProblem>();

// Hono wraps a sub-app's handlers when it mounts them (to keep the sub-app's error handler).
const COMPOSED_HANDLER = "__COMPOSED_HANDLER";

/** The handler Hono wrapped when it mounted a sub-app, or `handler` itself. */
function unwrapHandler(handler: unknown): unknown {
  let current = handler as Record<string, unknown> | undefined;
  while (typeof current === "function" && current[COMPOSED_HANDLER] !== undefined) {
    current = current[COMPOSED_HANDLER] as Record<string, unknown>;
  }
  return current;
}

/** Records `handler` as a route's access check (see `requireAccess`). */
export function markAccessCheck(handler: object): void {
  accessChecks.add(handler);
}

/** Whether `handler`, as registered or as mounted from a sub-app, is a route's access check. */
export function isAccessCheck(handler: unknown): boolean {
  const inner = unwrapHandler(handler);
  return typeof inner === "function" && accessChecks.has(inner);
}

/**
 * Refuses the request with `problem` once routing and access control have had their say: not at
 * all when no route matches (the 404 or 405 answers), after the route's access check when it has
 * one (its 401 or 403 comes first; {@link refuseHeldBack} throws it there), at once otherwise.
 *
 * @throws {HttpProblem} `problem`, when a route matches and runs no access check
 */
export function refuseAfterAccessCheck(c: Context, problem: HttpProblem): void {
  const handlers = matchedRoutes(c).filter((route) => route.method !== "ALL");
  if (handlers.length === 0) return;
  if (!handlers.some((route) => isAccessCheck(route.handler))) throw problem;
  heldBack.set(c, problem);
}

/** Throws what {@link refuseAfterAccessCheck} held back for this request, if anything. */
export function refuseHeldBack(c: Context): void {
  const problem = heldBack.get(c);
  if (problem !== undefined) throw problem;
}
