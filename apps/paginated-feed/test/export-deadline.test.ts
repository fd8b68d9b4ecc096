import { beforeEach, describe, expect, it } from "vitest";
import { EXPORT_PAGE_SIZE } from "../src/export-feed.ts";
import { api, ingest, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.UTC(2026, 0, 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(resetItems);

describe("GET /v1/items/export and request-timeout-ms", () => {
  it("stops writing once the caller's budget runs out: the stream errors, cut short", async () => {
    await ingest(Array.from({ length: EXPORT_PAGE_SIZE * 2 + 10 }, (_, i) => makeItem(T0 + i)));
    const response = await api("/v1/items/export", { headers: { "request-timeout-ms": "1500" } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // A slow client: by its next read the budget has run out, so no further page is written.
    await sleep(2000);
    let text = new TextDecoder().decode(first.value);
    let failure: unknown;
    try {
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        text += new TextDecoder().decode(next.value);
      }
    } catch (error) {
      failure = error;
    }
    // Broken off, not ended: and short of the whole export.
    expect(failure).toBeDefined();
    expect((failure as Error).name).toBe("TimeoutError");
    expect(text.split("\n").length - 1).toBeLessThan(EXPORT_PAGE_SIZE * 2 + 10);
    // What arrived ends at a whole line, as the README says: only the broken read tells.
    expect(text.endsWith("\n")).toBe(true);
    for (const line of text.slice(0, -1).split("\n")) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("answers 504, sending no item, when the budget ran out while D1 read the first page", async () => {
    await ingest(Array.from({ length: EXPORT_PAGE_SIZE * 2 + 10 }, (_, i) => makeItem(T0 + i)));
    // 1 ms is spent by the first page's reads; the deadline's timer may fire after them.
    const response = await api("/v1/items/export", { headers: { "request-timeout-ms": "1" } });
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { type: string }).type).toContain("deadline-exceeded");
  });

  it("exports everything when the budget is enough", async () => {
    await ingest(Array.from({ length: 30 }, (_, i) => makeItem(T0 + i)));
    const response = await api("/v1/items/export", { headers: { "request-timeout-ms": "60000" } });
    const text = await response.text();
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(31);
  });
});
