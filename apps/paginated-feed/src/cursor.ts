import { notConfigured } from "@edge-async/http";
import { type CursorCodec, type CursorFilters, createCursorCodec } from "@edge-async/pagination";
import * as z from "zod";
import type { Config } from "./config.ts";
import type { ParsedFilters } from "./contract.ts";
import type { WalkPosition } from "./db/feed-store.ts";

// [publishedAt, id, snapshotMaxId]: a tuple keeps the token short.
const positionSchema = z.tuple([
  z.number().int(),
  z.number().int().positive(),
  z.number().int().nonnegative(),
]);

/** Signs walk positions into cursors and reads them back, bound to the walk's filters. */
export interface FeedCursors {
  encode(position: WalkPosition, filters: ParsedFilters): Promise<string>;
  decode(token: string, filters: ParsedFilters): Promise<WalkPosition>;
}

/**
 * The cursor codec for feed walks, keyed by the configured secret. Without one (outside
 * development with no CURSOR_SECRET) it throws the shared 503 not-configured problem rather than
 * sign with a known key.
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
    encode: (position, filters) =>
      codec.encode(
        [position.publishedAt, position.id, position.snapshotMaxId],
        cursorFilters(filters),
      ),
    async decode(token, filters) {
      const [publishedAt, id, snapshotMaxId] = await codec.decode(token, cursorFilters(filters));
      return { publishedAt, id, snapshotMaxId };
    },
  };
}

// Times are bound as milliseconds, so equal instants written differently share cursors.
function cursorFilters(filters: ParsedFilters): CursorFilters {
  return { topic: filters.topic, since: filters.since, until: filters.until };
}
