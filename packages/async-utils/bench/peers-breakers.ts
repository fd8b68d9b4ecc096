// The circuit breakers against cockatiel's and opossum's, as in bench/peers.ts.

import { ConsecutiveBreaker, circuitBreaker, handleAll, SamplingBreaker } from "cockatiel";
import Opossum from "opossum";
import { CircuitBreaker } from "../src/circuit-breaker.ts";
import type { Expectation, Group } from "./peers.ts";

const refused = (): number => -1;

// Every tenth task fails: rate-based breakers stay closed (10% < 50%), and so does a
// consecutive one (one failure in a row < 5), so every contender measures its closed path.
const failing = async (i: number): Promise<number> => {
  if (i % 10 === 0) throw new Error(`task ${i} failed`);
  return i;
};
function breakerExpected(tasks: number): Expectation {
  let failedSum = 0;
  for (let i = 0; i < tasks; i += 10) failedSum += i;
  return { refused: tasks / 10, sum: (tasks * (tasks - 1)) / 2 - failedSum };
}

/** The groups: the closed path of each breaker at `many` tasks, opossum's at `fewer`. */
export function breakerGroups(many: number[], fewer: number[]): Group[] {
  const breakers: Group = {
    name: "CircuitBreaker.run (closed, 10% failures)",
    tasks: many.length,
    ours: "CircuitBreaker consecutive",
    versus: [
      ["CircuitBreaker consecutive", "cockatiel ConsecutiveBreaker", true],
      ["CircuitBreaker rate (10 s window)", "cockatiel SamplingBreaker", true],
    ],
    expected: breakerExpected(many.length),
    contenders: [
      {
        name: "CircuitBreaker consecutive",
        run: () => {
          const breaker = new CircuitBreaker({ failureThreshold: 5 });
          return Promise.all(many.map((i) => breaker.run(() => failing(i)).catch(refused)));
        },
      },
      {
        name: "CircuitBreaker rate (10 s window)",
        run: () => {
          const breaker = new CircuitBreaker({ mode: "rate", windowMs: 10_000, failureRate: 0.5 });
          return Promise.all(many.map((i) => breaker.run(() => failing(i)).catch(refused)));
        },
      },
      {
        name: "cockatiel ConsecutiveBreaker",
        run: () => {
          const policy = circuitBreaker(handleAll, {
            halfOpenAfter: 30_000,
            breaker: new ConsecutiveBreaker(5),
          });
          return Promise.all(many.map((i) => policy.execute(() => failing(i)).catch(refused)));
        },
      },
      {
        name: "cockatiel SamplingBreaker",
        run: () => {
          const policy = circuitBreaker(handleAll, {
            halfOpenAfter: 30_000,
            breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
          });
          return Promise.all(many.map((i) => policy.execute(() => failing(i)).catch(refused)));
        },
      },
    ],
  };

  const opossumGroup: Group = {
    name: "CircuitBreaker.run vs opossum (closed, 10% failures)",
    tasks: fewer.length,
    ours: "CircuitBreaker rate (10 s window)",
    versus: [["CircuitBreaker rate (10 s window)", "opossum", true]],
    expected: breakerExpected(fewer.length),
    contenders: [
      {
        name: "CircuitBreaker rate (10 s window)",
        run: () => {
          const breaker = new CircuitBreaker({ mode: "rate", windowMs: 10_000, failureRate: 0.5 });
          return Promise.all(fewer.map((i) => breaker.run(() => failing(i)).catch(refused)));
        },
      },
      {
        // opossum's defaults (a 10 s rolling window, 50%), without its per-call timeout timer.
        name: "opossum",
        run: async () => {
          const breaker = new Opossum(failing, { timeout: false, resetTimeout: 30_000 });
          const results = await Promise.all(fewer.map((i) => breaker.fire(i).catch(refused)));
          breaker.shutdown();
          return results;
        },
      },
    ],
  };

  return [breakers, opossumGroup];
}
