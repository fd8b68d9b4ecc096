/**
 * Who may reach each console route: `"public"` (sign-in, health, the assets) or `"session"` (a
 * sealed session cookie). Routes are added only through {@link route}, which records the rule,
 * so the tests can prove that no route lacks one. Every POST must also come from this origin.
 */
import { problemResponse } from "@edge-async/http";
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { ConsoleEnv } from "./env.ts";
import { readSession, sessionSecret } from "./session.ts";

export type ConsoleAccess = "public" | "session";

/** Every route declared, with its rule: the access test reads it. */
export const ROUTE_ACCESS: { method: string; path: string; access: ConsoleAccess }[] = [];

function notConfigured(): Response {
  return problemResponse({
    type: "https://edge-async.dev/problems/not-configured",
    title: "Not configured",
    status: 503,
    detail: "CONSOLE_SESSION_SECRET is not set: run `wrangler secret put CONSOLE_SESSION_SECRET`",
  });
}

/** The session guard: a page without a session goes to sign-in; a fragment gets 401. */
export const requireSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const secret = sessionSecret(c.env);
  if (secret === undefined) return notConfigured();
  const session = await readSession(c, secret);
  if (session === undefined) {
    if (c.req.header("hx-request") !== undefined || c.req.method !== "GET") {
      c.header("hx-redirect", "/signin");
      return problemResponse(
        {
          type: "https://edge-async.dev/problems/unauthorized",
          title: "Unauthorized",
          status: 401,
          detail: "Sign in at /signin first",
        },
        { "hx-redirect": "/signin" },
      );
    }
    return c.redirect("/signin", 303);
  }
  c.set("session", session);
  await next();
};

/** Declares a route with its access rule; the only way routes are added to the console. */
export function route(
  app: Hono<ConsoleEnv>,
  method: "GET" | "POST",
  path: string,
  access: ConsoleAccess,
  handler: (c: Context<ConsoleEnv>) => Response | Promise<Response>,
): void {
  ROUTE_ACCESS.push({ method, path, access });
  const guard: MiddlewareHandler<ConsoleEnv> =
    access === "session" ? requireSession : async (_c, next) => next();
  app.on(method, path, guard, handler);
}

/**
 * CSRF defence beside SameSite=Strict: a POST must carry an Origin header naming this worker's
 * own origin, which a browser sets and a page elsewhere cannot forge.
 */
export const sameOrigin: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  const origin = c.req.header("origin");
  if (origin !== new URL(c.req.url).origin) {
    return problemResponse({
      type: "https://edge-async.dev/problems/forbidden",
      title: "Forbidden",
      status: 403,
      detail:
        origin === undefined
          ? "A POST must carry an Origin header"
          : `Origin ${origin} may not post here`,
    });
  }
  return next();
};
