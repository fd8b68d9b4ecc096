import { TooLargeError, type UpstreamAnswer } from "./results.ts";

/**
 * Reads an upstream response into an {@link UpstreamAnswer}: the body incrementally, cancelling
 * the stream (and so the connection) as soon as it grows past `maxBytes`, and aborting with
 * `signal`. The body is parsed JSON when the content type says JSON and it parses, else text.
 *
 * @example
 * ```ts
 * import { readAnswer } from "./upstream-body.ts";
 * const answer = await readAnswer(Response.json({ a: 1 }), { maxBytes: 1024, signal: AbortSignal.timeout(1_000) });
 * console.assert(answer.status === 200 && (answer.body as { a: number }).a === 1);
 * ```
 */
export async function readAnswer(
  response: Response,
  options: { maxBytes: number; signal: AbortSignal; method?: string },
): Promise<UpstreamAnswer> {
  const { maxBytes, signal } = options;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  const answer = (body: unknown): UpstreamAnswer =>
    retryAfterMs === undefined
      ? { status: response.status, body }
      : { status: response.status, body, retryAfterMs };
  if (options.method === "HEAD" || response.body === null) {
    await response.body?.cancel();
    return answer(undefined);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel();
    throw new TooLargeError(maxBytes);
  }
  const reader = response.body.getReader();
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > maxBytes) {
        await reader.cancel(new TooLargeError(maxBytes));
        throw new TooLargeError(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  // A cancel from the abort listener ends the loop like a normal end of stream would.
  if (signal.aborted) throw signal.reason;
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  return answer(parseBody(text, response.headers.get("content-type")));
}

function parseBody(text: string, contentType: string | null): unknown {
  const mediaType = contentType?.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (mediaType !== "application/json" && !mediaType.endsWith("+json")) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Fractional
 * seconds are accepted too (not standard, but harmless and handy for tests).
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./upstream-body.ts";
 * console.assert(parseRetryAfter("2") === 2_000);
 * console.assert(parseRetryAfter("soon") === undefined);
 * ```
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
