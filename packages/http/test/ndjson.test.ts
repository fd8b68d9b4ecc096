import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NDJSON_HEADERS, type NdjsonWrite, ndjsonStream, wantsNdjson } from "../src/index.ts";

const decoder = new TextDecoder();
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return decoder.decode(await new Response(stream).arrayBuffer());
}

function countingSource(total: number) {
  const state = { produced: 0, finished: false };
  async function* values() {
    try {
      for (let i = 0; i < total; i++) {
        state.produced += 1;
        yield { i, padding: "x".repeat(100) };
      }
    } finally {
      state.finished = true;
    }
  }
  return { state, values: values() };
}

/** A producer driven by hand: the test calls `write` and settles `done` itself. */
function manualProducer() {
  let write!: NdjsonWrite;
  const done = Promise.withResolvers<void>();
  const produce = (given: NdjsonWrite) => {
    write = given;
    return done.promise;
  };
  return { produce, done, write: (value: unknown) => write(value) };
}

describe("wantsNdjson", () => {
  it("reads the Accept header, honouring q=0", () => {
    expect(wantsNdjson("application/x-ndjson")).toBe(true);
    expect(wantsNdjson("application/json, application/x-ndjson;q=0.1")).toBe(true);
    expect(wantsNdjson("Application/X-NDJSON ; charset=utf-8")).toBe(true);
    expect(wantsNdjson("application/x-ndjson; q=0")).toBe(false);
    expect(wantsNdjson("*/*")).toBe(false);
    expect(wantsNdjson(undefined)).toBe(false);
    expect(wantsNdjson(null)).toBe(false);
  });

  it("declares the media type, no caching and nosniff", () => {
    expect(NDJSON_HEADERS).toEqual({
      "content-type": "application/x-ndjson; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
  });
});

describe("ndjsonStream over an async iterable", () => {
  it("produces nothing before the first read and one chunk per read", async () => {
    const { state, values } = countingSource(100_000);
    const reader = ndjsonStream(values, { chunkSize: 1024 }).getReader();
    await tick();
    expect(state.produced).toBe(0);
    const first = await reader.read();
    // ~120 bytes a line: a 1 KiB chunk takes 9 lines.
    expect(state.produced).toBe(9);
    expect(decoder.decode(first.value).split("\n")).toHaveLength(10);
    await tick();
    expect(state.produced).toBe(9);
    await reader.read();
    expect(state.produced).toBe(18);
    await reader.cancel();
  });

  it("closes the source and reports the reason when cancelled", async () => {
    const { state, values } = countingSource(100_000);
    const reasons: unknown[] = [];
    const reader = ndjsonStream(values, { onCancel: (reason) => reasons.push(reason) }).getReader();
    await reader.read();
    await reader.cancel("gone");
    expect(reasons).toEqual(["gone"]);
    expect(state.finished).toBe(true);
  });

  it("errors the stream and closes the source when the signal aborts", async () => {
    const { state, values } = countingSource(100_000);
    const controller = new AbortController();
    const reader = ndjsonStream(values, { signal: controller.signal }).getReader();
    await reader.read();
    controller.abort(new Error("deadline"));
    await expect(reader.read()).rejects.toThrow("deadline");
    await tick();
    expect(state.finished).toBe(true);
  });

  it("errors the stream on a value JSON cannot represent", async () => {
    async function* values() {
      yield 1;
      yield undefined;
    }
    await expect(readAll(ndjsonStream(values()))).rejects.toThrow(TypeError);
  });

  it("refuses a chunk size below 1", () => {
    async function* none() {}
    expect(() => ndjsonStream(none(), { chunkSize: 0 })).toThrow(RangeError);
  });
});

describe("ndjsonStream fed by a producer", () => {
  it("starts the producer at once and sends a line written while a read waits", async () => {
    const producer = manualProducer();
    const reader = ndjsonStream(producer.produce).getReader();
    const read = reader.read();
    await expect(producer.write({ n: 1 })).resolves.toBe(true);
    expect(decoder.decode((await read).value)).toBe('{"n":1}\n');
    producer.done.resolve();
    expect((await reader.read()).done).toBe(true);
  });

  it("has room until a chunk is full, then waits for a read", async () => {
    const producer = manualProducer();
    const reader = ndjsonStream(producer.produce, { chunkSize: 20 }).getReader();
    await expect(producer.write("0123456")).resolves.toBe(true); // 10 units
    let settled = false;
    const full = producer.write("0123456").then((room) => {
      settled = true;
      return room;
    });
    await tick();
    expect(settled).toBe(false);
    const chunk = await reader.read();
    expect(decoder.decode(chunk.value)).toBe('"0123456"\n"0123456"\n');
    await expect(full).resolves.toBe(true);
    producer.done.resolve();
    expect((await reader.read()).done).toBe(true);
  });

  it("sends what is left and closes when the producer resolves", async () => {
    const text = await readAll(
      ndjsonStream(async (write) => {
        await write({ a: 1 });
        await write("two");
        await write([3]);
      }),
    );
    expect(text).toBe('{"a":1}\n"two"\n[3]\n');
  });

  it("answers false to writes once the client cancels, and calls onCancel once", async () => {
    const producer = manualProducer();
    const reasons: unknown[] = [];
    const stream = ndjsonStream(producer.produce, {
      chunkSize: 1,
      onCancel: (reason) => reasons.push(reason),
    });
    const parked = producer.write({ waiting: true });
    await stream.cancel("client gone");
    await expect(parked).resolves.toBe(false);
    await expect(producer.write({ after: true })).resolves.toBe(false);
    expect(reasons).toEqual(["client gone"]);
    producer.done.resolve();
  });

  it("errors the stream when the producer rejects", async () => {
    const stream = ndjsonStream(async (write) => {
      await write({ ok: 1 });
      throw new Error("upstream broke");
    });
    await expect(readAll(stream)).rejects.toThrow("upstream broke");
  });

  it("errors the stream when the producer throws before its first await", async () => {
    const produce = (() => {
      throw new Error("sync failure");
    }) as unknown as (write: NdjsonWrite) => Promise<void>;
    await expect(readAll(ndjsonStream(produce))).rejects.toThrow("sync failure");
  });

  it("errors the stream and answers false when the signal aborts", async () => {
    const producer = manualProducer();
    const controller = new AbortController();
    const reader = ndjsonStream(producer.produce, {
      chunkSize: 1,
      signal: controller.signal,
    }).getReader();
    const parked = producer.write(1);
    controller.abort(new Error("deadline"));
    await expect(parked).resolves.toBe(false);
    await expect(reader.read()).rejects.toThrow("deadline");
    producer.done.resolve();
  });

  it("rejects a write of a value JSON cannot represent", async () => {
    const producer = manualProducer();
    ndjsonStream(producer.produce);
    await expect(producer.write(() => {})).rejects.toThrow(TypeError);
    await expect(producer.write(10n)).rejects.toThrow(TypeError);
    producer.done.resolve();
  });

  it("errors at once for an already aborted signal", async () => {
    let started = false;
    const stream = ndjsonStream(
      async () => {
        started = true;
      },
      { signal: AbortSignal.abort(new Error("too late")) },
    );
    await expect(readAll(stream)).rejects.toThrow("too late");
    expect(started).toBe(false);
  });
});

describe("ndjsonStream round trip", () => {
  it("writes every JSON value as one line, whatever the source and chunk size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        async (values, chunkSize, pushed) => {
          async function* pulled() {
            yield* values;
          }
          const source = pushed
            ? async (write: NdjsonWrite) => {
                for (const value of values) await write(value);
              }
            : pulled();
          const text = await readAll(ndjsonStream(source, { chunkSize }));
          const lines = text === "" ? [] : text.slice(0, -1).split("\n");
          expect(text === "" || text.endsWith("\n")).toBe(true);
          expect(lines.map((line) => JSON.parse(line))).toEqual(
            values.map((value) => JSON.parse(JSON.stringify(value))),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
