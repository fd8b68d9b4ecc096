import { paginate } from "@edge-async/async-utils";
import {
  createApi,
  HttpProblem,
  jsonResponse,
  NDJSON_HEADERS,
  ndjsonStream,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { desc, max } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import * as z from "zod";
import { feedItem } from "../contract.ts";
import { feedCursors } from "../cursor.ts";
import {
  feedDb,
  readPage,
  selectPage,
  selectPageBefore,
  type WalkPosition,
} from "../db/feed-store.ts";
import { type ItemRow, items } from "../db/schema.ts";
import type { App } from "../env.ts";
import { EXPORT_PAGE_SIZE, rawPage, startingPosition } from "../export-feed.ts";
import { toFeedItem } from "../item-json.ts";
import { readLimit } from "../limits.ts";

const offsetQuery = z.strictObject({
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .meta({
      // The generator would call it optional and nullable (coercion takes null to 0); a type in
      // the metadata replaces its guess whole, so the bounds are repeated.
      type: "integer",
      minimum: 0,
      maximum: 10_000_000,
      param: { required: true },
      description: "Items to skip, in feed order",
    }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const OFF = "Benchmark routes are off (ENABLE_BENCH_ROUTES is not true)";

// feed:admin even though the routes are off in production: a deep OFFSET page reads every row
// before it (what D1 bills), so a deployment that turned them on by mistake is still not open.
const BENCH_ACCESS = { scope: "feed:admin" } as const;
const accessProblems = {
  401: "No valid credentials were sent",
  403: "The credentials lack feed:admin",
  429: "More requests than READ_REQUESTS_PER_MINUTE from this key",
};
const NOT_CONFIGURED = "Neither API_KEYS nor a JWT issuer is set outside development";

// Runs after the access check and before the query is validated, so a caller allowed to use the
// routes learns only that they are off.
const benchOnly: MiddlewareHandler<App> = async (c, next) => {
  if (!c.var.config.benchRoutes) {
    throw new HttpProblem(404, "not-found", "Not Found", { detail: "Benchmark routes are off." });
  }
  await next();
};

const offsetPage = secureRoute({
  access: BENCH_ACCESS,
  method: "get",
  path: "/offset-page",
  tags: ["bench"],
  summary: "Bench only: a page by OFFSET, the peer the keyset listing is measured against",
  middleware: [readLimit, benchOnly] as const,
  request: { query: offsetQuery },
  responses: {
    200: jsonResponse(z.strictObject({ items: z.array(feedItem) }), "The page"),
    ...problemResponses({
      400: "offset or limit is invalid",
      404: OFF,
      ...accessProblems,
      503: `${NOT_CONFIGURED} (not-configured)`,
    }),
  },
});

const cursorAt = secureRoute({
  access: BENCH_ACCESS,
  method: "get",
  path: "/cursor-at",
  tags: ["bench"],
  summary: "Bench only: a signed cursor positioned offset items deep",
  description: "Found once by OFFSET, so the benchmark can ask for a deep keyset page directly.",
  middleware: [readLimit, benchOnly] as const,
  request: { query: offsetQuery },
  responses: {
    200: jsonResponse(z.strictObject({ cursor: z.string() }), "The cursor"),
    ...problemResponses({
      400: "offset or limit is invalid",
      404: `${OFF}, or there is no item at offset`,
      ...accessProblems,
      503: `${NOT_CONFIGURED}, or CURSOR_SECRET is not set outside development (not-configured)`,
    }),
  },
});

const count = z.number().int().nonnegative();
const rowsRead = secureRoute({
  access: BENCH_ACCESS,
  method: "get",
  path: "/rows-read",
  tags: ["bench"],
  summary: "Bench only: the rows D1 reads (what it bills) for keyset and OFFSET pages",
  middleware: [readLimit, benchOnly] as const,
  request: { query: offsetQuery },
  responses: {
    200: jsonResponse(
      z.strictObject({
        keysetFirst: count,
        keysetDeep: count,
        keysetBackDeep: count.meta({ description: "The page before the deep one, walked back" }),
        offsetFirst: count,
        offsetDeep: count,
      }),
      "rows_read of each page query",
    ),
    ...problemResponses({
      400: "offset or limit is invalid",
      404: `${OFF}, or there is no item at offset`,
      ...accessProblems,
      503: `${NOT_CONFIGURED} (not-configured)`,
    }),
  },
});

const exportReference = secureRoute({
  access: BENCH_ACCESS,
  method: "get",
  path: "/export-reference",
  tags: ["bench"],
  summary: "Bench only: the whole-feed export as it was before it was tuned, its speed's peer",
  description:
    "500-row drizzle pages through paginate, one toFeedItem and JSON.stringify per item, 16 KiB chunks from ndjsonStream: the same bytes as GET /v1/items/export, produced the earlier way, so the benchmark can compare the two in one run on the same machine state.",
  middleware: [readLimit, benchOnly] as const,
  responses: {
    200: {
      description: "One FeedItem per line",
      content: { "application/x-ndjson": { schema: feedItem } },
    },
    ...problemResponses({ 404: OFF, ...accessProblems, 503: `${NOT_CONFIGURED} (not-configured)` }),
  },
});

const exportReads = secureRoute({
  access: BENCH_ACCESS,
  method: "get",
  path: "/export-reads",
  tags: ["bench"],
  summary: "Bench only: the whole-feed export's D1 reads alone, its floor",
  description:
    "Reads every page exactly as GET /v1/items/export does (same query, columns and page size) and writes one newline per row, formatting nothing: the time the export cannot go below while its rows come from D1.",
  middleware: [readLimit, benchOnly] as const,
  responses: {
    200: { description: "One empty line per item", content: { "application/x-ndjson": {} } },
    ...problemResponses({ 404: OFF, ...accessProblems, 503: `${NOT_CONFIGURED} (not-configured)` }),
  },
});

/** {@link exportReads}' stream: the export's pages read one after another, a newline per row. */
function readsOnlyExport(d1: D1Database, signal: AbortSignal): ReadableStream<Uint8Array> {
  let position: WalkPosition | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        signal.throwIfAborted();
        position ??= await startingPosition(feedDb(d1), undefined);
        const rows = await rawPage(d1, {}, position, EXPORT_PAGE_SIZE);
        const last = rows.at(-1);
        if (last !== undefined) {
          position = { ...position, publishedAt: last[7] as number, id: last[0] as number };
          controller.enqueue(new Uint8Array(rows.length).fill(10));
        }
        if (rows.length < EXPORT_PAGE_SIZE) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The export's earlier implementation, kept only as the benchmark's reference. */
function referenceExport(db: ReturnType<typeof feedDb>, signal: AbortSignal) {
  async function* lines() {
    const rows = paginate<ItemRow, WalkPosition>(
      async (after) => {
        const page = await readPage(db, {}, after, 500);
        return { items: page.rows, nextCursor: page.next };
      },
      { signal },
    );
    for await (const row of rows) yield toFeedItem(row);
  }
  return ndjsonStream(lines(), { signal });
}

const noItemAt = (offset: number) =>
  new HttpProblem(404, "not-found", "Not Found", { detail: `No item at ${offset}.` });

/** Rows D1 reads for a drizzle query, as its result metadata reports them. */
async function rowsReadBy(
  d1: D1Database,
  statement: { toSQL(): { sql: string; params: unknown[] } },
): Promise<number> {
  const { sql, params } = statement.toSQL();
  const result = await d1
    .prepare(sql)
    .bind(...params)
    .all();
  return result.meta.rows_read;
}

/**
 * Benchmark-only routes under `/__bench`, each answering 404 unless ENABLE_BENCH_ROUTES is "true"
 * and needing feed:admin: they give OFFSET peers and deep cursors for `bench/run.ts`, and must
 * never serve in production.
 */
export const benchRoutes = createApi<App>()
  .openapi(exportReference, (c) => {
    const body = referenceExport(feedDb(c.env.DB), c.var.signal);
    // zod-openapi types JSON and text answers only (it reads x-ndjson as no JSON at all).
    return c.body(body, 200, { ...NDJSON_HEADERS }) as never;
  })
  .openapi(exportReads, (c) => {
    const body = readsOnlyExport(c.env.DB, c.var.signal);
    return c.body(body, 200, { ...NDJSON_HEADERS }) as never;
  })
  .openapi(offsetPage, async (c) => {
    const { offset, limit } = c.req.valid("query");
    const rows = await feedDb(c.env.DB)
      .select()
      .from(items)
      .orderBy(desc(items.publishedAt), desc(items.id))
      .limit(limit)
      .offset(offset);
    return c.json({ items: rows.map(toFeedItem) }, 200);
  })
  .openapi(cursorAt, async (c) => {
    const { offset } = c.req.valid("query");
    const db = feedDb(c.env.DB);
    const [highest, found] = await db.batch([
      db.select({ maxId: max(items.id) }).from(items),
      db
        .select({ id: items.id, publishedAt: items.publishedAt })
        .from(items)
        .orderBy(desc(items.publishedAt), desc(items.id))
        .limit(1)
        .offset(offset - 1),
    ]);
    const row = found[0];
    if (offset === 0 || row === undefined) throw noItemAt(offset);
    const cursor = await feedCursors(c.var.config).encode(
      { publishedAt: row.publishedAt, id: row.id, snapshotMaxId: highest[0]?.maxId ?? 0 },
      {},
    );
    return c.json({ cursor }, 200);
  })
  .openapi(rowsRead, async (c) => {
    const { offset, limit } = c.req.valid("query");
    const db = feedDb(c.env.DB);
    const [deepest] = await db
      .select({ id: items.id, publishedAt: items.publishedAt })
      .from(items)
      .orderBy(desc(items.publishedAt), desc(items.id))
      .limit(1)
      .offset(Math.max(0, offset - 1));
    if (offset === 0 || deepest === undefined) throw noItemAt(offset);
    const byOffset = (skip: number) =>
      db
        .select()
        .from(items)
        .orderBy(desc(items.publishedAt), desc(items.id))
        .limit(limit)
        .offset(skip);
    const position = { ...deepest, snapshotMaxId: Number.MAX_SAFE_INTEGER };
    return c.json(
      {
        keysetFirst: await rowsReadBy(c.env.DB, selectPage(db, {}, undefined, limit + 1)),
        keysetDeep: await rowsReadBy(c.env.DB, selectPage(db, {}, position, limit + 1)),
        keysetBackDeep: await rowsReadBy(c.env.DB, selectPageBefore(db, {}, position, limit + 1)),
        offsetFirst: await rowsReadBy(c.env.DB, byOffset(0)),
        offsetDeep: await rowsReadBy(c.env.DB, byOffset(offset)),
      },
      200,
    );
  });
