/**
 * console: a web page to watch and drive the three workers. Pages are rendered here with Hono JSX
 * and enhanced by htmx; the workers are reached through service bindings with their typed
 * clients, under the API key sealed in the session cookie. Each section's routes live under
 * src/routes/.
 *
 * @module
 */
import { problemErrorHandler, problemNotFound, securityHeaders } from "@edge-async/http";
import { Hono } from "hono";
import { route, sameOrigin } from "./access.ts";
import type { ConsoleEnv } from "./env.ts";
import { aggregatorRoutes } from "./routes/aggregator.tsx";
import { feedRoutes } from "./routes/feed.tsx";
import { jobRoutes } from "./routes/jobs.tsx";
import { signinRoutes } from "./routes/signin.tsx";

const app = new Hono<ConsoleEnv>();
// Runs after securityHeaders' no-referrer: under it a browser sends `Origin: null` on a form POST
// (Fetch, "serializing a request origin"), and the Origin check would refuse the console itself.
app.use("*", async (c, next) => {
  await next();
  c.header("referrer-policy", "same-origin");
});
app.use("*", securityHeaders());
// Pages hold the signed-in view of the workers: never stored by a shared cache.
app.use("*", async (c, next) => {
  await next();
  if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
});
app.use("*", sameOrigin);
app.onError(problemErrorHandler);
app.notFound(problemNotFound);

route(app, "GET", "/healthz", "public", (c) => c.json({ status: "ok" }));
route(app, "GET", "/", "session", (c) =>
  c.redirect(c.var.session.scopes.jobsRead ? "/jobs" : "/feed", 303),
);
app.route("/", signinRoutes);
app.route("/", jobRoutes);
app.route("/", feedRoutes);
app.route("/", aggregatorRoutes);

export default app;
