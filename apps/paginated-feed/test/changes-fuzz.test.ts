import { env } from "cloudflare:workers";
import { urlText as urlTextOf } from "@edge-async/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChangesPage } from "../src/changes-contract.ts";
import { api, bearer, ingest, json, makeItem, resetItems } from "./helpers.ts";
import type { TestKeyName } from "./keys.ts";

// HTTP fuzzing of the changes feed, the resumable export's parameters and the delete route:
// never a 5xx, every 4xx is problem+json, and nothing stored changes unless a delete succeeded.

const T0 = Date.parse("2026-11-01T00:00:00Z");
const urlText = urlTextOf(["changes", "export", "resume", "since"]);

let token = "";
let checkpoint = "";

/** Items and the changes log, as D1 holds them. */
async function stored(): Promise<unknown[]> {
  const items = await env.DB.prepare("SELECT * FROM items ORDER BY id").all();
  const log = await env.DB.prepare("SELECT * FROM item_changes ORDER BY seq").all();
  return [items.results, log.results];
}

async function probe(send: () => Promise<Response>, mayWrite = false): Promise<void> {
  const before = await stored();
  const response = await send();
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await json<{ status: unknown; type: unknown }>(response);
    expect(problem.status).toBe(response.status);
    expect(typeof problem.type).toBe("string");
  } else {
    await response.body?.cancel();
  }
  if (response.status >= 400 || !mayWrite) expect(await stored()).toEqual(before);
}

/** One character of `value` replaced: a token that is almost right. */
const mutated = (value: () => string) =>
  fc.tuple(fc.nat(), fc.constantFrom("A", "_", "-", "%", ".", "\u00e9", "")).map(([at, to]) => {
    const text = value();
    const i = at % text.length;
    return encodeURIComponent(text.slice(0, i) + to + text.slice(i + 1));
  });

const pair = (keys: string[], values: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), urlText), fc.option(values)), {
      maxLength: 4,
    })
    .map((pairs) => pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&"));

beforeAll(async () => {
  await resetItems();
  await ingest(Array.from({ length: 12 }, (_, i) => makeItem(T0 + i)));
  token = (await json<ChangesPage>(await api("/v1/items/changes?limit=3"))).nextToken;
  const lines = (await (await api("/v1/items/export?checkpointEvery=4")).text()).split("\n");
  checkpoint = (JSON.parse(lines[4]!) as { checkpoint: string }).checkpoint;
});

describe("HTTP fuzz (changes, resumable export, delete)", { timeout: 60_000 }, () => {
  it("GET /v1/items/changes: random query strings", async () => {
    const value = fc.oneof(
      urlText,
      mutated(() => token),
      fc.constantFrom(
        "0",
        "1000",
        "1001",
        "-1",
        "1e3",
        encodeURIComponent(token),
        "x".repeat(3000),
      ),
    );
    await fc.assert(
      fc.asyncProperty(pair(["since", "limit", "cursor"], value), async (query) => {
        await probe(() => api(`/v1/items/changes?${query}`));
      }),
      { numRuns: 120 },
    );
  });

  it("GET /v1/items/export: random checkpointEvery and resume", async () => {
    const value = fc.oneof(
      urlText,
      mutated(() => checkpoint),
      fc.constantFrom("0", "1", "100000", "100001", "2.5", encodeURIComponent(checkpoint), "rust"),
    );
    await fc.assert(
      fc.asyncProperty(pair(["checkpointEvery", "resume", "topic"], value), async (query) => {
        await probe(() => api(`/v1/items/export?${query}`));
      }),
      { numRuns: 120 },
    );
  });

  it("DELETE /v1/items/:id: random segments and keys", async () => {
    const key = fc.constantFrom<TestKeyName | undefined>(
      "otherWriter",
      "reader",
      "outsider",
      undefined,
    );
    await fc.assert(
      fc.asyncProperty(urlText, key, async (segment, name) => {
        const headers = name === undefined ? {} : bearer(name);
        // None of these keys owns an item or holds feed:admin: nothing may be deleted.
        await probe(() => api(`/v1/items/${segment}`, { method: "DELETE", headers }));
      }),
      { numRuns: 100 },
    );
  });
});
