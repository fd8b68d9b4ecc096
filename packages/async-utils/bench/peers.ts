// Contenders for the newer primitives, each against its closest npm peer used the same way.
// Every contender of a group runs the group's `tasks` trivial tasks `async (i) => i` through
// the primitive and resolves with one number per task: the task's value, or -1 where the
// primitive refused the call or the task failed on purpose, so results can be checked (count,
// sum, refusals). Groups whose peer slows down more than linearly with the number of waiting
// calls (effect's Semaphore, opossum: 50,000 calls take them 10 to 20 s) run 5,000 tasks.

import { Sema } from "async-sema";
import { bulkhead } from "cockatiel";
import { Effect, Semaphore as EffectSemaphore } from "effect";
import pLimit, { type LimitFunction } from "p-limit";
import { KeyedLimiter } from "../src/keyed-limiter.ts";
import { Semaphore } from "../src/semaphore.ts";
import { breakerGroups } from "./peers-breakers.ts";

const MANY = 50_000;
const FEWER = 5_000;
const PERMITS = 16;
const KEYS = 100;
const PER_KEY = 2;
const MAX_WAITING = 10_000;
const RESIZE_EVERY = 1_000;

export interface Contender {
  name: string;
  run: () => Promise<number[]>;
}

/** What a group's results must add up to: how many -1s, and the sum of the rest. */
export interface Expectation {
  refused: number;
  sum: number;
}

export interface Group {
  name: string;
  /** Tasks each contender runs. */
  tasks: number;
  /** The contender whose time the others are compared with. */
  ours: string;
  /** Comparisons for the table: ours, the peer, and whether "at least 2x faster" is a target. */
  versus: [ours: string, peer: string, targeted: boolean][];
  contenders: Contender[];
  expected: Expectation;
}

const many = Array.from({ length: MANY }, (_, i) => i);
const fewer = many.slice(0, FEWER);
const task = async (i: number): Promise<number> => i;
const all = (i: number): Expectation => ({ refused: 0, sum: (i * (i - 1)) / 2 });
const refused = (): number => -1;
const weightOf = (i: number): number => 1 + (i % 4);
const sizeAfter = (i: number): number => ((i / RESIZE_EVERY) % 2 === 0 ? 8 : 24);

const semaphore: Group = {
  name: "Semaphore.run (1 permit of 16)",
  tasks: MANY,
  ours: "Semaphore",
  // Reported only: a plain semaphore is not new, but its speed frames the rows below.
  versus: [["Semaphore", "async-sema", false]],
  expected: all(MANY),
  contenders: [
    {
      name: "Semaphore",
      run: () => {
        const sem = new Semaphore(PERMITS);
        return Promise.all(many.map((i) => sem.run(() => task(i))));
      },
    },
    {
      name: "async-sema",
      run: () => {
        const sema = new Sema(PERMITS);
        return Promise.all(
          many.map(async (i) => {
            await sema.acquire();
            try {
              return await task(i);
            } finally {
              sema.release();
            }
          }),
        );
      },
    },
  ],
};

const weighted: Group = {
  name: "weighted acquire (weights 1-4 of 16)",
  tasks: FEWER,
  ours: "Semaphore",
  versus: [["Semaphore", "effect Semaphore", true]],
  expected: all(FEWER),
  contenders: [
    {
      name: "Semaphore",
      run: () => {
        const sem = new Semaphore(PERMITS);
        return Promise.all(fewer.map((i) => sem.run(() => task(i), { weight: weightOf(i) })));
      },
    },
    {
      name: "effect Semaphore",
      run: () => {
        const sem = EffectSemaphore.makeUnsafe(PERMITS);
        return Effect.runPromise(
          Effect.forEach(
            fewer,
            (i) => sem.withPermits(weightOf(i))(Effect.promise(() => task(i))),
            { concurrency: "unbounded" },
          ),
        );
      },
    },
  ],
};

// Every RESIZE_EVERY-th task, once running, resizes the semaphore between 8 and 24 permits.
const resize: Group = {
  name: `resize (8 <-> 24 every ${RESIZE_EVERY.toLocaleString("en-US")} calls)`,
  tasks: FEWER,
  ours: "Semaphore",
  versus: [["Semaphore", "effect Semaphore", true]],
  expected: all(FEWER),
  contenders: [
    {
      name: "Semaphore",
      run: () => {
        const sem = new Semaphore(PERMITS);
        return Promise.all(
          fewer.map((i) =>
            sem.run(() => {
              if (i % RESIZE_EVERY === 0) sem.resize(sizeAfter(i));
              return task(i);
            }),
          ),
        );
      },
    },
    {
      name: "effect Semaphore",
      run: () => {
        const sem = EffectSemaphore.makeUnsafe(PERMITS);
        const work = (i: number) => Effect.promise(() => task(i));
        return Effect.runPromise(
          Effect.forEach(
            fewer,
            (i) =>
              sem.withPermits(1)(
                i % RESIZE_EVERY === 0
                  ? Effect.andThen(sem.resize(sizeAfter(i)), work(i))
                  : work(i),
              ),
            { concurrency: "unbounded" },
          ),
        );
      },
    },
  ],
};

const keyed: Group = {
  name: `KeyedLimiter (${KEYS} keys, ${PER_KEY} per key)`,
  tasks: MANY,
  ours: "KeyedLimiter",
  versus: [["KeyedLimiter", "Map of p-limit", true]],
  expected: all(MANY),
  contenders: [
    {
      name: "KeyedLimiter",
      run: () => {
        const limiter = new KeyedLimiter<number>({ concurrency: PER_KEY });
        return Promise.all(many.map((i) => limiter.run(i % KEYS, () => task(i))));
      },
    },
    {
      // The usual hand-rolled version: one p-limit per key, kept forever.
      name: "Map of p-limit",
      run: () => {
        const limits = new Map<number, LimitFunction>();
        return Promise.all(
          many.map((i) => {
            let run = limits.get(i % KEYS);
            if (run === undefined) {
              run = pLimit(PER_KEY);
              limits.set(i % KEYS, run);
            }
            return run(() => task(i));
          }),
        );
      },
    },
  ],
};

const bulkheadGroup: Group = {
  name: `bulkhead (16 running, ${MAX_WAITING.toLocaleString("en-US")} waiting, the rest refused)`,
  tasks: MANY,
  ours: "Semaphore maxWaiting",
  versus: [["Semaphore maxWaiting", "cockatiel bulkhead", true]],
  expected: {
    refused: MANY - PERMITS - MAX_WAITING,
    sum: all(PERMITS + MAX_WAITING).sum,
  },
  contenders: [
    {
      name: "Semaphore maxWaiting",
      run: () => {
        const sem = new Semaphore(PERMITS, { maxWaiting: MAX_WAITING });
        return Promise.all(many.map((i) => sem.run(() => task(i)).catch(refused)));
      },
    },
    {
      name: "cockatiel bulkhead",
      run: () => {
        const policy = bulkhead(PERMITS, MAX_WAITING);
        return Promise.all(many.map((i) => policy.execute(() => task(i)).catch(refused)));
      },
    },
  ],
};

export const peerGroups: Group[] = [
  semaphore,
  weighted,
  resize,
  keyed,
  bulkheadGroup,
  ...breakerGroups(many, fewer),
];

/** Throws unless `results` are one per task adding up to what the group expects. */
export function checkPeer(group: Group, name: string, results: number[]): void {
  let sum = 0;
  let refusedCount = 0;
  for (const value of results) {
    if (value === -1) refusedCount++;
    else sum += value;
  }
  const { expected } = group;
  if (results.length !== group.tasks || refusedCount !== expected.refused || sum !== expected.sum) {
    throw new Error(
      `${group.name}: ${name} returned wrong results (${results.length} many, ` +
        `${refusedCount} refused, sum ${sum}; expected ${expected.refused} refused, sum ${expected.sum})`,
    );
  }
}
