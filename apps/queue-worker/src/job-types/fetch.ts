import { retry, withTimeout } from "@edge-async/async-utils";
import {
  BodyTooLargeError,
  isRetryableStatus,
  limitedChunks,
  type TargetPolicy,
} from "@edge-async/http";
import * as z from "zod";
import { PermanentJobError, RetryableJobError } from "../errors.ts";
import { fetchOutbound } from "../outbound.ts";
import { httpRetryOptions, responseError } from "./http-status.ts";
import { jobUrl } from "./http-url.ts";
import { defineJobType } from "./job-type.ts";

/** What a `fetch` job records as its result: enough to tell what came back without storing it. */
interface FetchResult {
  url: string;
  finalUrl: string;
  status: number;
  ok: boolean;
  contentType: string | null;
  bytes: number;
  sha256: string;
  tries: number;
}

/**
 * `fetch`: GETs (or HEADs) a URL, each try under its own timeout, retrying network errors,
 * timeouts, 408, 429 and 5xx with jittered backoff; records the status, the body's size and its
 * SHA-256 (streamed, never buffered whole). Any other status is a completed fetch and is recorded.
 * The URL and each redirect hop must pass the outbound policy; a refused one kills the job.
 */
export const fetchJob = defineJobType({
  name: "fetch",
  description: "Fetches a URL; records status, byte size and SHA-256 of the body.",
  payload: z.strictObject({
    url: jobUrl("url"),
    method: z.enum(["GET", "HEAD"]).default("GET"),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    retries: z.number().int().min(0).max(5).default(2),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(10 * 1024 * 1024),
  }),
  outboundUrls: (payload) => ({ "/url": payload.url }),
  async run(payload, { outbound: policy, signal }): Promise<FetchResult> {
    let tries = 0;
    const result = await retry(
      (_attempt, retrySignal) => {
        tries++;
        return withTimeout(
          (trySignal) => fetchAndHash(payload, policy, trySignal),
          payload.timeoutMs,
          {
            signal: retrySignal,
            message: `fetch of ${payload.url} took longer than ${payload.timeoutMs} ms`,
          },
        );
      },
      httpRetryOptions(payload.retries, signal),
    );
    return { ...result, tries };
  },
});

async function fetchAndHash(
  payload: { url: string; method: "GET" | "HEAD"; maxBytes: number },
  policy: TargetPolicy,
  signal: AbortSignal,
): Promise<Omit<FetchResult, "tries">> {
  const { response, url: finalUrl } = await fetchOutbound(
    payload.url,
    { method: payload.method, signal },
    policy,
  );
  if (isRetryableStatus(response.status)) throw await responseError(response, payload.url);
  const digest = new crypto.DigestStream("SHA-256");
  // Aborting the writer rejects `digest.digest`; it is awaited only on success, so mark it handled.
  digest.digest.catch(() => {});
  const writer = digest.getWriter();
  let bytes = 0;
  if (response.body !== null) {
    try {
      // Past maxBytes, or on abort, the body is cancelled, which closes the connection.
      for await (const chunk of limitedChunks(response.body, payload.maxBytes, { signal })) {
        bytes += chunk.byteLength;
        await writer.write(chunk);
      }
    } catch (error) {
      await writer.abort(error).catch(() => {});
      if (signal.aborted) throw signal.reason;
      if (error instanceof BodyTooLargeError) {
        throw new PermanentJobError(`the body of ${payload.url} exceeds ${payload.maxBytes} bytes`);
      }
      throw new RetryableJobError(`reading the body of ${payload.url} failed`, { cause: error });
    }
  }
  await writer.close();
  return {
    url: payload.url,
    finalUrl,
    status: response.status,
    ok: response.ok,
    contentType: response.headers.get("content-type"),
    bytes,
    sha256: toHex(new Uint8Array(await digest.digest)),
  };
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
