import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  keptAsSent,
  loneSurrogate,
  params,
  problemErrorHandler,
  query,
  text,
  wellFormedJson,
} from "../src/index.ts";

/** Any UTF-16 code unit alone (lone surrogates included), any code point, controls, spaces. */
const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.constantFrom("\u0000", "\u0001", "\u001f", "\u007f", "\u0085", " ", "\t", "\n", "\r"),
  fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff", "\ufeff", "\ufffd", "😀"),
);
const anyText = fc.string({ unit: anyUnit, maxLength: 40 });

describe("text()", () => {
  const title = text("title").min(1).max(10);

  it.each([
    ["NUL inside", "a\u0000b"],
    ["NUL at the end", "ab\u0000"],
    ["C0 and C1 controls", "\u0001\u0007\b\u001b\u007f\u0080\u009f"],
    ["spaces at both ends", "  a  "],
    ["a surrogate pair", "😀𝄞"],
    ["a combining sequence (not normalised)", "e\u0301"],
    ["a byte order mark and noncharacters", "\ufeff\uffff\ufffe"],
    ["U+FFFD itself", "x\ufffdy"],
  ])("keeps %s exactly as sent", (_name, value) => {
    const parsed = title.safeParse(value);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toBe(value);
  });

  it.each([
    ["a lone low surrogate (the issue's externalKey)", "x\udfffy", "U+DFFF at index 1"],
    ["a lone high surrogate (the issue's title)", "a\ud800b", "U+D800 at index 1"],
    ["a reversed pair", "\ude00\ud83d", "U+DE00 at index 0"],
    ["a high surrogate at the end", "ok\ud83d", "U+D83D at index 2"],
  ])("refuses %s with one issue naming it", (_name, value, where) => {
    const parsed = title.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toHaveLength(1);
    expect(parsed.error?.issues[0]?.message).toBe(
      `title holds a lone UTF-16 surrogate (${where}); send well-formed Unicode text, which storage can keep exactly`,
    );
  });

  it("still applies the checks chained after it", () => {
    expect(title.safeParse("").success).toBe(false);
    expect(title.safeParse("x".repeat(11)).success).toBe(false);
    expect(title.safeParse(7).success).toBe(false);
  });

  it("accepts exactly the well-formed strings, unchanged (property)", () => {
    fc.assert(
      fc.property(anyText, (value) => {
        const parsed = text().safeParse(value);
        expect(parsed.success).toBe(value.isWellFormed());
        if (parsed.success) expect(parsed.data).toBe(value);
        expect(loneSurrogate(value) === undefined).toBe(value.isWellFormed());
      }),
      { numRuns: 500 },
    );
  });
});

describe("wellFormedJson()", () => {
  const envelope = wellFormedJson(z.strictObject({ payload: z.unknown() }));

  it("refuses a bad string at any depth, naming its path", () => {
    const parsed = envelope.safeParse({ payload: { tags: ["ok", "x\udfffy"], n: 1 } });
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([["payload", "tags", 1]]);
    expect(parsed.error?.issues[0]?.message).toContain("U+DFFF at index 1");
  });

  it("refuses a bad member name, naming the member", () => {
    const parsed = envelope.safeParse({ payload: { "a\ud800": 1 } });
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([["payload", "a\ud800"]]);
    expect(parsed.error?.issues[0]?.message).toContain("member's name");
  });

  it("reports every bad string up to maxIssues, and the inner schema only once the walk passes", () => {
    const many = wellFormedJson(z.array(z.number()), { maxIssues: 3 });
    const parsed = many.safeParse(Array.from({ length: 10 }, () => "\udfff"));
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([[0], [1], [2]]);
    expect(many.safeParse(["ok"]).error?.issues[0]?.code).toBe("invalid_type");
  });

  it("refuses nesting deeper than maxDepth without recursing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const parsed = wellFormedJson(z.unknown(), { maxDepth: 64 }).safeParse(deep);
    expect(parsed.error?.issues[0]?.path).toHaveLength(64);
    expect(parsed.error?.issues[0]?.message).toContain("deeper than 64");
    let shallow: unknown = "x";
    for (let i = 0; i < 63; i++) shallow = { a: shallow };
    expect(wellFormedJson(z.unknown(), { maxDepth: 64 }).safeParse(shallow).success).toBe(true);
  });

  it("accepts exactly the documents whose strings are all well-formed, unchanged (property)", () => {
    const document = fc.jsonValue({ maxDepth: 4, stringUnit: anyUnit });
    const allWellFormed = (value: unknown): boolean =>
      typeof value === "string"
        ? value.isWellFormed()
        : typeof value === "object" && value !== null
          ? Object.entries(value).every(([k, v]) => k.isWellFormed() && allWellFormed(v))
          : true;
    fc.assert(
      fc.property(document, (value) => {
        const parsed = wellFormedJson(z.unknown()).safeParse(value);
        expect(parsed.success).toBe(allWellFormed(value));
        if (parsed.success) expect(parsed.data).toBe(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe("keptAsSent()", () => {
  const job = z.strictObject({
    url: keptAsSent(text("url").pipe(z.url())),
    tags: keptAsSent(z.array(z.string().toLowerCase())).optional(),
    method: z.enum(["GET", "HEAD"]).default("GET"),
    at: z.iso.datetime().transform((value) => Date.parse(value)),
  });
  const valid = { url: "https://example.com/a", at: "2026-11-01T00:00:00Z" };

  it("passes input the schema keeps as sent, defaults and non-string outputs included", () => {
    expect(job.parse(valid)).toEqual({ ...valid, method: "GET", at: Date.parse(valid.at) });
  });

  it.each([
    ["a leading space z.url() would trim", { url: " https://example.com/a" }, ["url"]],
    ["a newline z.url() would drop", { url: "https://example.com/\na" }, ["url"]],
    ["array items a transform would rewrite", { tags: ["ok", "Up", "UP"] }, ["tags", 1]],
  ])("refuses %s, at its path, saying what it would become", (_name, change, path) => {
    const parsed = job.safeParse({ ...valid, ...change });
    expect(parsed.error?.issues[0]?.path).toEqual(path);
    expect(parsed.error?.issues[0]?.message).toMatch(/^would be stored altered, as "/);
  });

  it("passes the inner schema's issues through with their paths", () => {
    const parsed = job.safeParse({ ...valid, url: "not a url", tags: [1] });
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([["url"], ["tags", 0]]);
  });

  it("accepts exactly the strings a rewriting schema leaves alone (property)", () => {
    const trimmed = keptAsSent(z.string().trim());
    fc.assert(
      fc.property(anyText, (value) => {
        const parsed = trimmed.safeParse(value);
        expect(parsed.success).toBe(value === value.trim());
        if (parsed.success) expect(parsed.data).toBe(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe("query() and params(): percent-encoding", () => {
  const app = new Hono()
    .onError(problemErrorHandler)
    .get(
      "/search",
      query(z.object({ q: text("q").optional(), tag: z.unknown().optional() })),
      (c) => c.json(c.req.valid("query")),
    )
    .get("/items/:id", params(z.object({ id: text("id") })), (c) => c.json(c.req.valid("param")));

  async function refusal(path: string) {
    const response = await app.request(path);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    return (await response.json()) as { errors: { parameter?: string; detail: string }[] };
  }

  it.each([
    ["an encoded lone surrogate", "/search?q=%ED%A0%80", "q"],
    ["a byte that starts no UTF-8 sequence", "/search?q=%FF", "q"],
    ["a truncated sequence", "/search?tag=ok&q=%E2%82", "q"],
    ["a bare percent sign", "/search?q=100%", "q"],
    ["a bad parameter name", "/search?%FF=1", "%FF"],
  ])("refuses %s with 400 naming the parameter", async (_name, path, parameter) => {
    const problem = await refusal(path);
    expect(problem.errors.map((error) => error.parameter)).toEqual([parameter]);
    expect(problem.errors[0]?.detail).toContain("not valid percent-encoded UTF-8");
  });

  it("decodes valid percent-encoding, + as space, repeated keys as arrays", async () => {
    const response = await app.request("/search?q=%E2%82%AC+%25&tag=a&tag=%F0%9F%98%80");
    expect(await response.json()).toEqual({ q: "€ %", tag: ["a", "😀"] });
  });

  it("reads any well-formed value back exactly (property)", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (value) => {
        fc.pre(value.isWellFormed());
        const response = await app.request(`/search?q=${encodeURIComponent(value)}`);
        expect(await response.json()).toEqual({ q: value });
      }),
      { numRuns: 200 },
    );
  });

  it("accepts percent-encoded bytes exactly when they are UTF-8 (property)", async () => {
    const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 8 }), async (bytes) => {
        const encoded = Array.from(bytes, (byte) => `%${byte.toString(16).padStart(2, "0")}`);
        const response = await app.request(`/search?q=${encoded.join("")}`);
        let expected: string | undefined;
        try {
          expected = utf8.decode(bytes);
        } catch {
          expected = undefined;
        }
        if (expected === undefined) {
          expect(response.status).toBe(400);
        } else {
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ q: expected });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a path parameter that is not valid percent-encoded UTF-8, naming it", async () => {
    for (const raw of ["%FF", "%ED%A0%80", "a%", "%E2%82"]) {
      const problem = await refusal(`/items/${raw}`);
      expect(problem.errors.map((error) => error.parameter)).toEqual(["id"]);
    }
    const ok = await app.request("/items/%E2%82%AC%2F%25");
    expect(await ok.json()).toEqual({ id: "€/%" });
  });
});
