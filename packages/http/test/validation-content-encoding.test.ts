import { brotliCompressSync } from "node:zlib";
import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { type ContentCoding, jsonBody, problemErrorHandler } from "../src/index.ts";

declare module "node:zlib" {
  function brotliCompressSync(buffer: Uint8Array): Uint8Array;
}

const note = z.object({ text: z.string() });
const stored: unknown[] = [];
const app = new Hono()
  .onError(problemErrorHandler)
  .post("/notes", jsonBody(note, { maxBytes: 2048 }), (c) => {
    stored.push(c.req.valid("json"));
    return c.json(c.req.valid("json"), 201);
  });

async function encode(text: string, coding: ContentCoding): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  if (coding === "br") return brotliCompressSync(bytes);
  const stream = new Response(bytes).body?.pipeThrough(new CompressionStream(coding));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function post(body: BodyInit, contentEncoding?: string, contentType = "application/json") {
  const headers: Record<string, string> = { "content-type": contentType };
  if (contentEncoding !== undefined) headers["content-encoding"] = contentEncoding;
  return app.request("/notes", { method: "POST", headers, body });
}

/** Posts and returns the status, the problem body if any, and whether anything was stored. */
async function outcome(body: BodyInit, contentEncoding?: string, contentType?: string) {
  const before = stored.length;
  const response = await post(body, contentEncoding, contentType);
  const problem = response.status >= 400 ? await response.json() : undefined;
  if (problem !== undefined)
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  return {
    response,
    problem: problem as Record<string, unknown>,
    storedAny: stored.length > before,
  };
}

describe("jsonBody with Content-Encoding", () => {
  it("accepts gzip, deflate and br bodies and reads their text back byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme", maxLength: 200 }),
        fc.constantFrom<ContentCoding>("gzip", "deflate", "br"),
        async (text, coding) => {
          const response = await post(await encode(JSON.stringify({ text }), coding), coding);
          expect(response.status).toBe(201);
          expect(await response.json()).toEqual({ text });
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each([["x-gzip"], ["GZIP"], ["identity, gzip"]])("reads %j as gzip", async (value) => {
    const response = await post(await encode('{"text":"hi"}', "gzip"), value);
    expect(response.status).toBe(201);
  });

  it.each([["identity"], [""]])("reads %j as no coding", async (value) => {
    expect((await post('{"text":"hi"}', value)).status).toBe(201);
  });

  it("answers 400 naming content-encoding for a plain JSON body labelled gzip, storing nothing", async () => {
    // The example: this used to be accepted as plain JSON.
    for (const coding of ["gzip", "deflate", "br"]) {
      const { response, problem, storedAny } = await outcome('{"text":"hi"}', coding);
      expect(response.status).toBe(400);
      expect(problem.errors).toEqual([
        { parameter: "content-encoding", detail: expect.stringContaining(`not valid ${coding}`) },
      ]);
      expect(storedAny).toBe(false);
    }
  });

  it("answers 400 for a truncated gzip body", async () => {
    const gzip = await encode('{"text":"hi"}', "gzip");
    const { response, problem } = await outcome(gzip.slice(0, -5), "gzip");
    expect(response.status).toBe(400);
    expect(problem.errors).toEqual([expect.objectContaining({ parameter: "content-encoding" })]);
  });

  it.each([["zstd"], ["compress"], ["gzip, gzip"], ["gzip, br"], ["*"]])(
    "answers 415 with Accept-Encoding for %j, storing nothing",
    async (value) => {
      const { response, problem, storedAny } = await outcome('{"text":"hi"}', value);
      expect(response.status).toBe(415);
      expect(response.headers.get("accept-encoding")).toBe("gzip, deflate, br");
      expect(problem).toMatchObject({
        type: expect.stringContaining("unsupported-content-encoding"),
        errors: [{ parameter: "content-encoding", detail: expect.any(String) }],
      });
      expect(problem.detail).toContain(JSON.stringify(value));
      expect(storedAny).toBe(false);
    },
  );

  it("answers 413 for a small body that inflates past maxBytes", async () => {
    const big = JSON.stringify({ text: "a".repeat(100_000) });
    for (const coding of ["gzip", "deflate", "br"] as const) {
      const encoded = await encode(big, coding);
      expect(encoded.byteLength).toBeLessThan(2048);
      const { response, storedAny } = await outcome(encoded, coding);
      expect(response.status).toBe(413);
      expect(storedAny).toBe(false);
    }
  });

  it("answers 413 for a body larger than maxBytes as sent, though it decodes within it", async () => {
    // Random bytes do not compress; decoded they would be a 400 (not UTF-8), so 413 is the
    // limit on the body as sent.
    const random = crypto.getRandomValues(new Uint8Array(2_040));
    const stream = new Response(random).body?.pipeThrough(new CompressionStream("gzip"));
    const encoded = new Uint8Array(await new Response(stream).arrayBuffer());
    expect(encoded.byteLength).toBeGreaterThan(2048);
    const { response, storedAny } = await outcome(encoded, "gzip");
    expect(response.status).toBe(413);
    expect(storedAny).toBe(false);
  });

  it("answers 400 for decoded bytes that are not UTF-8", async () => {
    const gzip = new Uint8Array(
      await new Response(
        new Response(Uint8Array.from([0x7b, 0xff, 0x7d])).body?.pipeThrough(
          new CompressionStream("gzip"),
        ),
      ).arrayBuffer(),
    );
    const { response, problem } = await outcome(gzip, "gzip");
    expect(response.status).toBe(400);
    expect(problem.errors).toEqual([{ pointer: "", detail: "the body is not valid UTF-8" }]);
  });

  it("checks the media type before the coding", async () => {
    const { response, problem } = await outcome("text", "zstd", "text/plain");
    expect(response.status).toBe(415);
    expect(problem.errors).toEqual([expect.objectContaining({ parameter: "content-type" })]);
  });
});

describe("the charset of a JSON body", () => {
  const app = new Hono()
    .onError(problemErrorHandler)
    .post("/echo", jsonBody(z.object({ text: z.string() })), (c) => c.json(c.req.valid("json")));
  const send = (contentType: string) =>
    app.request("/echo", {
      method: "POST",
      headers: { "content-type": contentType },
      body: new Uint8Array([
        0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0xa9, 0x22, 0x7d,
      ]),
    });

  it("accepts UTF-8, said or unsaid, and reads the text as sent", async () => {
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      'application/json;charset="UTF-8"',
    ]) {
      const response = await send(type);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ text: "é" });
    }
  });

  it("refuses any other charset with 415 naming content-type, since reading it as UTF-8 would change the text", async () => {
    for (const type of ["application/json; charset=latin1", "application/json; charset=utf-16"]) {
      const response = await send(type);
      expect(response.status).toBe(415);
      const problem = (await response.json()) as { errors: { parameter: string }[] };
      expect(problem.errors[0]?.parameter).toBe("content-type");
    }
  });
});
