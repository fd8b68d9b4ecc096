/**
 * Newline-delimited JSON responses: content negotiation and a byte stream with backpressure,
 * fed either by an async iterable (pulled as the client reads) or by a producer that writes.
 *
 * @module
 */

/**
 * Media type of newline-delimited JSON.
 *
 * @example
 * ```ts
 * import { NDJSON_CONTENT_TYPE } from "@edge-async/http";
 * const headers = { accept: NDJSON_CONTENT_TYPE };
 * ```
 */
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";

/**
 * Response headers of an NDJSON stream: the media type with its charset, `no-store` (a stream is
 * one client's) and `nosniff`. Spread it into the headers you pass on.
 *
 * @example
 * ```ts
 * import { NDJSON_HEADERS, ndjsonStream } from "@edge-async/http";
 * async function* rows() { yield { n: 1 }; }
 * const response = new Response(ndjsonStream(rows()), { headers: { ...NDJSON_HEADERS } });
 * ```
 */
export const NDJSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": `${NDJSON_CONTENT_TYPE}; charset=utf-8`,
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

/**
 * Whether an `Accept` header asks for NDJSON: `application/x-ndjson` listed with a `q` above 0.
 *
 * @example
 * ```ts
 * import { wantsNdjson } from "@edge-async/http";
 * console.assert(wantsNdjson("application/json;q=0.5, application/x-ndjson"));
 * console.assert(!wantsNdjson("application/x-ndjson;q=0") && !wantsNdjson("text/html"));
 * ```
 */
export function wantsNdjson(accept: string | null | undefined): boolean {
  if (accept === undefined || accept === null) return false;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    if (type !== NDJSON_CONTENT_TYPE) return false;
    const q = params.find((param) => param.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Writes one value as one line. Resolves `true` once the stream has room for more (at once while
 * the current chunk is short of `chunkSize` or a read is waiting, else when the client takes the
 * chunk), and `false` once the stream is cancelled, aborted or closed: stop producing then.
 * Rejects with a `TypeError` for a value JSON cannot represent (`undefined`, a function, a
 * `BigInt`, a cycle).
 *
 * @example
 * ```ts
 * import type { NdjsonWrite } from "@edge-async/http";
 * const copy = async (write: NdjsonWrite, rows: unknown[]) => {
 *   for (const row of rows) if (!(await write(row))) return;
 * };
 * ```
 */
export type NdjsonWrite = (value: unknown) => Promise<boolean>;

/**
 * What {@link ndjsonStream} streams: an async iterable, pulled only as the client reads, or a
 * producer that pushes values with {@link NdjsonWrite}; the stream closes when it resolves and
 * errors when it rejects.
 *
 * @example
 * ```ts
 * import type { NdjsonSource } from "@edge-async/http";
 * const source: NdjsonSource = async (write) => { await write({ hello: "world" }); };
 * ```
 */
export type NdjsonSource = AsyncIterable<unknown> | ((write: NdjsonWrite) => Promise<void>);

/**
 * Options for {@link ndjsonStream}.
 *
 * @example
 * ```ts
 * import type { NdjsonStreamOptions } from "@edge-async/http";
 * const options: NdjsonStreamOptions = { chunkSize: 4_096, signal: AbortSignal.timeout(30_000) };
 * ```
 */
export interface NdjsonStreamOptions {
  /** Lines are gathered into chunks of about this many UTF-16 units; default 16 KiB, min 1. */
  chunkSize?: number;
  /** Errors the stream with the signal's reason: writes resolve `false`, an iterable is closed. */
  signal?: AbortSignal;
  /** Called once when the consumer cancels (the client went away), so the producer can stop its I/O. */
  onCancel?: (reason: unknown) => void;
}

const encoder = new TextEncoder();
const DEFAULT_CHUNK_SIZE = 16 * 1024;

/**
 * Streams values as NDJSON, one JSON text per line, each line ending in `\n`, UTF-8 encoded,
 * with backpressure either way: an iterable is pulled only when the consumer reads
 * (`highWaterMark: 0`, so nothing is produced ahead of a read and a slow client holds the
 * producer at one chunk), and a producer's {@link NdjsonWrite} waits once a chunk is full and
 * nobody has read it. A producer starts at once; a line written while a read waits goes out at
 * once, so slow results are not held back to fill a chunk. Cancelling the stream (the client
 * disconnecting) calls `onCancel`, makes writes resolve `false` and closes an iterable, which
 * runs its `finally` blocks; aborting `signal` does the same and errors the stream.
 *
 * @param source - An async iterable, or a producer given `write`.
 * @param options - Chunk size, abort signal, cancel callback.
 * @returns The byte stream, for a `Response` body (see {@link NDJSON_HEADERS}).
 * @throws RangeError when `chunkSize` is not a number of at least 1.
 * @example
 * ```ts
 * import { NDJSON_HEADERS, ndjsonStream } from "@edge-async/http";
 * async function* numbers() { for (let n = 0; n < 3; n++) yield { n }; }
 * const pulled = await new Response(ndjsonStream(numbers())).text(); // '{"n":0}\n{"n":1}\n{"n":2}\n'
 * const pushed = new Response(
 *   ndjsonStream(async (write) => {
 *     for (const n of [1, 2]) if (!(await write({ n }))) return;
 *   }),
 *   { headers: { ...NDJSON_HEADERS } },
 * );
 * ```
 */
export function ndjsonStream(
  source: NdjsonSource,
  options: NdjsonStreamOptions = {},
): ReadableStream<Uint8Array> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!(chunkSize >= 1)) throw new RangeError(`chunkSize must be at least 1, got ${chunkSize}`);
  const underlying =
    typeof source === "function"
      ? new PushedLines(source, chunkSize, options)
      : pulledSource(source, chunkSize, options);
  return new ReadableStream<Uint8Array>(underlying, { highWaterMark: 0 });
}

function line(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${typeof value} cannot be written as JSON`);
  return `${text}\n`;
}

/** Runs `onAbort` once if `signal` aborts; returns the detach function. */
function onAbort(signal: AbortSignal | undefined, abort: (reason: unknown) => void): () => void {
  if (signal === undefined) return () => {};
  const listener = (): void => abort(signal.reason);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

function pulledSource(
  values: AsyncIterable<unknown>,
  chunkSize: number,
  options: NdjsonStreamOptions,
): UnderlyingSource<Uint8Array> {
  const iterator = values[Symbol.asyncIterator]();
  let finished = false;
  let detach = (): void => {};
  const finish = (): boolean => {
    if (finished) return false;
    finished = true;
    detach();
    return true;
  };
  return {
    start(controller) {
      if (options.signal?.aborted) throw options.signal.reason;
      detach = onAbort(options.signal, (reason) => {
        if (!finish()) return;
        controller.error(reason);
        iterator.return?.().catch(() => {});
      });
    },
    async pull(controller) {
      let chunk = "";
      while (chunk.length < chunkSize) {
        const next = await iterator.next();
        if (finished) return;
        if (next.done) {
          finish();
          if (chunk !== "") controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += line(next.value);
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel(reason) {
      if (!finish()) return;
      options.onCancel?.(reason);
      try {
        await iterator.return?.();
      } catch {
        // The producer was stopped on purpose; how it unwinds is of no interest to anyone.
      }
    },
  };
}

/** A producer's lines, buffered up to one chunk and handed over as the consumer reads. */
class PushedLines implements UnderlyingSource<Uint8Array> {
  readonly #produce: (write: NdjsonWrite) => Promise<void>;
  readonly #chunkSize: number;
  readonly #options: NdjsonStreamOptions;
  #pending = "";
  #readWaiting = false;
  #finished = false;
  #parked: ((room: boolean) => void)[] = [];
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  #detach = (): void => {};

  constructor(
    produce: (write: NdjsonWrite) => Promise<void>,
    chunkSize: number,
    options: NdjsonStreamOptions,
  ) {
    this.#produce = produce;
    this.#chunkSize = chunkSize;
    this.#options = options;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#stream = controller;
    const { signal } = this.#options;
    if (signal?.aborted) throw signal.reason;
    this.#detach = onAbort(signal, (reason) => {
      if (this.#finish()) controller.error(reason);
    });
    let run: Promise<void>;
    try {
      run = this.#produce(this.#write);
    } catch (error) {
      run = Promise.reject(error);
    }
    run.then(
      () => {
        if (!this.#finish()) return;
        if (this.#pending !== "") controller.enqueue(encoder.encode(this.#pending));
        controller.close();
      },
      (error: unknown) => {
        if (this.#finish()) controller.error(error);
      },
    );
  }

  pull(): void {
    if (this.#pending !== "") this.#flush();
    else this.#readWaiting = true;
  }

  cancel(reason: unknown): void {
    this.#pending = "";
    if (this.#finish()) this.#options.onCancel?.(reason);
  }

  readonly #write: NdjsonWrite = async (value) => {
    if (this.#finished) return false;
    this.#pending += line(value);
    if (this.#readWaiting) this.#flush();
    if (this.#pending.length < this.#chunkSize) return true;
    return new Promise<boolean>((resume) => this.#parked.push(resume));
  };

  #flush(): void {
    this.#stream?.enqueue(encoder.encode(this.#pending));
    this.#pending = "";
    this.#readWaiting = false;
    this.#release(true);
  }

  /** Marks the stream done (closed, errored or cancelled); false when it already was. */
  #finish(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#detach();
    this.#release(false);
    return true;
  }

  #release(room: boolean): void {
    const writers = this.#parked;
    this.#parked = [];
    for (const resume of writers) resume(room);
  }
}
