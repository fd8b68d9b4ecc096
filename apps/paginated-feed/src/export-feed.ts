import { remainingMs, TimeoutError } from "@edge-async/async-utils";
import { desc, max } from "drizzle-orm";
import type { ParsedExportQuery } from "./changes-contract.ts";
import { type ExportCheckpoint, exportCheckpoints } from "./changes-tokens.ts";
import type { Config } from "./config.ts";
import type { ParsedFilters } from "./contract.ts";
import { type FeedDb, feedDb, pageWhere, type WalkPosition } from "./db/feed-store.ts";
import { items } from "./db/schema.ts";

/**
 * Rows per D1 query, and per chunk of the stream: a D1 query has a fixed cost (about 1.7 ms in
 * local D1), paid once per page. Two pages (about 2 MiB of NDJSON each) are all the export holds.
 */
export const EXPORT_PAGE_SIZE = 5000;

// A position before every stored item: publishedAt and id never come near 2^53.
const BEFORE_ALL = Number.MAX_SAFE_INTEGER;
const encoder = new TextEncoder();

/**
 * A raw `items` row as the export reads it with `.raw()`: id, external_key, topic, title, url,
 * author, summary, published_at, created_at, updated_at (the columns of {@link EXPORT_COLUMNS}).
 */
export type RawItemRow = readonly unknown[];

/** What an export line needs, in {@link RawItemRow}'s order: not `owner`, which D1 would carry for nothing. */
const EXPORT_COLUMNS = {
  id: items.id,
  externalKey: items.externalKey,
  topic: items.topic,
  title: items.title,
  url: items.url,
  author: items.author,
  summary: items.summary,
  publishedAt: items.publishedAt,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
};

// Characters JSON.stringify would escape or replace: quotes, backslashes, controls, surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes exactly these controls.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** `JSON.stringify(text)`; most stored text needs no escaping, which a regular expression tells. */
const quote = (text: unknown) =>
  typeof text === "string" && !NEEDS_ESCAPE.test(text) ? `"${text}"` : JSON.stringify(text);
const nullable = (value: unknown) => (value === null ? "null" : quote(value));

const DAY = 86_400_000;
// toISOString is four-digit-year "YYYY-MM-DDTHH:mm:ss.sssZ" only within 0000-9999 (what the API
// stores); outside, it is left to do.
const FIRST_INSTANT = Date.parse("0000-01-01T00:00:00.000Z");
const LAST_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");
const dayPrefixes = new Map<number, string>();
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()`, with the date part ("YYYY-MM-DDT") computed once per day: three
 * times per item, Date formatting was the largest single cost of the export.
 */
let lastMs = Number.NaN;
let lastIso = "";

function iso(value: unknown): string {
  const ms = value as number;
  // createdAt and updatedAt are often equal, and a batch's rows share them.
  if (ms === lastMs) return lastIso;
  lastIso = formatIso(ms);
  lastMs = ms;
  return lastIso;
}

function formatIso(ms: number): string {
  if (!Number.isInteger(ms) || ms < FIRST_INSTANT || ms > LAST_INSTANT) {
    return new Date(ms).toISOString();
  }
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const rest = ms - day * DAY;
  const seconds = Math.floor(rest / 1000);
  return `${prefix}${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}.${three(rest % 1000)}Z`;
}

/**
 * One export line: exactly `JSON.stringify(toFeedItem(row)) + "\n"`, written field by field from
 * the raw row. It skips building an object per item and the generic serializer's walk over it,
 * which were most of the export's CPU time; `test/export-resume.test.ts` checks the bytes match.
 */
export function itemLine(row: RawItemRow): string {
  return `{"id":${row[0]},"externalKey":${quote(row[1])},"topic":${quote(row[2])},"title":${quote(row[3])},"url":${quote(row[4])},"author":${nullable(row[5])},"summary":${nullable(row[6])},"publishedAt":"${iso(row[7])}","createdAt":"${iso(row[8])}","updatedAt":"${iso(row[9])}"}\n`;
}

/**
 * One page's lines, UTF-8 encoded line by line into one buffer: concatenating a page into one
 * string and encoding that cost more, as the engine first flattens the concatenated string.
 */
class PageBytes {
  #buffer: Uint8Array;
  #length = 0;

  /** `capacity` in bytes: a guess that saves copies when right; the buffer grows when it is not. */
  constructor(capacity: number) {
    this.#buffer = new Uint8Array(capacity);
  }

  write(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.#buffer.length - this.#length < line.length * 3) {
      const grown = new Uint8Array(
        Math.max(this.#buffer.length * 2, this.#length + line.length * 3),
      );
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#length += encoder.encodeInto(line, this.#buffer.subarray(this.#length)).written;
  }

  done(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}

/**
 * The SELECT of one export page: {@link selectPage}'s rows, seek and order, with only
 * {@link EXPORT_COLUMNS}.
 */
export function selectExportPage(
  db: FeedDb,
  filters: ParsedFilters,
  after: WalkPosition,
  limit: number,
) {
  return db
    .select(EXPORT_COLUMNS)
    .from(items)
    .where(pageWhere(filters, after))
    .orderBy(desc(items.publishedAt), desc(items.id))
    .limit(limit);
}

/**
 * Up to `limit` raw rows after `after` in feed order, within its snapshot (the export's pages;
 * the benchmark's read-only export reads the same).
 */
export async function rawPage(
  d1: D1Database,
  filters: ParsedFilters,
  after: WalkPosition,
  limit: number,
): Promise<RawItemRow[]> {
  const { sql, params } = selectExportPage(feedDb(d1), filters, after, limit).toSQL();
  return d1
    .prepare(sql)
    .bind(...params)
    .raw();
}

/** Where the export starts: after a checkpoint, or before everything up to today's highest id. */
export async function startingPosition(db: FeedDb, from: ExportCheckpoint | undefined) {
  if (from !== undefined) return { ...from };
  // Pages are bounded by `id <= snapshotMaxId`, so reading the bound first pins the export to the
  // items that existed now, as a client walk is pinned (see readPage).
  const [highest] = await db.select({ maxId: max(items.id) }).from(items);
  return { publishedAt: BEFORE_ALL, id: BEFORE_ALL, snapshotMaxId: highest?.maxId ?? 0 };
}

/**
 * Throws once the request is over: its signal aborted, or its deadline reached by the clock. The
 * clock matters because the deadline's timer runs as a task of its own, which can come after the
 * continuation of the D1 read that outlasted it; a page read past the deadline is not sent.
 */
function stopIfDone(signal: AbortSignal): void {
  signal.throwIfAborted();
  if (remainingMs(signal) === 0) {
    throw new TimeoutError("The request's deadline passed during the export");
  }
}

/**
 * The export as an NDJSON byte stream: one line per item, newest first, pinned to the items that
 * existed when it started, plus a checkpoint line `{"checkpoint":"<signed>","count":N}` after
 * every `checkpointEvery`-th item when asked. `resume` (a checkpoint) continues after it with the
 * same snapshot and interval. Pull-based (`highWaterMark: 0`) with one page of read-ahead: D1
 * reads the next page while the client takes the current one, and a slow client holds the export
 * at those two pages. A 400 for a bad `resume`, a 503 when checkpoints need CURSOR_SECRET, and a
 * TimeoutError when the deadline passed while the first page was read (a 504) are thrown before
 * the first byte. `signal` is the
 * request's (`c.var.signal`): once the client goes away or its `request-timeout-ms` runs out, no
 * more pages are read or written and the stream errors, which breaks the transfer off (the
 * bytes sent end at a page's last line; only the broken transfer tells the export was cut).
 */
export async function exportStream(
  d1: D1Database,
  query: ParsedExportQuery,
  signal: AbortSignal,
  config: Config,
): Promise<ReadableStream<Uint8Array>> {
  const { checkpointEvery, resume, ...filters } = query;
  const signer =
    checkpointEvery === undefined && resume === undefined ? undefined : exportCheckpoints(config);
  const from = resume === undefined ? undefined : await signer!.decode(resume, filters);
  const every = checkpointEvery ?? from?.every;
  let count = from?.count ?? 0;
  let position: WalkPosition | undefined;

  async function page(): Promise<{ bytes: Uint8Array; last: boolean }> {
    position ??= await startingPosition(feedDb(d1), from);
    const rows = await rawPage(d1, filters, position, EXPORT_PAGE_SIZE);
    // About 420 bytes a line in the benchmark's feed; the headroom covers longer text.
    const bytes = new PageBytes(rows.length * 512 + 1024);
    for (const row of rows) {
      bytes.write(itemLine(row));
      count += 1;
      if (every !== undefined && count % every === 0) {
        const at = { ...position, publishedAt: row[7] as number, id: row[0] as number };
        const checkpoint = await signer!.encode({ ...at, count, every }, filters);
        bytes.write(`{"checkpoint":${quote(checkpoint)},"count":${count}}\n`);
      }
    }
    const lastRow = rows.at(-1);
    if (lastRow !== undefined) {
      position = { ...position, publishedAt: lastRow[7] as number, id: lastRow[0] as number };
    }
    return { bytes: bytes.done(), last: rows.length < EXPORT_PAGE_SIZE };
  }

  // The page after the one the client is reading: D1 works on it while the bytes before it travel,
  // so the two overlap; never more than one page ahead, so a slow client still holds the export.
  let ahead: Promise<{ bytes: Uint8Array; last: boolean }> | undefined;
  async function pullPage(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    // The client went away or its deadline passed: D1 calls cannot be aborted, so stop
    // between them, before asking for another page and before writing the one just read.
    stopIfDone(signal);
    const { bytes, last } = await (ahead ?? page());
    ahead = undefined;
    stopIfDone(signal);
    if (bytes.byteLength > 0) controller.enqueue(bytes);
    if (last) {
      controller.close();
      return;
    }
    ahead = page();
    // Awaited by the next pull; if the stream is cut first, its failure is nobody's to report.
    ahead.catch(() => {});
  }
  // The first page is read before the answer starts, so a deadline it outlasts (or a D1
  // failure) is still a 504 or 500 problem, not a 200 broken off before its first byte.
  const first = await page();
  stopIfDone(signal);
  ahead = Promise.resolve(first);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Any failure (the deadline, the client gone, D1) errors the stream through its
        // controller, so the chunked transfer breaks off instead of ending as if complete. A
        // rejected pull would do the same but is logged by workerd as an uncaught exception.
        try {
          await pullPage(controller);
        } catch (error) {
          controller.error(error);
        }
      },
    },
    { highWaterMark: 0 },
  );
}
