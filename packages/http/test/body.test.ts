import { describe, expect, it } from "vitest";
import { BodyTooLargeError, declaresMoreThan, limitedChunks, readLimited } from "../src/index.ts";

/** A stream of `count` chunks of `size` bytes that records how far it was read and whether it was cancelled. */
function trackedStream(count: number, size: number) {
  const state = { pulled: 0, cancelled: false as boolean, reason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === count) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(state.pulled));
    },
    cancel(reason) {
      state.cancelled = true;
      state.reason = reason;
    },
  });
  return { stream, state };
}

describe("limitedChunks / readLimited", () => {
  it("reads a body within the limit, exactly at it included", async () => {
    const { stream, state } = trackedStream(4, 256);
    const bytes = await readLimited(stream, 1024);
    expect(bytes.byteLength).toBe(1024);
    expect(bytes[0]).toBe(1);
    expect(bytes[1023]).toBe(4);
    expect(state.cancelled).toBe(false);
  });

  it("stops at the first chunk past the limit and cancels the stream", async () => {
    const { stream, state } = trackedStream(100, 256);
    await expect(readLimited(stream, 1000)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(state.pulled).toBeLessThan(8);
    expect(state.cancelled).toBe(true);
  });

  it("cancels the stream when the consumer leaves early", async () => {
    const { stream, state } = trackedStream(100, 16);
    for await (const chunk of limitedChunks(stream, 1 << 20)) {
      expect(chunk.byteLength).toBe(16);
      break;
    }
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(5);
  });

  it("rejects with the signal's reason, before and during the read", async () => {
    const early = new AbortController();
    early.abort(new Error("gone"));
    await expect(
      readLimited(trackedStream(1, 1).stream, 10, { signal: early.signal }),
    ).rejects.toThrow("gone");

    const controller = new AbortController();
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const reading = readLimited(stalled, 10, { signal: controller.signal });
    controller.abort(new Error("client left"));
    await expect(reading).rejects.toThrow("client left");
  });

  it("knows when Content-Length already says too much", () => {
    expect(declaresMoreThan(new Headers({ "content-length": "11" }), 10)).toBe(true);
    expect(declaresMoreThan(new Headers({ "content-length": "10" }), 10)).toBe(false);
    expect(declaresMoreThan(new Headers(), 10)).toBe(false);
  });
});
