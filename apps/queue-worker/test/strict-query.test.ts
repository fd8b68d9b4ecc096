import { expectProblem } from "@edge-async/testing";
import { describe, expect, it } from "vitest";
import { api, enqueueLater } from "./fixtures/jobs.ts";

// Every route refuses what it does not read: an unknown query parameter (a typo must not pass
// silently, as paginated-feed refuses it) and a limit that is not plain decimal digits. Ids are
// UUIDs, which RFC 9562 reads in any case: an uppercase copy of an id finds the same resource.

async function expectRefused(response: Response, parameter: string, detail: RegExp) {
  expect(response.status).toBe(400);
  await expectProblem(response.clone());
  const problem = (await response.json()) as { errors?: object[] };
  expect(problem.errors).toEqual([{ parameter, detail: expect.stringMatching(detail) }]);
}

const someId = "6ecb4ce3-3f0e-4d52-9d0c-2b7f1b9c6a11";
const job = { type: "simulate", payload: { durationMs: 1 }, delaySeconds: 3600 };
const schedule = { name: "n", cron: "0 0 1 1 *", job: { type: "simulate", payload: {} } };

describe("an unknown query parameter", () => {
  it.each([
    ["GET", "/v1/jobs?foo=bar&limit=1"],
    ["GET", "/v1/schedules?foo=1"],
    ["GET", "/v1/stats?foo=1"],
    ["GET", `/v1/jobs/${someId}?foo=1`],
    ["GET", `/v1/jobs/${someId}/runs?foo=1`],
    ["POST", `/v1/jobs/${someId}/cancel?foo=1`],
    ["POST", `/v1/jobs/${someId}/retry?foo=1`],
    ["DELETE", `/v1/jobs/${someId}?foo=1`],
    ["GET", `/v1/schedules/${someId}?foo=1`],
    ["POST", `/v1/schedules/${someId}/pause?foo=1`],
    ["POST", `/v1/schedules/${someId}/resume?foo=1`],
    ["DELETE", `/v1/schedules/${someId}?foo=1`],
    ["GET", `/v1/groups/${someId}?foo=1`],
  ])("%s %s is a 400 naming it", async (method, path) => {
    await expectRefused(await api(path, { method }), "foo", /is not a parameter of this route/);
  });

  it.each([
    ["/v1/jobs?foo=1", { json: job }],
    ["/v1/jobs/batch?foo=1", { json: { jobs: [job] } }],
    ["/v1/jobs/retry?foo=1", { json: {} }],
    ["/v1/schedules?foo=1", { json: schedule }],
    ["/v1/groups?foo=1", { json: { jobs: [job] } }],
  ])("POST %s is a 400 naming it, and nothing is stored", async (path, init) => {
    const response = await api(path, { method: "POST", ...init });
    await expectRefused(response, "foo", /is not a parameter of this route/);
  });
});

describe("a parameter given twice", () => {
  it.each([
    "/v1/jobs?limit=1&limit=2",
    "/v1/schedules?limit=1&limit=2",
    "/v1/jobs?status=dead&status=dead",
  ])("%s is a 400 saying so", async (path) => {
    const name = path.includes("status") ? "status" : "limit";
    await expectRefused(await api(path), name, /given more than once/);
  });
});

describe("limit", () => {
  it.each(["1e1", "%201", "1%20", "0x10", "1.0", "+1", "", "01e0"])(
    "%j is not a whole number to /v1/jobs nor /v1/schedules",
    async (limit) => {
      for (const path of ["/v1/jobs", "/v1/schedules"]) {
        await expectRefused(await api(`${path}?limit=${limit}`), "limit", /whole number/);
      }
    },
  );

  it("takes plain decimal digits, leading zeros included", async () => {
    for (const path of ["/v1/jobs?limit=10", "/v1/schedules?limit=007"]) {
      const response = await api(path);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
  });
});

describe("an uppercase id", () => {
  it("finds the same job on every job route", async () => {
    const id = await enqueueLater();
    const upper = id.toUpperCase();
    const read = await api(`/v1/jobs/${upper}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe(id);
    expect((await api(`/v1/jobs/${upper}/runs`)).status).toBe(200);
    const cancelled = await api(`/v1/jobs/${upper}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe("cancelled");
    const deleted = await api(`/v1/jobs/${upper}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect((await api(`/v1/jobs/${id}`)).status).toBe(404);
  });

  it("finds the same schedule on every schedule route", async () => {
    const made = await api("/v1/schedules", { method: "POST", json: schedule });
    const { id } = (await made.json()) as { id: string };
    const upper = id.toUpperCase();
    const read = await api(`/v1/schedules/${upper}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe(id);
    expect((await api(`/v1/schedules/${upper}/pause`, { method: "POST" })).status).toBe(200);
    expect((await api(`/v1/schedules/${upper}/resume`, { method: "POST" })).status).toBe(200);
    expect((await api(`/v1/schedules/${upper}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/v1/schedules/${id}`)).status).toBe(404);
  });

  it("finds the same group", async () => {
    const made = await api("/v1/groups", {
      method: "POST",
      json: { jobs: [job] },
    });
    expect(made.status).toBe(202);
    const { id } = (await made.json()) as { id: string };
    const read = await api(`/v1/groups/${id.toUpperCase()}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { group: { id: string } }).group.id).toBe(id);
  });
});
