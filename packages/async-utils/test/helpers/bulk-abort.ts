import { expect } from "vitest";

/** How many waiters the bulk-abort tests park and abort. */
export const BULK = 100_000;

/**
 * Parks BULK waiters (half on one shared signal, half on their own), aborts them all and checks
 * that every one rejected and the wait list is empty again.
 */
export async function abortInBulk(
  park: (signal: AbortSignal, index: number) => Promise<unknown>,
  waiting: () => number,
): Promise<void> {
  const shared = new AbortController();
  const own: AbortController[] = [];
  let rejected = 0;
  const settled: Promise<void>[] = [];
  for (let i = 0; i < BULK; i++) {
    let signal = shared.signal;
    if (i % 2 === 1) {
      const controller = new AbortController();
      own.push(controller);
      signal = controller.signal;
    }
    settled.push(
      park(signal, i).then(
        () => {
          throw new Error("an aborted waiter was served");
        },
        () => {
          rejected++;
        },
      ),
    );
  }
  expect(waiting()).toBe(BULK);
  shared.abort();
  for (const controller of own) controller.abort();
  expect(waiting()).toBe(0);
  await Promise.all(settled);
  expect(rejected).toBe(BULK);
}

/** Heap in use after a full collection; undefined where gc() is not exposed (workerd). */
export function heapUsed(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined || typeof process?.memoryUsage !== "function") return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}
