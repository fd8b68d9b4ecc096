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
    // Only decimal digits: Number() would also read "1e1", " 1", "0x10" and "" as numbers. A
    // minus sign is read, so "-1" is told the bound it misses rather than that it is no number.
    limit: z
      .preprocess(
        (value) => (typeof value === "string" ? digitsValue(value) : value),
        z
          .number({ error: `limit must be a whole number from 1 to ${maxLimit}, in plain digits` })
          .int(`limit must be a whole number from 1 to ${maxLimit}, in plain digits`)
          .min(1, "limit must be at least 1")
          .max(maxLimit, `limit must be at most ${maxLimit}`),
      )
      .default(defaultLimit),
    cursor: z
      .string()
      .min(1, "cursor must not be empty")
      .max(1024, "cursor is too long")
      .optional(),
  };
}

/**
 * The value of plain decimal digits (an optional minus sign, leading zeros allowed), or `text`
 * itself when it is anything else. Past 15 significant digits (beyond any page size, and where
 * a double stops being exact) the value is clamped to ±`Number.MAX_SAFE_INTEGER`, so it is still
 * told the bound it misses rather than that it is no whole number.
 */
function digitsValue(text: string): number | string {
  const match = /^(-?)0*([0-9]+)$/.exec(text);
  if (match === null) return text;
  const [, sign, significant = ""] = match;
  const magnitude =
    significant.length > 15 ? Number.MAX_SAFE_INTEGER : Number.parseInt(significant, 10);
  return sign === "-" ? -magnitude : magnitude;
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
