import { HttpProblem } from "@edge-async/http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { createCursorCodec, MAX_CURSOR_LENGTH } from "../src/index.ts";

const schema = z.tuple([z.number(), z.number()]);
const codec = createCursorCodec({ secret: "s3cret", purpose: "feed.items", schema });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  const problem = error as HttpProblem;
  expect(problem.status).toBe(400);
  expect(problem.details.errors).toEqual([{ parameter: "cursor", detail: problem.message }]);
  return problem.message;
}

describe("createCursorCodec", () => {
  it("round-trips a position bound to its filters, whatever their key order", async () => {
    const token = await codec.encode([1700000000000, 42], {
      topic: "rust",
      since: 5,
      until: undefined,
    });
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(await codec.decode(token, { since: 5, topic: "rust" })).toEqual([1700000000000, 42]);
  });

  it("refuses a tampered payload or signature", async () => {
    const token = await codec.encode([1, 2]);
    const [payload, mac] = token.split(".") as [string, string];
    const forged = btoa(
      JSON.stringify({
        f: JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/"))).f,
        p: [1, 999],
      }),
    )
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    expect(await refusal(codec.decode(`${forged}.${mac}`))).toMatch(/altered/);
    const flipped = mac.startsWith("A") ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
    expect(await refusal(codec.decode(`${payload}.${flipped}`))).toMatch(/altered/);
  });

  it("refuses truncated and malformed tokens", async () => {
    const token = await codec.encode([1, 2]);
    for (const bad of [
      token.slice(0, -3),
      token.split(".")[0]!,
      `${token}.x`,
      "",
      "...",
      "a.b",
      "%%%.%%%",
    ]) {
      expect(await refusal(codec.decode(bad))).toMatch(/malformed|truncated|altered/);
    }
    expect(await refusal(codec.decode("a".repeat(MAX_CURSOR_LENGTH + 1)))).toMatch(/malformed/);
  });

  it("refuses a cursor from another endpoint or signed with another secret", async () => {
    const token = await codec.encode([1, 2]);
    const otherPurpose = createCursorCodec({ secret: "s3cret", purpose: "jobs.list", schema });
    const otherSecret = createCursorCodec({ secret: "other", purpose: "feed.items", schema });
    expect(await refusal(otherPurpose.decode(token))).toMatch(/not issued/);
    expect(await refusal(otherSecret.decode(token))).toMatch(/not issued/);
  });

  it("refuses a cursor reused with different filters", async () => {
    const token = await codec.encode([1, 2], { topic: "rust" });
    expect(await refusal(codec.decode(token, { topic: "go" }))).toMatch(/different filters/);
    expect(await refusal(codec.decode(token, {}))).toMatch(/different filters/);
  });

  it("refuses a signed payload of the wrong shape", async () => {
    const loose = createCursorCodec({
      secret: "s3cret",
      purpose: "feed.items",
      schema: z.unknown(),
    });
    const token = await loose.encode({ not: "a tuple" });
    expect(await refusal(codec.decode(token))).toMatch(/malformed/);
  });

  it("never accepts arbitrary strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        await refusal(codec.decode(text));
      }),
      { numRuns: 300 },
    );
  });

  it("rejects an empty secret up front", () => {
    expect(() => createCursorCodec({ secret: "", purpose: "x", schema })).toThrow(TypeError);
  });
});
