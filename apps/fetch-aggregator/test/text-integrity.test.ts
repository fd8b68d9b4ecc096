import { anyText as anyTextOf, anyUnit } from "@edge-async/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AggregateAnswer, aggregate, gateway, uniqueKey, upstreamStats } from "./helpers.ts";

// The gateway stores nothing: "read back identical" here means what the upstream receives (the
// test upstream's /echo route answers the request it got) and what the answer echoes (ids).
// A refused call reaches no upstream.

const anyText = anyTextOf(30);

interface Echo {
  method: string;
  headers: Record<string, string>;
  body: string;
}

async function problemPointers(response: Response): Promise<string[]> {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as { errors: { pointer?: string; parameter?: string }[] };
  return [...new Set(problem.errors.map((error) => error.pointer ?? error.parameter ?? ""))];
}

/** Posts one upstream request to /echo/:key; answers the aggregate response and the key. */
async function echoCall(request: Record<string, unknown>) {
  const key = uniqueKey("text");
  const url = `http://upstream.test/echo/${key}`;
  const response = await aggregate({ requests: [{ url, method: "POST", ...request }] });
  return { response, key };
}

async function echoed(response: Response): Promise<{ id: string; echo: Echo }> {
  expect(response.status).toBe(200);
  const [result] = ((await response.json()) as AggregateAnswer).results;
  expect(result?.ok).toBe(true);
  return { id: result!.id, echo: result!.body as Echo };
}

describe("text that cannot be passed on exactly", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["a lone surrogate in a string body", { body: "a\ud800b" }, "/requests/0/body"],
    [
      "a lone surrogate deep in a JSON body",
      { body: { a: [1, { b: "\udfff" }] } },
      "/requests/0/body/a/1/b",
    ],
    [
      "a lone surrogate in a body member name",
      { body: { "x\ud800": 1 } },
      "/requests/0/body/x\ud800",
    ],
    ["a lone surrogate in an id", { id: "x\udfffy" }, "/requests/0/id"],
    [
      "a lone surrogate in a header value",
      { headers: { "x-a": "\ud800" } },
      "/requests/0/headers/x-a",
    ],
    [
      "a header value HTTP would strip",
      { headers: { "x-a": " padded " } },
      "/requests/0/headers/x-a",
    ],
  ])("refuses %s with 400 naming it, and calls no upstream", async (_name, request, pointer) => {
    const { response, key } = await echoCall(request);
    expect(await problemPointers(response)).toEqual([pointer]);
    expect((await upstreamStats(key)).hits).toBe(0);
  });

  // The URL parser drops these without a word: the upstream would get another URL than the one sent.
  it.each([
    ["a trailing NUL", "\u0000"],
    ["a trailing space", " "],
    ["a trailing control", "\u001f"],
    ["a trailing CR", "\r"],
    ["a leading space", " ", "before"],
    ["a leading NUL", "\u0000", "before"],
    ["a tab inside", "\t", "inside"],
    ["a line feed inside", "\n", "inside"],
  ])(
    "refuses a url with %s with 400 naming it, and calls no upstream",
    async (_name, character, where = "after") => {
      const key = uniqueKey("url-text");
      const url = `http://upstream.test/echo/${key}`;
      const sent =
        where === "before"
          ? `${character}${url}`
          : where === "inside"
            ? url.replace("/echo/", `/ec${character}ho/`)
            : `${url}${character}`;
      const response = await aggregate({ requests: [{ url: sent }] });
      expect(await problemPointers(response)).toEqual(["/requests/0/url"]);
      const proxied = await gateway(`/v1/proxy?url=${encodeURIComponent(sent)}`);
      expect(await problemPointers(proxied)).toEqual(["url"]);
      expect((await upstreamStats(key)).hits).toBe(0);
    },
  );

  it("passes on a url whose controls are percent-encoded, as sent", async () => {
    const key = uniqueKey("url-encoded");
    const { echo } = await echoed(
      await aggregate({
        requests: [{ url: `http://upstream.test/echo/${key}/%00%20`, method: "POST" }],
      }),
    );
    expect(echo.method).toBe("POST");
    expect((await upstreamStats(key)).hits).toBe(1);
  });

  it("refuses a body nested deeper than 64 levels", async () => {
    let body: unknown = "x";
    for (let i = 0; i < 80; i++) body = [body];
    const { response } = await echoCall({ body });
    expect((await problemPointers(response))[0]).toMatch(/^\/requests\/0\/body(\/0)+$/);
  });

  it.each([
    ["/v1/views/dashboard?userId=%ED%A0%80", "userId"],
    ["/v1/views/dashboard?userId=%FF", "userId"],
    ["/v1/views/dashboard?userId=7&x=%", "x"],
    ["/v1/views/%FF", "name"],
    ["/v1/proxy?url=http%3A%2F%2Fupstream.test%2Fjson%2F%ED%A0%80", "url"],
  ])("refuses %s with 400 naming %s", async (path, parameter) => {
    expect(await problemPointers(await gateway(path))).toEqual([parameter]);
  });
});

describe("aggregator inputs: accepted means passed on identical (property)", () => {
  it("a string body reaches the upstream byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (body) => {
        const { response, key } = await echoCall({ body });
        if (!body.isWellFormed()) {
          expect(await problemPointers(response)).toEqual(["/requests/0/body"]);
          expect((await upstreamStats(key)).hits).toBe(0);
          return;
        }
        expect((await echoed(response)).echo.body).toBe(body);
      }),
      { numRuns: 60 },
    );
  });

  it("a JSON body reaches the upstream as its JSON text", async () => {
    const document = fc.jsonValue({ maxDepth: 3, stringUnit: anyUnit });
    const wellFormed = (value: unknown): boolean =>
      typeof value === "string"
        ? value.isWellFormed()
        : typeof value === "object" && value !== null
          ? Object.entries(value).every(([k, v]) => k.isWellFormed() && wellFormed(v))
          : true;
    await fc.assert(
      fc.asyncProperty(document, async (body) => {
        fc.pre(typeof body !== "string");
        const { response } = await echoCall({ body });
        if (!wellFormed(body)) {
          const pointers = await problemPointers(response);
          expect(pointers.every((pointer) => pointer.startsWith("/requests/0/body"))).toBe(true);
          return;
        }
        expect((await echoed(response)).echo.body).toBe(JSON.stringify(body));
      }),
      { numRuns: 60 },
    );
  });

  it("an id comes back in the answer identical", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (id) => {
        const { response } = await echoCall({ id });
        if (id.isWellFormed() && id.length >= 1 && id.length <= 200) {
          expect((await echoed(response)).id).toBe(id);
        } else {
          expect(await problemPointers(response)).toEqual(["/requests/0/id"]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a header value reaches the upstream identical (as UTF-8)", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (value) => {
        const { response } = await echoCall({ headers: { "x-text": value } });
        const sendable =
          value.isWellFormed() && /^(?:\t|\P{Cc})*$/u.test(value) && !/^[ \t]|[ \t]$/.test(value);
        if (!sendable) {
          expect(await problemPointers(response)).toEqual(["/requests/0/headers/x-text"]);
          return;
        }
        const received = (await echoed(response)).echo.headers["x-text"] ?? "";
        // Node reads header bytes as Latin-1; the worker sent the value's UTF-8 bytes.
        expect(Buffer.from(received, "latin1").toString("utf8")).toBe(value);
      }),
      { numRuns: 60 },
    );
  });

  it("a view parameter reaches the upstream identical", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const value = `${uniqueKey("view")}${text.toWellFormed()}`;
        const response = await gateway(`/v1/views/dashboard?userId=${encodeURIComponent(value)}`);
        expect(response.status).toBe(200);
        const answer = (await response.json()) as { data: { user: { path: string } } };
        expect(decodeURIComponent(answer.data.user.path)).toBe(`/json/user-${value}`);
      }),
      { numRuns: 40 },
    );
  });
});
