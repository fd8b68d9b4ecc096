import { HttpProblem } from "@edge-async/http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  createCursorCodec,
  decodeBase64Url,
  encodeBase64Url,
  MAX_CURSOR_LENGTH,
} from "../src/index.ts";

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

  it("refuses the other spellings of a signature's last character (its 2 spare bits)", async () => {
    const token = await codec.encode([1, 2]);
    const [payload, mac] = token.split(".") as [string, string];
    expect(mac).toHaveLength(43);
    const last = ALPHABET.indexOf(mac.at(-1) as string);
    expect(last & 3).toBe(0);
    for (const spare of [1, 2, 3]) {
      const twin = `${mac.slice(0, -1)}${ALPHABET[last | spare]}`;
      expect(decodeBase64Url(twin)).toBeUndefined();
      expect(await refusal(codec.decode(`${payload}.${twin}`))).toMatch(/malformed/);
    }
    expect(await codec.decode(token)).toEqual([1, 2]);
  });

  it("refuses padded, mixed-alphabet or whitespace spellings of a valid cursor", async () => {
    const token = await codec.encode([1, 2]);
    const [payload, mac] = token.split(".") as [string, string];
    const standard = (text: string) => text.replaceAll("-", "+").replaceAll("_", "/");
    for (const bad of [
      `${payload}.${mac}=`,
      `${payload}=.${mac}`,
      `${standard(payload)}.${standard(mac)}`,
      ` ${payload}.${mac}`,
      `${payload}.${mac}\n`,
      `${payload}.${mac.slice(0, 20)} ${mac.slice(20)}`,
    ]) {
      expect(await refusal(codec.decode(bad))).toMatch(/malformed|altered/);
    }
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

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("encodeBase64Url / decodeBase64Url", () => {
  it("matches RFC 4648 test vectors, unpadded and url-safe", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [text, encoded] of vectors) {
      const bytes = new TextEncoder().encode(text);
      expect(encodeBase64Url(bytes)).toBe(encoded);
      expect(decodeBase64Url(encoded)).toEqual(bytes);
    }
    expect(encodeBase64Url(new Uint8Array([251, 255, 191]))).toBe("-_-_");
  });

  it.each([
    ["Zg=="], // padding
    ["Zg="],
    ["Zm9v="],
    ["Zh"], // "f" with a spare bit set
    ["Zm9"], // "fo" with a spare bit set
    ["Zm9vY"], // length % 4 === 1
    ["A"],
    ["Zm+v"], // standard alphabet
    ["Zm/v"],
    ["Zm 9v"],
    ["Zm9v\n"],
    ["Zm9é"],
    ["Ｚm9v"], // fullwidth Z
  ])("refuses %j", (text) => {
    expect(decodeBase64Url(text)).toBeUndefined();
  });

  it("round-trips any bytes, and refuses every other spelling of their last character", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text.length % 4).not.toBe(1);
        expect(decodeBase64Url(text)).toEqual(bytes);
        // Agrees with the platform's (lenient) decoder on canonical text.
        const padded = text
          .replaceAll("-", "+")
          .replaceAll("_", "/")
          .padEnd(Math.ceil(text.length / 4) * 4, "=");
        expect(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))).toEqual(bytes);
        const spareBits = [0, 0, 4, 2][text.length % 4] as number;
        const last = ALPHABET.indexOf(text.at(-1) ?? "A");
        for (let spare = 1; spare < 1 << spareBits; spare++) {
          const twin = `${text.slice(0, -1)}${ALPHABET[last ^ spare]}`;
          expect(decodeBase64Url(twin)).toBeUndefined();
        }
      }),
      { numRuns: 200 },
    );
  });

  it("accepts a text only if it is the encoding of what it decodes to", () => {
    const base64ish = fc.string({ unit: fc.constantFrom(..."AQgw_-=+/ Zz09"), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(base64ish, fc.string({ maxLength: 24 })), (text) => {
        const bytes = decodeBase64Url(text);
        if (bytes !== undefined) expect(encodeBase64Url(bytes)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
