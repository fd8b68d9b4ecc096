import { env, exports } from "cloudflare:workers";
import type { FeedItem, FeedPage, IngestItem, IngestResult } from "../src/contract.ts";
import { bearer } from "./keys.ts";

export { bearer, TEST_KEYS } from "./keys.ts";

export const BASE = "http://feed.test";

/** Sends a request to the worker under test (its default export, in this same runtime). */
export function api(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, BASE), init));
}

export async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export async function resetItems(): Promise<void> {
  await env.DB.exec("DELETE FROM items");
}

let serial = 0;

/** A valid ingest item; `at` is the publishedAt in ms. */
export function makeItem(at: number, overrides: Partial<IngestItem> = {}): IngestItem {
  serial += 1;
  return {
    externalKey: `test-${serial}-${crypto.randomUUID()}`,
    topic: "rust",
    title: `Item ${serial}`,
    url: `https://example.com/posts/${serial}`,
    author: "Ada",
    summary: "A summary.",
    publishedAt: new Date(at).toISOString(),
    ...overrides,
  };
}

export async function ingest(items: IngestItem[]): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  for (let i = 0; i < items.length; i += 100) {
    const response = await api("/v1/items", {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer("writer") },
      body: JSON.stringify({ items: items.slice(i, i + 100) }),
    });
    if (response.status !== 200)
      throw new Error(`ingest: ${response.status} ${await response.text()}`);
    results.push(...(await json<{ items: IngestResult[] }>(response)).items);
  }
  return results;
}

export async function getPage(query: string): Promise<FeedPage> {
  const response = await api(`/v1/items${query}`);
  if (response.status !== 200) throw new Error(`page: ${response.status} ${await response.text()}`);
  return json<FeedPage>(response);
}

/** Follows nextCursor from the first page to the last, returning every item seen. */
export async function walk(filters: Record<string, string>, limit: number): Promise<FeedItem[]> {
  const seen: FeedItem[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const search = new URLSearchParams({ ...filters, limit: String(limit) });
    if (cursor !== null) search.set("cursor", cursor);
    const page = await getPage(`?${search}`);
    seen.push(...page.items);
    if (page.nextCursor === null) return seen;
    cursor = page.nextCursor;
  }
  throw new Error("walk did not end");
}

/** The feed order the API promises: publishedAt desc, then id desc. */
export function feedOrder(
  a: { publishedAt: string; id: number },
  b: { publishedAt: string; id: number },
) {
  return Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || b.id - a.id;
}
