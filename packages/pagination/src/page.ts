import { digitsParam } from "@edge-async/http";
import type { Context } from "hono";
import * as z from "zod";

/**
 * Zod shape for `limit` and `cursor` query parameters; spread it into a listing's query schema.
 * `limit` is plain decimal digits (`1e1`, ` 1`, `0x10`, `1.0` and an empty value are refused with
 * "limit must be a whole number from 1 to <maxLimit>, in plain digits"), read by value (leading
 * zeros allowed: `007` is 7), 1 to `maxLimit` ("limit must be at least 1", also for `-1`; "limit
 * must be at most <maxLimit>", however many digits), `defaultLimit` when absent.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { pageParams } from "@edge-async/pagination";
 * const listQuery = z.object({ ...pageParams({ defaultLimit: 20, maxLimit: 100 }), topic: z.string().optional() });
 * ```
 */
export function pageParams(options: { defaultLimit?: number; maxLimit?: number } = {}) {
  const { defaultLimit = 20, maxLimit = 100 } = options;
  return {
    limit: digitsParam("limit", { min: 1, max: maxLimit }).default(defaultLimit),
    cursor: z
      .string()
      .min(1, "cursor must not be empty")
      .max(1024, "cursor is too long")
      .optional(),
  };
}

/** One page of a keyset-paginated listing, as every listing endpoint answers it. */
export interface PageBody<T> {
  items: T[];
  nextCursor: string | null;
  hasMore: boolean;
}

/**
 * The URL of the next page: the current request's URL with `cursor` replaced.
 *
 * @example
 * ```ts
 * import { nextPageUrl } from "@edge-async/pagination";
 * nextPageUrl("https://feed.example/v1/items?limit=5&cursor=a", "b"); // ".../v1/items?limit=5&cursor=b"
 * ```
 */
export function nextPageUrl(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl);
  url.searchParams.set("cursor", cursor);
  return url.toString();
}

/**
 * Answers a page as JSON with a `Link: <…>; rel="next"` header (RFC 8288) when there is more.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { pageResponse } from "@edge-async/pagination";
 * new Hono().get("/v1/things", (c) => pageResponse(c, { items: [1, 2], nextCursor: null }));
 * ```
 */
export function pageResponse<T>(
  c: Context,
  page: { items: T[]; nextCursor: string | null },
): Response {
  const body: PageBody<T> = {
    items: page.items,
    nextCursor: page.nextCursor,
    hasMore: page.nextCursor !== null,
  };
  if (page.nextCursor !== null)
    c.header("link", `<${nextPageUrl(c.req.url, page.nextCursor)}>; rel="next"`);
  return c.json(body);
}
