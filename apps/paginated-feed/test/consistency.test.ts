import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, IngestItem } from "../src/contract.ts";
import { feedOrder, getPage, ingest, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;

beforeEach(resetItems);

/** What a writer does between two page fetches of a walk. */
type Interference =
  | { kind: "insert"; minutes: number; topic: string }
  | { kind: "reingest"; index: number; minutes: number; title: string };

async function interfere(step: Interference[], existing: IngestItem[]): Promise<number> {
  const batch: IngestItem[] = step.map((change) =>
    change.kind === "insert"
      ? makeItem(T0 + change.minutes * MINUTE, { topic: change.topic })
      : {
          ...existing[change.index % existing.length]!,
          title: change.title,
          // Moving publishedAt is what would break a walk; the store keeps the first value.
          publishedAt: new Date(T0 + change.minutes * MINUTE).toISOString(),
        },
  );
  if (batch.length === 0) return 0;
  return (await ingest(batch)).filter((result) => result.created).length;
}

/**
 * Walks every page of `filters` while `schedule[i]` is written after page i has been read: right
 * before the next read, or (every other page) at the same time as it.
 */
async function walkWhileWriting(
  filters: Record<string, string>,
  limit: number,
  schedule: Interference[][],
  existing: IngestItem[],
): Promise<{ walked: FeedItem[]; inserted: number }> {
  const seen: FeedItem[] = [];
  let inserted = 0;
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const search = new URLSearchParams({ ...filters, limit: String(limit) });
    if (cursor !== null) search.set("cursor", cursor);
    // The walk begins with the first page; writes happen between (or during) later reads.
    const writes = page === 0 ? [] : (schedule[page - 1] ?? []);
    let result: Awaited<ReturnType<typeof getPage>>;
    let created: number;
    if (page % 2 === 1) {
      [result, created] = await Promise.all([getPage(`?${search}`), interfere(writes, existing)]);
    } else {
      created = await interfere(writes, existing);
      result = await getPage(`?${search}`);
    }
    inserted += created;
    seen.push(...result.items);
    if (result.nextCursor === null) return { walked: seen, inserted };
    cursor = result.nextCursor;
  }
  throw new Error("walk did not end");
}

function expectExactlyOnce(walked: FeedItem[], before: FeedItem[]) {
  const ids = walked.map((item) => item.id);
  expect(new Set(ids).size, "no duplicates").toBe(ids.length);
  expect(
    [...ids].sort((a, b) => a - b),
    "no skips, nothing extra",
  ).toEqual(before.map((item) => item.id).sort((a, b) => a - b));
  expect(ids, "feed order").toEqual([...walked].sort(feedOrder).map((item) => item.id));
}

describe("walking the feed while it is written to", () => {
  it("returns every item that existed at the start exactly once", async () => {
    const existing = Array.from({ length: 60 }, (_, i) =>
      makeItem(T0 + Math.floor(i / 4) * MINUTE, { topic: i % 2 === 0 ? "rust" : "go" }),
    );
    await ingest(existing);
    const before = (await getPage("?limit=100")).items;
    // Every page: items newer than everything, older than everything, and exactly at the
    // current position's timestamp; and re-ingests that try to move items across the cursor.
    const schedule = Array.from({ length: 20 }, (_, page): Interference[] => [
      { kind: "insert", minutes: 1000 + page, topic: "rust" },
      { kind: "insert", minutes: -1000 - page, topic: "rust" },
      { kind: "insert", minutes: 14 - page, topic: "go" },
      { kind: "reingest", index: page * 7, minutes: -5000, title: `moved back ${page}` },
      { kind: "reingest", index: page * 11 + 3, minutes: 5000, title: `moved up ${page}` },
    ]);
    const { walked, inserted } = await walkWhileWriting({}, 7, schedule, existing);
    expectExactlyOnce(walked, before);
    // The writes really happened during the walk: a fresh walk sees the new items.
    expect(inserted).toBeGreaterThanOrEqual(3 * 8);
    const after = await getPage("?limit=100");
    expect(after.items.length).toBe(60 + inserted);
  });

  it("holds for any interleaving of inserts and re-ingests, with and without a topic (property)", async () => {
    const change = fc.oneof(
      fc.record({
        kind: fc.constant("insert" as const),
        minutes: fc.integer({ min: -30, max: 30 }),
        topic: fc.constantFrom("rust", "go"),
      }),
      fc.record({
        kind: fc.constant("reingest" as const),
        index: fc.nat(),
        minutes: fc.integer({ min: -30, max: 30 }),
        title: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== ""),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom<Record<string, string>>({}, { topic: "rust" }),
        fc.array(fc.array(change, { maxLength: 4 }), { maxLength: 12 }),
        async (count, minuteOffsets, limit, filters, schedule) => {
          await resetItems();
          const existing = Array.from({ length: count }, (_, i) =>
            makeItem(T0 + minuteOffsets[i % minuteOffsets.length]! * MINUTE, {
              topic: i % 3 === 0 ? "go" : "rust",
            }),
          );
          await ingest(existing);
          const before = (await getPage(`?${new URLSearchParams({ ...filters, limit: "100" })}`))
            .items;
          const { walked } = await walkWhileWriting(filters, limit, schedule, existing);
          expectExactlyOnce(walked, before);
        },
      ),
      { numRuns: 25 },
    );
  });
});
