import { describe, expect, it } from "vitest";
import { DEV_SESSION_SECRET, seal, sessionSecret, unseal } from "../src/session.ts";
import {
  BASE,
  DEV_KEY,
  grantingWorkers,
  json,
  postForm,
  send,
  signIn,
  stubWorker,
} from "./helpers.ts";

const session = {
  key: DEV_KEY,
  scopes: { jobsRead: true, aggregate: false },
  expiresAt: Date.now() + 60_000,
};

describe("the sealed session", () => {
  it("opens under the same secret and hides the key", async () => {
    const sealed = await seal(session, "s1");
    expect(sealed).not.toContain("ea_dev");
    expect(
      atob(
        sealed
          .replaceAll("-", "+")
          .replaceAll("_", "/")
          .padEnd(Math.ceil(sealed.length / 4) * 4, "="),
      ),
    ).not.toContain("local-development");
    expect(await unseal(sealed, "s1")).toEqual(session);
  });

  it("does not open under another secret, tampered, truncated or expired", async () => {
    const sealed = await seal(session, "s1");
    expect(await unseal(sealed, "s2")).toBeUndefined();
    const flipped = `${sealed.slice(0, 20)}${sealed[20] === "A" ? "B" : "A"}${sealed.slice(21)}`;
    expect(await unseal(flipped, "s1")).toBeUndefined();
    expect(await unseal(sealed.slice(0, 30), "s1")).toBeUndefined();
    expect(await unseal("not base64!", "s1")).toBeUndefined();
    expect(await unseal(sealed, "s1", session.expiresAt + 1)).toBeUndefined();
  });

  it("treats any malformed cookie as no session, never a throw", async () => {
    const sealed = await seal(session, "s1");
    for (const value of ["A", "AAAAA", `${sealed}A`, `${sealed}==`, "", "%", sealed.slice(1)]) {
      expect(await unseal(value, "s1")).toBeUndefined();
    }
  });

  it("serves every page to a browser holding a malformed cookie as signed out", async () => {
    const cookie = `console_session=${(await seal(session, DEV_SESSION_SECRET)).concat("A")}`;
    const signin = await send("/signin", { headers: { cookie: "console_session=A" } });
    expect(signin.status).toBe(200);
    for (const path of ["/", "/jobs", "/feed", "/jobs/counts"]) {
      const response = await send(path, { headers: { cookie } });
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location")).toBe("/signin");
    }
  });

  it("uses the development secret only in development", () => {
    const base = { ENVIRONMENT: "production" } as Env;
    expect(sessionSecret(base)).toBeUndefined();
    expect(sessionSecret({ ...base, ENVIRONMENT: "development" })).toBe(DEV_SESSION_SECRET);
    expect(sessionSecret({ ...base, CONSOLE_SESSION_SECRET: "x" } as Env)).toBe("x");
  });
});

describe("sign-in and sign-out", () => {
  it("renders a labelled form with no inline script, under a strict CSP", async () => {
    const response = await send("/signin");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<label for="key">API key</label>');
    expect(html).toContain('type="password"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("sets an HttpOnly, Secure, SameSite=Strict session cookie for a key the workers accept", async () => {
    const response = await send("/signin", postForm({ key: DEV_KEY }), grantingWorkers());
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/jobs");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^console_session=[A-Za-z0-9_-]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain(DEV_KEY);
    // Under no-referrer a browser's form POST says `Origin: null`, which the check would refuse.
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("asks the workers with the key as a bearer token", async () => {
    const jobs = stubWorker(() => json({ items: [], nextCursor: null, hasMore: false }));
    await signIn(grantingWorkers({ JOBS_API: jobs.fetcher }));
    expect(jobs.seen[0]?.headers.get("authorization")).toBe(`Bearer ${DEV_KEY}`);
  });

  it("refuses a key the workers refuse (401) and sets no cookie", async () => {
    const refusing = stubWorker(() => json({ title: "Unauthorized", status: 401 }, 401)).fetcher;
    const response = await send(
      "/signin",
      postForm({ key: "ea_wrong_secret" }),
      grantingWorkers({ JOBS_API: refusing, AGGREGATOR: refusing }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.text()).toContain("The workers refused this key.");
  });

  it("refuses text that is not a key without asking the workers", async () => {
    const jobs = stubWorker(() => json({}));
    const response = await send(
      "/signin",
      postForm({ key: "hunter2" }),
      grantingWorkers({ JOBS_API: jobs.fetcher }),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("ea_&lt;id&gt;_&lt;secret&gt;");
    expect(jobs.seen).toHaveLength(0);
  });

  it("asks for a key, in words, when the body has none (a JSON body, say)", async () => {
    const response = await send(
      "/signin",
      {
        method: "POST",
        headers: { origin: BASE, "content-type": "application/json" },
        body: JSON.stringify({ key: DEV_KEY }),
      },
      grantingWorkers(),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("enter an API key");
    expect(html).not.toContain("Invalid input");
  });

  it("hides the jobs section from a key that may not read jobs (403)", async () => {
    const forbidden = stubWorker(() => json({ title: "Forbidden", status: 403 }, 403)).fetcher;
    const response = await send(
      "/signin",
      postForm({ key: DEV_KEY }),
      grantingWorkers({ JOBS_API: forbidden }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/feed");
  });

  it("answers 503 without a session secret in production", async () => {
    const response = await send("/signin", postForm({ key: DEV_KEY }), {
      ...grantingWorkers(),
      CONSOLE_SESSION_SECRET: undefined,
      ENVIRONMENT: "production",
    });
    expect(response.status).toBe(503);
  });

  it("sends a page without a session to sign-in, and a fragment gets a 401 problem", async () => {
    const page = await send("/");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/signin");
    const fragment = await send("/", { headers: { "hx-request": "true" } });
    expect(fragment.status).toBe(401);
    expect(fragment.headers.get("content-type")).toBe("application/problem+json");
  });

  it("sign-out clears the cookie", async () => {
    const cookie = await signIn();
    const response = await send("/signout", postForm({}, { cookie }));
    expect(response.status).toBe(303);
    expect(response.headers.get("set-cookie")).toMatch(/^console_session=;.*Max-Age=0/);
  });
});

describe("CSRF: the Origin check", () => {
  it("refuses a POST from another origin or with none, as problem+json", async () => {
    for (const origin of ["https://evil.test", undefined]) {
      const headers: Record<string, string> = {
        "content-type": "application/x-www-form-urlencoded",
      };
      if (origin !== undefined) headers.origin = origin;
      const response = await send(
        "/signin",
        { method: "POST", headers, body: `key=${DEV_KEY}` },
        grantingWorkers(),
      );
      expect(response.status).toBe(403);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("set-cookie")).toBeNull();
    }
  });

  it("accepts the same origin", async () => {
    const response = await send("/signin", postForm({ key: DEV_KEY }), grantingWorkers());
    expect(response.status).toBe(303);
    expect(BASE).toBe(new URL(response.url || BASE).origin);
  });
});
