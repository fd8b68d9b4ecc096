import { brotliCompressSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BodyTooLargeError,
  type ContentCoding,
  ContentDecodingError,
  contentCodingOf,
  decodeContent,
  readDecoded,
  UnsupportedContentEncodingError,
} from "../src/index.ts";

declare module "node:zlib" {
  function brotliCompressSync(buffer: Uint8Array): Uint8Array;
}

async function compress(bytes: Uint8Array, coding: ContentCoding | "deflate-raw") {
  if (coding === "br") return brotliCompressSync(bytes);
  const stream = new Response(bytes).body?.pipeThrough(new CompressionStream(coding));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `bytes` as a stream of `size`-byte chunks that records how much was pulled and whether it was cancelled. */
function sender(bytes: Uint8Array, size: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.slice(state.pulled, state.pulled + size));
        state.pulled = Math.min(bytes.byteLength, state.pulled + size);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

function failure(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

const codings = fc.constantFrom<ContentCoding>("gzip", "deflate", "br");

describe("contentCodingOf", () => {
  it.each([
    [null, undefined],
    ["", undefined],
    ["identity", undefined],
    ["gzip", "gzip"],
    ["GZip", "gzip"],
    ["x-gzip", "gzip"],
    ["deflate", "deflate"],
    ["br", "br"],
    ["identity, deflate", "deflate"],
    [" gzip ,", "gzip"],
  ])("reads %j as %j", (value, coding) => {
    expect(contentCodingOf(value)).toBe(coding);
  });

  it.each([
    ["compress"],
    ["zstd"],
    ["x-compress"],
    ["gzip, gzip"],
    ["deflate, gzip"],
    ["gzip, br"],
    ["gzip;q=1"],
    ["*"],
  ])("refuses %j", (value) => {
    expect(() => contentCodingOf(value)).toThrow(UnsupportedContentEncodingError);
  });
});

describe("decodeContent", () => {
  it("undoes gzip, deflate and br", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4_000 }), codings, async (bytes, coding) => {
        const decoded = decodeContent(await compress(bytes, coding), coding, 4_000);
        expect(decoded).toEqual(bytes);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses bytes that are not in the declared coding", async () => {
    const json = new TextEncoder().encode('{"a":1}');
    const gzip = await compress(json, "gzip");
    const cases: [Uint8Array, ContentCoding][] = [
      [json, "gzip"], // the example: plain JSON labelled gzip
      [json, "deflate"],
      [json, "br"],
      [gzip.subarray(0, -4), "gzip"], // truncated
      [Uint8Array.from([...gzip, 1, 2, 3]), "gzip"], // trailing bytes
      [gzip, "deflate"],
      [await compress(json, "deflate-raw"), "deflate"], // deflate is the zlib format
      [new Uint8Array(0), "gzip"],
      [new Uint8Array(0), "br"],
    ];
    for (const [bytes, coding] of cases) {
      const error = failure(() => decodeContent(bytes, coding, 1_000));
      expect(error).toBeInstanceOf(ContentDecodingError);
      expect((error as ContentDecodingError).coding).toBe(coding);
    }
  });

  it("takes exactly maxBytes decoded and refuses one more", async () => {
    for (const coding of ["gzip", "deflate", "br"] as const) {
      const encoded = await compress(new Uint8Array(1_000).fill(65), coding);
      expect(decodeContent(encoded, coding, 1_000).byteLength).toBe(1_000);
      expect(failure(() => decodeContent(encoded, coding, 999))).toBeInstanceOf(BodyTooLargeError);
    }
    const one = await compress(new Uint8Array(1), "gzip");
    expect(failure(() => decodeContent(one, "gzip", 0))).toBeInstanceOf(BodyTooLargeError);
    expect(decodeContent(await compress(new Uint8Array(0), "gzip"), "gzip", 0)).toHaveLength(0);
  });

  it("refuses a 1 MiB gzip body that would inflate to 1 GiB", async () => {
    const zeros = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 16; i++) controller.enqueue(new Uint8Array(1 << 20));
        controller.close();
      },
    });
    const member = new Uint8Array(
      await new Response(zeros.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );
    expect(decodeContent(member, "gzip", 16 << 20)).toHaveLength(16 << 20);
    // 64 gzip members of 16 MiB each make one valid gzip body (RFC 1952 §2.2).
    const bomb = new Uint8Array(member.byteLength * 64);
    for (let i = 0; i < 64; i++) bomb.set(member, i * member.byteLength);
    expect(bomb.byteLength).toBeLessThan(1 << 20);
    expect(failure(() => decodeContent(bomb, "gzip", 1 << 20))).toBeInstanceOf(BodyTooLargeError);
  });

  it("refuses a small br body that inflates past the limit", () => {
    const bomb = brotliCompressSync(new Uint8Array(4 << 20));
    expect(bomb.byteLength).toBeLessThan(1024);
    expect(failure(() => decodeContent(bomb, "br", 1 << 20))).toBeInstanceOf(BodyTooLargeError);
  });
});

describe("readDecoded", () => {
  it("reads a body, with or without a coding", async () => {
    const json = new TextEncoder().encode('{"a":1}');
    expect(await readDecoded(sender(json, 3).stream, undefined, 7)).toEqual(json);
    const gzip = await compress(json, "gzip");
    expect(await readDecoded(sender(gzip, 5).stream, "gzip", 100)).toEqual(json);
  });

  it("refuses a body larger than the limit as sent, without reading it all", async () => {
    const random = crypto.getRandomValues(new Uint8Array(10_000));
    const { stream, state } = sender(await compress(random, "gzip"), 100);
    await expect(readDecoded(stream, "gzip", 1_000)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(state.pulled).toBeLessThanOrEqual(1_100);
    expect(state.cancelled).toBe(true);
  });

  it("stops at an abort with its reason", async () => {
    const { stream, state } = sender(await compress(new Uint8Array(1_000), "deflate"), 1);
    const controller = new AbortController();
    controller.abort(new Error("client went away"));
    await expect(
      readDecoded(stream, "deflate", 10_000, { signal: controller.signal }),
    ).rejects.toThrow("client went away");
    expect(state.pulled).toBe(0);
  });
});
