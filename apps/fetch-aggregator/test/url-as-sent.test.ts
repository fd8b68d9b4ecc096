import { anyText } from "@edge-async/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AggregateAnswer, aggregate, gateway, uniqueKey, upstreamStats } from "./helpers.ts";

// What an upstream receives of a `url`: the WHATWG URL parser's serialisation, which is what any
// fetch sends. The test upstream's /echo answers the request-target exactly as it arrived.

/** The request-target the upstream saw for one aggregate call and for the proxy. */
async function targetsFor(url: string): Promise<{ aggregated: string; proxied: string }> {
  const response = await aggregate({ requests: [{ id: "given", url }] });
  expect(response.status).toBe(200);
  const [result] = ((await response.json()) as AggregateAnswer).results;
  expect(result?.ok).toBe(true);
  // The result names the request by its id; it does not repeat the URL in either form.
  expect(result?.id).toBe("given");
  expect(result).not.toHaveProperty("url");
  const proxied = await gateway(`/v1/proxy?url=${encodeURIComponent(url)}`);
  expect(proxied.status).toBe(200);
  return {
    aggregated: (result?.body as { target: string } | undefined)?.target ?? "",
    proxied: ((await proxied.json()) as { target: string }).target,
  };
}

async function refusedPointers(response: Response): Promise<string[]> {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as { errors: { pointer?: string; parameter?: string }[] };
  return problem.errors.map((error) => error.pointer ?? error.parameter ?? "");
}

describe("a url reaches the upstream as the URL parser serialises it", () => {
  it.each([
    ["dot segments are resolved", "/users/../users/zz1", "/users/zz1"],
    ["a backslash is a slash", "\\users\\zz2", "/users/zz2"],
    ["the fragment is not sent", "/users/zz3#frag", "/users/zz3"],
    ["a space is percent-encoded", "/us ers/zz4", "/us%20ers/zz4"],
    ["encoded dot segments are resolved", "/users/zz5/%2e%2e/zz6", "/users/zz6"],
    ["the query is percent-encoded", "/q?a b=c d&é", "/q?a%20b=c%20d&%C3%A9"],
    ["non-ASCII is sent as UTF-8, escapes as given", "/ü/%7e/~", "/%C3%BC/%7e/~"],
  ])("%s", async (_name, given, sent) => {
    const key = uniqueKey("as-sent");
    const { aggregated, proxied } = await targetsFor(`http://upstream.test/echo/${key}${given}`);
    expect(aggregated).toBe(`/echo/${key}${sent}`);
    expect(proxied).toBe(`/echo/${key}${sent}`);
  });

  it("sends scheme and host in lower case and drops a default port", async () => {
    const key = uniqueKey("as-sent-host");
    const response = await aggregate({
      requests: [{ url: `HTTP://UPSTREAM.test:80/echo/${key}` }],
    });
    const [result] = ((await response.json()) as AggregateAnswer).results;
    const echo = result?.body as { target: string; headers: Record<string, string> };
    expect(echo.target).toBe(`/echo/${key}`);
    expect(echo.headers.host).toBe("upstream.test");
  });

  it.each([
    ["a user name and password", "u:p@"],
    ["a user name", "u@"],
    ["a password", ":p@"],
  ])(
    "refuses a url with %s (fetch would drop it): 400, no upstream called",
    async (_name, userinfo) => {
      const key = uniqueKey("as-sent-userinfo");
      const url = `http://${userinfo}upstream.test/echo/${key}`;
      expect(await refusedPointers(await aggregate({ requests: [{ url }] }))).toEqual([
        "/requests/0/url",
      ]);
      const proxied = await gateway(`/v1/proxy?url=${encodeURIComponent(url)}`);
      expect(await refusedPointers(proxied)).toEqual(["url"]);
      expect((await upstreamStats(key)).hits).toBe(0);
    },
  );

  it("a refused url leaves the call's other errors named in the same answer", async () => {
    const response = await aggregate({
      requests: [
        { url: "not a url" },
        { url: "http://u:p@upstream.test/json/x" },
        { url: " http://u:p@upstream.test/json/x" },
        { url: "http://upstream.test/json/x", body: "x" },
      ],
    });
    const problem = (await response.json()) as { errors: { pointer: string; detail: string }[] };
    expect(response.status).toBe(400);
    // One message per url, the first that applies; the GET with a body is named too.
    expect(problem.errors.map((error) => [error.pointer, error.detail.split(" ")[0]])).toEqual([
      ["/requests/0/url", "must"],
      ["/requests/1/url", "cannot"],
      ["/requests/2/url", "cannot"],
      ["/requests/3/body", "a"],
    ]);
    expect(problem.errors[1]?.detail).toMatch(/user name or password/);
    expect(problem.errors[2]?.detail).toMatch(/control character or space/);
  });

  it("an accepted url reaches the upstream as new URL(url) serialises it (property)", async () => {
    const piece = fc.oneof(
      anyText(8),
      fc.constantFrom("/", "..", ".", "%2e%2e", "%2E.", "\\", " ", "#", "?", "%", "%41", "é", "&"),
    );
    const tail = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(""));
    await fc.assert(
      fc.asyncProperty(tail, async (text) => {
        const key = uniqueKey("as-sent-any");
        const url = `http://upstream.test/echo/${key}/a/b/${text}`;
        const response = await aggregate({ requests: [{ url }] });
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters the parser drops.
        if (!text.isWellFormed() || /[\x00-\x20]$|[\t\n\r]/.test(url)) {
          expect(await refusedPointers(response)).toEqual(["/requests/0/url"]);
          expect((await upstreamStats(key)).hits).toBe(0);
          return;
        }
        expect(response.status).toBe(200);
        // The request-target: the serialisation without origin and fragment (`search` would
        // hide an empty query's "?", which is sent).
        const parsed = new URL(url);
        parsed.hash = "";
        const target = parsed.href.slice(parsed.origin.length);
        // Enough ".." steps leave the echo route: the upstream answers another path then.
        if (!target.startsWith(`/echo/${key}/`)) return;
        const [result] = ((await response.json()) as AggregateAnswer).results;
        expect((result?.body as { target: string } | undefined)?.target).toBe(target);
      }),
      { numRuns: 80 },
    );
  });
});
