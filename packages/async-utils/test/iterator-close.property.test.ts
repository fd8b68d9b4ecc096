import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AsyncQueue, QueueClosedError } from "../src/async-queue.ts";
import { chunk } from "../src/chunk.ts";
import { mapConcurrentIter } from "../src/map-concurrent.ts";
import { merge } from "../src/merge.ts";
import { paginate } from "../src/paginate.ts";
import { take } from "../src/take.ts";
import { flush } from "./helpers/signals.ts";

// Random put / read / close / get interleavings over one queue read by many kinds of reader.
// Each step runs to quiescence before the next, so "when" an item was handed over is exact.

const KINDS = ["iterator", "take", "chunk", "merge", "merge2", "paginate", "mapIter"] as const;
type Kind = (typeof KINDS)[number];
/** Kinds that read ahead of demand: what they hold when closed is theirs and goes with them. */
const READS_AHEAD = new Set<Kind>(["merge2", "mapIter"]);

type Op =
  | { kind: "put" }
  | { kind: "open"; reader: Kind; param: number }
  | { kind: "read"; target: number }
  | { kind: "close"; target: number; how: "return" | "throw" }
  | { kind: "get" }
  | { kind: "abortGet"; target: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "put" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("open" as const),
      reader: fc.constantFrom(...KINDS),
      param: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("read" as const), target: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("close" as const),
      target: fc.nat(),
      how: fc.constantFrom("return" as const, "throw" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "get" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("abortGet" as const), target: fc.nat() }) },
);

interface Reader {
  kind: Kind;
  iterator: AsyncIterator<unknown>;
  /** Closed by the test: from then on the queue must hand it nothing. */
  closed: boolean;
  /** Items the queue handed to this reader's reads, in order. */
  handed: number[];
  /** Items the reader's next() calls gave the test, in order (chunks flattened). */
  delivered: number[];
}

class Run {
  readonly queue = new AsyncQueue<number>();
  readonly readers: Reader[] = [];
  readonly accepted: number[] = [];
  readonly gotten: number[] = [];
  readonly violations: string[] = [];
  readonly outstanding: Promise<unknown>[] = [];
  readonly gets: AbortController[] = [];
  #nextItem = 0;

  /** The queue's iterator, recording every item it hands to a read of `reader`. */
  queueReads(reader: Reader): AsyncIterable<number> {
    return {
      [Symbol.asyncIterator]: () => {
        const inner = this.queue[Symbol.asyncIterator]();
        return {
          next: () => {
            // The test may ask a closed raw iterator again; a helper must not.
            if (reader.closed && reader.kind !== "iterator") {
              this.violations.push(`${reader.kind} read after its close`);
            }
            const read = inner.next();
            read.then((result) => {
              if (result.done === true) return;
              if (reader.closed)
                this.violations.push(`${result.value} went to a closed ${reader.kind}`);
              reader.handed.push(result.value);
            });
            return read;
          },
          return: () => inner.return?.() as Promise<IteratorResult<number>>,
          throw: (error?: unknown) => inner.throw?.(error) as Promise<IteratorResult<number>>,
        };
      },
    };
  }

  open(kind: Kind, param: number): void {
    const reader: Reader = {
      kind,
      iterator: undefined as never,
      closed: false,
      handed: [],
      delivered: [],
    };
    const source = this.queueReads(reader);
    const byKind: Record<Kind, () => AsyncIterator<unknown>> = {
      iterator: () => source[Symbol.asyncIterator](),
      take: () => take(source, param),
      chunk: () => chunk(source, param),
      merge: () => merge(source),
      merge2: () => merge(source, this.queueReads(reader)),
      paginate: () =>
        paginate<number, string>(async (_cursor, signal) => {
          if (reader.closed) this.violations.push("paginate fetched after its close");
          const item = await this.queue.get({ signal });
          if (reader.closed) this.violations.push(`${item} went to a closed paginate`);
          reader.handed.push(item);
          return { items: [item], nextCursor: "more" };
        }),
      mapIter: () => mapConcurrentIter(source, async (item) => item, { concurrency: param }),
    };
    reader.iterator = byKind[kind]();
    this.readers.push(reader);
  }

  /** Asks `reader` for one value; resolves true once it is done. */
  read(reader: Reader): Promise<boolean> {
    const settled = reader.iterator.next().then(
      (result) => {
        if (result.done === true) return true;
        const value = result.value as number | number[];
        reader.delivered.push(...(Array.isArray(value) ? value : [value]));
        return false;
      },
      (error: unknown) => {
        // paginate's get() rejects once the queue is closed and drained: its end.
        if (reader.kind === "paginate" && error instanceof QueueClosedError) return true;
        throw error;
      },
    );
    this.outstanding.push(settled);
    return settled;
  }

  close(reader: Reader, how: "return" | "throw"): void {
    reader.closed = true;
    if (how === "return") {
      this.outstanding.push(reader.iterator.return?.() as Promise<unknown>);
      return;
    }
    const error = new Error("consumer failed");
    const thrown = reader.iterator.throw?.(error) ?? Promise.resolve();
    this.outstanding.push(
      thrown.then(
        () => this.violations.push(`${reader.kind}.throw() resolved`),
        (rejection: unknown) => {
          if (rejection !== error) throw rejection;
        },
      ),
    );
  }

  apply(op: Op): void {
    const pick = <T>(list: T[], index: number): T | undefined => list[index % list.length];
    if (op.kind === "put") {
      const item = this.#nextItem++;
      if (this.queue.tryPut(item)) this.accepted.push(item);
    } else if (op.kind === "open") this.open(op.reader, op.param);
    else if (op.kind === "read") {
      const reader = pick(this.readers, op.target);
      if (reader !== undefined) void this.read(reader);
    } else if (op.kind === "close") {
      const reader = pick(this.readers, op.target);
      if (reader !== undefined) this.close(reader, op.how);
    } else if (op.kind === "get") {
      const controller = new AbortController();
      this.gets.push(controller);
      this.outstanding.push(
        this.queue.get({ signal: controller.signal }).then(
          (item) => this.gotten.push(item),
          (error: unknown) => {
            if (!(error instanceof QueueClosedError) && !controller.signal.aborted) throw error;
          },
        ),
      );
    } else pick(this.gets, op.target)?.abort();
  }

  /** Closes the queue, reads every open reader to its end and collects what is left. */
  async finish(): Promise<number[]> {
    this.queue.close();
    await flush(40);
    for (const reader of this.readers) {
      if (reader.closed) continue;
      for (let i = 0; i < 1_000 && !(await this.read(reader)); i++);
    }
    await Promise.all(this.outstanding);
    const leftovers: number[] = [];
    while (this.queue.size > 0) leftovers.push(this.queue.tryGet() as number);
    return leftovers;
  }
}

const byValue = (a: number, b: number): number => a - b;

describe("iterator helpers over a queue (property)", () => {
  it("every item put is received exactly once, by a reader that is still open", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40, size: "max" }), async (ops) => {
        const run = new Run();
        for (const op of ops) {
          run.apply(op);
          await flush(40);
        }
        const leftovers = await run.finish();
        expect(run.violations).toEqual([]);

        const received = [...run.readers.flatMap((reader) => reader.handed), ...run.gotten];
        expect([...received, ...leftovers].sort(byValue)).toEqual(run.accepted);

        for (const reader of run.readers) {
          if (!READS_AHEAD.has(reader.kind) || !reader.closed) {
            // Nothing held back: what the queue handed the reader is what it yielded, in order.
            if (reader.kind === "mapIter" || reader.kind === "merge2") {
              expect([...reader.delivered].sort(byValue)).toEqual([...reader.handed].sort(byValue));
            } else expect(reader.delivered).toEqual(reader.handed);
          } else {
            const handed = new Set(reader.handed);
            expect(reader.delivered.every((item) => handed.has(item))).toBe(true);
            expect(new Set(reader.delivered).size).toBe(reader.delivered.length);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
