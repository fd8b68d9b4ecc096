import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createCursorCodec, decodeBase64Url, encodeBase64Url } from "@edge-async/pagination";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import * as z from "zod";
import type { FeedListPage } from "../src/contract.ts";
import { items } from "../src/db/schema.ts";
import { BOOKMARK_HEADER, BOOKMARK_PATTERN, readSession } from "../src/db/session.ts";
import app from "../src/index.ts";
import { BASE, bearer, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

/** The worker with a D1 binding that records the constraint or bookmark of every session. */
function recordingWorker() {
  const sessions: string[] = [];
  const DB = new Proxy(env.DB, {
    get(target, property) {
      if (property === "withSession") {
        return (constraint: string) => {
          sessions.push(constraint);
          return target.withSession(constraint);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const workerEnv = { ...env, DB };
  const send = (path: string, init?: RequestInit) =>
    Promise.resolve(
      app.fetch(new Request(new URL(path, BASE), init), workerEnv, createExecutionContext()),
    );
  return { sessions, send };
}

function post(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer("writer") },
    body: JSON.stringify(body),
  };
}

/** The signed (not encrypted) payload of a cursor: `{ f: filter digest, p: position }`. */
function payloadOf(cursor: string): { f: string; p: unknown[] } {
  return JSON.parse(new TextDecoder().decode(decodeBase64Url(cursor.split(".")[0]!)));
}

function withPayload(cursor: string, payload: unknown): string {
  const text = encodeBase64Url(new TextEncoder().encode(JSON.stringify(payload)));
  return `${text}.${cursor.split(".")[1]}`;
}

describe("D1 Sessions API in this workerd", () => {
  it("has withSession and getBookmark, and drizzle reads through a session as is", async () => {
    const session = env.DB.withSession("first-unconstrained");
    expect(session.getBookmark()).toBeNull();
    await session.prepare("select 1").all();
    expect(session.getBookmark()).toMatch(BOOKMARK_PATTERN);
    // The session handed to drizzle directly (no bridge): typed queries and batches both work.
    await env.DB.exec(
      "INSERT INTO items (external_key, topic, title, url, published_at, created_at, updated_at) VALUES ('s1', 'rust', 'T', 'https://e.x', 1, 1, 1)",
    );
    const feed = readSession(env.DB, undefined);
    const [one, all] = await feed.db.batch([
      feed.db.select().from(items).limit(1),
      feed.db.select({ id: items.id }).from(items),
    ]);
    expect(one[0]?.externalKey).toBe("s1");
    expect(all).toHaveLength(1);
    expect(feed.bookmark()).toMatch(BOOKMARK_PATTERN);
  });
});

describe("bookmarks through writes, cursors and headers", () => {
  it("the ingest answers its bookmark, from a first-primary session", async () => {
    const { sessions, send } = recordingWorker();
    const response = await send("/v1/items", post({ items: [makeItem(T0)] }));
    expect(response.status).toBe(200);
    expect(response.headers.get(BOOKMARK_HEADER)).toMatch(BOOKMARK_PATTERN);
    expect(sessions).toEqual(["first-primary"]);
  });

  it("a delete answers its bookmark too, from a first-primary session", async () => {
    const { sessions, send } = recordingWorker();
    const write = await send("/v1/items", post({ items: [makeItem(T0)] }));
    const [{ id }] = (await json<{ items: { id: number }[] }>(write)).items as [{ id: number }];
    sessions.length = 0;
    const response = await send(`/v1/items/${id}`, { method: "DELETE", headers: bearer("writer") });
    expect(response.status).toBe(204);
    expect(response.headers.get(BOOKMARK_HEADER)).toMatch(BOOKMARK_PATTERN);
    expect(sessions).toEqual(["first-primary"]);
  });

  it("a walk starts unconstrained and opens each next page at the bookmark its cursor carries", async () => {
    const { sessions, send } = recordingWorker();
    await send("/v1/items", post({ items: [0, 1, 2, 3, 4].map((i) => makeItem(T0 + i)) }));
    sessions.length = 0;
    const first = await send("/v1/items?limit=2");
    const firstBody = await json<FeedListPage>(first);
    const firstBookmark = first.headers.get(BOOKMARK_HEADER)!;
    expect(firstBookmark).toMatch(BOOKMARK_PATTERN);
    expect(payloadOf(firstBody.nextCursor!).p).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      0,
      firstBookmark,
    ]);
    const second = await send(`/v1/items?limit=2&cursor=${firstBody.nextCursor}`);
    const secondBody = await json<FeedListPage>(second);
    expect(payloadOf(secondBody.prevCursor!).p[3]).toBe(1);
    await send(`/v1/items?limit=2&cursor=${secondBody.prevCursor}`);
    expect(sessions).toEqual([
      "first-unconstrained",
      firstBookmark,
      second.headers.get(BOOKMARK_HEADER),
    ]);
  });

  it("a read with the header opens its session there, or at the cursor's bookmark if that is later", async () => {
    const { sessions, send } = recordingWorker();
    const write = await send("/v1/items", post({ items: [makeItem(T0), makeItem(T0 + 1)] }));
    const written = write.headers.get(BOOKMARK_HEADER)!;
    const [{ id }] = (await json<{ items: { id: number }[] }>(write)).items as [{ id: number }];
    sessions.length = 0;
    expect(
      (await send(`/v1/items/${id}`, { headers: { [BOOKMARK_HEADER]: written } })).status,
    ).toBe(200);
    const first = await send("/v1/items?limit=1", { headers: { [BOOKMARK_HEADER]: written } });
    const { nextCursor } = await json<FeedListPage>(first);
    const later = first.headers.get(BOOKMARK_HEADER)!;
    const earliest = "00000000-00000000-00000000-00000000000000000000000000000000";
    await send(`/v1/items?limit=1&cursor=${nextCursor}`, {
      headers: { [BOOKMARK_HEADER]: earliest },
    });
    expect(sessions).toEqual([written, written, later]);
  });

  it("one item answers its session's bookmark, like the listing", async () => {
    const { send } = recordingWorker();
    const write = await send("/v1/items", post({ items: [makeItem(T0)] }));
    const written = write.headers.get(BOOKMARK_HEADER)!;
    const [{ id }] = (await json<{ items: { id: number }[] }>(write)).items as [{ id: number }];
    const plain = await send(`/v1/items/${id}`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get(BOOKMARK_HEADER)).toMatch(BOOKMARK_PATTERN);
    const after = await send(`/v1/items/${id}`, { headers: { [BOOKMARK_HEADER]: written } });
    expect(after.headers.get(BOOKMARK_HEADER)! >= written).toBe(true);
  });

  it("never hands on or signs a bookmark D1 did not answer with (a made-up one is only echoed)", async () => {
    const { send } = recordingWorker();
    const write = await send("/v1/items", post({ items: [0, 1, 2].map((i) => makeItem(T0 + i)) }));
    const [{ id }] = (await json<{ items: { id: number }[] }>(write)).items as [{ id: number }];
    const madeUp = "ffffffff-ffffffff-ffffffff-ffffffffffffffffffffffffffffffff";
    const page = await send("/v1/items?limit=1", { headers: { [BOOKMARK_HEADER]: madeUp } });
    expect(page.status).toBe(200);
    expect(page.headers.get(BOOKMARK_HEADER)).not.toBe(madeUp);
    const { nextCursor } = await json<FeedListPage>(page);
    expect(payloadOf(nextCursor!).p[4]).not.toBe(madeUp);
    const item = await send(`/v1/items/${id}`, { headers: { [BOOKMARK_HEADER]: madeUp } });
    expect(item.status).toBe(200);
    expect(item.headers.get(BOOKMARK_HEADER)).not.toBe(madeUp);
  });

  it("refuses a malformed bookmark header with 400 naming it, on the listing and on an item", async () => {
    for (const path of ["/v1/items", "/v1/items/1"]) {
      for (const value of [
        "garbage",
        "00000000-00000004-00000000",
        "0".repeat(59),
        "A0000000-00000004-00000000-00000000000000000000000000000000",
      ]) {
        const response = await new Promise<Response>((resolve) =>
          resolve(recordingWorker().send(path, { headers: { [BOOKMARK_HEADER]: value } })),
        );
        expect(response.status).toBe(400);
        expect(response.headers.get("content-type")).toContain("application/problem+json");
        const problem = await json<{ errors: { parameter: string }[] }>(response);
        expect(problem.errors.map((error) => error.parameter)).toContain(BOOKMARK_HEADER);
      }
    }
  });

  it("refuses a cursor whose bookmark was altered, like any altered cursor", async () => {
    const { send } = recordingWorker();
    await send("/v1/items", post({ items: [0, 1, 2].map((i) => makeItem(T0 + i)) }));
    const { nextCursor } = await json<FeedListPage>(await send("/v1/items?limit=1"));
    const payload = payloadOf(nextCursor!);
    const altered = [...payload.p];
    altered[4] = "ffffffff-ffffffff-ffffffff-ffffffffffffffffffffffffffffffff";
    for (const forged of [
      withPayload(nextCursor!, { ...payload, p: altered }),
      withPayload(nextCursor!, { ...payload, p: [...payload.p.slice(0, 4), null] }),
    ]) {
      const response = await send(`/v1/items?limit=1&cursor=${forged}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        type: expect.stringContaining("invalid-cursor"),
      });
    }
  });

  it("refuses a correctly signed cursor whose bookmark is not a D1 bookmark", async () => {
    // Signed with the suite's secret (vitest.config.ts), so only the position's shape is wrong.
    const codec = createCursorCodec({
      secret: "test-cursor-secret",
      purpose: "paginated-feed.items.v1",
      schema: z.unknown(),
    });
    const token = await codec.encode([T0, 5, 9, 0, "not-a-bookmark"], {});
    const response = await recordingWorker().send(`/v1/items?cursor=${token}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: expect.stringContaining("invalid-cursor"),
    });
    // The three-number cursors issued before bookmarks still read, as forward cursors.
    const legacy = await codec.encode([T0, 5, 9], {});
    expect((await recordingWorker().send(`/v1/items?cursor=${legacy}`)).status).toBe(200);
  });

  it("never answers 500 to any bookmark header (property)", async () => {
    const { send } = recordingWorker();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.stringMatching(/^[0-9a-fA-F-]{50,70}$/),
          fc.constant("00000000-00000001-00000000-00000000000000000000000000000000"),
        ),
        async (value) => {
          let headers: Headers;
          try {
            headers = new Headers({ [BOOKMARK_HEADER]: value });
          } catch {
            return; // not sendable as a header value at all
          }
          const response = await send("/v1/items?limit=1", { headers });
          const valid = BOOKMARK_PATTERN.test(headers.get(BOOKMARK_HEADER)!);
          expect(response.status).toBe(valid ? 200 : 400);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});
