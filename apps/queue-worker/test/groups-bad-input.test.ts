import { env } from "cloudflare:workers";
import { anyText } from "@edge-async/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api } from "./fixtures/jobs.ts";

// Bad input to /v1/groups: a 4xx problem+json naming what is wrong and where, never a 500, and
// nothing stored (no group, no child).

const child = { type: "simulate", payload: { durationMs: 1 }, delaySeconds: 3600 };

async function counts() {
  const row = await env.DB.prepare(
    "select (select count(*) from job_groups) as groups, (select count(*) from jobs where group_id is not null) as children",
  ).first<{ groups: number; children: number }>();
  return row;
}

async function expectRefused(body: unknown, status: number, pointer?: string, detail?: RegExp) {
  const response = await api("/v1/groups", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as { errors?: { pointer: string; detail: string }[] };
  if (pointer !== undefined) {
    const entry = problem.errors?.find((error) => error.pointer === pointer);
    expect(entry, JSON.stringify(problem)).toBeDefined();
    if (detail !== undefined) expect(entry?.detail).toMatch(detail);
  }
}

describe("POST /v1/groups refuses bad input with a problem, storing nothing", () => {
  it.each([
    ["no jobs", { jobs: [] }, "/jobs", /at least one job/],
    ["too many jobs", { jobs: Array.from({ length: 1001 }, () => child) }, "/jobs", /at most 1000/],
    [
      "a child with an idempotencyKey",
      { jobs: [child, { ...child, idempotencyKey: "k-1" }] },
      "/jobs/1/idempotencyKey",
      /no idempotencyKey/,
    ],
    [
      "an invalid child payload",
      { jobs: [child, { type: "simulate", payload: { durationMs: -5 } }] },
      "/jobs/1/payload/durationMs",
      undefined,
    ],
    [
      "an unknown job type",
      { jobs: [{ type: "teleport", payload: {} }] },
      "/jobs/0/type",
      /unknown job type/,
    ],
    ["failFast not a boolean", { jobs: [child], failFast: "yes" }, "/failFast", undefined],
    ["an unknown member", { jobs: [child], parallel: 3 }, "", undefined],
    [
      "an empty concurrencyKey",
      { jobs: [{ ...child, concurrencyKey: "" }] },
      "/jobs/0/concurrencyKey",
      /must not be empty/,
    ],
  ])("%s", async (_name, body, pointer, detail) => {
    const before = await counts();
    await expectRefused(body, 400, pointer === "" ? undefined : pointer, detail);
    expect(await counts()).toEqual(before);
  });

  it("refuses a body that is not JSON", async () => {
    await expectRefused("{jobs:", 400);
  });

  it("answers random bodies with 202 or a 4xx problem, never a 500", async () => {
    const jobLike = fc.oneof(
      fc.constant(child),
      fc.record({
        type: fc.constantFrom("simulate", "fetch", "nope"),
        payload: fc.oneof(fc.object(), fc.record({ durationMs: fc.integer() })),
        concurrencyKey: fc.option(anyText(), { nil: undefined }),
      }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { jobs: fc.array(jobLike, { maxLength: 5 }), failFast: fc.anything() },
          { requiredKeys: [] },
        ),
        async (body) => {
          const response = await api("/v1/groups", { method: "POST", json: body });
          expect([202, 400, 403]).toContain(response.status);
          if (response.status !== 202) {
            expect(response.headers.get("content-type")).toBe("application/problem+json");
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("GET /v1/groups/{id} refuses bad input with a problem", () => {
  it.each([
    ["a malformed id", "/v1/groups/not-a-uuid", 400],
    ["limit 0", `/v1/groups/${crypto.randomUUID()}?limit=0`, 400],
    ["limit past 1000", `/v1/groups/${crypto.randomUUID()}?limit=1001`, 400],
    ["an unknown stream format", `/v1/groups/${crypto.randomUUID()}?stream=csv`, 400],
    ["an unknown group", `/v1/groups/${crypto.randomUUID()}`, 404],
  ])("%s", async (_name, path, status) => {
    const response = await api(path);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses a forged cursor", async () => {
    const created = await api("/v1/groups", { method: "POST", json: { jobs: [child] } });
    const { id } = (await created.json()) as { id: string };
    const response = await api(`/v1/groups/${id}?cursor=forged-cursor`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
