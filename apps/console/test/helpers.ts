import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import app from "../src/index.tsx";

export const BASE = "https://console.test";
export const DEV_KEY = "ea_dev_local-development-only-never-deploy";

/** A stand-in worker: answers each request with `handler`, and remembers what it was sent. */
export function stubWorker(handler: (request: Request) => Response | Promise<Response>) {
  const seen: Request[] = [];
  const fetcher = {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      seen.push(request.clone());
      return handler(request);
    },
  } as unknown as Fetcher;
  return { fetcher, seen };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": status >= 400 ? "application/problem+json" : "application/json",
      ...headers,
    },
  });

/** Workers that grant the key every scope: empty listings and views. */
export function grantingWorkers(
  overrides: Partial<Record<"FEED" | "JOBS_API" | "AGGREGATOR", Fetcher>> = {},
) {
  return {
    JOBS_API: stubWorker(() => json({ items: [], nextCursor: null, hasMore: false })).fetcher,
    AGGREGATOR: stubWorker(() => json({ views: [] })).fetcher,
    FEED: stubWorker(() => json({ items: [], nextCursor: null, prevCursor: null, hasMore: false }))
      .fetcher,
    ...overrides,
  };
}

/** Sends `path` to the console with `overrides` in its env. */
export async function send(
  path: string,
  init: RequestInit = {},
  overrides: Partial<Env> & Record<string, unknown> = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(new URL(path, BASE), { redirect: "manual", ...init }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

/** A same-origin form POST, as the console's own pages send it. */
export const postForm = (
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): RequestInit => ({
  method: "POST",
  headers: { origin: BASE, "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});

/** Signs in with `key` against `workers` and answers the session cookie (name=value). */
export async function signIn(
  workers: Partial<Env> = grantingWorkers(),
  key = DEV_KEY,
): Promise<string> {
  const response = await send("/signin", postForm({ key }), workers);
  const cookie = response.headers.get("set-cookie") ?? "";
  const pair = cookie.split(";")[0] ?? "";
  if (response.status !== 303 || pair === "") throw new Error(`sign-in failed: ${response.status}`);
  return pair;
}
