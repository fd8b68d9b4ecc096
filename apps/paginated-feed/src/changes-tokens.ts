import { HttpProblem } from "@edge-async/http";
import { type CursorCodec, createCursorCodec } from "@edge-async/pagination";
import * as z from "zod";
import type { Config } from "./config.ts";
import type { ParsedFilters } from "./contract.ts";
import { feedCursors } from "./cursor.ts";

/** Where an interrupted export stands: the last item written, its snapshot, items written so far. */
export interface ExportCheckpoint {
  publishedAt: number;
  id: number;
  snapshotMaxId: number;
  /** Items written before this checkpoint, counted from the export's first line. */
  count: number;
  /** Items between checkpoint lines. */
  every: number;
}

const changeTokenSchema = z.tuple([z.number().int().nonnegative()]);
// [publishedAt, id, snapshotMaxId, count, every]: a tuple keeps the line short.
const checkpointSchema = z.tuple([
  z.number().int(),
  z.number().int().positive(),
  z.number().int().nonnegative(),
  z.number().int().positive(),
  z.number().int().positive(),
]);

/**
 * The codec's 400 names `cursor`; these tokens travel as other parameters, so the problem names
 * the one the caller sent.
 */
async function naming<T>(parameter: string, source: string, decode: () => Promise<T>): Promise<T> {
  try {
    return await decode();
  } catch (error) {
    if (!(error instanceof HttpProblem) || error.status !== 400) throw error;
    const why = String(error.details.detail ?? "")
      .replace(/^The cursor/, "It")
      .replace("the nextCursor of a previous page", source)
      .replace("without a cursor", `without ${parameter}`);
    const detail = `${parameter} is not a token this feed signed as is. ${why}`.trim();
    throw new HttpProblem(400, "invalid-cursor", "Invalid cursor", {
      detail,
      errors: [{ parameter, detail }],
    });
  }
}

/** The secret feed cursors use; `feedCursors` throws the 503 not-configured problem without one. */
function secretOf(config: Config): string {
  feedCursors(config);
  return config.cursorSecret!;
}

/**
 * Signs and reads the changes feed's tokens (a position in the `item_changes` log). Purpose
 * `paginated-feed.changes.v1`, so a listing cursor or an export checkpoint is refused as a token.
 */
export function changeTokens(config: Config) {
  const codec: CursorCodec<z.output<typeof changeTokenSchema>> = createCursorCodec({
    secret: secretOf(config),
    purpose: "paginated-feed.changes.v1",
    schema: changeTokenSchema,
  });
  return {
    encode: (seq: number) => codec.encode([seq], {}),
    decode: (token: string) =>
      naming(
        "since",
        "the nextToken of a previous call",
        async () => (await codec.decode(token, {}))[0],
      ),
  };
}

/**
 * Signs and reads export checkpoints, bound to the export's filters (as milliseconds, like feed
 * cursors), under purpose `paginated-feed.export.v1`.
 */
export function exportCheckpoints(config: Config) {
  const codec: CursorCodec<z.output<typeof checkpointSchema>> = createCursorCodec({
    secret: secretOf(config),
    purpose: "paginated-feed.export.v1",
    schema: checkpointSchema,
  });
  const bound = (filters: ParsedFilters) => ({
    topic: filters.topic,
    since: filters.since,
    until: filters.until,
  });
  return {
    encode: (at: ExportCheckpoint, filters: ParsedFilters) =>
      codec.encode([at.publishedAt, at.id, at.snapshotMaxId, at.count, at.every], bound(filters)),
    decode: (token: string, filters: ParsedFilters): Promise<ExportCheckpoint> =>
      naming("resume", "the checkpoint of a checkpoint line", async () => {
        const [publishedAt, id, snapshotMaxId, count, every] = await codec.decode(
          token,
          bound(filters),
        );
        return { publishedAt, id, snapshotMaxId, count, every };
      }),
  };
}
