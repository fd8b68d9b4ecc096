/**
 * Benchmark: keyset pages against OFFSET pages, shallow and 150,000 items deep, the NDJSON
 * export's throughput (against the 250,000 items/s goal) and the changes feed's, measured over
 * HTTP against `wrangler dev` on a bench-only local database of 200,000 items (seeded fresh into
 * .wrangler/bench-state, never the dev database).
 *
 *   pnpm --filter @edge-async/paginated-feed bench [-- --items 200000 --depth 150000 --rounds 150]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEV_API_KEY } from "../scripts/dev-key.ts";
import { seed } from "../scripts/seed.ts";
import { packageDir, wrangler, wranglerBin } from "../scripts/wrangler.ts";
import { searchBench } from "./search.ts";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "200000" },
    depth: { type: "string", default: "150000" },
    rounds: { type: "string", default: "150" },
    "page-size": { type: "string", default: "20" },
  },
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
});
const ITEMS = Number(values.items);
const DEPTH = Number(values.depth);
const ROUNDS = Number(values.rounds);
const PAGE_SIZE = Number(values["page-size"]);
const WARMUP = 15;
const EXPORT_RUNS = 6;
const CHANGES_RUNS = 3;
const COMPARE_ROUNDS = 3;
const CHANGES_LIMIT = 1000;
// Issue 14's goal for the whole-feed export over HTTP.
const EXPORT_TARGET_PER_SECOND = 250_000;
const persistTo = join(packageDir, ".wrangler", "bench-state");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address !== null ? address.port : 0),
      );
    });
  });
}

/**
 * Bundles the worker once, so the `wrangler dev` below serves a fixed file: watching the sources
 * would restart it (and cut an export mid-stream) whenever anyone edits the shared packages.
 */
async function bundleWorker(): Promise<string> {
  const outdir = join(packageDir, ".wrangler", "bench-dist");
  await rm(outdir, { recursive: true, force: true });
  await wrangler(["deploy", "--dry-run", "--outdir", outdir]);
  return join(outdir, "index.js");
}

async function startWorker(): Promise<{
  base: string;
  child: ChildProcess;
  inspectorPort: number;
}> {
  const script = await bundleWorker();
  const port = await freePort();
  const inspectorPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      wranglerBin,
      "dev",
      script,
      "--no-bundle",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      persistTo,
      "--var",
      "ENVIRONMENT:development",
      "--var",
      "ENABLE_BENCH_ROUTES:true",
      "--log-level",
      "error",
    ],
    { cwd: packageDir, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CI: "1" } },
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${base}/v1/items?limit=1`);
      await response.arrayBuffer();
      if (response.ok) return { base, child, inspectorPort };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill("SIGTERM");
  throw new Error("wrangler dev did not become ready within 60 s");
}

// The bench routes need feed:admin; the worker runs in development, which accepts this key.
const ADMIN = { authorization: `Bearer ${DEV_API_KEY}` };

/**
 * One request, timed. The worker's rate limits stay on (they are part of every request's cost);
 * a 429 waits its Retry-After and asks again, and only the answered request is timed.
 */
async function timed(url: string): Promise<{ ms: number; body: string }> {
  for (;;) {
    const started = performance.now();
    const response = await fetch(url, { headers: url.includes("/__bench/") ? ADMIN : {} });
    const body = await response.text();
    const ms = performance.now() - started;
    if (response.status === 429) {
      const seconds = Number(response.headers.get("retry-after") ?? "60");
      console.log(`rate limited (${new URL(url).pathname}); waiting ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    if (!response.ok) throw new Error(`${url}: ${response.status} ${body}`);
    return { ms, body };
  }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 0 ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[mid]!;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function ids(body: string): number[] {
  return (JSON.parse(body) as { items: { id: number }[] }).items.map((item) => item.id);
}

async function exportRun(url: string): Promise<{ items: number; bytes: number; seconds: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: url.includes("/__bench/") ? ADMIN : {} });
  if (!response.ok || response.body === null) throw new Error(`export: ${response.status}`);
  let items = 0;
  let bytes = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    // indexOf, not a byte-by-byte loop: counting must cost far less than what it measures.
    for (let at = value.indexOf(10); at !== -1; at = value.indexOf(10, at + 1)) items += 1;
  }
  return { items, bytes, seconds: (performance.now() - started) / 1000 };
}

/** Drains the changes feed from its start, `limit` changes a call: changes read and seconds. */
async function changesRun(
  base: string,
  limit: number,
): Promise<{ items: number; seconds: number; calls: number }> {
  const started = performance.now();
  let items = 0;
  let calls = 0;
  let since: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (since !== undefined) query.set("since", since);
    const page = JSON.parse((await timed(`${base}/v1/items/changes?${query}`)).body) as {
      changes: unknown[];
      nextToken: string;
      hasMore: boolean;
    };
    calls += 1;
    items += page.changes.length;
    since = page.nextToken;
    if (!page.hasMore) break;
  }
  return { items, calls, seconds: (performance.now() - started) / 1000 };
}

/**
 * Samples the worker isolate's JS heap through the inspector (Chrome DevTools protocol), the
 * memory the export's code can grow. The workerd process's RSS would not do: D1's SQLite and its
 * page cache live in the same process.
 */
async function connectInspector(port: number) {
  // Wrangler's inspector proxy only accepts local origins.
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
    headers: { origin: "http://127.0.0.1" },
  } as unknown as string[]);
  const pending = new Map<number, (message: { result?: { usedSize?: number } }) => void>();
  let nextId = 0;
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: { usedSize?: number };
    };
    if (message.id !== undefined) pending.get(message.id)?.(message);
    if (message.id !== undefined) pending.delete(message.id);
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("inspector connection failed")), {
      once: true,
    });
  });
  async function heapUsedMiB(): Promise<number> {
    const id = ++nextId;
    const reply = await new Promise<{ result?: { usedSize?: number } }>((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method: "Runtime.getHeapUsage" }));
    });
    return (reply.result?.usedSize ?? Number.NaN) / 2 ** 20;
  }
  /** Runs `work` while sampling the heap every 10 ms; the lowest and highest sample. */
  async function peakDuring<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; low: number; peak: number }> {
    let peak = 0;
    let low = Number.POSITIVE_INFINITY;
    let running = true;
    const sampler = (async () => {
      while (running) {
        const used = await heapUsedMiB();
        if (!Number.isNaN(used)) peak = Math.max(peak, used);
        if (!Number.isNaN(used)) low = Math.min(low, used);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    try {
      const result = await work();
      return { result, low, peak };
    } finally {
      running = false;
      await sampler;
    }
  }
  return { heapUsedMiB, peakDuring, close: () => socket.close() };
}

/** Reads one chunk of the export, then stalls like a slow client, then hangs up. */
async function stalledExport(url: string, stallMs: number): Promise<number> {
  const response = await fetch(url);
  const reader = response.body!.getReader();
  const first = await reader.read();
  await new Promise((resolve) => setTimeout(resolve, stallMs));
  await reader.cancel();
  return first.value?.byteLength ?? 0;
}

const started = performance.now();
console.log(
  `paginated-feed bench: ${ITEMS.toLocaleString("en-US")} items, page size ${PAGE_SIZE}, depth ${DEPTH.toLocaleString("en-US")}, ${ROUNDS} rounds`,
);
await rm(persistTo, { recursive: true, force: true });
const seedStarted = performance.now();
const { total } = await seed({ count: ITEMS, persistTo });
const seedSeconds = (performance.now() - seedStarted) / 1000;
console.log(
  `seeded ${total.toLocaleString("en-US")} items into ${persistTo} in ${seedSeconds.toFixed(1)} s`,
);

const { base, child, inspectorPort } = await startWorker();
try {
  const { cursor } = JSON.parse(
    (await timed(`${base}/__bench/cursor-at?offset=${DEPTH}`)).body,
  ) as { cursor: string };
  // The deep page's prevCursor: walking back from it reads the page before, just as deep.
  const { prevCursor } = JSON.parse(
    (await timed(`${base}/v1/items?limit=${PAGE_SIZE}&cursor=${cursor}`)).body,
  ) as { prevCursor: string };
  const urls = {
    keysetFirst: `${base}/v1/items?limit=${PAGE_SIZE}`,
    keysetDeep: `${base}/v1/items?limit=${PAGE_SIZE}&cursor=${cursor}`,
    offsetFirst: `${base}/__bench/offset-page?limit=${PAGE_SIZE}&offset=0`,
    offsetDeep: `${base}/__bench/offset-page?limit=${PAGE_SIZE}&offset=${DEPTH}`,
    keysetBackDeep: `${base}/v1/items?limit=${PAGE_SIZE}&cursor=${prevCursor}`,
  };
  // Both methods must return the same rows, or the comparison means nothing.
  const [kf, kd, of, od, kb] = await Promise.all(Object.values(urls).map((url) => timed(url)));
  if (JSON.stringify(ids(kf!.body)) !== JSON.stringify(ids(of!.body)))
    throw new Error("first pages differ");
  if (JSON.stringify(ids(kd!.body)) !== JSON.stringify(ids(od!.body)))
    throw new Error("deep pages differ");
  const before = await timed(
    `${base}/__bench/offset-page?limit=${PAGE_SIZE}&offset=${DEPTH - PAGE_SIZE}`,
  );
  if (JSON.stringify(ids(kb!.body)) !== JSON.stringify(ids(before.body)))
    throw new Error("the backward deep page differs from the page before the deep one");

  const rowsRead = JSON.parse(
    (await timed(`${base}/__bench/rows-read?offset=${DEPTH}&limit=${PAGE_SIZE}`)).body,
  ) as Record<keyof typeof urls, number>;

  const samples: Record<keyof typeof urls, number[]> = {
    keysetFirst: [],
    keysetDeep: [],
    offsetFirst: [],
    offsetDeep: [],
    keysetBackDeep: [],
  };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // Interleaved, one request at a time, so all four see the same machine state.
    for (const key of Object.keys(urls) as (keyof typeof urls)[]) {
      const { ms } = await timed(urls[key]);
      if (round >= WARMUP) samples[key].push(ms);
    }
  }

  const inspector = await connectInspector(inspectorPort);
  const idleHeap = await inspector.heapUsedMiB();
  const topicRun = await inspector.peakDuring(() =>
    exportRun(`${base}/v1/items/export?topic=typescript`),
  );
  const topicExport = topicRun.result;
  // One sample series per run: memory that accumulated would show as a peak growing run by run.
  const wholeRuns: {
    result: { items: number; bytes: number; seconds: number };
    low: number;
    peak: number;
  }[] = [];
  for (let run = 0; run < EXPORT_RUNS; run++) {
    wholeRuns.push(await inspector.peakDuring(() => exportRun(`${base}/v1/items/export`)));
  }
  const exports = wholeRuns.map((run) => run.result);
  const stalled = await inspector.peakDuring(() => stalledExport(`${base}/v1/items/export`, 2000));
  inspector.close();
  const checkpointed = await exportRun(`${base}/v1/items/export?checkpointEvery=1000`);
  // The earlier implementation and the current one, alternated, so both see the same load.
  // With them, the export's D1 reads alone (its floor while rows come from local D1).
  const versus = { reference: [] as number[], tuned: [] as number[], reads: [] as number[] };
  let readsRun = { items: 0, bytes: 0 };
  for (let round = 0; round < COMPARE_ROUNDS; round++) {
    versus.reference.push((await exportRun(`${base}/__bench/export-reference`)).seconds);
    versus.tuned.push((await exportRun(`${base}/v1/items/export`)).seconds);
    const reads = await exportRun(`${base}/__bench/export-reads`);
    if (reads.items !== exports[0]!.items) throw new Error("the read-only export missed rows");
    versus.reads.push(reads.seconds);
    readsRun = reads;
  }
  const changeRuns: { items: number; seconds: number; calls: number }[] = [];
  for (let run = 0; run < CHANGES_RUNS; run++)
    changeRuns.push(await changesRun(base, CHANGES_LIMIT));

  const row = (name: string, key: keyof typeof urls, ratio: string) =>
    `| ${name.padEnd(34)} | ${median(samples[key]).toFixed(2).padStart(9)} | ${percentile(samples[key], 95).toFixed(2).padStart(8)} | ${ratio.padStart(22)} | ${String(rowsRead[key]).padStart(9)} |`;
  const kFirst = median(samples.keysetFirst);
  const oFirst = median(samples.offsetFirst);
  console.log("");
  const heading = `request (limit ${PAGE_SIZE}, over HTTP)`.padEnd(34);
  console.log(`| ${heading} | median ms |   p95 ms | ratio                  | rows read |`);
  console.log(
    `|${"-".repeat(36)}|${"-".repeat(11)}|${"-".repeat(10)}|${"-".repeat(24)}|${"-".repeat(11)}|`,
  );
  const deep = DEPTH.toLocaleString("en-US");
  const ratioOf = (a: number, b: number, what: string) => `${(a / b).toFixed(2)}x ${what}`;
  console.log(row("keyset, first page", "keysetFirst", "1.00x (baseline)"));
  console.log(
    row(
      `keyset, ${deep} deep`,
      "keysetDeep",
      ratioOf(median(samples.keysetDeep), kFirst, "of first"),
    ),
  );
  console.log(
    row("OFFSET peer, first page", "offsetFirst", ratioOf(oFirst, kFirst, "of keyset first")),
  );
  console.log(
    row(
      `OFFSET peer, ${deep} deep`,
      "offsetDeep",
      ratioOf(median(samples.offsetDeep), oFirst, "of first"),
    ),
  );
  console.log(
    row(
      `keyset backward, ${deep} deep`,
      "keysetBackDeep",
      ratioOf(median(samples.keysetBackDeep), median(samples.keysetDeep), "of forward deep"),
    ),
  );
  const backP95 = ratioOf(
    percentile(samples.keysetBackDeep, 95),
    percentile(samples.keysetDeep, 95),
    "(p95)",
  );
  console.log(
    `| ${"deep page: backward / forward".padEnd(34)} | ${" ".repeat(9)} | ${" ".repeat(8)} | ${backP95.padStart(22)} | ${" ".repeat(9)} |`,
  );
  const slower = ratioOf(median(samples.offsetDeep), median(samples.keysetDeep), "slower");
  const moreRows = `${Math.round(rowsRead.offsetDeep / rowsRead.keysetDeep)}x`;
  console.log(
    `| ${"deep page: OFFSET / keyset".padEnd(34)} | ${" ".repeat(9)} | ${" ".repeat(8)} | ${slower.padStart(22)} | ${moreRows.padStart(9)} |`,
  );
  console.log("");
  const target = EXPORT_TARGET_PER_SECOND.toLocaleString("en-US");
  console.log(
    `| export (NDJSON, over HTTP)         |   items |   MB | median s | median items/s | of ${target}/s target |`,
  );
  console.log(
    `|------------------------------------|---------|------|----------|----------------|${"-".repeat(target.length + 14)}|`,
  );
  const exportRow = (label: string, run: { items: number; bytes: number }, seconds: number) => {
    const rate = run.items / seconds;
    const ofTarget = `${(rate / EXPORT_TARGET_PER_SECOND).toFixed(2)}x`;
    console.log(
      `| ${label.padEnd(34)} | ${String(run.items).padStart(7)} | ${(run.bytes / 1e6).toFixed(1).padStart(4)} | ${seconds.toFixed(2).padStart(8)} | ${Math.round(rate).toLocaleString("en-US").padStart(14)} | ${ofTarget.padStart(target.length + 12)} |`,
    );
  };
  exportRow(
    `whole feed (${EXPORT_RUNS} runs)`,
    exports[0]!,
    median(exports.map((run) => run.seconds)),
  );
  exportRow("topic=typescript (1 run)", topicExport, topicExport.seconds);
  exportRow("whole feed, checkpointEvery=1000", checkpointed, checkpointed.seconds);
  const referenceSeconds = median(versus.reference);
  const tunedSeconds = median(versus.tuned);
  exportRow(`earlier export, ${COMPARE_ROUNDS} runs alternated`, exports[0]!, referenceSeconds);
  exportRow(`current export, ${COMPARE_ROUNDS} runs alternated`, exports[0]!, tunedSeconds);
  const readsSeconds = median(versus.reads);
  // Its MB is what it sends: one newline per row.
  exportRow(`D1 reads alone, ${COMPARE_ROUNDS} runs alternated`, readsRun, readsSeconds);
  const ratioRow = (label: string, ratio: number) =>
    console.log(
      `| ${label.padEnd(34)} | ${" ".repeat(7)} | ${" ".repeat(4)} | ${" ".repeat(8)} | ${`${ratio.toFixed(2)}x`.padStart(14)} | ${" ".repeat(target.length + 12)} |`,
    );
  ratioRow("current / earlier (items/s)", referenceSeconds / tunedSeconds);
  ratioRow("current / D1 reads alone (items/s)", readsSeconds / tunedSeconds);
  console.log("");
  console.log(
    `| changes feed (limit ${CHANGES_LIMIT}, over HTTP)  | changes | calls | median s | median items/s |`,
  );
  console.log(
    "|------------------------------------|---------|-------|----------|----------------|",
  );
  const changesSeconds = median(changeRuns.map((run) => run.seconds));
  console.log(
    `| ${`from the start (${CHANGES_RUNS} runs)`.padEnd(34)} | ${String(changeRuns[0]!.items).padStart(7)} | ${String(changeRuns[0]!.calls).padStart(5)} | ${changesSeconds.toFixed(2).padStart(8)} | ${Math.round(
      changeRuns[0]!.items / changesSeconds,
    )
      .toLocaleString("en-US")
      .padStart(14)} |`,
  );
  console.log("");
  for (const line of await searchBench(base, timed, ROUNDS, PAGE_SIZE)) console.log(line);
  console.log("");
  // Used heap includes garbage not yet collected: it saw-tooths. Memory that accumulated would
  // show as a floor (lowest sample) rising run after run.
  const mib = (value: number) => value.toFixed(1).padStart(9);
  console.log(
    "| worker isolate JS heap (inspector)                       | low MiB   | peak MiB  |",
  );
  console.log(
    "|----------------------------------------------------------|-----------|-----------|",
  );
  const line = (label: string, low: number, peak: number) =>
    console.log(`| ${label.padEnd(56)} | ${mib(low)} | ${mib(peak)} |`);
  line("idle, before the exports", idleHeap, idleHeap);
  line(`topic export (${(topicExport.bytes / 1e6).toFixed(1)} MB)`, topicRun.low, topicRun.peak);
  for (const [index, run] of wholeRuns.entries()) {
    line(
      `whole-feed export ${index + 1} (${(run.result.bytes / 1e6).toFixed(1)} MB)`,
      run.low,
      run.peak,
    );
  }
  line(
    `a client stalling 2 s after ${(stalled.result / 1024).toFixed(0)} KiB`,
    stalled.low,
    stalled.peak,
  );
  if (exports.some((run) => run.items !== total))
    throw new Error("an export did not return every item");
  // Checkpoint lines are lines too: one per 1,000 items.
  if (checkpointed.items !== total + Math.floor(total / 1000))
    throw new Error("the checkpointed export did not return every item and checkpoint");
  if (changeRuns.some((run) => run.items !== total))
    throw new Error("the changes feed did not return every item");
  console.log("");
  console.log(
    `seeding ${seedSeconds.toFixed(1)} s; whole benchmark ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  child.kill("SIGTERM");
}
