import { notConfigured } from "@edge-async/http";
import { type CursorCodec, type CursorFilters, createCursorCodec } from "@edge-async/pagination";
import * as z from "zod";
import type { Config } from "./config.ts";
import type { ParsedFilters } from "./contract.ts";
import type { WalkPosition } from "./db/feed-store.ts";
import { BOOKMARK_PATTERN } from "./db/session.ts";

// A tuple keeps the token short: [publishedAt, id, snapshotMaxId] as first issued (read as a
// forward cursor with no bookmark, so cursors in flight across the upgrade keep working), or
// [publishedAt, id, snapshotMaxId, direction (0 next, 1 prev), D1 session bookmark or null].
const base = [
  z.number().int(),
  z.number().int().nonnegative(),
  z.number().int().nonnegative(),
] as const;
const positionSchema = z.union([
  z.tuple([
    ...base,
    z.union([z.literal(0), z.literal(1)]),
    z.string().regex(BOOKMARK_PATTERN).nullable(),
  ]),
  z.tuple(base),
]);

/** Which way a cursor walks from its position: `next` to older items, `prev` to newer ones. */
export type WalkDirection = "next" | "prev";

/**
 * A decoded cursor: where the walk stands, which way it goes, and the D1 bookmark of the page that
 * issued it, so the next page's session is at least that fresh.
 */
export interface WalkCursor extends WalkPosition {
  direction: WalkDirection;
  bookmark: string | null;
}

/** Signs walk positions into cursors and reads them back, bound to the walk's filters. */
export interface FeedCursors {
  /** Signs a position; without `direction` and `bookmark`, a forward cursor with no bookmark. */
  encode(
    position: WalkPosition & Partial<Pick<WalkCursor, "direction" | "bookmark">>,
    filters: ParsedFilters,
  ): Promise<string>;
  decode(token: string, filters: ParsedFilters): Promise<WalkCursor>;
}

/**
 * The cursor codec for feed walks, keyed by the configured secret. Without one (outside
 * development with no CURSOR_SECRET) it throws the shared 503 not-configured problem rather than
 * sign with a known key. The bookmark is inside the signed payload, so an altered bookmark is
 * refused like any altered cursor (400 invalid-cursor).
 */
export function feedCursors(config: Config): FeedCursors {
  if (config.cursorSecret === undefined) {
    throw notConfigured(
      "CURSOR_SECRET",
      "is not set for this environment; run `wrangler secret put CURSOR_SECRET`.",
    );
  }
  const codec: CursorCodec<z.output<typeof positionSchema>> = createCursorCodec({
    secret: config.cursorSecret,
    purpose: "paginated-feed.items.v1",
    schema: positionSchema,
  });
  return {
    encode: (cursor, filters) =>
      codec.encode(
        [
          cursor.publishedAt,
          cursor.id,
          cursor.snapshotMaxId,
          cursor.direction === "prev" ? 1 : 0,
          cursor.bookmark ?? null,
        ],
        cursorFilters(filters),
      ),
    async decode(token, filters) {
      const [publishedAt, id, snapshotMaxId, direction, bookmark] = await codec.decode(
        token,
        cursorFilters(filters),
      );
      return {
        publishedAt,
        id,
        snapshotMaxId,
        direction: direction === 1 ? "prev" : "next",
        bookmark: bookmark ?? null,
      };
    },
  };
}

// Times are bound as milliseconds, so equal instants written differently share cursors.
function cursorFilters(filters: ParsedFilters): CursorFilters {
  return { topic: filters.topic, since: filters.since, until: filters.until };
}

/**
 * The RFC 8288 `Link` header of a page: `next` and `prev` when they exist (the request's URL with
 * `cursor` replaced) and `first` (the request's URL without `cursor`) always.
 */
export function pageLinks(
  requestUrl: string,
  cursors: { next: string | null; prev: string | null },
): string {
  const at = (cursor: string | null) => {
    const url = new URL(requestUrl);
    if (cursor === null) url.searchParams.delete("cursor");
    else url.searchParams.set("cursor", cursor);
    return url.toString();
  };
  const links: string[] = [];
  if (cursors.next !== null) links.push(`<${at(cursors.next)}>; rel="next"`);
  if (cursors.prev !== null) links.push(`<${at(cursors.prev)}>; rel="prev"`);
  links.push(`<${at(null)}>; rel="first"`);
  return links.join(", ");
}
