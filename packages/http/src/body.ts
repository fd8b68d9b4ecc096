/**
 * Thrown by {@link limitedChunks} when a body grows past its limit; the stream is cancelled first.
 *
 * @example
 * ```ts
 * import { BodyTooLargeError } from "@edge-async/http";
 * const error = new BodyTooLargeError(1024);
 * console.assert(error.maxBytes === 1024);
 * ```
 */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`The body is larger than ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

/**
 * Yields the chunks of `body` while their total stays within `maxBytes`. Past it, or when
 * `signal` aborts, the stream is cancelled (which closes the connection behind it) and the
 * iteration throws {@link BodyTooLargeError} or the signal's reason. Leaving the loop early
 * cancels the stream too, so nothing is read that nobody wants.
 *
 * @example
 * ```ts
 * import { limitedChunks } from "@edge-async/http";
 * const response = await fetch("https://example.com/");
 * let size = 0;
 * for await (const chunk of limitedChunks(response.body!, 1_048_576)) size += chunk.byteLength;
 * ```
 */
export async function* limitedChunks(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const reader = body.getReader();
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      // A cancel from the abort listener ends the stream like a normal end would.
      signal?.throwIfAborted();
      if (done) {
        finished = true;
        return;
      }
      received += value.byteLength;
      if (received > maxBytes) throw new BodyTooLargeError(maxBytes);
      yield value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Reads all of `body` into one array, refusing past `maxBytes` as {@link limitedChunks} does.
 *
 * @example
 * ```ts
 * import { readLimited } from "@edge-async/http";
 * const bytes = await readLimited(new Response("hello").body!, 1024);
 * console.assert(bytes.byteLength === 5);
 * ```
 */
export async function readLimited(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of limitedChunks(body, maxBytes, options)) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * A `Content-Length` that already announces more than `maxBytes`, so the body need not be read.
 *
 * @example
 * ```ts
 * import { declaresMoreThan } from "@edge-async/http";
 * console.assert(declaresMoreThan(new Headers({ "content-length": "2048" }), 1024));
 * ```
 */
export function declaresMoreThan(headers: Headers, maxBytes: number): boolean {
  const declared = Number(headers.get("content-length") ?? Number.NaN);
  return Number.isFinite(declared) && declared > maxBytes;
}
