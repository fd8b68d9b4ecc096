import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api } from "./fixtures/jobs.ts";

// Whatever arrives, the API answers a 2xx or a 4xx problem+json: never a 500, never a hang.
async function expectNoServerError(response: Response) {
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = (await response.json()) as { status: number; title: string };
    expect(body.status).toBe(response.status);
    expect(body.title.length).toBeGreaterThan(0);
  } else {
    await response.body?.cancel();
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
// Bodies that look like jobs, so validation gets past the envelope into the payload schemas.
const jobLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom("fetch", "ingest", "simulate", "nope"), jsonValue),
    payload: fc.oneof(
      fc.record(
        {
          url: fc.oneof(fc.webUrl(), fc.string()),
          durationMs: fc.oneof(fc.integer(), fc.double(), fc.string()),
          failureRate: fc.oneof(fc.double(), jsonValue),
          feedUrl: fc.webUrl(),
          topic: fc.string(),
        },
        { requiredKeys: [] },
      ),
      jsonValue,
    ),
    idempotencyKey: fc.oneof(fc.string(), jsonValue),
    // Large delays keep anything that happens to be valid from running during the suite.
    delaySeconds: fc.oneof(fc.integer({ min: 3600, max: 50_000 }), jsonValue),
    timeoutMs: fc.oneof(fc.integer(), jsonValue),
  },
  { requiredKeys: ["delaySeconds"] },
);

describe("bad input never causes a 500", () => {
  it("POST /v1/jobs with random JSON bodies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonValue, jobLike), async (body) => {
        await expectNoServerError(await api("/v1/jobs", { method: "POST", json: body }));
      }),
      { numRuns: 150 },
    );
  });

  it("POST /v1/jobs/batch with random job lists", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          jsonValue,
          fc.record({ jobs: fc.array(fc.oneof(jobLike, jsonValue), { maxLength: 5 }) }),
        ),
        async (body) => {
          await expectNoServerError(await api("/v1/jobs/batch", { method: "POST", json: body }));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("POST with random raw bytes and content types", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom("application/json", "text/plain", "application/problem+json", ""),
        async (bytes, contentType) => {
          const headers = contentType === "" ? undefined : { "content-type": contentType };
          await expectNoServerError(
            await api("/v1/jobs", { method: "POST", body: bytes, headers }),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("GET /v1/jobs and /v1/jobs/:id with random query strings and ids", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom("status", "type", "limit", "cursor", "x"),
          fc.oneof(fc.string(), fc.integer().map(String), fc.base64String()),
        ),
        fc.string(),
        async (query, id) => {
          const search = new URLSearchParams(query).toString();
          await expectNoServerError(await api(`/v1/jobs?${search}`));
          await expectNoServerError(await api(`/v1/jobs/${encodeURIComponent(id)}`));
        },
      ),
      { numRuns: 100 },
    );
  });
});
