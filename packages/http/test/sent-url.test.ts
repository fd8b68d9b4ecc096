import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  sentAsGivenUrl,
  URL_CREDENTIALS_DETAIL,
  URL_DROPPED_TEXT_DETAIL,
} from "../src/sent-url.ts";

const NOT_ABSOLUTE = "must be an absolute http(s) URL";
const httpUrl = sentAsGivenUrl(z.string().max(2048), {
  notAbsolute: NOT_ABSOLUTE,
  schemes: ["http", "https"],
});
const anyUrl = sentAsGivenUrl(z.string(), { notAbsolute: "must be an absolute URL" });

function details(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

describe("sentAsGivenUrl", () => {
  it("passes a URL fetch sends whole through unchanged, byte for byte", () => {
    for (const url of [
      "https://example.com/",
      "HTTP://Example.COM/a/../b?q=1 2#frag",
      "http://127.0.0.1:8790/orders/1001",
      "https://example.com/caf\u00e9",
    ]) {
      expect(httpUrl.parse(url)).toBe(url);
    }
  });

  it("refuses a user name or password, which fetch would drop", () => {
    for (const url of [
      "http://user:secret@example.com/",
      "https://user@example.com/",
      "https://:secret@example.com/",
      "http://user:secret@host/x#frag",
    ]) {
      expect(details(httpUrl, url)).toEqual([URL_CREDENTIALS_DETAIL]);
      expect(details(anyUrl, url)).toEqual([URL_CREDENTIALS_DETAIL]);
    }
    // An @ that is not userinfo (in the path or query) is sent as given.
    expect(httpUrl.parse("https://example.com/a@b?c=d@e")).toBe("https://example.com/a@b?c=d@e");
  });

  it("refuses what the URL parser drops: controls or spaces at either end, tab, CR, LF anywhere", () => {
    for (const url of [
      " https://example.com/",
      "https://example.com/ ",
      "\u0000https://example.com/",
      "https://example.com/\u001f",
      "https://exa\tmple.com/",
      "https://example.com/a\nb",
      "https://example.com/a\rb",
      " http://user:secret@example.com/",
    ]) {
      expect(details(httpUrl, url)).toEqual([URL_DROPPED_TEXT_DETAIL]);
    }
  });

  it("refuses a relative URL, another scheme, or an http URL without //, with the given detail only", () => {
    for (const url of [
      "",
      "/a",
      "example.com",
      "ftp://example.com/",
      "http:example.com",
      "https:/x",
    ]) {
      expect(details(httpUrl, url)).toEqual([NOT_ABSOLUTE]);
    }
    expect(details(anyUrl, "ftp://user:pw@example.com/")).toEqual([URL_CREDENTIALS_DETAIL]);
    expect(details(anyUrl, "/a")).toEqual(["must be an absolute URL"]);
  });

  it("keeps the schema's own checks, which run first", () => {
    const long = `https://example.com/${"a".repeat(2048)}`;
    expect(details(httpUrl, long)).toHaveLength(1);
    expect(details(httpUrl, long)[0]).not.toBe(NOT_ABSOLUTE);
    expect(details(httpUrl, 42)).toHaveLength(1);
  });

  it("accepts exactly the http(s) URLs whose parse keeps every character and has no userinfo", () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withFragments: true, withQueryParameters: true }),
        fc.string(),
        (url, junk) => {
          const candidate = `${url}${junk}`;
          const parsed = URL.parse(candidate);
          const expected =
            // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters the parser drops.
            !/^[\x00-\x20]|[\x00-\x20]$|[\t\n\r]/.test(candidate) &&
            parsed !== null &&
            parsed.username === "" &&
            parsed.password === "";
          expect(httpUrl.safeParse(candidate).success).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
