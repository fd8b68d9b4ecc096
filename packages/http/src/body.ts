/// <reference path="./node-zlib.d.ts" />
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

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

/**
 * The content codings {@link decodeContent} can undo, in the order an `Accept-Encoding` answer
 * lists them.
 */
export const ACCEPTED_CONTENT_CODINGS = ["gzip", "deflate", "br"] as const;

/**
 * A content coding {@link decodeContent} undoes (RFC 9110 §8.4.1); `deflate` is the zlib format,
 * `br` is Brotli (RFC 7932).
 */
export type ContentCoding = (typeof ACCEPTED_CONTENT_CODINGS)[number];

/**
 * A `Content-Encoding` this package cannot undo: an unknown coding, or more than one coding
 * stacked. `value` is the field value as sent.
 *
 * @example
 * ```ts
 * import { contentCodingOf, UnsupportedContentEncodingError } from "@edge-async/http";
 * try { contentCodingOf("zstd"); } catch (error) { console.assert(error instanceof UnsupportedContentEncodingError); }
 * ```
 */
export class UnsupportedContentEncodingError extends Error {
  override name = "UnsupportedContentEncodingError";
  readonly value: string;
  constructor(value: string) {
    super(`Content-Encoding ${JSON.stringify(value)} is not supported`);
    this.value = value;
  }
}

/**
 * Bytes that are not valid in the content coding they declare (corrupt, truncated, empty, or
 * followed by bytes that are not another gzip member); `cause` is the decompressor's error.
 *
 * @example
 * ```ts
 * import { ContentDecodingError } from "@edge-async/http";
 * const error = new ContentDecodingError("gzip", new Error("incorrect header check"));
 * console.assert(error.coding === "gzip");
 * ```
 */
export class ContentDecodingError extends Error {
  override name = "ContentDecodingError";
  readonly coding: ContentCoding;
  constructor(coding: ContentCoding, cause: unknown) {
    super(`The body is not valid ${coding}`, { cause });
    this.coding = coding;
  }
}

/**
 * The single content coding a `Content-Encoding` field value applies (RFC 9110 §8.4), or
 * `undefined` for none: absent, empty or only `identity`. Names are case-insensitive and
 * `x-gzip` means `gzip` (§8.4.1.3).
 *
 * @param value - The field value, as `Headers.get` returns it.
 * @throws UnsupportedContentEncodingError for a coding outside {@link ACCEPTED_CONTENT_CODINGS}
 *   or for several codings stacked.
 * @example
 * ```ts
 * import { contentCodingOf } from "@edge-async/http";
 * console.assert(contentCodingOf("GZIP") === "gzip" && contentCodingOf(null) === undefined);
 * ```
 */
export function contentCodingOf(value: string | null): ContentCoding | undefined {
  if (value === null) return undefined;
  const codings = value
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity")
    .map((coding) => (coding === "x-gzip" ? "gzip" : coding));
  if (codings.length === 0) return undefined;
  const [coding] = codings;
  if (codings.length > 1 || !ACCEPTED_CONTENT_CODINGS.some((accepted) => accepted === coding))
    throw new UnsupportedContentEncodingError(value);
  return coding as ContentCoding;
}

// Synchronous, so that maxOutputLength stops a "zip bomb" as soon as it passes the limit: the
// web DecompressionStream inflates every chunk written to it in full, with no backpressure.
const DECODERS: Record<
  ContentCoding,
  (bytes: Uint8Array, options: { maxOutputLength: number }) => Uint8Array
> = {
  gzip: gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * Undoes `coding` on `bytes`, stopping as soon as the output would pass `maxBytes`, so a small
 * body that inflates enormously costs about `maxBytes` of work and memory, never its full size.
 * Uses `node:zlib`, so a worker needs the `nodejs_compat` compatibility flag.
 *
 * @param bytes - The body as sent.
 * @param maxBytes - Largest decoded size accepted, in bytes.
 * @returns The decoded bytes.
 * @throws BodyTooLargeError past `maxBytes`; ContentDecodingError when `bytes` are not valid
 *   `coding`.
 * @example
 * ```ts
 * import { gzipSync } from "node:zlib";
 * import { decodeContent } from "@edge-async/http";
 * const bytes = decodeContent(gzipSync("hello"), "gzip", 1024);
 * console.assert(new TextDecoder().decode(bytes) === "hello");
 * ```
 */
export function decodeContent(
  bytes: Uint8Array,
  coding: ContentCoding,
  maxBytes: number,
): Uint8Array {
  try {
    // maxOutputLength takes a whole number from 1 up to what a buffer can hold (an option out
    // of range is a RangeError too); the check below covers a limit of 0.
    const maxOutputLength = Math.max(1, Math.min(Math.floor(maxBytes), 2 ** 30));
    const decoded = DECODERS[coding](bytes, { maxOutputLength });
    if (decoded.byteLength > maxBytes) throw new RangeError("decoded body too large");
    // A plain view rather than node's Buffer subclass, which compares and serialises differently.
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  } catch (error) {
    // Node and workerd both raise a RangeError when the output would pass maxOutputLength.
    if (error instanceof RangeError) throw new BodyTooLargeError(maxBytes);
    throw new ContentDecodingError(coding, error);
  }
}

/**
 * Reads all of `body` and undoes `coding` on it: {@link readLimited} then, with a coding,
 * {@link decodeContent}, so `maxBytes` bounds the body both as sent and as decoded.
 *
 * @throws BodyTooLargeError; ContentDecodingError; the signal's reason.
 * @example
 * ```ts
 * import { contentCodingOf, readDecoded } from "@edge-async/http";
 * const coding = contentCodingOf(request.headers.get("content-encoding"));
 * const bytes = await readDecoded(request.body!, coding, 1_048_576, { signal: request.signal });
 * ```
 */
export async function readDecoded(
  body: ReadableStream<Uint8Array>,
  coding: ContentCoding | undefined,
  maxBytes: number,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const bytes = await readLimited(body, maxBytes, options);
  return coding === undefined ? bytes : decodeContent(bytes, coding, maxBytes);
}
