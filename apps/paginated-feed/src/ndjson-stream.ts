/** Options for {@link ndjsonStream}. */
export interface NdjsonStreamOptions {
  /** Lines are gathered into chunks of about this many bytes (UTF-16 units); default 16 KiB. */
  chunkSize?: number;
  /** Called once when the consumer cancels (client gone) so the producer can stop its I/O. */
  onCancel?: (reason: unknown) => void;
}

const encoder = new TextEncoder();

/**
 * Streams values as NDJSON, one JSON document per line, pulling from `values` only when the
 * consumer reads: `highWaterMark: 0` means nothing is produced ahead of a read, so a slow client
 * holds the producer at one chunk and memory stays flat whatever the total size. Cancelling the
 * stream (the client disconnecting) calls `onCancel` and closes the iterator, which runs the
 * producer's `finally` blocks.
 *
 * @example
 * ```ts
 * async function* numbers() { for (let n = 0; n < 3; n++) yield { n }; }
 * const text = await new Response(ndjsonStream(numbers())).text(); // '{"n":0}\n{"n":1}\n{"n":2}\n'
 * ```
 */
export function ndjsonStream(
  values: AsyncIterable<unknown>,
  options: NdjsonStreamOptions = {},
): ReadableStream<Uint8Array> {
  const chunkSize = options.chunkSize ?? 16 * 1024;
  const iterator = values[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk = "";
        while (chunk.length < chunkSize) {
          const next = await iterator.next();
          if (next.done) {
            if (chunk !== "") controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${JSON.stringify(next.value)}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      },
      async cancel(reason) {
        options.onCancel?.(reason);
        try {
          await iterator.return?.();
        } catch {
          // The producer was stopped on purpose; how it unwinds is of no interest to anyone.
        }
      },
    },
    { highWaterMark: 0 },
  );
}
