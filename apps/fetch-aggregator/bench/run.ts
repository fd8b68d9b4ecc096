/**
 * Benchmark of fetch-aggregator against a local upstream with fixed latency, over HTTP against
 * the worker running in workerd (wrangler's `unstable_dev`). Loopback only, bounded in time.
 *
 * 1. Fan-out efficiency: one call of 100 upstream requests of 20 ms each at concurrency 10,
 *    against the ideal of 10 waves x 20 ms = 200 ms (target: within 1.15x).
 * 2. Throughput under load (autocannon): /v1/aggregate fanning out to 10 upstream requests,
 *    against /v1/proxy passing a single upstream request through.
 *
 *   pnpm --filter @edge-async/fetch-aggregator bench [-- --rounds 9 --duration 5]
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mapConcurrent } from "@edge-async/async-utils";
import autocannon from "autocannon";
import { experimental_readRawConfig, unstable_dev } from "wrangler";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "9" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
  },
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
});
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const LATENCY_MS = 20;
const FAN_OUT = 100;
const CONCURRENCY = 10;
const LOAD_FAN_OUT = 10;

const packageDir = fileURLToPath(new URL("..", import.meta.url));
/**
 * The development key (`DEV_API_KEY` of packages/http, whose Workers types the Node typecheck
 * cannot load), accepted because the bench runs with ENVIRONMENT=development.
 */
const AUTH = { authorization: "Bearer ea_dev_local-development-only-never-deploy" };
/** Calls and upstream requests per minute allowed to the bench's one key: more than a run sends. */
const BENCH_LIMIT = 10_000_000;

/**
 * wrangler.jsonc with its rate limiting bindings raised to {@link BENCH_LIMIT}: the bench measures
 * the gateway, not the limits (the limiters are still asked on every call). Written under
 * .wrangler/, with absolute paths since it lives elsewhere.
 */
function benchConfig(): string {
  const { rawConfig } = experimental_readRawConfig({ config: `${packageDir}wrangler.jsonc` });
  const path = `${packageDir}.wrangler/bench/wrangler.json`;
  mkdirSync(`${packageDir}.wrangler/bench`, { recursive: true });
  const {
    $schema: _schema,
    env: _environments,
    ...config
  } = rawConfig as typeof rawConfig & {
    $schema?: string;
  };
  writeFileSync(
    path,
    JSON.stringify({
      ...config,
      main: `${packageDir}src/index.ts`,
      assets: { directory: `${packageDir}public` },
      ratelimits: (config.ratelimits ?? []).map((binding: { simple: object }) => ({
        ...binding,
        simple: { ...binding.simple, limit: BENCH_LIMIT },
      })),
    }),
  );
  return path;
}

/** Starts bench/upstream.ts in its own process and reads its port. */
async function startUpstream(): Promise<{
  port: number;
  served: () => Promise<number>;
  close: () => void;
}> {
  const child = spawn(process.execPath, [`${packageDir}bench/upstream.ts`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  const port = Number(first.value);
  if (first.done || !(port > 0)) throw new Error("the upstream did not start");
  return {
    port,
    served: async () => {
      child.stdin.write("count\n");
      return Number((await lines.next()).value);
    },
    close: () => child.stdin.end(),
  };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function table(rows: (string | number)[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => String(row[column]).length))) ?? [];
  const line = (row: (string | number)[]) =>
    `| ${row.map((cell, column) => String(cell).padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [
    line(head ?? []),
    `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

const upstream = await startUpstream();
const upstreamBase = `http://127.0.0.1:${upstream.port}`;
const worker = await unstable_dev(`${packageDir}src/index.ts`, {
  config: benchConfig(),
  ip: "127.0.0.1",
  inspect: false,
  logLevel: "error",
  vars: {
    ENVIRONMENT: "development",
    REQUESTS_PER_KEY_PER_MINUTE: BENCH_LIMIT,
    MAX_SUBREQUESTS_PER_KEY_PER_MINUTE: BENCH_LIMIT,
    ALLOWED_HOSTS: [`127.0.0.1:${upstream.port}`],
    ALLOW_PRIVATE_NETWORKS: true,
    MAX_REQUESTS: 100,
    MAX_CONCURRENCY: 20,
    DEFAULT_RETRIES: 0,
    CACHE_TTL_SECONDS: 0,
  },
  experimental: { disableExperimentalWarning: true },
});
const base = `http://${worker.address}:${worker.port}`;

const exitTimer = setTimeout(() => {
  console.error("bench: giving up after 110 s");
  process.exit(1);
}, 110_000);

try {
  // 1. Fan-out efficiency.
  const fanOutBody = (round: number) =>
    JSON.stringify({
      concurrency: CONCURRENCY,
      deadlineMs: 10_000,
      // Distinct URLs, so coalescing cannot shortcut the work.
      requests: Array.from({ length: FAN_OUT }, (_, n) => ({
        url: `${upstreamBase}/delay/${LATENCY_MS}?r=${round}&n=${n}`,
        retries: 0,
      })),
    });
  const callOnce = async (round: number) => {
    const started = performance.now();
    const response = await fetch(`${base}/v1/aggregate`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: fanOutBody(round),
    });
    const answer = (await response.json()) as {
      summary: { succeeded: number; durationMs: number };
    };
    const clientMs = performance.now() - started;
    if (answer.summary.succeeded !== FAN_OUT)
      throw new Error(`only ${answer.summary.succeeded} of ${FAN_OUT} succeeded`);
    return { workerMs: answer.summary.durationMs, clientMs };
  };
  for (let warm = 0; warm < 3; warm++) await callOnce(-1 - warm);
  const workerSamples: number[] = [];
  const clientSamples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { workerMs, clientMs } = await callOnce(round);
    workerSamples.push(workerMs);
    clientSamples.push(clientMs);
  }
  // The floor this machine allows: the same fan-out made by Node itself, no worker in between
  // (timer slack of the upstream plus loopback HTTP per wave).
  const directSamples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await mapConcurrent(
      Array.from({ length: FAN_OUT }, (_, n) => n),
      async (n, _index, signal) => {
        const response = await fetch(`${upstreamBase}/delay/${LATENCY_MS}?direct=${round}&n=${n}`, {
          signal,
        });
        await response.arrayBuffer();
      },
      { concurrency: CONCURRENCY },
    );
    directSamples.push(performance.now() - started);
  }
  const directMedian = median(directSamples);
  const ideal = (FAN_OUT / CONCURRENCY) * LATENCY_MS;
  const workerMedian = median(workerSamples);
  const clientMedian = median(clientSamples);

  // 2. Throughput under load.
  const proxyUrl = `${base}/v1/proxy?url=${encodeURIComponent(`${upstreamBase}/delay/${LATENCY_MS}`)}`;
  const aggregateBody = JSON.stringify({
    concurrency: LOAD_FAN_OUT,
    requests: Array.from({ length: LOAD_FAN_OUT }, (_, n) => ({
      url: `${upstreamBase}/delay/${LATENCY_MS}?n=${n}`,
      retries: 0,
    })),
  });
  await autocannon({ url: proxyUrl, headers: AUTH, connections: CONNECTIONS, duration: 1 });
  const proxy = await autocannon({
    url: proxyUrl,
    headers: AUTH,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  const fanOut = await autocannon({
    url: `${base}/v1/aggregate`,
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: aggregateBody,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });

  console.log(
    `\nfetch-aggregator bench: upstream latency ${LATENCY_MS} ms, Node ${process.version}, loopback\n`,
  );
  console.log(
    table([
      ["scenario", "measured", "reference", "ratio"],
      [
        `${FAN_OUT} calls x ${LATENCY_MS} ms @ concurrency ${CONCURRENCY} (worker summary, median of ${ROUNDS})`,
        `${workerMedian.toFixed(0)} ms`,
        `ideal ${ideal} ms`,
        `${(workerMedian / ideal).toFixed(3)}x ${workerMedian / ideal <= 1.15 ? "(<= 1.15 target)" : "(OVER 1.15 target)"}`,
      ],
      [
        `same fan-out from Node directly, no worker (median of ${ROUNDS})`,
        `${directMedian.toFixed(0)} ms`,
        `ideal ${ideal} ms`,
        `${(directMedian / ideal).toFixed(3)}x (worker / direct: ${(workerMedian / directMedian).toFixed(3)}x)`,
      ],
      [
        `same, client round trip (median of ${ROUNDS})`,
        `${clientMedian.toFixed(0)} ms`,
        `ideal ${ideal} ms`,
        `${(clientMedian / ideal).toFixed(3)}x`,
      ],
      [
        `GET /v1/proxy, 1 upstream call (${CONNECTIONS} conns, ${DURATION_S} s)`,
        `${proxy.requests.average.toFixed(0)} req/s (p50 ${proxy.latency.p50} ms, p99 ${proxy.latency.p99} ms)`,
        `${proxy.requests.average.toFixed(0)} upstream/s`,
        "1.000x (baseline)",
      ],
      [
        `POST /v1/aggregate, ${LOAD_FAN_OUT} upstream calls (${CONNECTIONS} conns, ${DURATION_S} s)`,
        `${fanOut.requests.average.toFixed(0)} req/s (p50 ${fanOut.latency.p50} ms, p99 ${fanOut.latency.p99} ms)`,
        `${(fanOut.requests.average * LOAD_FAN_OUT).toFixed(0)} upstream/s`,
        `${(fanOut.requests.average / proxy.requests.average).toFixed(3)}x req/s, ${((fanOut.requests.average * LOAD_FAN_OUT) / proxy.requests.average).toFixed(2)}x upstream/s`,
      ],
    ]),
  );
  const problems = proxy.non2xx + proxy.errors + fanOut.non2xx + fanOut.errors;
  console.log(
    `\nnon-2xx or errors under load: ${problems}; upstream requests served in total: ${await upstream.served()}`,
  );
  console.log(`fan-out rounds (worker ms): ${workerSamples.join(", ")}`);
} finally {
  clearTimeout(exitTimer);
  await worker.stop();
  upstream.close();
}
