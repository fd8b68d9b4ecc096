// The async iterator behind `AsyncQueue[Symbol.asyncIterator]()`. Not an async generator: a
// generator queues return() behind its pending next(), so a read parked on an empty queue would
// stay in the getter list after the consumer left and swallow the next item put. This iterator
// withdraws its parked reads on return()/throw(), leaving the item for the next reader.

import type { WaiterNode } from "./waiter-list.ts";

/** What the queue lends its iterator: reads against its private buffer and getter list. */
export interface QueueReadPort<T> {
  /** An item ready now, `{ done: true }` once closed and drained, `undefined` when empty. */
  poll(): IteratorResult<T, undefined> | undefined;
  /** Parks a read in the queue's getter list; `onClosed` runs if close() ends it unserved. */
  park(onItem: (item: T) => void, onClosed: () => void): WaiterNode<unknown>;
  /** Takes a parked read out of the getter list. */
  withdraw(node: WaiterNode<unknown>): void;
}

interface ParkedRead<T> {
  readonly node: WaiterNode<unknown>;
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class QueueIterator<T> implements AsyncIterableIterator<T, undefined, undefined> {
  readonly #port: QueueReadPort<T>;
  /** This iterator's reads still in the getter list, oldest first (served ones are pruned). */
  readonly #parked: ParkedRead<T>[] = [];
  #done = false;

  constructor(port: QueueReadPort<T>) {
    this.#port = port;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return Promise.resolve(DONE);
    const ready = this.#port.poll();
    if (ready !== undefined) {
      if (ready.done === true) this.#done = true;
      return Promise.resolve(ready);
    }
    return new Promise((resolve) => {
      const node = this.#port.park(
        (value) => resolve({ done: false, value }),
        () => {
          this.#done = true;
          resolve(DONE);
        },
      );
      // The queue serves getters in FIFO order, so served reads are always a prefix.
      const parked = this.#parked;
      while (parked.length > 0 && !(parked[0] as ParkedRead<T>).node.linked) parked.shift();
      parked.push({ node, resolve });
    });
  }

  /** Ends the iteration: parked reads leave the queue and resolve `{ done: true }`. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#withdrawAll();
    return Promise.resolve(DONE);
  }

  /** Ends the iteration as return() does, then rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.#withdrawAll();
    return Promise.reject(error);
  }

  #withdrawAll(): void {
    this.#done = true;
    for (const read of this.#parked.splice(0)) {
      // A read the queue already served keeps its item: its promise is already resolved.
      if (!read.node.linked) continue;
      this.#port.withdraw(read.node);
      read.resolve(DONE);
    }
  }
}
