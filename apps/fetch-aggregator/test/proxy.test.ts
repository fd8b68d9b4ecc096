import { describe, expect, it } from "vitest";
import { gateway, uniqueHost, uniqueKey } from "./helpers.ts";

// GET /v1/proxy passes one upstream answer on: MAX_BODY_BYTES (64 KiB in the tests) holds as in
// an aggregate call, and a redirect is passed on with a Location the client can follow.

const HOST = uniqueHost("proxy");
// `redirect: "manual"`: the test sees the gateway's own answer, as a client that does not follow.
const proxy = (path: string) =>
  gateway(`/v1/proxy?url=${encodeURIComponent(`http://${HOST}${path}`)}`, { redirect: "manual" });

describe("GET /v1/proxy", () => {
  it("refuses an answer that announces more than MAX_BODY_BYTES with 502 too_large", async () => {
    const response = await proxy(`/large/${uniqueKey("declared")}?bytes=200000&declare=1`);
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { type: string }).type).toMatch(/too_large$/);
  });

  it("breaks off a streamed answer past MAX_BODY_BYTES instead of passing it all on", async () => {
    const response = await proxy(`/large/${uniqueKey("streamed")}?bytes=200000`);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it("answers 504 deadline-exceeded when the caller's request-timeout-ms runs out first", async () => {
    const response = await gateway(
      `/v1/proxy?url=${encodeURIComponent(`http://${HOST}/slow/${uniqueKey("budget")}?ms=2000`)}`,
      { headers: { "request-timeout-ms": "50" } },
    );
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { type: string }).type).toMatch(/deadline-exceeded$/);
  });

  it("passes a smaller answer on whole", async () => {
    const response = await proxy(`/large/${uniqueKey("small")}?bytes=10000`);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(10_000);
  });

  it("passes a redirect on with its Location made absolute against the upstream", async () => {
    const response = await proxy(`/redirect/${uniqueKey("moved")}?to=/json/elsewhere`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`http://${HOST}/json/elsewhere`);
  });
});
