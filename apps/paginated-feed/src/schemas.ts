import { keptAsSent, text } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";

/**
 * Largest batch `POST /v1/items` accepts.
 *
 * @example
 * ```ts
 * for (let i = 0; i < all.length; i += MAX_INGEST_ITEMS) await feed.ingest(all.slice(i, i + MAX_INGEST_ITEMS));
 * ```
 */
export const MAX_INGEST_ITEMS = 100;

// Text is stored exactly as sent or refused (text()): nothing is trimmed, so a required field
// that is empty or only whitespace is refused rather than emptied.
const notBlank = /\S/;

// Control characters in a topic would end up in URLs, cursors and logs.
const topic = text("topic")
  .regex(notBlank, "topic must not be empty or only whitespace")
  .max(64, "topic must be at most 64 characters")
  .regex(/^[^\p{Cc}]*$/u, "topic must not contain control characters");

const instant = (name: string) =>
  text(name)
    .pipe(
      z.iso.datetime({
        offset: true,
        error: `${name} must be an ISO-8601 date-time such as 2026-11-20T08:30:00Z`,
      }),
    )
    .transform((value) => Date.parse(value))
    .refine((ms) => Number.isSafeInteger(ms), `${name} is out of range`);

const filterShape = {
  topic: topic.optional(),
  since: instant("since").optional(),
  until: instant("until").optional(),
};

function sinceBeforeUntil(value: { since?: number; until?: number }, ctx: z.RefinementCtx) {
  if (value.since !== undefined && value.until !== undefined && value.since >= value.until) {
    ctx.addIssue({ code: "custom", path: ["until"], message: "until must be later than since" });
  }
}

/**
 * Query of `GET /v1/items`; unknown keys are refused so a typo never widens a listing.
 *
 * @example
 * ```ts
 * listQuery.parse({ limit: "5", topic: "rust" }); // { limit: 5, topic: "rust" }
 * ```
 */
export const listQuery = z
  .strictObject({ ...pageParams({ defaultLimit: 20, maxLimit: 100 }), ...filterShape })
  .superRefine(sinceBeforeUntil);

/**
 * Query of `GET /v1/items/export`.
 *
 * @example
 * ```ts
 * exportQuery.parse({ since: "2026-11-01T00:00:00Z" }); // { since: 1793491200000 }
 * ```
 */
export const exportQuery = z.strictObject(filterShape).superRefine(sinceBeforeUntil);

/**
 * Path of `GET /v1/items/:id`: a positive decimal integer, nothing else.
 *
 * @example
 * ```ts
 * itemParams.parse({ id: "42" }); // { id: 42 }
 * ```
 */
export const itemParams = z.object({
  id: text("id")
    .regex(/^[1-9][0-9]{0,14}$/, "id must be a positive integer")
    .transform(Number),
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
 *
 * @example
 * ```ts
 * ingestItem.parse({ externalKey: "k", topic: "rust", title: "T", url: "https://x.dev", publishedAt: "2026-11-20T08:30:00Z" });
 * ```
 */
export const ingestItem = z.strictObject({
  externalKey: text("externalKey")
    .min(1, "externalKey must not be empty")
    .max(256, "externalKey must be at most 256 characters"),
  topic,
  title: text("title")
    .regex(notBlank, "title must not be empty or only whitespace")
    .max(500, "title must be at most 500 characters"),
  // z.url() trims and drops tabs and newlines: keptAsSent refuses what it would rewrite.
  url: keptAsSent(
    text("url")
      .max(2048, "url must be at most 2048 characters")
      .pipe(z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" })),
  ),
  author: optionalText("author", 200),
  summary: optionalText("summary", 5000),
  publishedAt: instant("publishedAt"),
});

/**
 * Body of `POST /v1/items`.
 *
 * @example
 * ```ts
 * app.post("/v1/items", jsonBody(ingestBody), (c) => c.json(c.req.valid("json").items.length));
 * ```
 */
export const ingestBody = z.strictObject({
  items: z
    .array(ingestItem)
    .min(1, "items must hold at least one item")
    .max(MAX_INGEST_ITEMS, `items must hold at most ${MAX_INGEST_ITEMS} items`),
});

/** Parsed filters: times as epoch milliseconds. */
export type ParsedFilters = z.output<typeof exportQuery>;
/** A validated ingest item: times as epoch milliseconds, "" optional text as null. */
export type ParsedIngestItem = z.output<typeof ingestItem>;
