/**
 * Parses an NDJSON (`application/x-ndjson`) body line by line as it streams. Leaving the loop
 * early (break, error) cancels the body, which tells the worker to stop producing.
 *
 * @param body a response body of newline-separated JSON values
 * @param signal stops the read; the loop then throws the signal's reason
 * @example
 * ```ts
 * import { ndjsonLines } from "@edge-async/client";
 * const response = await fetch("http://127.0.0.1:8788/v1/items/export");
 * for await (const item of ndjsonLines<{ id: number }>(response.body!)) console.log(item.id);
 * ```
 */
export async function* ndjsonLines<T>(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<T, void, undefined> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let buffered = "";
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      buffered += value;
      let newline = buffered.indexOf("\n");
      while (newline !== -1) {
        // Lines already read stop with the signal too, not only the next read.
        signal?.throwIfAborted();
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== "") yield JSON.parse(line) as T;
        newline = buffered.indexOf("\n");
      }
    }
    if (buffered.trim() !== "") yield JSON.parse(buffered) as T;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
