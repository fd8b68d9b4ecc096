import * as z from "zod";
import { type FeedDb, feedDb } from "./feed-store.ts";

/**
 * The header that carries a D1 session bookmark: writes answer with it, and a read that sends it
 * back is served by a replica at least as fresh as that write (read-your-writes).
 */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/**
 * A D1 Sessions API bookmark as D1 writes them: four lower-case hex groups of 8, 8, 8 and 32
 * digits (`00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683`). Local D1 accepts any
 * text (it compares bookmarks as strings and keeps the larger one), so the worker checks the shape
 * itself before a client's text reaches `withSession`.
 */
export const BOOKMARK_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

/**
 * The request header a read accepts to read the client's own writes; a malformed bookmark is a
 * 400 naming the header.
 */
export const bookmarkRequestHeader = {
  [BOOKMARK_HEADER]: z
    .string()
    .regex(BOOKMARK_PATTERN, `${BOOKMARK_HEADER} must be a bookmark from an earlier answer`)
    .optional()
    .meta({
      description:
        "A D1 bookmark from an earlier answer (e.g. the ingest's): the read is served by a replica at least that fresh",
      example: "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683",
    }),
};

/** The response header's declaration for the OpenAPI document. */
export const bookmarkResponseHeader = {
  [BOOKMARK_HEADER]: {
    description:
      "The D1 session bookmark after this request: send it back as the x-d1-bookmark request header to read at least this fresh",
    schema: { type: "string" as const },
  },
};

/** A D1 session and the drizzle handle that reads through it. */
export interface FeedSession {
  db: FeedDb;
  /** The latest bookmark of the session's queries; `null` before the first query, or if D1's
   * bookmark is not in the documented shape (it is then not handed on rather than refused later). */
  bookmark(): string | null;
}

/**
 * A session opened at `constraint`. D1's getBookmark() keeps the larger of the bookmark a session
 * was opened at and the ones its queries answered, so a client's made-up bookmark (ffff...) would
 * come back as is: when the session's bookmark is still exactly `unconfirmed` (D1 answered nothing
 * newer), it is not handed on, and `instead` (a bookmark the worker signed earlier) is.
 */
function open(
  d1: D1Database,
  constraint: string,
  unconfirmed: string | null = null,
  instead: string | null = null,
): FeedSession {
  const session = d1.withSession(constraint);
  return {
    // drizzle's D1 driver only calls prepare() and batch(), which a D1DatabaseSession has with the
    // same signatures as D1Database: the session is passed to drizzle directly, no bridge.
    db: feedDb(session as unknown as D1Database),
    bookmark() {
      const bookmark = session.getBookmark();
      if (bookmark !== null && bookmark === unconfirmed) return instead;
      return bookmark !== null && BOOKMARK_PATTERN.test(bookmark) ? bookmark : null;
    },
  };
}

/**
 * A session for reads: at the later of `signed` (a cursor's bookmark, which this worker signed)
 * and `sent` (the client's `x-d1-bookmark`), so the replica that answers has seen at least that
 * much; otherwise `first-unconstrained`, the nearest replica. Its bookmark is one D1 answered
 * with, or `signed`: a sent bookmark that D1 only echoes back is never handed on.
 */
export function readSession(
  d1: D1Database,
  sent: string | null | undefined,
  signed: string | null | undefined = null,
): FeedSession {
  const constraint = laterBookmark(signed, sent);
  if (constraint === undefined) return open(d1, "first-unconstrained");
  const unconfirmed = sent != null && sent !== signed ? sent : null;
  return open(d1, constraint, unconfirmed, signed ?? null);
}

/** A session for writes: `first-primary`, so its bookmark covers the write it answers for. */
export function writeSession(d1: D1Database): FeedSession {
  return open(d1, "first-primary");
}

/**
 * The fresher of two bookmarks. D1's bookmarks are fixed-width hex, so the later position sorts
 * last as text (D1 itself keeps the larger one the same way).
 */
export function laterBookmark(
  a: string | null | undefined,
  b: string | null | undefined,
): string | undefined {
  if (a == null) return b ?? undefined;
  if (b == null) return a;
  return a > b ? a : b;
}
