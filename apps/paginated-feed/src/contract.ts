/**
 * The wire shapes of the feed API as zod schemas: the route declarations validate and document
 * with them, and the typed client's types are checked against their `z.input` / `z.output`.
 *
 * @module
 */
import { instantOrderMessage, keptAsSent, rfc3339DateTime, text } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";

/** Largest batch `POST /v1/items` accepts. */
export const MAX_INGEST_ITEMS = 100;

// Text is stored exactly as sent or refused (text()): nothing is trimmed, so a required field
// that is empty or only whitespace is refused rather than emptied.
const notBlank = /\S/;

// Control characters in a topic would end up in URLs, cursors and logs.
const topic = text("topic")
  .regex(notBlank, "topic must not be empty or only whitespace")
  .max(64, "topic must be at most 64 characters")
  .regex(/^[^\p{Cc}]*$/u, "topic must not contain control characters")
  .meta({ description: "Exact match; no control characters", example: "rust" });

// The shared RFC 3339 rule queue-worker reads its times by too: `t`/`z` in either case, kept to
// the millisecond, and within the years 0000-9999 in UTC, since stored instants are answered as
// RFC 3339 UTC and one past 9999 would read back as "+010000-…", which no client accepts.
const instant = (name: string) => rfc3339DateTime(name).transform((value) => Date.parse(value));

const filterShape = {
  topic: topic.optional(),
  since: instant("since").optional().meta({
    format: "date-time",
    description:
      "Only items published at or after this instant (RFC 3339 with a zone, to the millisecond)",
  }),
  until: instant("until").optional().meta({
    format: "date-time",
    description: "Only items published strictly before this instant; later than since",
  }),
};

/** `until` later than `since`, saying so when both fall in one millisecond (times are kept to it). */
export function sinceBeforeUntil(value: { since?: number; until?: number }, ctx: z.RefinementCtx) {
  if (value.since === undefined || value.until === undefined) return;
  const message = instantOrderMessage("until must be later than since", value.since, value.until);
  if (message !== undefined) ctx.addIssue({ code: "custom", path: ["until"], message });
}

/** Query of `GET /v1/items`; unknown keys are refused so a typo never widens a listing. */
export const listQuery = z
  .strictObject({
    ...pageParams({ defaultLimit: 20, maxLimit: 100 }),
    ...filterShape,
    count: z.enum(["estimate"], { error: 'count must be "estimate"' }).optional().meta({
      description:
        "`estimate` adds `total`: exact up to 10,000 items of the walk, else `exact: false` (at least 10,000); it never scans the table",
    }),
  })
  .superRefine(sinceBeforeUntil);

/** Query of `GET /v1/items/export`. */
export const exportQuery = z.strictObject(filterShape).superRefine(sinceBeforeUntil);

/** Path of `GET /v1/items/{id}`: a positive decimal integer, nothing else. */
export const itemParams = z.object({
  id: text("id")
    .regex(/^[1-9][0-9]{0,14}$/, "id must be a positive integer")
    .transform(Number)
    .meta({ example: "10001" }),
});

// "" means absent, as null has always meant; any other text is kept as sent.
const optionalText = (name: string, max: number) =>
  text(name)
    .max(max, `${name} must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value === undefined || value === null || value === "" ? null : value));

/**
 * One item of an ingest body. Unknown keys are refused so misspelt fields are not lost. Text is
 * stored exactly as sent (nothing trimmed) or refused, e.g. a lone UTF-16 surrogate, which D1
 * would read back as U+FFFD; only "" for author and summary means null.
 */
export const ingestItem = z.strictObject({
  externalKey: text("externalKey")
    .min(1, "externalKey must not be empty")
    .max(256, "externalKey must be at most 256 characters")
    .meta({ description: "The idempotency key" }),
  topic,
  title: text("title")
    .regex(notBlank, "title must not be empty or only whitespace")
    .max(500, "title must be at most 500 characters"),
  // z.url() trims and drops tabs and newlines: keptAsSent refuses what it would rewrite. The
  // leading z.string() refuses a non-string as text("url") would, and makes the input (and the
  // document) a string, where keptAsSent alone takes unknown.
  url: z
    .string()
    .pipe(
      keptAsSent(
        text("url")
          .max(2048, "url must be at most 2048 characters")
          .pipe(z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" })),
      ) as unknown as z.ZodType<string, string>,
    )
    .meta({ format: "uri", maxLength: 2048, description: "Absolute http(s) URL, kept as sent" }),
  author: optionalText("author", 200).meta({ description: '"" means null' }),
  summary: optionalText("summary", 5000).meta({ description: '"" means null' }),
  publishedAt: instant("publishedAt").meta({
    format: "date-time",
    description:
      "RFC 3339 date-time with a zone (Z or ±hh:mm), years 0000-9999 in UTC, kept to the millisecond",
  }),
});

/** Body of `POST /v1/items`: 1 to 100 items. */
export const ingestBody = z
  .strictObject({
    items: z
      .array(ingestItem)
      .min(1, "items must hold at least one item")
      .max(MAX_INGEST_ITEMS, `items must hold at most ${MAX_INGEST_ITEMS} items`),
  })
  .meta({
    example: {
      items: [
        {
          externalKey: "hn:41234567",
          topic: "rust",
          title: "Keyset pagination in practice",
          url: "https://example.com/keyset",
          author: "Ada",
          publishedAt: "2026-11-24T08:00:00Z",
        },
        {
          externalKey: "hn:41234568",
          topic: "go",
          title: "Backpressure, explained",
          url: "https://example.com/backpressure",
          publishedAt: "2026-11-24T07:30:00+01:00",
        },
      ],
    },
  });

const isoTime = z.iso.datetime().meta({ description: "ISO-8601, UTC" });

/** One feed item as every endpoint answers it. */
export const feedItem = z
  .strictObject({
    id: z.number().int().positive(),
    externalKey: z.string(),
    topic: z.string(),
    title: z.string(),
    url: z.string(),
    author: z.string().nullable(),
    summary: z.string().nullable(),
    publishedAt: isoTime,
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({
    id: "FeedItem",
    example: {
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
  });

/** One page of `GET /v1/items`. */
export const feedPage = z
  .strictObject({
    items: z.array(feedItem),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor`, with the same filters; null on the last page" }),
    hasMore: z.boolean(),
  })
  .meta({ id: "FeedPage" });

/** One page of `GET /v1/items`: a {@link feedPage} that also links back, and counts on request. */
export const feedListPage = feedPage
  .extend({
    prevCursor: z.string().nullable().meta({
      description:
        "Pass as `cursor`, with the same filters, for the page before (newer items); null on the first page",
    }),
    total: z
      .strictObject({
        count: z.number().int().nonnegative(),
        exact: z.boolean().meta({ description: "false: at least `count` (the count stops there)" }),
      })
      .optional()
      .meta({ description: "Only with `count=estimate`: how many items the whole walk holds" }),
  })
  .meta({ id: "FeedListPage" });

/** One entry of the `POST /v1/items` answer, in the order of the request's items. */
export const ingestResult = z.strictObject({
  id: z.number().int().positive(),
  externalKey: z.string(),
  created: z.boolean().meta({ description: "true when this request stored the key first" }),
  publishedAt: isoTime.meta({
    description: "The stored publishedAt: the first ingest's, which fixes the feed position",
  }),
});

/** The answer of `POST /v1/items`. */
export const ingestResponse = z.strictObject({ items: z.array(ingestResult) }).meta({
  example: {
    items: [
      {
        id: 10001,
        externalKey: "hn:41234567",
        created: true,
        publishedAt: "2026-11-24T08:00:00.000Z",
      },
      {
        id: 10002,
        externalKey: "hn:41234568",
        created: true,
        publishedAt: "2026-11-24T06:30:00.000Z",
      },
    ],
  },
});

/** One feed item as the API answers it (times as ISO-8601 UTC strings). */
export type FeedItem = z.output<typeof feedItem>;
/** One page of a paged answer (nextCursor only). */
export type FeedPage = z.output<typeof feedPage>;
/** One page of the listing, which pages both ways. */
export type FeedListPage = z.output<typeof feedListPage>;
/** One item of an ingest body as a caller sends it. */
export type IngestItem = z.input<typeof ingestItem>;
/** The ingest body as a caller sends it. */
export type IngestBody = z.input<typeof ingestBody>;
/** One entry of the ingest answer. */
export type IngestResult = z.output<typeof ingestResult>;
/** The ingest answer. */
export type IngestResponse = z.output<typeof ingestResponse>;
/** The listing's and the export's filters as a caller sends them. */
export type FeedFilters = z.input<typeof exportQuery>;
/** The listing's query as a caller sends it (the client sends numbers as text). */
export type PageQuery = Omit<z.input<typeof listQuery>, "limit"> & { limit?: number };
/** Parsed filters: times as epoch milliseconds. */
export type ParsedFilters = z.output<typeof exportQuery>;
/** A validated ingest item: times as epoch milliseconds, "" optional text as null. */
export type ParsedIngestItem = z.output<typeof ingestItem>;
