import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../src/requests.ts";

const HEADER = "request-timeout-ms";
let probes = 0;
const probe = () => `probe=${++probes}-${Math.random().toString(36).slice(2, 8)}`;

const get = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(`http://demo.local${path}`, init));

async function recordOf(path: string): Promise<RequestRecord | undefined> {
  const log = (await (await get("/__requests")).json()) as { requests: RequestRecord[] };
  return log.requests.find((record) => record.path === path);
}

describe("demo-upstream and request-timeout-ms", () => {
  it("stops a slow answer at the caller's deadline, and logs that it did", async () => {
    const path = `/delay/20000?${probe()}`;
    const response = await get(path, { headers: { [HEADER]: "100" } });
    expect(response.status).toBe(504);
    await response.arrayBuffer();
    const record = await recordOf(path);
    expect(record).toMatchObject({ budgetMs: 100, outcome: "deadline" });
    // Ended by the deadline, long before the 20 s the endpoint would otherwise wait.
    expect((record?.endedAt as number) - (record?.startedAt as number)).toBeLessThan(15_000);
  });

  it("stops the ?delay= latency too", async () => {
    const path = `/users/1?delay=20000&${probe()}`;
    const response = await get(path, { headers: { [HEADER]: "50" } });
    expect(response.status).toBe(504);
    await response.arrayBuffer();
    expect((await recordOf(path))?.outcome).toBe("deadline");
  });

  it("counts a running request in flight, and logs a completed one", async () => {
    // Long enough that a loaded machine still sees it running; its deadline then ends it.
    const slow = `/delay/20000?${probe()}`;
    const pending = get(slow, { headers: { [HEADER]: "3000" } });
    await expect
      .poll(async () => (await recordOf(slow))?.outcome, { timeout: 10_000 })
      .toBe("running");
    const running = (await (await get("/__requests")).json()) as { inFlight: number };
    expect(running.inFlight).toBeGreaterThanOrEqual(1);
    expect((await pending).status).toBe(504);
    expect((await recordOf(slow))?.outcome).toBe("deadline");
    const quick = `/users/7?${probe()}`;
    expect((await get(quick)).status).toBe(200);
    expect(await recordOf(quick)).toMatchObject({ budgetMs: null, outcome: "completed" });
  });

  it("answers 400 problem+json naming a header that is not plain digits", async () => {
    for (const value of ["soon", "-1", "1.5"]) {
      const response = await get("/users/1", { headers: { [HEADER]: value } });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { status: number; errors: unknown[] };
      expect(problem.status).toBe(400);
      expect(problem.errors).toEqual([{ parameter: HEADER, detail: expect.any(String) }]);
    }
  });

  it("answers 504 problem+json to a spent budget (0), as the other workers do", async () => {
    const response = await get("/users/1", { headers: { [HEADER]: "0" } });
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({
      status: 504,
      detail: expect.stringContaining(HEADER),
    });
  });
});
