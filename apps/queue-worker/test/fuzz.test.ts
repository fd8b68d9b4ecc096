import { env } from "cloudflare:workers";
import {
  anyText as anyTextOf,
  anyUnit,
  contentType,
  urlText as urlTextOf,
} from "@edge-async/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./fixtures/jobs.ts";

// HTTP fuzzing: random malformed requests to every endpoint that takes input never get a 5xx,
// every 4xx is problem+json, and the stored rows are unchanged after every refused request.
// Anything valid enough to be accepted is delayed an hour, so the local consumer never runs it
// while the suite compares rows.

const anyText = anyTextOf(24);
const urlText = urlTextOf(["queued", "dead", "fetch"]);
const queryKey = fc.oneof(fc.constantFrom("status", "type", "limit", "cursor"), urlText);
const search = fc
  .array(fc.tuple(queryKey, fc.option(urlText, { nil: undefined })), { maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join("&"));

const later = fc.integer({ min: 3600, max: 43_200 });
/** A valid job with one part replaced: reaches the payload schemas and the write path. */
const almostValid = fc
  .tuple(
    fc.constantFrom(
      { type: "simulate", payload: { durationMs: 1 } },
      { type: "fetch", payload: { url: "https://upstream.test/hello" } },
      { type: "ingest", payload: { feedUrl: "https://upstream.test/feed", topic: "news" } },
    ),
    fc.constantFrom("type", "idempotencyKey", "timeoutMs", "payload", "url", "topic", "feedUrl"),
    fc.oneof(
      anyText,
      fc.jsonValue({ maxDepth: 2, stringUnit: anyUnit }),
      fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 20 }),
    ),
    later,
    fc.boolean(),
  )
  .map(([job, field, value, delaySeconds, replace]) =>
    !replace
      ? { ...job, delaySeconds }
      : field in job || field === "idempotencyKey" || field === "timeoutMs"
        ? { ...job, delaySeconds, [field]: value }
        : { ...job, delaySeconds, payload: { ...job.payload, [field]: value } },
  );
const jobLike = fc.oneof(
  { arbitrary: almostValid, weight: 4 },
  fc.jsonValue({ maxDepth: 3, stringUnit: anyUnit }),
);
const deep = fc.integer({ min: 1, max: 200_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);
const tooLarge = JSON.stringify({ type: "simulate", payload: { x: "x".repeat(1024 * 1024) } });
const bodyOf = (job: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: job.map((value) => JSON.stringify(value)), weight: 4 },
    anyText,
    deep,
    fc.constant(tooLarge),
    fc.uint8Array({ maxLength: 64 }),
  );

async function storedRows(): Promise<unknown[]> {
  const [jobs, runs] = await env.DB.batch([
    env.DB.prepare("SELECT * FROM jobs ORDER BY id"),
    env.DB.prepare("SELECT * FROM job_runs ORDER BY rowid"),
  ]);
  return [jobs!.results, runs!.results];
}

/** Sends the request and checks the answer; the rows must be unchanged unless it was accepted. */
async function probe(send: () => Promise<Response>, head = false): Promise<void> {
  const before = await storedRows();
  const response = await send();
  expect(response.status).toBeLessThan(500);
  if (response.status < 400) {
    await response.body?.cancel();
    return;
  }
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  if (!head) {
    const problem = (await response.json()) as { type: unknown; title: unknown; status: unknown };
    expect(typeof problem.type).toBe("string");
    expect(typeof problem.title).toBe("string");
    expect(problem.status).toBe(response.status);
  }
  expect(await storedRows()).toEqual(before);
}

let cursor = "";

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const job = { type: "simulate", payload: {}, delaySeconds: 3600 };
    await api("/v1/jobs", { method: "POST", json: job });
  }
  const page = (await (await api("/v1/jobs?limit=1")).json()) as { nextCursor: string };
  cursor = page.nextCursor;
});

// Each property sends up to 150 requests; on a loaded 2-core machine that can take longer than 5 s.
describe("HTTP fuzz (queue-worker)", { timeout: 30_000 }, () => {
  it("POST /v1/jobs: random bodies and media types", async () => {
    await fc.assert(
      fc.asyncProperty(bodyOf(jobLike), contentType, async (body, type) => {
        const headers = type === undefined ? undefined : { "content-type": type };
        await probe(() => api("/v1/jobs", { method: "POST", body, headers }));
      }),
      { numRuns: 150 },
    );
  });

  it("POST /v1/jobs/batch: random job lists", async () => {
    const batch = fc.oneof(
      fc.record({ jobs: fc.array(jobLike, { maxLength: 4 }) }),
      fc.jsonValue({ maxDepth: 3, stringUnit: anyUnit }),
    );
    await fc.assert(
      fc.asyncProperty(bodyOf(batch), contentType, async (body, type) => {
        const headers = type === undefined ? undefined : { "content-type": type };
        await probe(() => api("/v1/jobs/batch", { method: "POST", body, headers }));
      }),
      { numRuns: 100 },
    );
  });

  it("GET /v1/jobs: random query strings and mutated cursors", async () => {
    const mutatedCursor = fc
      .tuple(fc.nat(), fc.constantFrom("A", "_", "-", "%", "=", "\u00e9", ""))
      .map(([at, to]) => {
        const i = at % cursor.length;
        return `cursor=${encodeURIComponent(cursor.slice(0, i) + to + cursor.slice(i + 1))}`;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(search, mutatedCursor), async (q) => {
        await probe(() => api(`/v1/jobs?${q}`));
      }),
      { numRuns: 100 },
    );
  });

  it("GET /v1/jobs/:id: random path segments", async () => {
    await fc.assert(
      fc.asyncProperty(urlText, async (segment) => {
        await probe(() => api(`/v1/jobs/${segment}`));
      }),
      { numRuns: 100 },
    );
  });

  it("any method on any path", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
    const path = fc.oneof(
      fc.constantFrom("/v1/jobs", "/v1/jobs/batch", "/v1/stats", "/healthz", "/"),
      urlText.map((text) => `/${text.replace(/^\/+/, "")}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, contentType, async (verb, route, type) => {
        const init: RequestInit = { method: verb };
        if (verb !== "GET" && verb !== "HEAD") {
          // Not a job: an accepted POST would change rows.
          init.body = '{"type":"simulate"}';
          if (type !== undefined) init.headers = { "content-type": type };
        }
        await probe(() => api(route, init), verb === "HEAD");
      }),
      { numRuns: 60 },
    );
  });
});
