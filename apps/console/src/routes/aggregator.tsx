/**
 * The aggregator section: pick a view or write a fan-out request, run it, and watch the upstream
 * calls fill a waterfall as their lines stream in (client/console.js draws it).
 */
import { ApiError } from "@edge-async/client";
import type { AggregateCall, ViewInfo } from "@edge-async/fetch-aggregator/client";
import { invalidInput, parseInput, problemResponse } from "@edge-async/http";
import { type Context, Hono } from "hono";
import * as z from "zod";
import { route } from "../access.ts";
import { aggregatorClient } from "../clients.ts";
import type { ConsoleEnv } from "../env.ts";
import { AggregatorPage } from "../views/aggregator.tsx";
import { Layout } from "../views/layout.tsx";
import { streamRequest, streamView } from "../waterfall.ts";
import { describeFailure } from "../worker-error.ts";

export const aggregatorRoutes = new Hono<ConsoleEnv>();

const NDJSON = "application/x-ndjson";
const MAX_REQUEST_CHARS = 64 * 1024;

const requestForm = z.object({
  request: z
    .string({ error: "request is required" })
    .max(MAX_REQUEST_CHARS, `request must be at most ${MAX_REQUEST_CHARS} characters`),
});
const viewForm = z.object({
  view: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "view must be a view's name"),
  params: z.string().max(2048, "params must be at most 2048 characters").default(""),
});

const aggregator = (c: Context<ConsoleEnv>) => aggregatorClient(c.env, c.var.session.key);

/**
 * The aggregator's own refusal (its problem and status), passed to the page as it came but for
 * `instance`: the caller asked the console's route, not the aggregator's.
 */
function refused(c: Context<ConsoleEnv>, error: unknown): Response {
  if (error instanceof ApiError && error.problem !== undefined) {
    return problemResponse({
      ...error.problem,
      status: error.status,
      instance: c.req.path,
    } as never);
  }
  const failure = describeFailure(error);
  return problemResponse({
    type: "about:blank",
    title: "Bad Gateway",
    status: failure.status,
    detail: failure.message,
    instance: c.req.path,
  });
}

route(aggregatorRoutes, "GET", "/aggregator", "session", async (c) => {
  if (!c.var.session.scopes.aggregate) {
    return c.html(
      <Layout title="Aggregator" section="aggregator" signedIn>
        <p role="alert">This key may not run the aggregator (it lacks the aggregate scope).</p>
      </Layout>,
      403,
    );
  }
  let views: ViewInfo[] = [];
  let problem: string | undefined;
  try {
    views = await aggregator(c).views({ signal: c.req.raw.signal });
  } catch (error) {
    problem = describeFailure(error).message;
  }
  return c.html(<AggregatorPage views={views} problem={problem} />);
});

route(aggregatorRoutes, "POST", "/aggregator/run", "session", async (c) => {
  const form = parseInput(requestForm, await c.req.parseBody(), "body");
  let call: AggregateCall;
  try {
    call = JSON.parse(form.request) as AggregateCall;
  } catch (error) {
    throw invalidInput([
      { parameter: "request", detail: `is not JSON: ${(error as Error).message}` },
    ]);
  }
  if (typeof call !== "object" || call === null || !Array.isArray(call.requests)) {
    throw invalidInput([
      { parameter: "request", detail: 'must be an object with a "requests" array' },
    ]);
  }
  let body: ReadableStream<Uint8Array>;
  try {
    body = await streamRequest(aggregator(c), call, c.req.raw.signal);
  } catch (error) {
    return refused(c, error);
  }
  return new Response(body, { headers: { "content-type": NDJSON, "cache-control": "no-store" } });
});

route(aggregatorRoutes, "POST", "/aggregator/view", "session", async (c) => {
  const form = parseInput(viewForm, await c.req.parseBody(), "body");
  const params = Object.fromEntries(new URLSearchParams(form.params));
  let body: ReadableStream<Uint8Array>;
  try {
    body = await streamView(aggregator(c), form.view, params, c.req.raw.signal);
  } catch (error) {
    return refused(c, error);
  }
  return new Response(body, { headers: { "content-type": NDJSON, "cache-control": "no-store" } });
});
