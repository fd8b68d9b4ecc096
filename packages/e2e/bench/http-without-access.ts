/**
 * Bench-only stand-in for `@edge-async/http`, swapped in by wrangler's module `alias` when
 * bench/access-cost.ts builds the "without access control" variant of a worker. Everything is the
 * real package (imported by relative path, so the alias does not loop back here) except:
 *
 * - `secureRoute`: the real declaration (path, schemas, `security`, `x-access`) minus its access
 *   check. In the check's place a middleware sets a fixed principal holding the rule's scope:
 *   handlers read `c.var.principal` (the owner of a job, say), and what is measured is the cost
 *   of finding out who the caller is, not the handler failing without one.
 * - `rateLimit`: a pass-through; the binding is never called and no header is added.
 *
 * Never imported by production code: only this bench's alias points here.
 */
import {
  type AccessRule,
  expandScopes,
  isAccessMiddleware,
  type Principal,
  type rateLimit as realRateLimit,
  secureRoute as realSecureRoute,
} from "../../http/src/index.ts";

export * from "../../http/src/index.ts";

/** Hono's middleware type, through the real package (this folder does not depend on hono). */
type MiddlewareHandler = ReturnType<typeof realRateLimit>;

/** Who the variant says the caller is: a key of this id with only the route's scope. */
export const BENCH_PRINCIPAL_ID = "bench";

function knownCaller(rule: AccessRule): MiddlewareHandler[] {
  if (rule === "public") return [];
  const principal: Principal = {
    id: BENCH_PRINCIPAL_ID,
    name: "access-cost bench",
    scopes: expandScopes([rule.scope]),
    kind: "api-key",
  };
  return [
    async (c, next) => {
      c.set("principal" as never, principal as never);
      await next();
    },
  ];
}

/** The real `secureRoute` with its access check replaced by {@link knownCaller}. */
export const secureRoute: typeof realSecureRoute = (config) => {
  const route = realSecureRoute(config);
  const own = route.middleware.filter((handler) => !isAccessMiddleware(handler));
  // Exactly one check per route: anything else means the real package changed shape, and the
  // variant would measure the wrong thing, so the worker refuses to load.
  if (own.length !== route.middleware.length - 1) {
    throw new Error(`bench alias: ${route.path} does not carry exactly one access check`);
  }
  return {
    ...route,
    middleware: [...knownCaller(config.access), ...own] as typeof route.middleware,
  };
};

const passThrough: MiddlewareHandler = (_c, next) => next();

/** The real `rateLimit`'s signature; counts nothing, refuses nothing, adds no header. */
export const rateLimit: typeof realRateLimit = () => passThrough as never;
