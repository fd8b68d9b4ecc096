import { beforeEach, describe, expect, it } from "vitest";
import { api, getPage, ingest, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

beforeEach(resetItems);

describe("cursor spelling", () => {
  it("refuses a cursor whose signature ends in another spelling of the same bytes", async () => {
    await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i)));
    const cursor = (await getPage("?limit=2")).nextCursor as string;
    const [payload, mac] = cursor.split(".") as [string, string];
    // 32 bytes take 43 characters; the last one carries 2 spare bits, all zero when canonical.
    const last = ALPHABET.indexOf(mac.at(-1) as string);
    expect(last & 3).toBe(0);
    for (const spare of [1, 2, 3]) {
      const twin = `${payload}.${mac.slice(0, -1)}${ALPHABET[last | spare]}`;
      const response = await api(`/v1/items?limit=2&cursor=${twin}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = await json<{ type: string; errors: { parameter?: string }[] }>(response);
      expect(problem.type).toMatch(/invalid-cursor$/);
      expect(problem.errors[0]?.parameter).toBe("cursor");
    }
    expect((await getPage(`?limit=2&cursor=${cursor}`)).items).toHaveLength(2);
  });
});
