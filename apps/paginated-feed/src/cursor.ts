import { HttpProblem } from "@edge-async/http";
import { type CursorCodec, type CursorFilters, createCursorCodec } from "@edge-async/pagination";
import * as z from "zod";
import type { WalkPosition } from "./db/feed-store.ts";
import type { FeedEnv } from "./env.ts";
import type { ParsedFilters } from "./schemas.ts";

/**
 * The secret local development signs cursors with. It is public (it is in this file), so any
 * environment other than "development" must set CURSOR_SECRET as a secret.
 *
 * @example
 * ```ts
 * const secret = env.CURSOR_SECRET ?? (env.ENVIRONMENT === "development" ? DEV_CURSOR_SECRET : undefined);
 * ```
 */
export const DEV_CURSOR_SECRET = "dev-only-cursor-secret";

// [publishedAt, id, snapshotMaxId]: a tuple keeps the token short.
const positionSchema = z.tuple([
  z.number().int(),
  z.number().int().positive(),
  z.number().int().nonnegative(),
]);

/**
 * The cursor codec for feed walks, keyed by CURSOR_SECRET. Refuses to run (503) outside
 * development without a secret rather than sign with a known key.
 *
 * @example
 * ```ts
 * const cursors = feedCursors(c.env);
 * const token = await cursors.encode({ publishedAt: 1, id: 2, snapshotMaxId: 9 }, { topic: "rust" });
 * ```
 */
export function feedCursors(env: FeedEnv): {
  encode(position: WalkPosition, filters: ParsedFilters): Promise<string>;
  decode(token: string, filters: ParsedFilters): Promise<WalkPosition>;
} {
  const codec: CursorCodec<z.output<typeof positionSchema>> = createCursorCodec({
    secret: cursorSecret(env),
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

function cursorSecret(env: FeedEnv): string {
  if (env.CURSOR_SECRET !== undefined && env.CURSOR_SECRET !== "") return env.CURSOR_SECRET;
  if (env.ENVIRONMENT === "development") return DEV_CURSOR_SECRET;
  throw new HttpProblem(503, "not-configured", "Cursor secret missing", {
    detail:
      "CURSOR_SECRET is not set for this environment; run `wrangler secret put CURSOR_SECRET`.",
  });
}

// Times are bound as milliseconds, so equal instants written differently share cursors.
function cursorFilters(filters: ParsedFilters): CursorFilters {
  return { topic: filters.topic, since: filters.since, until: filters.until };
}
