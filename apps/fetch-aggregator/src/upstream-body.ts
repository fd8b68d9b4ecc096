import {
  BodyTooLargeError,
  declaresMoreThan,
  parseRetryAfter,
  readLimited,
} from "@edge-async/http";
import { TooLargeError, type UpstreamAnswer } from "./results.ts";

/**
 * Reads an upstream response into an {@link UpstreamAnswer}: the body incrementally, cancelling
 * the stream (and so the connection) as soon as it grows past `maxBytes`, and aborting with
 * `signal`. The body is parsed JSON when the content type says JSON and it parses, else text.
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
  if (declaresMoreThan(response.headers, maxBytes)) {
    await response.body.cancel();
    throw new TooLargeError(maxBytes);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(response.body, maxBytes, { signal });
  } catch (error) {
    throw error instanceof BodyTooLargeError ? new TooLargeError(maxBytes) : error;
  }
  return answer(parseBody(new TextDecoder().decode(bytes), response.headers.get("content-type")));
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
