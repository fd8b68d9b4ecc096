import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate, gateway, uniqueKey, upstreamStats } from "./helpers.ts";

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer?: string; parameter?: string; detail: string }[];
}

async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Problem;
  expect(body.status).toBe(status);
  return body;
}

function pointers(body: Problem): string[] {
  return (body.errors ?? []).map((error) => error.pointer ?? `?${error.parameter}`);
}

const url = "http://upstream.test/json/validation";

describe("bad input", () => {
  it("415 when the body is not declared JSON", async () => {
    const response = await gateway("/v1/aggregate", {
      method: "POST",
      body: JSON.stringify({ requests: [{ url }] }),
      headers: { "content-type": "text/plain" },
    });
    const body = await problem(response, 415);
    expect(body.errors?.[0]?.parameter).toBe("content-type");
  });

  it("400 for malformed JSON and for an empty body", async () => {
    const malformed = await gateway("/v1/aggregate", {
      method: "POST",
      body: '{"requests": [',
      headers: { "content-type": "application/json" },
    });
    expect(pointers(await problem(malformed, 400))).toEqual([""]);
    const empty = await gateway("/v1/aggregate", {
      method: "POST",
      body: "",
      headers: { "content-type": "application/json" },
    });
    expect(pointers(await problem(empty, 400))).toEqual([""]);
  });

  it.each([
    ['{"requests":[{"url":"URL-a"}],"requests":[{"url":"URL-b"}]}', "/requests"],
    ['{"requests":[{"url":"URL-a","url":"URL-b"}]}', "/requests/0/url"],
    ['{"requests":[{"url":"URL-a","method":"GET","\\u006dethod":"POST"}]}', "/requests/0/method"],
  ])(
    "400 at the repeat for a member given twice (%s), and nothing is fetched",
    async (body, at) => {
      const key = uniqueKey("twice");
      const response = await gateway("/v1/aggregate", {
        method: "POST",
        body: body.replace(/URL-(a|b)/g, `http://upstream.test/json/${key}-$1`),
        headers: { "content-type": "application/json" },
      });
      const refused = await problem(response, 400);
      expect(refused.errors).toEqual([
        { pointer: at, detail: "is given more than once in its object; send each member once" },
      ]);
      expect((await upstreamStats(`${key}-a`)).hits).toBe(0);
      expect((await upstreamStats(`${key}-b`)).hits).toBe(0);
      // With each member once the same call fetches, so the stats above would have seen one.
      const taken = await aggregate({ requests: [{ url: `http://upstream.test/json/${key}-a` }] });
      expect(taken.status).toBe(200);
      expect((await upstreamStats(`${key}-a`)).hits).toBe(1);
    },
  );

  it.each([
    [{}, "/requests"],
    [{ requests: [] }, "/requests"],
    [{ requests: "nope" }, "/requests"],
    [{ requests: [{ url: "not a url" }] }, "/requests/0/url"],
    [{ requests: [{ url: "/relative/path" }] }, "/requests/0/url"],
    [{ requests: [{}] }, "/requests/0/url"],
    [{ requests: [{ url, method: "BREW" }] }, "/requests/0/method"],
    [{ requests: [{ url, body: "x" }] }, "/requests/0/body"],
    [
      {
        requests: [
          { url, id: "a" },
          { url, id: "a" },
        ],
      },
      "/requests/1/id",
    ],
    [{ requests: [{ url, timeoutMs: 0 }] }, "/requests/0/timeoutMs"],
    [{ requests: [{ url, timeoutMs: "100" }] }, "/requests/0/timeoutMs"],
    [{ requests: [{ url, retries: -1 }] }, "/requests/0/retries"],
    [{ requests: [{ url, retries: 6 }] }, "/requests/0/retries"],
    [{ requests: [{ url, headers: { "x-a": "1\r\nx-b: 2" } }] }, "/requests/0/headers/x-a"],
    [{ requests: [{ url, headers: { "bad header": "1" } }] }, "/requests/0/headers/bad header"],
    [{ requests: [{ url }], concurrency: 0 }, "/concurrency"],
    [{ requests: [{ url }], concurrency: 11 }, "/concurrency"],
    [{ requests: [{ url }], deadlineMs: 999_999 }, "/deadlineMs"],
    [{ requests: [{ url }], failFast: "yes" }, "/failFast"],
    [{ requests: [{ url, timeout: 5 }] }, "/requests/0/timeout"],
  ])("400 for %j naming %s", async (input, pointer) => {
    const body = await problem(await aggregate(input), 400);
    expect(pointers(body)).toContain(pointer);
    expect(body.detail).toBeTruthy();
  });

  it("413 for more requests than MAX_REQUESTS, naming /requests", async () => {
    const body = await problem(
      await aggregate({ requests: Array.from({ length: 21 }, () => ({ url })) }),
      413,
    );
    expect(pointers(body)).toEqual(["/requests"]);
    expect(body.detail).toContain("20");
  });

  it("413 for a body larger than MAX_REQUEST_BYTES", async () => {
    const response = await aggregate({
      requests: [{ url, method: "POST", body: "x".repeat(70_000) }],
    });
    await problem(response, 413);
  });

  it("404 problem for unknown routes", async () => {
    await problem(await gateway("/v1/nothing"), 404);
  });

  it("never answers 500, and every 4xx is problem+json naming where (random bodies)", async () => {
    const almostValidRequest = fc.record(
      {
        id: fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
        url: fc.oneof(
          fc.webUrl(),
          fc.constant(url),
          fc.string({ maxLength: 20 }),
          fc.constant("http://10.0.0.1/"),
          fc.integer(),
        ),
        method: fc.oneof(
          fc.constantFrom("GET", "post", "HEAD", "PATCH", "TRACE"),
          fc.string({ maxLength: 6 }),
        ),
        headers: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
          fc.jsonValue(),
        ),
        body: fc.jsonValue({ maxDepth: 2 }),
        timeoutMs: fc.oneof(
          fc.integer({ min: -5, max: 3_000 }),
          fc.double(),
          fc.string({ maxLength: 3 }),
        ),
        retries: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.boolean()),
        cacheTtlSeconds: fc.integer({ min: -1, max: 100 }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record(
        {
          requests: fc.oneof(
            fc.array(almostValidRequest, { maxLength: 4 }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          concurrency: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.string({ maxLength: 2 })),
          deadlineMs: fc.integer({ min: -1, max: 400_000 }),
          failFast: fc.oneof(fc.boolean(), fc.constant("true")),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (input, raw) => {
        // Half the runs send the value as JSON text, the rest as arbitrary text claiming to be JSON.
        const text = raw ? JSON.stringify(input).slice(0, -1) : JSON.stringify(input);
        const response = await gateway("/v1/aggregate", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: text ?? "",
        });
        expect([200, 400, 413]).toContain(response.status);
        if (response.status === 200) {
          const answer = (await response.json()) as {
            results: unknown[];
            summary: { total: number };
          };
          expect(answer.results.length).toBe(answer.summary.total);
          return;
        }
        const problemBody = await problem(response, response.status);
        expect(problemBody.errors?.length).toBeGreaterThan(0);
        for (const error of problemBody.errors ?? []) {
          expect(typeof error.detail).toBe("string");
          expect(error.pointer ?? error.parameter).toBeDefined();
          if (error.pointer !== undefined)
            expect(error.pointer === "" || error.pointer.startsWith("/")).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
