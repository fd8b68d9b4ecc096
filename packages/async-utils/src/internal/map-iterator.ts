// The async iterator behind mapConcurrentIter and asCompleted: drives a Pump and hands results
// to consumers in input order or finish order, holding O(concurrency) of them at most.

import { AbortError } from "../errors.ts";
import { abortReason, listenAbort, noop } from "./abort.ts";
import { Pump, siblingFailed } from "./pump.ts";
import { RingBuffer } from "./ring-buffer.ts";

interface Consumer<R> {
  resolve(result: IteratorResult<R, undefined>): void;
  reject(error: unknown): void;
}

const EMPTY: unique symbol = Symbol("empty");

export class ConcurrentMapIterator<T, R> implements AsyncIterableIterator<R> {
  #pump: Pump<T, R>;
  #controller = new AbortController();
  #parent: AbortSignal | undefined;
  #detachParent = noop;
  #ordered: boolean;
  #concurrency: number;
  /** Results that may be yielded now, in yield order. */
  #ready = new RingBuffer<R>();
  /** Ordered mode: finished results waiting for a predecessor, keyed by index. */
  #pending = new Map<number, R>();
  #nextIndex = 0;
  #consumers = new RingBuffer<Consumer<R>>();
  #started = false;
  #finished = false;
  #error: unknown = EMPTY;

  constructor(
    input: Iterable<T> | AsyncIterable<T>,
    fn: (item: T, index: number, signal: AbortSignal) => PromiseLike<R> | R,
    concurrency: number,
    ordered: boolean,
    parent: AbortSignal | undefined,
  ) {
    this.#ordered = ordered;
    this.#concurrency = concurrency;
    this.#parent = parent;
    this.#pump = new Pump(input, fn, concurrency, this.#controller.signal, {
      canStart: () => this.#ready.size + this.#pending.size < this.#concurrency,
      onValue: (index, value) => this.#onValue(index, value),
      onError: (_index, error) => this.#fail(error, siblingFailed(error)),
      onSourceError: (error) => this.#fail(error, siblingFailed(error)),
      onIdle: () => {
        this.#finished = true;
        this.#detachParent();
        this.#flush();
      },
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<R, undefined>> {
    if (!this.#started) this.#start();
    if (this.#ready.size > 0) {
      const value = this.#ready.shift() as R;
      this.#pump.pump();
      return Promise.resolve({ done: false, value });
    }
    if (this.#error !== EMPTY) {
      const error = this.#error;
      this.#error = EMPTY;
      this.#finished = true;
      return Promise.reject(error);
    }
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#consumers.push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<R, undefined>> {
    this.#close(new AbortError("The iteration was closed early"));
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<R, undefined>> {
    this.#close(new AbortError("The iteration was closed early", { cause: error }));
    return Promise.reject(error);
  }

  #start(): void {
    this.#started = true;
    const parent = this.#parent;
    if (parent?.aborted) {
      this.#fail(abortReason(parent), abortReason(parent));
      return;
    }
    this.#detachParent = listenAbort(parent, () => {
      const reason = abortReason(parent as AbortSignal);
      this.#fail(reason, reason);
    });
    this.#pump.pump();
  }

  #onValue(index: number, value: R): void {
    if (!this.#ordered) {
      this.#deliver(value);
      return;
    }
    if (index !== this.#nextIndex) {
      this.#pending.set(index, value);
      return;
    }
    this.#nextIndex++;
    this.#deliver(value);
    while (this.#pending.size > 0 && this.#pending.has(this.#nextIndex)) {
      const next = this.#pending.get(this.#nextIndex) as R;
      this.#pending.delete(this.#nextIndex++);
      this.#deliver(next);
    }
  }

  #deliver(value: R): void {
    const consumer = this.#consumers.shift();
    if (consumer === undefined) this.#ready.push(value);
    else consumer.resolve({ done: false, value });
  }

  /** Settles waiting consumers once nothing more can arrive. */
  #flush(): void {
    if (this.#error !== EMPTY) {
      const consumer = this.#consumers.shift();
      if (consumer === undefined) return;
      const error = this.#error;
      this.#error = EMPTY;
      this.#finished = true;
      consumer.reject(error);
    }
    if (!this.#finished) return;
    for (let consumer = this.#consumers.shift(); consumer; consumer = this.#consumers.shift()) {
      consumer.resolve({ done: true, value: undefined });
    }
  }

  #fail(error: unknown, abortWith: unknown): void {
    if (this.#finished || this.#error !== EMPTY) return;
    this.#error = error;
    this.#shutDown(abortWith);
    this.#flush();
  }

  #close(reason: unknown): void {
    this.#started = true;
    this.#error = EMPTY;
    const wasFinished = this.#finished;
    this.#finished = true;
    // A stream that already ran to its end has nothing in flight: leave its signal alone.
    if (!wasFinished) this.#shutDown(reason);
    this.#flush();
  }

  #shutDown(reason: unknown): void {
    this.#detachParent();
    this.#pump.stop();
    this.#controller.abort(reason);
    this.#ready.clear();
    this.#pending.clear();
  }
}
