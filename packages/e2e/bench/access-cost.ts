/**
 * Benchmark: what access control (authentication, scope check, rate limiting) adds to the latency
 * of `GET /v1/items?limit=20` (paginated-feed, reads private) and `POST /v1/jobs` (queue-worker),
 * against the same worker code built without it, in one run. Target: at most 5% more median
 * latency.
 *
 *   pnpm --filter @edge-async/e2e bench   (BENCH_SECONDS=2.5 BENCH_ROUNDS=6 BENCH_CONNECTIONS=10;
 *                                          BENCH_SPLIT=1 adds an arm whose limiter answers from memory)
 *
 * Each app runs twice with wrangler's unstable_startWorker on 127.0.0.1, each on its own fresh
 * local D1 (seeded or migrated once, then copied): as configured, in production mode with a real
 * `API_KEYS` secret and a key made by packages/http's `createApiKey`; and built with wrangler's
 * module `alias` pointing `@edge-async/http` at bench/http-without-access.ts, which drops the
 * access check and the rate limiter and keeps everything else. Both get the same bindings, the
 * rate limiting bindings raised far past what the bench sends, and the same requests (the key
 * included). The arms take turns in short rounds (15 s each in all by default), in an order that
 * reverses every round, each after a short warm-up: on a shared 2-core machine the load of other
 * work drifts, and short turns spread that drift over both arms instead of over one.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createApiKey } from "../../http/src/access/api-keys.ts";
import { type Bindings, ROUTES, type RouteBench, UNLIMITED } from "./access-routes.ts";
import { type Answer, drive, median, percentile, send, type Target } from "./load.ts";

// Keeps wrangler's per-request lines out of the table (lifted while the databases are prepared:
// those wrangler CLIs must print their JSON).
const LOG_LEVEL = process.env.WRANGLER_LOG ?? "error";
process.env.WRANGLER_LOG = LOG_LEVEL;
// Miniflare would otherwise look up Cloudflare's `Request.cf` object over the network; the
// placeholder is enough, and the bench talks to 127.0.0.1 only.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const { unstable_readConfig, unstable_startWorker } = await import("wrangler");

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2.5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP_SECONDS = 0.5;
/** At most 5% more median latency with access control than without. */
const TARGET_RATIO = 1.05;
const repoRoot = join(import.meta.dirname, "..", "..", "..");

/**
 * `with`: the workers as configured. `without`: built with `@edge-async/http` aliased to a copy
 * without the access check and the rate limiter. `memory` (only with BENCH_SPLIT=1): everything of
 * `with` but the rate limiting binding, which answers from memory, to tell the project's own cost
 * from that of the local (emulated) binding.
 */
type Arm = "with" | "memory" | "without";
const ARMS: Arm[] =
  process.env.BENCH_SPLIT === "1" ? ["with", "memory", "without"] : ["with", "without"];
const ALIASES: Record<Arm, string | undefined> = {
  with: undefined,
  memory: join(import.meta.dirname, "http-limiter-in-memory.ts"),
  without: join(import.meta.dirname, "http-without-access.ts"),
};
const NAMES: Record<Arm, string> = {
  with: "with access",
  memory: "limiter in memory",
  without: "without",
};

/** The app's own rate limiting bindings (read from its wrangler.jsonc), limits raised. */
function raisedLimiters(configPath: string): Bindings {
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  return Object.fromEntries(
    config.ratelimits.map(
      (binding: { name: string; namespace_id: string; simple: { period: number } }) => [
        binding.name,
        {
          type: "ratelimit",
          namespace_id: binding.namespace_id,
          simple: { limit: UNLIMITED, period: binding.simple.period },
        },
      ],
    ),
  );
}

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
const running = new Set<Worker>();

async function startArm(bench: RouteBench, arm: Arm, persist: string, apiKeys: string) {
  const config = join(repoRoot, "apps", bench.app, "wrangler.jsonc");
  const worker = await unstable_startWorker({
    config,
    name: `${bench.app}-${arm}-access-bench`,
    bindings: {
      ...raisedLimiters(config),
      ...bench.bindings,
      // Production: the real key ring, no development key, nothing left open.
      ENVIRONMENT: { type: "plain_text", value: "production" },
      API_KEYS: { type: "secret_text", value: apiKeys },
    } as never,
    ...(ALIASES[arm] === undefined
      ? {}
      : { build: { alias: { "@edge-async/http": ALIASES[arm] } } }),
    dev: {
      persist,
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
    },
  });
  running.add(worker);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    worker.ready,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${bench.app} (${arm}) not ready in 60 s`)),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return new URL(await worker.url).origin;
}

async function stopAll(): Promise<void> {
  const workers = [...running];
  running.clear();
  await Promise.allSettled(workers.map((worker) => worker.dispose()));
}

/**
 * Proves each build is what it claims before anything is timed: the real worker refuses a request
 * without the key (401) and names its rate limit; so does the build whose limiter answers from
 * memory, which also marks its answers; the build without access serves the request and names no
 * limit. A broken alias fails here instead of reporting a 0% cost.
 */
async function checkArms(
  bench: RouteBench,
  bases: Partial<Record<Arm, string>>,
  authorization: string,
) {
  const anonymous = (target: Target) => {
    const { authorization: _, ...headers } = target.headers;
    return { ...target, headers };
  };
  const answers: Partial<Record<Arm, Answer>> = {};
  for (const arm of ARMS) {
    const target = bench.target(bases[arm]!, authorization);
    const refused = (await send(anonymous(target))).status;
    const answer = await send(target);
    const limited = answer.headers["ratelimit-policy"] !== undefined;
    const inMemory = answer.headers["x-bench-limiter"] === "in-memory";
    if (
      refused !== (arm === "without" ? target.expect : 401) ||
      answer.status !== target.expect ||
      limited !== (arm !== "without") ||
      inMemory !== (arm === "memory")
    ) {
      throw new Error(
        `${bench.app} ${NAMES[arm]}: ${refused} without the key, ${answer.status} with it, ${limited ? "a" : "no"} RateLimit-Policy, ${inMemory ? "an" : "no"} X-Bench-Limiter: not the build it should be`,
      );
    }
    answers[arm] = answer;
  }
  bench.same?.(answers.with!, answers.without!);
}

interface Measured {
  bench: RouteBench;
  /** Every request's latency (ms), all rounds pooled. */
  samples: Record<Arm, number[]>;
  /** Each round's median (ms), in round order: the spread the machine's load adds. */
  rounds: Record<Arm, number[]>;
}

/** Starts every arm of `bench` on its own copy of one prepared state, checks them, drives them. */
async function measure(bench: RouteBench): Promise<Measured> {
  const state = await mkdtemp(join(tmpdir(), `${bench.app}-access-bench-`));
  try {
    const prepared = join(state, "prepared");
    delete process.env.WRANGLER_LOG;
    await bench.prepare(prepared).finally(() => {
      process.env.WRANGLER_LOG = LOG_LEVEL;
    });
    // The same id as the stand-in principal of http-without-access.ts: the same owner everywhere.
    const { key, entry } = await createApiKey({
      id: "bench",
      name: "access-cost bench",
      scopes: bench.scopes,
    });
    const bases: Partial<Record<Arm, string>> = {};
    for (const arm of ARMS) {
      await cp(prepared, join(state, arm), { recursive: true });
      bases[arm] = await startArm(bench, arm, join(state, arm), JSON.stringify([entry]));
    }
    const authorization = `Bearer ${key}`;
    await checkArms(bench, bases, authorization);
    const result: Measured = {
      bench,
      samples: { with: [], memory: [], without: [] },
      rounds: { with: [], memory: [], without: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternated, so no arm always runs on a warmer (or busier) machine.
      const order = round % 2 === 0 ? ARMS : [...ARMS].reverse();
      for (const arm of order) {
        const target = bench.target(bases[arm]!, authorization);
        await drive(target, CONNECTIONS, WARMUP_SECONDS);
        const samples = await drive(target, CONNECTIONS, SECONDS);
        result.samples[arm].push(...samples);
        result.rounds[arm].push(median(samples));
        console.error(
          `${bench.label} round ${round + 1} ${NAMES[arm]}: median ${median(samples).toFixed(2)} ms, ${(samples.length / SECONDS).toFixed(0)} req/s`,
        );
      }
    }
    return result;
  } finally {
    await stopAll();
    await rm(state, { recursive: true, force: true });
  }
}

/** The table's row for `result`: latencies, rates, the ratio of medians and the verdict. */
function row({ bench, samples, rounds }: Measured): { cells: string[]; met: boolean } {
  const ms = (values: number[]) =>
    `${median(values).toFixed(2)} / ${percentile(values, 99).toFixed(2)}`;
  const without = samples.without;
  const ratio = median(samples.with) / median(without);
  const met = ratio <= TARGET_RATIO;
  const cells = [bench.label, ms(samples.with)];
  if (ARMS.includes("memory"))
    cells.push(`${ms(samples.memory)} (${(median(samples.memory) / median(without)).toFixed(3)})`);
  cells.push(
    ms(without),
    ARMS.map((arm) => (samples[arm].length / (ROUNDS * SECONDS)).toFixed(0)).join(" / "),
    `${ratio.toFixed(3)} (${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%)`,
    rounds.with.map((value, round) => (value / rounds.without[round]!).toFixed(2)).join(", "),
    met ? "met" : "MISSED",
  );
  return { cells, met };
}

function table(results: Measured[]): { lines: string[]; missed: boolean } {
  const heading = [
    "route",
    "with access: median / p99 ms",
    ...(ARMS.includes("memory") ? ["limiter in memory: median / p99 ms (ratio)"] : []),
    "without: median / p99 ms",
    `req/s ${ARMS.map((arm) => NAMES[arm]).join(" / ")}`,
    "median ratio",
    "ratio per round",
    `target ≤ ${TARGET_RATIO.toFixed(2)}`,
  ];
  const rows = results.map(row);
  const all = [heading, ...rows.map((r) => r.cells)];
  const widths = heading.map((_, column) => Math.max(...all.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`;
  return {
    lines: [line(heading), rule, ...all.slice(1).map(line)],
    missed: rows.some((r) => !r.met),
  };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}
const started = performance.now();
const loadBefore = loadavg()[0]!;
const results: Measured[] = [];
for (const bench of ROUTES) results.push(await measure(bench));
const { lines, missed } = table(results);
console.log(
  `\naccess control's cost: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per arm (after ${WARMUP_SECONDS} s warm-up), 127.0.0.1, node ${process.version}, ${cpus().length} cores, load average ${loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after\n`,
);
for (const line of lines) console.log(line);
console.log(`\nwhole benchmark ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (missed) process.exitCode = 1;
