import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { Change, ChangesPage } from "../src/changes-contract.ts";
import type { FeedItem, IngestItem } from "../src/contract.ts";
import { api, bearer, getPage, ingest, json, makeItem, resetItems, walk } from "./helpers.ts";
import type { TestKeyName } from "./keys.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

// Deleting items leaves tombstones: each test starts from an empty log as well as no items.
async function resetAll(): Promise<void> {
  await resetItems();
  await env.DB.exec("DELETE FROM item_changes");
}
beforeEach(resetAll);

async function changes(query = ""): Promise<ChangesPage> {
  const response = await api(`/v1/items/changes${query}`);
  if (response.status !== 200)
    throw new Error(`changes: ${response.status} ${await response.text()}`);
  return json<ChangesPage>(response);
}

/** Every change after `token`, following `nextToken` until `hasMore` is false. */
async function drain(token: string | undefined, limit: number) {
  const seen: Change[] = [];
  for (let calls = 0; calls < 10_000; calls++) {
    const search = new URLSearchParams({ limit: String(limit) });
    if (token !== undefined) search.set("since", token);
    const page = await changes(`?${search}`);
    seen.push(...page.changes);
    token = page.nextToken;
    if (!page.hasMore) return { seen, token };
  }
  throw new Error("the changes feed did not end");
}

function remove(id: number, key: TestKeyName = "writer"): Promise<Response> {
  return api(`/v1/items/${id}`, { method: "DELETE", headers: bearer(key) });
}

describe("GET /v1/items/changes", () => {
  it("answers a token even when there is nothing, and only later changes after it", async () => {
    const empty = await changes();
    expect(empty).toMatchObject({ changes: [], hasMore: false });
    expect(empty.nextToken).toMatch(/\S/);
    const stored = await ingest([makeItem(T0), makeItem(T0 + 1), makeItem(T0 + 2)]);
    const first = await changes(`?since=${empty.nextToken}`);
    expect(first.changes.map((change) => change.id)).toEqual(stored.map((item) => item.id));
    expect(first.changes.every((change) => !change.deleted)).toBe(true);
    const again = await changes(`?since=${first.nextToken}`);
    expect(again).toMatchObject({ changes: [], hasMore: false, nextToken: first.nextToken });
  });

  it("reports an update once, with the item's new state, and a delete as a tombstone", async () => {
    const original = makeItem(T0);
    const [a, b] = await ingest([original, makeItem(T0 + 1)]);
    const { token } = await drain(undefined, 10);
    await ingest([{ ...original, title: "Retitled" }]);
    await ingest([{ ...original, title: "Retitled twice" }]);
    expect((await remove(b!.id)).status).toBe(204);
    const { seen } = await drain(token, 10);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({ id: a!.id, deleted: false, item: await itemOf(a!.id) });
    expect(seen[0]).toMatchObject({ item: { title: "Retitled twice" } });
    expect(seen[1]).toMatchObject({ id: b!.id, deleted: true });
    const deletedAt = Date.parse((seen[1] as { deletedAt: string }).deletedAt);
    expect(Math.abs(deletedAt - Date.now())).toBeLessThan(10 * 60_000);
  });

  it("an identical re-ingest is no change", async () => {
    const original = makeItem(T0);
    await ingest([original]);
    const { token } = await drain(undefined, 10);
    await ingest([original]);
    expect((await changes(`?since=${token}`)).changes).toEqual([]);
  });

  it("pages by limit without a duplicate or a gap", async () => {
    const stored = await ingest(Array.from({ length: 23 }, (_, i) => makeItem(T0 + i)));
    const { seen } = await drain(undefined, 5);
    expect(seen.map((change) => change.id)).toEqual(stored.map((item) => item.id));
  });

  it("refuses a tampered token, a listing cursor and a bad limit with problem+json", async () => {
    await ingest(Array.from({ length: 3 }, (_, i) => makeItem(T0 + i)));
    const { nextToken } = await changes("?limit=1");
    const cursor = (await getPage("?limit=1")).nextCursor!;
    const flipped = `${nextToken.slice(0, -1)}${nextToken.endsWith("A") ? "B" : "A"}`;
    for (const [query, parameter] of [
      [`since=${flipped}`, "since"],
      [`since=${nextToken.split(".")[0]}`, "since"],
      [`since=${cursor}`, "since"],
      ["since=", "since"],
      ["limit=0", "limit"],
      ["limit=1001", "limit"],
      ["cursor=x", "cursor"],
    ] as const) {
      const response = await api(`/v1/items/changes?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = await json<{ errors: { parameter?: string }[] }>(response);
      expect(
        problem.errors.map((error) => error.parameter),
        query,
      ).toContain(parameter);
    }
  });
});

async function itemOf(id: number): Promise<FeedItem> {
  return json<FeedItem>(await api(`/v1/items/${id}`));
}

describe("DELETE /v1/items/:id", () => {
  it("lets the creating key delete its item: 204, then 404", async () => {
    const [created] = await ingest([makeItem(T0)]);
    const response = await remove(created!.id);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect((await api(`/v1/items/${created!.id}`)).status).toBe(404);
    const again = await remove(created!.id);
    expect(again.status).toBe(404);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses another key (403 not-owner) and keeps the item; feed:admin may delete", async () => {
    const [created] = await ingest([makeItem(T0)]);
    const refused = await remove(created!.id, "otherWriter");
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({
      type: "https://edge-async.dev/problems/not-owner",
    });
    expect((await api(`/v1/items/${created!.id}`)).status).toBe(200);
    expect((await remove(created!.id, "reader")).status).toBe(403);
    expect((await remove(created!.id, "admin")).status).toBe(204);
  });

  it("refuses legacy items (owner null) to a writer, and a malformed id with 400", async () => {
    const [created] = await ingest([makeItem(T0)]);
    await env.DB.prepare("UPDATE items SET owner = NULL WHERE id = ?").bind(created!.id).run();
    expect((await remove(created!.id)).status).toBe(403);
    const bad = await remove(Number.NaN);
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ errors: [{ parameter: "id" }] });
    expect(
      (await api("/v1/items/changes", { method: "DELETE", headers: bearer("writer") })).status,
    ).toBe(405);
  });
});

type Operation =
  | { kind: "insert"; at: number }
  | { kind: "update"; pick: number; title: string }
  | { kind: "delete"; pick: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({
    kind: fc.constant("update" as const),
    pick: fc.nat(),
    title: fc.string({ minLength: 1, maxLength: 12 }).filter((title) => /\S/.test(title)),
  }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
);

describe("a mirror replaying the changes feed", () => {
  it("ends byte-identical to the source, whatever happens between syncs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(operation, { maxLength: 8 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        async (rounds, limit) => {
          await resetAll();
          const live = new Map<number, IngestItem>();
          const mirror = new Map<number, string>();
          let token: string | undefined;
          for (const round of rounds) {
            await apply(round, live);
            const { seen, token: next } = await drain(token, limit);
            token = next;
            for (const change of seen) {
              if (change.deleted) mirror.delete(change.id);
              else mirror.set(change.id, JSON.stringify(change.item));
            }
            const source = await walk({}, 100);
            const copy = new Map(source.map((item) => [item.id, JSON.stringify(item)]));
            expect(new Map([...mirror].sort(([a], [b]) => a - b))).toEqual(
              new Map([...copy].sort(([a], [b]) => a - b)),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** Runs one round of operations against the worker; `live` tracks what exists, by id. */
async function apply(round: Operation[], live: Map<number, IngestItem>): Promise<void> {
  for (const op of round) {
    const ids = [...live.keys()];
    if (op.kind === "insert" || ids.length === 0) {
      const item = makeItem(T0 + (op.kind === "insert" ? op.at : 0) * 60_000);
      const [stored] = await ingest([item]);
      live.set(stored!.id, item);
    } else if (op.kind === "update") {
      const id = ids[op.pick % ids.length]!;
      const item = { ...live.get(id)!, title: op.title };
      await ingest([item]);
      live.set(id, item);
    } else {
      const id = ids[op.pick % ids.length]!;
      expect((await remove(id)).status).toBe(204);
      live.delete(id);
    }
  }
}
