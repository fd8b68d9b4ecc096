import { env } from "cloudflare:workers";
import { URL_DROPPED_TEXT_DETAIL } from "@edge-async/http";
import { anyText as anyTextOf } from "@edge-async/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api } from "./fixtures/jobs.ts";

// Jobs enqueued here are delayed an hour so the real local consumer leaves them `queued`.
const later = { delaySeconds: 3600 };

const anyText = anyTextOf(30);

async function jobCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>();
  return row!.n;
}

/** Sends a body and, when it is refused, checks the 400 names exactly `pointers` and stores nothing. */
async function send(path: string, body: unknown) {
  const before = await jobCount();
  const response = await api(path, { method: "POST", json: body });
  if (response.status !== 400) return { response, pointers: undefined };
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as { errors: { pointer?: string; detail: string }[] };
  expect(await jobCount()).toBe(before);
  return { response, pointers: [...new Set(problem.errors.map((error) => error.pointer))] };
}

async function storedJob(id: string) {
  const response = await api(`/v1/jobs/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { idempotencyKey?: string; payload: Record<string, unknown> };
}

describe("text that D1 cannot keep exactly, or that a schema would rewrite", () => {
  it.each<[string, unknown, string, string[]]>([
    [
      "a lone surrogate in idempotencyKey",
      { type: "simulate", payload: {}, idempotencyKey: "x\udfffy", ...later },
      "/v1/jobs",
      ["/idempotencyKey"],
    ],
    [
      "a lone surrogate in a payload URL",
      { type: "fetch", payload: { url: "https://upstream.test/\ud800" }, ...later },
      "/v1/jobs",
      ["/payload/url"],
    ],
    [
      "a lone surrogate in a payload member name",
      { type: "simulate", payload: { "a\udc00/b": 1 }, ...later },
      "/v1/jobs",
      ["/payload/a\udc00~1b"],
    ],
    [
      "a payload URL z.url() would trim",
      { type: "fetch", payload: { url: " https://upstream.test/hello\n" }, ...later },
      "/v1/jobs",
      ["/payload/url"],
    ],
    [
      "a lone surrogate in the second job of a batch",
      {
        jobs: [
          { type: "simulate", payload: {}, ...later },
          { type: "ingest", payload: { feedUrl: "https://upstream.test/f", topic: "a\ud800" } },
        ],
      },
      "/v1/jobs/batch",
      ["/jobs/1/payload/topic"],
    ],
  ])("refuses %s with 400 naming it, storing nothing", async (_name, body, path, pointers) => {
    const { response, pointers: named } = await send(path, body);
    expect(response.status).toBe(400);
    expect(named).toEqual(pointers);
  });

  it("refuses a URL whose tab the URL parser would drop, saying so", async () => {
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "fetch", payload: { url: "https://upstream.test/a\tb" }, ...later },
    });
    const problem = (await response.json()) as { errors: { pointer: string; detail: string }[] };
    expect(problem.errors).toEqual([{ pointer: "/payload/url", detail: URL_DROPPED_TEXT_DETAIL }]);
  });
});

describe("job text fields: accepted means read back identical (property)", () => {
  it("idempotencyKey, and its replay finds the same job", async () => {
    const key = fc.oneof(anyText, fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 30 }));
    await fc.assert(
      fc.asyncProperty(key, async (idempotencyKey) => {
        const unique = `${crypto.randomUUID()}${idempotencyKey}`;
        const body = { type: "simulate", payload: {}, idempotencyKey: unique, ...later };
        const { response, pointers } = await send("/v1/jobs", body);
        const printable = /^[\x21-\x7e]+$/.test(unique) && unique.length <= 200;
        expect(response.status).toBe(printable ? 202 : 400);
        if (pointers !== undefined) {
          expect(pointers).toEqual(["/idempotencyKey"]);
          return;
        }
        const { id } = (await response.json()) as { id: string };
        expect((await storedJob(id)).idempotencyKey).toBe(unique);
        const replay = await api("/v1/jobs", { method: "POST", json: body });
        expect(replay.status).toBe(200);
        expect(((await replay.json()) as { id: string }).id).toBe(id);
      }),
      { numRuns: 80 },
    );
  });

  it.each<[string, string, (text: string) => unknown]>([
    ["fetch", "url", (text) => ({ url: `https://upstream.test/${text}` })],
    ["ingest", "feedUrl", (text) => ({ feedUrl: `https://upstream.test/${text}`, topic: "t" })],
    ["ingest", "topic", (text) => ({ feedUrl: "https://upstream.test/f", topic: text })],
  ])("%s payload %s", async (type, field, payloadOf) => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const payload = payloadOf(text) as Record<string, string>;
        const { response, pointers } = await send("/v1/jobs", { type, payload, ...later });
        if (!payload[field]!.isWellFormed()) expect(response.status).toBe(400);
        if (pointers !== undefined) {
          expect(pointers).toEqual([`/payload/${field}`]);
          return;
        }
        expect(response.status).toBe(202);
        const { id } = (await response.json()) as { id: string };
        expect((await storedJob(id)).payload[field]).toBe(payload[field]);
      }),
      { numRuns: 60 },
    );
  });
});
