import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { nextPageUrl, pageParams, pageResponse } from "../src/index.ts";

describe("pageParams", () => {
  const schema = z.object(pageParams({ defaultLimit: 20, maxLimit: 100 }));
  it("defaults and bounds the limit", () => {
    expect(schema.parse({})).toEqual({ limit: 20 });
    expect(schema.parse({ limit: "100", cursor: "abc" })).toEqual({ limit: 100, cursor: "abc" });
    for (const limit of ["0", "101", "1.5", "ten", "-3"])
      expect(schema.safeParse({ limit }).success).toBe(false);
    expect(schema.safeParse({ cursor: "" }).success).toBe(false);
  });

  it("reads only plain decimal digits as a limit, saying the range it must be in", () => {
    expect(schema.parse({ limit: "007" })).toEqual({ limit: 7 });
    const messages = (limit: string) =>
      schema.safeParse({ limit }).error?.issues.map((issue) => issue.message);
    for (const limit of ["1e1", " 1", "1 ", "0x10", "1.0", "+1", "", "1e20", "--1"]) {
      expect(messages(limit), limit).toEqual([
        "limit must be a whole number from 1 to 100, in plain digits",
      ]);
    }
    for (const limit of ["-1", "-0", "0"])
      expect(messages(limit)).toEqual(["limit must be at least 1"]);
    expect(messages("101")).toEqual(["limit must be at most 100"]);
  });

  it("reads plain digits by their value however many leading zeros or digits they have", () => {
    const messages = (limit: string) =>
      schema.safeParse({ limit }).error?.issues.map((issue) => issue.message);
    expect(schema.parse({ limit: "00000000000000000000001" })).toEqual({ limit: 1 });
    expect(schema.parse({ limit: `${"0".repeat(400)}100` })).toEqual({ limit: 100 });
    for (const limit of ["9007199254740993", "1000000000000000", "9".repeat(400), "0000101"])
      expect(messages(limit), limit).toEqual(["limit must be at most 100"]);
    for (const limit of [
      "00000000000000000000000",
      "-00000000000000000000001",
      `-${"9".repeat(30)}`,
    ])
      expect(messages(limit), limit).toEqual(["limit must be at least 1"]);
    for (const limit of ["1e400", "0x0000000000000000001", "١"])
      expect(messages(limit), limit).toEqual([
        "limit must be a whole number from 1 to 100, in plain digits",
      ]);
  });

  it("answers by value for any digits: a page size, or the bound the value misses", () => {
    const digits = fc
      .tuple(fc.nat({ max: 30 }), fc.bigInt({ min: 0n, max: 10n ** 40n }))
      .map(([zeros, value]) => ({ text: `${"0".repeat(zeros)}${value}`, value }));
    fc.assert(
      fc.property(digits, ({ text, value }) => {
        const result = schema.safeParse({ limit: text });
        if (value >= 1n && value <= 100n) expect(result.data).toEqual({ limit: Number(value) });
        else
          expect(result.error?.issues.map((issue) => issue.message)).toEqual([
            value === 0n ? "limit must be at least 1" : "limit must be at most 100",
          ]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("pageResponse", () => {
  const app = new Hono().get("/things", (c) =>
    pageResponse(c, {
      items: [1, 2],
      nextCursor: c.req.query("last") === "1" ? null : "next.token",
    }),
  );

  it("links the next page, keeping the other query parameters", async () => {
    const response = await app.request("https://api.test/things?limit=2&cursor=old");
    expect(await response.json()).toEqual({
      items: [1, 2],
      nextCursor: "next.token",
      hasMore: true,
    });
    expect(response.headers.get("link")).toBe(
      '<https://api.test/things?limit=2&cursor=next.token>; rel="next"',
    );
  });

  it("sends no link on the last page", async () => {
    const response = await app.request("https://api.test/things?last=1");
    expect(await response.json()).toEqual({ items: [1, 2], nextCursor: null, hasMore: false });
    expect(response.headers.get("link")).toBeNull();
  });

  it("builds next URLs that replace the cursor", () => {
    expect(nextPageUrl("https://x.test/a?cursor=1&b=2", "3")).toBe("https://x.test/a?cursor=3&b=2");
  });
});
