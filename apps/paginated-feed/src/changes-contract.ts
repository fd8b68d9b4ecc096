/**
 * Wire shapes of the changes feed (`GET /v1/items/changes`), the delete route and the resumable
 * export's extra parameters and checkpoint line, as zod schemas (see src/contract.ts).
 *
 * @module
 */
import { digitsParam, text } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";
import { exportQuery, feedItem, sinceBeforeUntil } from "./contract.ts";

const token = (name: string, description: string) =>
  text(name)
    .min(1, `${name} must not be empty`)
    .max(1024, `${name} is too long`)
    .optional()
    .meta({ description });

/** Query of `GET /v1/items/changes`. */
export const changesQuery = z.strictObject({
  since: token(
    "since",
    "The `nextToken` of the previous call; absent, the feed starts from the first change",
  ),
  limit: pageParams({ defaultLimit: 100, maxLimit: 1000 }).limit,
});

/** An item created or updated since the token: its current state. */
export const itemChange = z.strictObject({
  id: z.number().int().positive(),
  deleted: z.literal(false),
  item: feedItem,
});

/** An item deleted since the token (or whose creation the mirror never saw). */
export const itemTombstone = z.strictObject({
  id: z.number().int().positive(),
  deleted: z.literal(true),
  deletedAt: z.iso.datetime().meta({ description: "ISO-8601, UTC" }),
});

/** One page of the changes feed, in change order. */
export const changesPage = z
  .strictObject({
    changes: z.array(z.discriminatedUnion("deleted", [itemChange, itemTombstone])),
    nextToken: z.string().meta({
      description: "Send as `since` for the changes after this page; present even when empty",
    }),
    hasMore: z.boolean().meta({ description: "true: more changes are waiting, call again now" }),
  })
  .meta({
    id: "ChangesPage",
    example: {
      changes: [
        {
          id: 10001,
          deleted: false,
          item: {
            id: 10001,
            externalKey: "hn:41234567",
            topic: "rust",
            title: "Keyset pagination in practice",
            url: "https://example.com/keyset",
            author: "Ada",
            summary: null,
            publishedAt: "2026-11-24T08:00:00.000Z",
            createdAt: "2026-11-24T00:48:55.688Z",
            updatedAt: "2026-11-24T00:48:55.688Z",
          },
        },
        { id: 9977, deleted: true, deletedAt: "2026-11-24T01:02:03.456Z" },
      ],
      nextToken: "WzEwMDAyXQ.3q2-7w",
      hasMore: false,
    },
  });

/** Most items between checkpoint lines that an export may ask for. */
export const MAX_CHECKPOINT_EVERY = 100_000;

/** Query of `GET /v1/items/export`: the filters, checkpoints on request, and `resume`. */
export const exportRouteQuery = z
  .strictObject({
    ...exportQuery.shape,
    checkpointEvery: digitsParam("checkpointEvery", { min: 1, max: MAX_CHECKPOINT_EVERY })
      .optional()
      .meta({
        description:
          "Write a checkpoint line after every this many items (none when absent, unless resuming)",
      }),
    resume: token(
      "resume",
      "A checkpoint line's `checkpoint`, with the same filters: continues after it",
    ),
  })
  .superRefine(sinceBeforeUntil);

/** A checkpoint line of the export: resume with `?resume=<checkpoint>` and the same filters. */
export const exportCheckpointLine = z
  .strictObject({
    checkpoint: z.string(),
    count: z.number().int().positive().meta({ description: "Items written before this line" }),
  })
  .meta({ id: "ExportCheckpoint" });

/** One change of the feed. */
export type Change = z.output<typeof changesPage>["changes"][number];
/** One page of the changes feed. */
export type ChangesPage = z.output<typeof changesPage>;
/** The changes feed's query as a caller sends it. */
export type ChangesQuery = Omit<z.input<typeof changesQuery>, "limit"> & { limit?: number };
/** The export's parsed query. */
export type ParsedExportQuery = z.output<typeof exportRouteQuery>;
/** A checkpoint line of the export. */
export type ExportCheckpointLine = z.output<typeof exportCheckpointLine>;
