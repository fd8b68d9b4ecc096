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
