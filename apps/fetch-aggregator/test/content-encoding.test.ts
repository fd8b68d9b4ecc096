import { describe, expect, it } from "vitest";
import { type AggregateAnswer, gateway, uniqueHost, uniqueKey, upstreamStats } from "./helpers.ts";

async function compress(text: string, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const stream = new Response(text).body?.pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function post(body: BodyInit, contentEncoding: string): Promise<Response> {
  return gateway("/v1/aggregate", {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": contentEncoding },
    body,
  });
}

function request(key: string) {
  return JSON.stringify({ requests: [{ url: `http://${uniqueHost("ce")}/json/${key}` }] });
}

describe("Content-Encoding on POST /v1/aggregate", () => {
  it("refuses a JSON body labelled gzip that is not gzip with 400, calling no upstream", async () => {
    const key = uniqueKey("fake-gzip");
    const response = await post(request(key), "gzip");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { parameter?: string }[] };
    expect(problem.errors).toEqual([expect.objectContaining({ parameter: "content-encoding" })]);
    expect((await upstreamStats(key)).hits).toBe(0);
  });

  it("answers 415 with Accept-Encoding for a coding it cannot undo, calling no upstream", async () => {
    const key = uniqueKey("zstd");
    const response = await post(request(key), "zstd");
    expect(response.status).toBe(415);
    expect(response.headers.get("accept-encoding")).toBe("gzip, deflate, br");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    await response.body?.cancel();
    expect((await upstreamStats(key)).hits).toBe(0);
  });

  it.each([["gzip"], ["deflate"]] as const)(
    "runs the requests of a real %s body",
    async (format) => {
      const key = uniqueKey(format);
      const response = await post(await compress(request(key), format), format);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as AggregateAnswer;
      expect(answer.results[0]).toMatchObject({ ok: true, status: 200 });
      expect((await upstreamStats(key)).hits).toBe(1);
    },
  );
});
