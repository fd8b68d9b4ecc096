// Drives `fn` over a sync or async iterable with at most `concurrency` calls in flight, pulling
// the input lazily (one item per free slot, one async pull at a time). Results go to hooks, so
// the same engine serves collecting (mapConcurrent) and streaming (mapConcurrentIter,
// asCompleted) consumers. Arrays handed to mapConcurrent take a faster path of their own.

import { AbortError } from "../errors.ts";
import { isPromiseLike, isSyncIterable } from "./concurrency.ts";

export interface PumpHooks<R> {
  /** Extra gate on starting another item, e.g. a full reorder buffer. */
  canStart(): boolean;
  onValue(index: number, value: R): void;
  onError(index: number, error: unknown): void;
  /** The input threw or rejected while being read. */
  onSourceError(error: unknown): void;
  /** The input is exhausted and every started item has settled. */
  onIdle(): void;
}

export type Mapper<T, R> = (item: T, index: number, signal: AbortSignal) => PromiseLike<R> | R;

export class Pump<T, R> {
  #fn: Mapper<T, R>;
  #concurrency: number;
  #signal: AbortSignal;
  #hooks: PumpHooks<R>;
  #syncIterator: Iterator<T> | undefined;
  #asyncIterator: AsyncIterator<T> | undefined;
  #active = 0;
  #cursor = 0;
  #exhausted = false;
  #stopped = false;
  #pulling = false;
  #pumping = false;

  constructor(
    input: Iterable<T> | AsyncIterable<T>,
    fn: Mapper<T, R>,
    concurrency: number,
    signal: AbortSignal,
    hooks: PumpHooks<R>,
  ) {
    this.#fn = fn;
    this.#concurrency = concurrency;
    this.#signal = signal;
    this.#hooks = hooks;
    if (isSyncIterable(input)) this.#syncIterator = input[Symbol.iterator]();
    else this.#asyncIterator = input[Symbol.asyncIterator]();
  }

  /** Calls in flight. */
  get active(): number {
    return this.#active;
  }

  /** Starts as many items as the limits allow. Safe to call re-entrantly and after stop(). */
  pump(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = true;
    try {
      while (
        !this.#stopped &&
        !this.#exhausted &&
        !this.#pulling &&
        this.#active < this.#concurrency &&
        this.#hooks.canStart()
      ) {
        if (this.#syncIterator !== undefined) {
          let next: IteratorResult<T>;
          try {
            next = this.#syncIterator.next();
          } catch (error) {
            this.#sourceFailed(error);
            return;
          }
          if (next.done) this.#exhausted = true;
          else this.#start(next.value);
        } else {
          this.#pullAsync();
        }
      }
    } finally {
      this.#pumping = false;
    }
    this.#checkIdle();
  }

  /** Stops pulling input and closes the input iterator if it was not exhausted. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#exhausted) return;
    this.#exhausted = true;
    try {
      const closing = (this.#syncIterator ?? this.#asyncIterator)?.return?.();
      if (isPromiseLike(closing)) Promise.resolve(closing).catch(ignore);
    } catch {
      // The input failing to close must not mask the reason we stopped.
    }
  }

  #pullAsync(): void {
    this.#pulling = true;
    let next: Promise<IteratorResult<T>>;
    try {
      next = Promise.resolve((this.#asyncIterator as AsyncIterator<T>).next());
    } catch (error) {
      this.#pulling = false;
      this.#sourceFailed(error);
      return;
    }
    next.then(this.#onPulled, this.#onPullFailed);
  }

  #onPulled = (next: IteratorResult<T>): void => {
    this.#pulling = false;
    if (this.#stopped) return;
    if (next.done) this.#exhausted = true;
    else this.#start(next.value);
    this.pump();
  };

  #onPullFailed = (error: unknown): void => {
    this.#pulling = false;
    if (!this.#stopped) this.#sourceFailed(error);
  };

  #sourceFailed(error: unknown): void {
    this.#exhausted = true;
    this.#stopped = true;
    this.#hooks.onSourceError(error);
  }

  #start(item: T): void {
    const index = this.#cursor++;
    let out: PromiseLike<R> | R;
    try {
      out = this.#fn(item, index, this.#signal);
    } catch (error) {
      this.#hooks.onError(index, error);
      return;
    }
    if (!isPromiseLike(out)) {
      this.#hooks.onValue(index, out);
      return;
    }
    this.#active++;
    Promise.resolve(out).then(
      (value) => this.#settled(index, true, value),
      (error) => this.#settled(index, false, error),
    );
  }

  #settled(index: number, ok: boolean, outcome: unknown): void {
    this.#active--;
    if (this.#stopped) return;
    if (ok) this.#hooks.onValue(index, outcome as R);
    else this.#hooks.onError(index, outcome);
    this.pump();
  }

  #idleReported = false;

  #checkIdle(): void {
    if (
      this.#exhausted &&
      !this.#stopped &&
      this.#active === 0 &&
      !this.#pulling &&
      !this.#idleReported
    ) {
      this.#idleReported = true;
      this.#hooks.onIdle();
    }
  }
}

function ignore(): void {}

/** The reason handed to the calls still running when a sibling fails. */
export function siblingFailed(error: unknown): AbortError {
  return new AbortError("Aborted because a sibling call failed", { cause: error });
}
