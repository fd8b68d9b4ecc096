import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { healthCheck, problemErrorHandler } from "../src/index.ts";

describe("healthCheck", () => {
  it("answers ok without a probe, and when the probe resolves", async () => {
    const app = new Hono()
      .onError(problemErrorHandler)
      .get("/plain", healthCheck())
      .get(
        "/db",
        healthCheck("database", async () => 1),
      );
    for (const path of ["/plain", "/db"]) {
      const response = await app.request(path);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
    }
  });

  it("answers 503 problem+json naming the dependency when the probe fails", async () => {
    const app = new Hono().onError(problemErrorHandler).get(
      "/healthz",
      healthCheck("database", async () => {
        throw new Error("D1_ERROR: no such database");
      }),
    );
    const response = await app.request("/healthz");
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("retry-after")).toBe("5");
    const body = (await response.json()) as { detail: string };
    expect(body.detail).toBe("The database did not answer.");
    expect(JSON.stringify(body)).not.toContain("D1_ERROR");
  });
});
