/**
 * Tops the local D1 database up with realistic feed items:
 *
 *   pnpm --filter @edge-async/paginated-feed seed -- --count 100000 [--persist-to DIR]
 *
 * makes sure items `seed:0`..`seed:99999` exist and prints how many it added and how many the
 * database holds now ("added 90,000 (seed:0..seed:99,999); the database holds 100,002 items").
 *
 * Fast path: the items are written as multi-row INSERT statements into one SQL file that a single
 * `wrangler d1 execute --local --file` runs, instead of 100,000 requests or bound statements.
 * Keys are `seed:<n>` and conflicts are ignored, so seeding twice does not duplicate anything.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { countLocalItems, migrateLocal, packageDir, persistArgs, wrangler } from "./wrangler.ts";

const TOPICS = [
  ["rust", 14],
  ["typescript", 16],
  ["go", 9],
  ["python", 13],
  ["databases", 8],
  ["cloudflare", 7],
  ["security", 9],
  ["ai", 12],
  ["devops", 6],
  ["web", 6],
] as const;
const TOPIC_WEIGHT = TOPICS.reduce((sum, [, weight]) => sum + weight, 0);
const ADJECTIVES = [
  "Practical",
  "Fearless",
  "Faster",
  "Boring",
  "Honest",
  "Hidden",
  "Incremental",
  "Zero-copy",
  "Async",
  "Typed",
  "Small",
  "Resilient",
];
const SUBJECTS = [
  "pagination",
  "error handling",
  "connection pools",
  "keyset cursors",
  "cache invalidation",
  "backpressure",
  "retries",
  "migrations",
  "observability",
  "structured concurrency",
  "rate limits",
  "streaming parsers",
];
const ENDINGS = [
  "in production",
  "without the footguns",
  "at the edge",
  "for small teams",
  "we learned the hard way",
  "in 200 lines",
  "explained",
  "revisited",
  "a field guide",
  "by example",
];
const DOMAINS = [
  "blog.example.dev",
  "engineering.example.com",
  "news.example.org",
  "weekly.example.io",
  "notes.example.net",
];
const AUTHORS = [
  "Ada Byron",
  "Grace Hopper",
  "Linus Ng",
  "Margaret Hamilton",
  "Ken Okafor",
  "Barbara Liskov",
  "Radia Perlman",
  "Dennis Moreau",
  "Frances Allen",
  "Yukihiro Sato",
];
const SENTENCES = [
  "A walk through the trade-offs with benchmarks you can rerun.",
  "We replaced a pile of ad-hoc code with one small primitive.",
  "What broke, what we measured, and what we changed.",
  "Notes from running it for a year under real traffic.",
  "The short version: measure first, then make the common path boring.",
  "Includes a checklist and the mistakes to avoid.",
];

/** Small deterministic PRNG, so item n is the same item on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

function sqlText(value: string | null): string {
  return value === null ? "NULL" : `'${value.replaceAll("'", "''")}'`;
}

/** One seeded item as a SQL VALUES tuple. */
export function seedRow(n: number, anchor: number, now: number): string {
  const random = mulberry32(n * 2654435761);
  let roll = random() * TOPIC_WEIGHT;
  let topic: string = TOPICS[0][0];
  for (const [name, weight] of TOPICS) {
    roll -= weight;
    if (roll < 0) {
      topic = name;
      break;
    }
  }
  const title = `${pick(random, ADJECTIVES)} ${pick(random, SUBJECTS)} ${pick(random, ENDINGS)}`;
  // Two years back, on whole minutes: many items share a publishedAt, as real feeds do.
  const publishedAt = anchor - Math.floor(random() * 730 * 1440) * 60_000;
  const date = new Date(publishedAt);
  const slug = title.toLowerCase().replaceAll(/[^a-z0-9]+/g, "-");
  const url = `https://${pick(random, DOMAINS)}/${date.getUTCFullYear()}/${String(date.getUTCMonth() + 1).padStart(2, "0")}/${slug}-${n}`;
  const author = random() < 0.15 ? null : pick(random, AUTHORS);
  const first = Math.floor(random() * SENTENCES.length);
  const second = (first + 1 + Math.floor(random() * (SENTENCES.length - 1))) % SENTENCES.length;
  const sentences = random() < 0.5 ? [first] : [first, second];
  const summary = random() < 0.1 ? null : sentences.map((index) => SENTENCES[index]).join(" ");
  return `(${sqlText(`seed:${n}`)},${sqlText(topic)},${sqlText(title)},${sqlText(url)},${sqlText(author)},${sqlText(summary)},${publishedAt},${now},${now})`;
}

// About 400 bytes a row: 200 rows stay under D1's 100 KB limit on one statement's text.
const ROWS_PER_STATEMENT = 200;

/** Writes the seed SQL for items `from`..`to - 1` and returns the file's path. */
async function writeSeedSql(from: number, to: number): Promise<string> {
  const now = Date.now();
  // Anchored to the hour so reruns within an hour generate identical items.
  const anchor = Math.floor(now / 3_600_000) * 3_600_000;
  const statements: string[] = [];
  for (let start = from; start < to; start += ROWS_PER_STATEMENT) {
    const rows: string[] = [];
    for (let n = start; n < Math.min(to, start + ROWS_PER_STATEMENT); n++)
      rows.push(seedRow(n, anchor, now));
    statements.push(
      `INSERT INTO items (external_key, topic, title, url, author, summary, published_at, created_at, updated_at) VALUES\n${rows.join(",\n")}\nON CONFLICT(external_key) DO NOTHING;`,
    );
  }
  const dir = join(packageDir, ".wrangler", "tmp");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `seed-${from}-${to}-${process.pid}.sql`);
  await writeFile(file, `${statements.join("\n")}\n`);
  return file;
}

export interface SeedOptions {
  count: number;
  /** Local state folder (wrangler's `--persist-to`); default: wrangler's own `.wrangler/state`. */
  persistTo?: string;
  log?: (line: string) => void;
}

/** What a seed did: items added, and items the database holds afterwards. */
export interface SeedResult {
  added: number;
  total: number;
}

/**
 * Migrates the local database, then inserts items `seed:0`..`seed:<count-1>` (those already there
 * are left alone, so a second run adds only what is missing).
 */
export async function seed(options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  await migrateLocal(options.persistTo);
  const before = await countLocalItems(options.persistTo);
  // Files of at most 50,000 rows keep wrangler's memory modest on big seeds.
  const perFile = 50_000;
  for (let from = 0; from < options.count; from += perFile) {
    const to = Math.min(options.count, from + perFile);
    const file = await writeSeedSql(from, to);
    try {
      await wrangler([
        "d1",
        "execute",
        "DB",
        "--local",
        "--yes",
        "--file",
        file,
        ...persistArgs(options.persistTo),
      ]);
    } finally {
      await rm(file, { force: true });
    }
    if (options.count > perFile)
      log(`wrote ${to.toLocaleString("en-US")} of ${options.count.toLocaleString("en-US")}`);
  }
  const total = await countLocalItems(options.persistTo);
  const added = total - before;
  const range =
    options.count === 0
      ? "nothing asked"
      : `seed:0..seed:${(options.count - 1).toLocaleString("en-US")}`;
  log(
    `added ${added.toLocaleString("en-US")} (${range}, ${(options.count - added).toLocaleString("en-US")} already there); the database holds ${total.toLocaleString("en-US")} items (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  return { added, total };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { count: { type: "string", default: "10000" }, "persist-to": { type: "string" } },
    // `pnpm seed -- --count 5` passes a literal "--" through.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
  });
  const count = Number(values.count);
  if (!Number.isSafeInteger(count) || count < 0) {
    console.error(`--count must be a non-negative integer, got ${values.count}`);
    process.exit(2);
  }
  await seed({ count, persistTo: values["persist-to"], log: (line) => console.log(line) });
}
