import { beforeAll, describe, expect, it } from "vitest";
import { MAX_CHECKPOINT_EVERY } from "../src/changes-contract.ts";
import { api, ingest, json, makeItem, resetItems } from "./helpers.ts";

// checkpointEvery is read as `limit` is: plain decimal digits only, so no spelling that Number()
// happens to read (exponent, padding, hex, a fraction, a plus sign) picks an interval.

const T0 = Date.parse("2026-11-02T00:00:00Z");
const NOT_PLAIN = {
  parameter: "checkpointEvery",
  detail: "checkpointEvery must be a whole number from 1 to 100000, in plain digits",
};

/** The export's lines for a raw query string (sent as written, percent-escapes included). */
async function exportLines(search: string): Promise<Record<string, unknown>[]> {
  const response = await api(`/v1/items/export?${search}`);
  expect(response.status, search).toBe(200);
  // NDJSON is UTF-8 (RFC 8259 §8.1); decoded from bytes, as a reader of the stream would.
  return new TextDecoder()
    .decode(await response.arrayBuffer())
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Where the checkpoint lines fall, as the `count` each states. */
const checkpointCounts = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => "checkpoint" in line).map((line) => line.count);

describe("GET /v1/items/export?checkpointEvery=", () => {
  beforeAll(async () => {
    await resetItems();
    await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i * 60_000)));
  });

  it.each([
    ["1e3", "an exponent"],
    ["%201000", "a leading space"],
    ["1000%20", "a trailing space"],
    ["0x10", "hex"],
    ["1.0", "a fraction"],
    ["%2B5", "a plus sign"],
    ["", "nothing"],
    ["five", "a word"],
    ["-", "a sign alone"],
  ])("refuses %s (%s): 400 saying what to send, once", async (value) => {
    const response = await api(`/v1/items/export?checkpointEvery=${value}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await json<{ errors: unknown[] }>(response)).errors).toEqual([NOT_PLAIN]);
  });

  it.each([
    ["0", "checkpointEvery must be at least 1"],
    ["-1", "checkpointEvery must be at least 1"],
    [String(MAX_CHECKPOINT_EVERY + 1), "checkpointEvery must be at most 100000"],
    // Read by value however long, as limit is: past a double's exact range it is still too many.
    ["9007199254740993", "checkpointEvery must be at most 100000"],
    ["9".repeat(400), "checkpointEvery must be at most 100000"],
    [`-${"9".repeat(40)}`, "checkpointEvery must be at least 1"],
  ])("refuses %s, naming the bound it misses", async (value, detail) => {
    const response = await api(`/v1/items/export?checkpointEvery=${value}`);
    expect(response.status).toBe(400);
    expect((await json<{ errors: unknown[] }>(response)).errors).toEqual([
      { parameter: "checkpointEvery", detail },
    ]);
  });

  it("takes plain digits from 1 to 100000 as that interval", async () => {
    expect(checkpointCounts(await exportLines("checkpointEvery=2"))).toEqual([2, 4]);
    expect(checkpointCounts(await exportLines("checkpointEvery=1"))).toEqual([1, 2, 3, 4, 5]);
    // Leading zeros are still plain digits, however many.
    expect(checkpointCounts(await exportLines("checkpointEvery=002"))).toEqual([2, 4]);
    const zeros = `${"0".repeat(30)}2`;
    expect(checkpointCounts(await exportLines(`checkpointEvery=${zeros}`))).toEqual([2, 4]);
    const widest = await exportLines(`checkpointEvery=${MAX_CHECKPOINT_EVERY}`);
    expect(widest).toHaveLength(5);
    expect(checkpointCounts(widest)).toEqual([]);
  });
});
