/**
 * Wire shapes of the changes feed (`GET /v1/items/changes`), the delete route and the resumable
 * export's extra parameters and checkpoint line, as zod schemas (see src/contract.ts).
 *
 * @module
 */
import { text } from "@edge-async/http";
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

/**
 * The value of plain decimal digits (an optional minus sign, leading zeros allowed), or `text`
 * itself otherwise; past 15 significant digits clamped to ±MAX_SAFE_INTEGER, so a long number is
 * told the bound it misses. The reading of pageParams' `limit`, which does not export it.
 */
function digitsValue(text: string): number | string {
  const match = /^(-?)0*([0-9]+)$/.exec(text);
  if (match === null) return text;
  const [, sign, significant = ""] = match;
  const magnitude =
    significant.length > 15 ? Number.MAX_SAFE_INTEGER : Number.parseInt(significant, 10);
  return sign === "-" ? -magnitude : magnitude;
}

const NOT_PLAIN_DIGITS = `checkpointEvery must be a whole number from 1 to ${MAX_CHECKPOINT_EVERY}, in plain digits`;

/** Query of `GET /v1/items/export`: the filters, checkpoints on request, and `resume`. */
export const exportRouteQuery = z
  .strictObject({
    ...exportQuery.shape,
    // Plain digits, as `limit` (pageParams): Number() would read "1e3", " 1000", "0x10", "1.0"
    // and "+5" as numbers. A minus sign is read, so "-1" is told the bound it misses.
    checkpointEvery: z
      .preprocess(
        (value) => (typeof value === "string" ? digitsValue(value) : value),
        z
          .number({ error: NOT_PLAIN_DIGITS })
          .int(NOT_PLAIN_DIGITS)
          .min(1, "checkpointEvery must be at least 1")
          .max(MAX_CHECKPOINT_EVERY, `checkpointEvery must be at most ${MAX_CHECKPOINT_EVERY}`),
      )
      .optional()
      .meta({
        type: "integer",
        minimum: 1,
        maximum: MAX_CHECKPOINT_EVERY,
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
