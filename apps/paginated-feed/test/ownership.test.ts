import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { IngestItem, IngestResult } from "../src/contract.ts";
import { api, bearer, json, makeItem, resetItems } from "./helpers.ts";
import type { TestKeyName } from "./keys.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

function post(key: TestKeyName, items: IngestItem[]): Promise<Response> {
  return api("/v1/items", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(key) },
    body: JSON.stringify({ items }),
  });
}

async function stored(key: TestKeyName, items: IngestItem[]): Promise<IngestResult[]> {
  const response = await post(key, items);
  expect(response.status).toBe(200);
  return (await json<{ items: IngestResult[] }>(response)).items;
}

/** Every stored row, as D1 holds it. */
async function rows(): Promise<Record<string, unknown>[]> {
  return (await env.DB.prepare("SELECT * FROM items ORDER BY id").all()).results;
}

interface NotOwner {
  status: number;
  type: string;
  errors: { pointer: string; detail: string }[];
}

async function expectNotOwner(response: Response, positions: number[]): Promise<void> {
  expect(response.status).toBe(403);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("cache-control")).toBe("no-store");
  const text = await response.text();
  // The problem names the field, never the owner (the key ids "writer", "other-writer").
  expect(text).not.toMatch(/writer/);
  const problem = JSON.parse(text) as NotOwner;
  expect(problem.type).toBe("https://edge-async.dev/problems/not-owner");
  expect(problem.errors.map((error) => error.pointer)).toEqual(
    positions.map((position) => `/items/${position}/externalKey`),
  );
}

describe("item ownership", () => {
  it("lets only the creating key, or feed:admin, overwrite an item", async () => {
    const original = makeItem(T0);
    const [created] = await stored("writer", [original]);
    const before = await rows();
    expect(before).toMatchObject([{ id: created!.id, owner: "writer" }]);

    await expectNotOwner(await post("otherWriter", [{ ...original, title: "Taken over" }]), [0]);
    // Not even an identical copy: the item is not the other key's to write.
    await expectNotOwner(await post("otherWriter", [original]), [0]);
    expect(await rows()).toEqual(before);

    const [own] = await stored("writer", [{ ...original, title: "Edited by its creator" }]);
    expect(own).toMatchObject({ id: created!.id, created: false });
    const [admin] = await stored("admin", [{ ...original, title: "Edited by an admin" }]);
    expect(admin).toMatchObject({ id: created!.id, created: false });
    // An admin's overwrite leaves the owner as it was.
    expect(await rows()).toMatchObject([{ title: "Edited by an admin", owner: "writer" }]);
    expect((await post("writer", [original])).status).toBe(200);
  });

  it("refuses a batch whole, naming each foreign item, and writes nothing of it", async () => {
    const mine = makeItem(T0);
    const theirs = Array.from({ length: 2 }, (_, i) => makeItem(T0 + i));
    await stored("writer", [mine]);
    await stored("otherWriter", theirs);
    const before = await rows();
    // 100 items: the foreign ones at 0 and 99 fall in different guard statements (99 keys each).
    const batch = [
      theirs[0]!,
      ...Array.from({ length: 97 }, (_, i) => makeItem(T0 + 10 + i)),
      { ...mine, title: "Changed" },
      theirs[1]!,
    ];
    await expectNotOwner(await post("writer", batch), [0, 99]);
    expect(await rows()).toEqual(before);
  });

  it("names every position of a foreign key repeated in the batch", async () => {
    const theirs = makeItem(T0);
    await stored("otherWriter", [theirs]);
    const response = await post("writer", [theirs, makeItem(T0 + 1), { ...theirs, title: "x" }]);
    await expectNotOwner(response, [0, 2]);
  });

  it("treats items stored before owners were recorded as owned by no key: feed:admin only", async () => {
    const legacy = makeItem(T0);
    await stored("admin", [legacy]);
    await env.DB.prepare("UPDATE items SET owner = NULL").run();
    await expectNotOwner(await post("writer", [{ ...legacy, title: "Claimed" }]), [0]);
    const [updated] = await stored("admin", [{ ...legacy, title: "Curated" }]);
    expect(updated?.created).toBe(false);
    expect(await rows()).toMatchObject([{ title: "Curated", owner: null }]);
  });

  it("lets two keys write their own items in one feed", async () => {
    const a = await stored("writer", [makeItem(T0)]);
    const b = await stored("otherWriter", [makeItem(T0 + 1)]);
    expect([...a, ...b].every((result) => result.created)).toBe(true);
    expect((await rows()).map((row) => row.owner)).toEqual(["writer", "other-writer"]);
  });
});
