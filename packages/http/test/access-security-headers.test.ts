import { describe, expect, it } from "vitest";
import {
  createApi,
  DOCS_SCRIPT_PATH,
  HttpProblem,
  securityHeaders,
  serviceRoutes,
} from "../src/index.ts";

function app() {
  const api = createApi();
  api.use(securityHeaders());
  api.get("/boom", () => {
    throw new HttpProblem(409, "conflict", "Conflict");
  });
  api.get("/page", (c) => c.html("<p>hi</p>"));
  serviceRoutes(api, { name: "demo", version: "1", description: "", tags: [] });
  return api;
}

describe("securityHeaders", () => {
  it("sends nosniff and no-referrer on every answer: JSON, problems, 404 and 405", async () => {
    for (const [path, method, status] of [
      ["/healthz", "GET", 200],
      ["/boom", "GET", 409],
      ["/nowhere", "GET", 404],
      ["/healthz", "DELETE", 405],
    ] as const) {
      const response = await app().request(path, { method });
      expect(response.status).toBe(status);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("content-security-policy")).toBeNull();
    }
  });

  it("gives HTML a strict CSP; the docs page's inline bootstrap runs by a per-request nonce", async () => {
    const first = await app().request("/docs");
    const csp = first.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}$/);
    const html = await first.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((match) => match[1] as string);
    expect(scripts.some((attributes) => attributes.includes(`src="${DOCS_SCRIPT_PATH}"`))).toBe(
      true,
    );
    // Every inline script carries the nonce; the external one is allowed by 'self'.
    for (const attributes of scripts.filter((attributes) => !attributes.includes("src="))) {
      expect(attributes).toContain(`nonce="${nonce}"`);
    }
    const second = await app().request("/docs");
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);
    const plain = await app().request("/page");
    expect(plain.headers.get("content-security-policy")).toContain("script-src 'self';");
  });
});
