import { anyText as anyTextOf } from "@edge-async/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { ItemRow } from "../src/db/schema.ts";
import { EXPORT_PAGE_SIZE, itemLine } from "../src/export-feed.ts";
import { toFeedItem } from "../src/item-json.ts";
import { api, ingest, json, makeItem, resetItems, walk } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;
// More than one export page, so cuts and checkpoints fall on both sides of a page boundary.
const COUNT = EXPORT_PAGE_SIZE + 250;

const anyText = anyTextOf(40);
const instant = fc.integer({
  min: Date.parse("0000-01-01T00:00:00Z"),
  max: Date.parse("9999-12-31T23:59:59.999Z"),
});

describe("itemLine", () => {
  it("writes the bytes JSON.stringify(toFeedItem(row)) writes, for any stored text", () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 1, max: 2 ** 53 - 1 }),
          anyText,
          anyText,
          anyText,
          anyText,
          fc.option(anyText),
          fc.option(anyText),
          instant,
          instant,
          instant,
          fc.option(anyText),
        ),
        (raw) => {
          const [id, externalKey, topic, title, url, author, summary, p, c, u, owner] = raw;
          const row: ItemRow = {
            ...{ id, externalKey, topic, title, url, author, summary, owner },
            ...{ publishedAt: p, createdAt: c, updatedAt: u },
          };
          expect(itemLine(raw)).toBe(`${JSON.stringify(toFeedItem(row))}\n`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function exportUrl(query: Record<string, string>): string {
  return `/v1/items/export?${new URLSearchParams(query)}`;
}

/** Reads an export until `cut` bytes have arrived (or it ends), then hangs up. */
async function cutAt(url: string, cut: number): Promise<Uint8Array> {
  const response = await api(url);
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  while (received < cut) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.byteLength;
  }
  await reader.cancel("connection cut");
  const all = new Uint8Array(received);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.byteLength;
  }
  return all.subarray(0, Math.min(cut, received));
}

/** What a client keeps of a cut download: the lines up to its last whole checkpoint line. */
function keptUpToCheckpoint(received: Uint8Array): { kept: string; checkpoint?: string } {
  const lines = text(received.subarray(0, received.lastIndexOf(10) + 1)).split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.startsWith('{"checkpoint":')) {
      const { checkpoint } = JSON.parse(lines[i]!) as { checkpoint: string };
      return { kept: `${lines.slice(0, i + 1).join("\n")}\n`, checkpoint };
    }
  }
  return { kept: "" };
}

describe("the resumable export", () => {
  beforeAll(async () => {
    await resetItems();
    await ingest(
      Array.from({ length: COUNT }, (_, i) =>
        makeItem(T0 + Math.floor(i / 3) * MINUTE, { topic: i % 3 === 0 ? "go" : "rust" }),
      ),
    );
  });

  it("writes the same item lines as before, byte for byte, and no checkpoint unless asked", async () => {
    const exported = text(await bytesOf(await api("/v1/items/export")));
    const walked = await walk({}, 100);
    expect(walked).toHaveLength(COUNT);
    expect(exported).toBe(walked.map((item) => `${JSON.stringify(item)}\n`).join(""));
  });

  it("writes a signed checkpoint line after every N-th item, counting items", async () => {
    const lines = text(await bytesOf(await api(exportUrl({ checkpointEvery: "400" }))))
      .slice(0, -1)
      .split("\n")
      .map((line) => JSON.parse(line) as { checkpoint?: string; count?: number });
    const checkpoints = lines.flatMap((line, index) =>
      line.checkpoint === undefined ? [] : [{ index, count: line.count }],
    );
    const counts = Array.from({ length: Math.floor(COUNT / 400) }, (_, i) => (i + 1) * 400);
    expect(checkpoints.map((c) => c.count)).toEqual(counts);
    // Each checkpoint follows its 400th item, after the checkpoint lines before it.
    expect(checkpoints.map((c) => c.index)).toEqual(counts.map((count, i) => count + i));
    expect(lines).toHaveLength(COUNT + counts.length);
  });

  it("resumed from the last checkpoint after random cuts, equals one uninterrupted export", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }),
        fc.constantFrom<Record<string, string>>({}, { topic: "rust" }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (every, filters, cuts, writeBetween) => {
          const query = { ...filters, checkpointEvery: String(every) };
          const whole = text(await bytesOf(await api(exportUrl(query))));
          let downloaded = "";
          let resume: string | undefined;
          for (const fraction of cuts) {
            const url = exportUrl(resume === undefined ? query : { ...filters, resume });
            const remaining = whole.length - downloaded.length;
            const received = await cutAt(url, Math.floor(fraction * remaining));
            const { kept, checkpoint } = keptUpToCheckpoint(received);
            downloaded += kept;
            resume = checkpoint ?? resume;
            // Items stored after a checkpoint are outside the snapshot it resumes (before one, a
            // client starts a new export, which rightly includes them).
            if (writeBetween && resume !== undefined)
              await ingest([makeItem(T0 - MINUTE), makeItem(T0 + 10_000 * MINUTE)]);
          }
          const rest = await api(exportUrl(resume === undefined ? query : { ...filters, resume }));
          downloaded += text(await bytesOf(rest));
          expect(downloaded).toBe(whole);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("refuses a tampered checkpoint, one for other filters and a bad interval (400)", async () => {
    const lines = text(await bytesOf(await api(exportUrl({ checkpointEvery: "500" })))).split("\n");
    const { checkpoint } = JSON.parse(lines[500]!) as { checkpoint: string };
    const flipped = `${checkpoint.slice(0, -2)}${checkpoint.endsWith("AA") ? "BB" : "AA"}`;
    for (const [query, parameter] of [
      [{ resume: flipped }, "resume"],
      [{ resume: checkpoint, topic: "go" }, "resume"],
      [{ resume: "" }, "resume"],
      [{ checkpointEvery: "0" }, "checkpointEvery"],
      [{ checkpointEvery: "x" }, "checkpointEvery"],
    ] as [Record<string, string>, string][]) {
      const response = await api(exportUrl(query));
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = await json<{ errors: { parameter?: string }[] }>(response);
      expect(problem.errors.map((error) => error.parameter)).toContain(parameter);
    }
  });
});
