import { describe, expect, it } from "vitest";
import { aggregate, type ResultLine, uniqueKey } from "./helpers.ts";

async function lines(response: Response): Promise<unknown[]> {
  const text = new TextDecoder().decode(await response.arrayBuffer());
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("NDJSON streaming", () => {
  it("streams results in finish order, then one summary line", async () => {
    const key = uniqueKey("ndjson");
    const response = await aggregate(
      {
        requests: [
          { id: "slowest", url: `http://upstream.test/json/${key}?delay=300` },
          { id: "fastest", url: `http://upstream.test/json/${key}?delay=10` },
          { id: "middle", url: `http://upstream.test/json/${key}?delay=150` },
          { id: "blocked", url: "http://10.0.0.1/" },
        ],
      },
      { accept: "application/x-ndjson" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const all = await lines(response);
    const results = all.slice(0, -1) as ResultLine[];
    expect(results.map((line) => line.id)).toEqual(["blocked", "fastest", "middle", "slowest"]);
    expect(results.map((line) => line.index)).toEqual([3, 1, 2, 0]);
    expect(results[1]).toMatchObject({ ok: true, status: 200, attempts: 1, body: { key } });
    expect(all.at(-1)).toEqual({
      summary: { total: 4, succeeded: 3, failed: 1, durationMs: expect.any(Number) },
    });
  });

  it("delivers the first line before the slow requests finish", async () => {
    const key = uniqueKey("ndjson-early");
    const started = Date.now();
    const response = await aggregate(
      {
        requests: [
          { id: "slow", url: `http://upstream.test/json/${key}?delay=600` },
          { id: "fast", url: `http://upstream.test/json/${key}?n=2` },
        ],
      },
      { accept: "application/json;q=0.5, application/x-ndjson" },
    );
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .getReader();
    let buffered = "";
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
    }
    const firstAt = Date.now() - started;
    expect(JSON.parse(buffered.split("\n")[0] as string)).toMatchObject({ id: "fast", ok: true });
    expect(firstAt).toBeLessThan(500);
    while (!(await reader.read()).done) {
      // drain
    }
  });

  it("answers plain JSON unless NDJSON is asked for", async () => {
    const response = await aggregate(
      { requests: [{ url: `http://upstream.test/json/${uniqueKey("plain")}` }] },
      { accept: "application/x-ndjson;q=0, application/json" },
    );
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toHaveProperty("results");
  });
});
