// Throughput and memory benchmarks for limit, mapConcurrent and mapConcurrentIter against the
// usual npm peers and a hand-written worker pool. Run with `pnpm bench` (node --expose-gc).
// Every contender gets the same work: TASKS trivial async tasks at CONCURRENCY, results checked.

import { newQueue } from "@henrygd/queue";
import { newQueue as newContextQueue } from "@henrygd/queue/async-storage";
import fastq from "fastq";
import pLimit from "p-limit";
import pMap from "p-map";
import PQueue from "p-queue";
import { limit } from "../src/limit.ts";
import { mapConcurrent, mapConcurrentIter } from "../src/map-concurrent.ts";
import { noContextLimit } from "./no-context-limit.ts";

const TASKS = 200_000;
const CONCURRENCY = 16;
const WARMUP_ROUNDS = 2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const STREAM_ITEMS = 2_000_000;
const STREAM_HEAP_LIMIT_MB = 20;

const items = Array.from({ length: TASKS }, (_, i) => i);
const expectedSum = (TASKS * (TASKS - 1)) / 2;
const task = async (i: number): Promise<number> => i;

type Contender = { name: string; run: () => Promise<number[]> };

// The baseline a careful engineer would write by hand: CONCURRENCY async loops sharing an index.
async function handWrittenPool(): Promise<number[]> {
  const results = new Array<number>(TASKS);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < TASKS) {
      const i = next++;
      results[i] = await task(items[i] as number);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

const mapContenders: Contender[] = [
  { name: "mapConcurrent", run: () => mapConcurrent(items, task, { concurrency: CONCURRENCY }) },
  { name: "p-map", run: () => pMap(items, task, { concurrency: CONCURRENCY }) },
  { name: "hand-written pool", run: handWrittenPool },
];

const limitContenders: Contender[] = [
  {
    name: "limit",
    run: () => {
      const run = limit(CONCURRENCY);
      return Promise.all(items.map((i) => run(() => task(i))));
    },
  },
  {
    name: "p-limit",
    run: () => {
      const run = pLimit(CONCURRENCY);
      return Promise.all(items.map((i) => run(() => task(i))));
    },
  },
  {
    name: "limit without context keeping",
    run: () => {
      const run = noContextLimit(CONCURRENCY);
      return Promise.all(items.map((i) => run(() => task(i))));
    },
  },
  {
    name: "@henrygd/queue",
    run: () => {
      const queue = newQueue(CONCURRENCY);
      return Promise.all(items.map((i) => queue.add(() => task(i))));
    },
  },
  {
    // The build of @henrygd/queue that keeps the caller's AsyncLocalStorage context, as limit does.
    name: "@henrygd/queue/async-storage",
    run: () => {
      const queue = newContextQueue(CONCURRENCY);
      return Promise.all(items.map((i) => queue.add(() => task(i))));
    },
  },
  {
    name: "p-queue",
    run: () => {
      const queue = new PQueue({ concurrency: CONCURRENCY });
      return Promise.all(items.map((i) => queue.add(() => task(i)) as Promise<number>));
    },
  },
  {
    name: "fastq",
    run: () => {
      const queue = fastq.promise(task, CONCURRENCY);
      return Promise.all(items.map((i) => queue.push(i)));
    },
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function check(name: string, results: number[]): void {
  let sum = 0;
  for (let i = 0; i < results.length; i++) sum += results[i] as number;
  if (results.length !== TASKS || sum !== expectedSum) {
    throw new Error(`${name} returned wrong results (${results.length} items, sum ${sum})`);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Median wall time per contender; rounds interleave contenders so drift hits all alike. */
async function measure(contenders: Contender[]): Promise<Map<string, number>> {
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const contender of contenders) {
      gc?.();
      const start = performance.now();
      const results = await contender.run();
      const elapsed = performance.now() - start;
      check(contender.name, results);
      if (round >= WARMUP_ROUNDS) times.get(contender.name)?.push(elapsed);
    }
  }
  return new Map([...times].map(([name, values]) => [name, median(values)]));
}

interface Row {
  benchmark: string;
  result: string;
  target: string;
  verdict: string;
}

const rows: Row[] = [];
const verdict = (met: boolean): string => (met ? "target met" : "MISSED");
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function timeRows(group: string, times: Map<string, number>, ours: string): void {
  const own = times.get(ours) as number;
  for (const [name, time] of times) {
    rows.push({
      benchmark: `${group}: ${name}`,
      result: `${ms(time)} (${name === ours ? "1.00x" : `${ratio(time, own)} of ${ours}`})`,
      target: "",
      verdict: "",
    });
  }
}

console.log(
  `node ${process.version}, ${TASKS.toLocaleString("en-US")} tasks \`async (i) => i\`, concurrency ${CONCURRENCY}, ` +
    `median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up${gc ? "" : " (no --expose-gc: GC noise included)"}\n`,
);

const mapTimes = await measure(mapContenders);
const limitTimes = await measure(limitContenders);

const mc = mapTimes.get("mapConcurrent") as number;
const pm = mapTimes.get("p-map") as number;
const pool = mapTimes.get("hand-written pool") as number;
const lim = limitTimes.get("limit") as number;
const pl = limitTimes.get("p-limit") as number;
const hq = limitTimes.get("@henrygd/queue") as number;
const hqContext = limitTimes.get("@henrygd/queue/async-storage") as number;
const noContext = limitTimes.get("limit without context keeping") as number;

timeRows("map", mapTimes, "mapConcurrent");
rows.push(
  {
    benchmark: "mapConcurrent vs p-map",
    result: `${ratio(pm, mc)} faster`,
    target: ">= 5x faster",
    verdict: verdict(pm / mc >= 5),
  },
  {
    benchmark: "mapConcurrent vs hand-written pool",
    result: `${ratio(mc, pool)} the pool's time`,
    target: "<= 2x the pool's time",
    verdict: verdict(mc / pool <= 2),
  },
);
timeRows("limit", limitTimes, "limit");
rows.push(
  {
    benchmark: "limit vs p-limit",
    result: `${ratio(pl, lim)} faster`,
    target: ">= 2x faster",
    verdict: verdict(pl / lim >= 2),
  },
  {
    // Like for like: both run a queued task in its caller's async context.
    benchmark: "limit vs @henrygd/queue/async-storage",
    result: `${ratio(lim, hqContext)} its time`,
    target: "<= 1.25x its time",
    verdict: verdict(lim / hqContext <= 1.25),
  },
  {
    // Reported, no target: this build runs a queued task in the releasing task's context.
    benchmark: "limit vs @henrygd/queue (no context keeping)",
    result: `${ratio(lim, hq)} its time`,
    target: "reported",
    verdict: "",
  },
  {
    benchmark: "context keeping, per queued call",
    result: `+${(((lim - noContext) * 1e6) / TASKS).toFixed(0)} ns (${ratio(lim, noContext)} the time without)`,
    target: "reported",
    verdict: "",
  },
);

// Streaming memory: a lazy input of STREAM_ITEMS items through mapConcurrentIter. Live heap is
// sampled after a full GC every 100,000 items; the growth is the largest sample minus the
// baseline taken before the stream started.
async function streamHeap(
  ordered: boolean,
): Promise<{ peakMb: number; retainedMb: number; time: number }> {
  function* source(): Generator<number> {
    for (let i = 0; i < STREAM_ITEMS; i++) yield i;
  }
  gc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let count = 0;
  let sum = 0;
  const start = performance.now();
  for await (const value of mapConcurrentIter(source(), task, {
    concurrency: CONCURRENCY,
    ordered,
  })) {
    sum += value;
    if (++count % 100_000 === 0) {
      gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  const time = performance.now() - start;
  if (count !== STREAM_ITEMS || sum !== (STREAM_ITEMS * (STREAM_ITEMS - 1)) / 2) {
    throw new Error(`mapConcurrentIter yielded ${count} items, sum ${sum}`);
  }
  gc?.();
  const after = process.memoryUsage().heapUsed;
  return { peakMb: (peak - baseline) / 2 ** 20, retainedMb: (after - baseline) / 2 ** 20, time };
}

for (const ordered of [true, false]) {
  const { peakMb, retainedMb, time } = await streamHeap(ordered);
  rows.push({
    benchmark: `mapConcurrentIter ${(STREAM_ITEMS / 1e6).toFixed(0)}M items, ${ordered ? "ordered" : "unordered"}`,
    result: `heap +${peakMb.toFixed(2)} MB peak, +${retainedMb.toFixed(2)} MB after (${ms(time)})`,
    target: `< ${STREAM_HEAP_LIMIT_MB} MB growth`,
    verdict: gc
      ? verdict(peakMb < STREAM_HEAP_LIMIT_MB && retainedMb < STREAM_HEAP_LIMIT_MB)
      : "needs --expose-gc",
  });
}

const headers = { benchmark: "benchmark", result: "result", target: "target", verdict: "verdict" };
const widths = Object.fromEntries(
  (Object.keys(headers) as (keyof Row)[]).map((key) => [
    key,
    Math.max(headers[key].length, ...rows.map((row) => row[key].length)),
  ]),
) as Record<keyof Row, number>;
const line = (row: Row): string =>
  `| ${(Object.keys(headers) as (keyof Row)[]).map((key) => row[key].padEnd(widths[key])).join(" | ")} |`;
console.log(line(headers));
console.log(
  `|${(Object.keys(headers) as (keyof Row)[]).map((key) => "-".repeat(widths[key] + 2)).join("|")}|`,
);
for (const row of rows) console.log(line(row));

if (rows.some((row) => row.verdict === "MISSED")) process.exitCode = 1;
