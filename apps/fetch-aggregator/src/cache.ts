import type { UpstreamAnswer } from "./results.ts";

/** Headers that make an answer personal: requests carrying them are never cached. */
const PERSONAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/**
 * Whether a request may be answered from, and stored in, the shared cache: GETs with a TTL that
 * carry no credentials.
 */
export function isCacheable(method: string, headers: Headers, ttlSeconds: number): boolean {
  return method === "GET" && ttlSeconds > 0 && PERSONAL_HEADERS.every((name) => !headers.has(name));
}

/**
 * Cache API key of a GET: the URL and every forwarded header, hashed, so that two requests
 * differing in `accept` or an API key header never share an entry.
 */
export async function cacheKey(url: URL, headers: Headers): Promise<Request> {
  const material = JSON.stringify([url.href, [...headers].sort(([a], [b]) => a.localeCompare(b))]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
  const hex = [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
  return new Request(`https://fetch-aggregator.cache/${hex}`);
}

/** The cached answer for `key`, if any. Cache trouble is a miss, never a failure. */
export async function readCached(key: Request): Promise<UpstreamAnswer | undefined> {
  try {
    const response = await caches.default.match(key);
    if (response === undefined) return undefined;
    const stored = (await response.json()) as { status: number; body: unknown };
    return { status: stored.status, body: stored.body };
  } catch (error) {
    console.warn("fetch-aggregator: cache read failed", error);
    return undefined;
  }
}

/** Stores a successful answer for `ttlSeconds`. Failures are logged and otherwise ignored. */
export async function storeCached(
  key: Request,
  answer: UpstreamAnswer,
  ttlSeconds: number,
): Promise<void> {
  try {
    const response = new Response(JSON.stringify({ status: answer.status, body: answer.body }), {
      headers: { "content-type": "application/json", "cache-control": `max-age=${ttlSeconds}` },
    });
    await caches.default.put(key, response);
  } catch (error) {
    console.warn("fetch-aggregator: cache write failed", error);
  }
}
