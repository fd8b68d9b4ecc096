/**
 * Sign-in and sign-out. The key is checked by asking the workers themselves (a 401 refuses it, a
 * 403 only hides what its scopes do not cover), then kept sealed in the session cookie.
 */
import { ApiError } from "@edge-async/client";
import { Hono } from "hono";
import * as z from "zod";
import { route } from "../access.ts";
import { aggregatorClient, jobsClient } from "../clients.ts";
import type { ConsoleEnv } from "../env.ts";
import {
  endSession,
  readSession,
  type Scopes,
  SESSION_TTL_SECONDS,
  sessionSecret,
  startSession,
} from "../session.ts";
import { Layout } from "../views/layout.tsx";

export const signinRoutes = new Hono<ConsoleEnv>();

const keyShape = z
  .string({ error: "enter an API key (the form field key)" })
  .max(512, "the key must be at most 512 characters")
  .regex(/^ea_[A-Za-z0-9-]+_[A-Za-z0-9_-]+$/, "an API key looks like ea_<id>_<secret>");

function SignInPage(props: { error?: string; key?: string }) {
  return (
    <Layout title="Sign in" signedIn={false}>
      <form method="post" action="/signin" class="card signin">
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          autocomplete="off"
          required
          aria-describedby={props.error === undefined ? "key-hint" : "key-hint key-error"}
          aria-invalid={props.error === undefined ? undefined : "true"}
        />
        <p id="key-hint" class="hint">
          A key from <code>pnpm keys create</code>; under <code>pnpm dev</code> the development key
          works. It is kept by the console worker, sealed in an HttpOnly cookie.
        </p>
        {props.error === undefined ? null : (
          <p id="key-error" class="error" role="alert">
            {props.error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

type Probe = "granted" | "forbidden" | "refused" | "unavailable";

async function probe(call: () => Promise<unknown>): Promise<Probe> {
  try {
    await call();
    return "granted";
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return "refused";
    if (error instanceof ApiError && error.status === 403) return "forbidden";
    return "unavailable";
  }
}

/** What the key may do, asked of the workers; undefined when they refuse the key. */
async function scopesOf(env: Env, key: string, signal: AbortSignal): Promise<Scopes | undefined> {
  const [jobs, aggregate] = await Promise.all([
    probe(() => jobsClient(env, key).page({ limit: 1 }, { signal })),
    probe(() => aggregatorClient(env, key).views({ signal })),
  ]);
  if (jobs === "refused" || aggregate === "refused") return undefined;
  if (jobs === "unavailable" && aggregate === "unavailable") return undefined;
  return { jobsRead: jobs === "granted", aggregate: aggregate === "granted" };
}

route(signinRoutes, "GET", "/signin", "public", async (c) => {
  const secret = sessionSecret(c.env);
  if (secret !== undefined && (await readSession(c, secret)) !== undefined) {
    return c.redirect("/jobs", 303);
  }
  return c.html(<SignInPage />);
});

route(signinRoutes, "POST", "/signin", "public", async (c) => {
  const secret = sessionSecret(c.env);
  if (secret === undefined) {
    return c.html(<SignInPage error="Sign-in is not configured on this worker." />, 503);
  }
  const form = await c.req.parseBody();
  const parsed = keyShape.safeParse(form.key);
  if (!parsed.success) {
    return c.html(<SignInPage error={parsed.error.issues[0]?.message ?? "invalid key"} />, 400);
  }
  const scopes = await scopesOf(c.env, parsed.data, c.req.raw.signal);
  if (scopes === undefined) {
    return c.html(<SignInPage error="The workers refused this key." />, 401);
  }
  await startSession(
    c,
    { key: parsed.data, scopes, expiresAt: Date.now() + SESSION_TTL_SECONDS * 1000 },
    secret,
  );
  return c.redirect(scopes.jobsRead ? "/jobs" : "/feed", 303);
});

route(signinRoutes, "POST", "/signout", "public", (c) => {
  endSession(c);
  return c.redirect("/signin", 303);
});
