import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fetchWithinPolicy,
  RedirectError,
  type TargetPolicy,
  TargetRefusedError,
} from "../src/index.ts";

const open: TargetPolicy = { allowedHosts: ["*"], allowPrivateNetworks: false };

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  redirect: string | undefined;
}

/**
 * A fake network: answers by URL from `routes` (a function of the request), records every request
 * and every response body that was cancelled.
 */
function fakeNetwork(routes: Record<string, (sent: Sent) => Response>) {
  const sent: Sent[] = [];
  const cancelled: string[] = [];
  const fetch = async (url: URL, init: RequestInit): Promise<Response> => {
    init.signal?.throwIfAborted();
    const body = init.body === undefined || init.body === null ? null : String(init.body);
    const request: Sent = {
      url: url.href,
      method: init.method ?? "GET",
      headers: Object.fromEntries(new Headers(init.headers)),
      body,
      redirect: init.redirect,
    };
    sent.push(request);
    const route = routes[url.href];
    if (route === undefined) return new Response("not found", { status: 404 });
    const response = route(request);
    const stream = new ReadableStream({
      start(controller) {
        // Left open, as a body still arriving is: only a cancel ends it.
        controller.enqueue(new TextEncoder().encode(`body of ${url.href}`));
      },
      cancel() {
        cancelled.push(url.href);
      },
    });
    return new Response(response.status === 204 ? null : stream, {
      status: response.status,
      headers: response.headers,
    });
  };
  return { fetch, sent, cancelled };
}

const redirect = (status: number, location: string) => () =>
  new Response(null, { status, headers: { location } });
const ok = () => new Response("ok", { status: 200 });

describe("fetchWithinPolicy", () => {
  it("fetches a URL with redirect: manual and hands back the unread response", async () => {
    const net = fakeNetwork({ "https://a.example/": ok });
    const result = await fetchWithinPolicy("https://a.example/", {}, open, { fetch: net.fetch });
    expect(result.response.status).toBe(200);
    expect(result.url.href).toBe("https://a.example/");
    expect(result.method).toBe("GET");
    expect(result.redirects).toBe(0);
    expect(net.sent[0]?.redirect).toBe("manual");
    const first = await result.response.body?.getReader().read();
    expect(new TextDecoder().decode(first?.value)).toBe("body of https://a.example/");
  });

  it("refuses a private first URL without sending anything", async () => {
    const net = fakeNetwork({});
    const error = await fetchWithinPolicy("http://10.1.2.3/x", {}, open, {
      fetch: net.fetch,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TargetRefusedError);
    expect((error as TargetRefusedError).message).toBe(
      "http://10.1.2.3/x refused: 10.1.2.3 is in 10.0.0.0/8 (private)",
    );
    expect((error as TargetRefusedError).from).toBeUndefined();
    expect(net.sent).toHaveLength(0);
  });

  it.each([301, 302, 303, 307, 308])(
    "checks a %i hop against the policy before following it",
    async (status) => {
      const net = fakeNetwork({
        "https://a.example/": redirect(status, "http://169.254.169.254/latest/meta-data"),
      });
      const error = await fetchWithinPolicy("https://a.example/", {}, open, {
        fetch: net.fetch,
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TargetRefusedError);
      const refused = error as TargetRefusedError;
      expect(refused.url.href).toBe("http://169.254.169.254/latest/meta-data");
      expect(refused.from?.href).toBe("https://a.example/");
      expect(refused.reason).toContain("169.254.0.0/16");
      expect(refused.message).toBe(
        `redirect from https://a.example/ to http://169.254.169.254/latest/meta-data refused: ${refused.reason}`,
      );
      expect(net.sent.map((request) => request.url)).toEqual(["https://a.example/"]);
      expect(net.cancelled).toEqual(["https://a.example/"]);
    },
  );

  it("follows relative and absolute hops, cancelling each 3xx body", async () => {
    const net = fakeNetwork({
      "https://a.example/start": redirect(302, "/next?x=1"),
      "https://a.example/next?x=1": redirect(308, "https://b.example/end"),
      "https://b.example/end": ok,
    });
    const result = await fetchWithinPolicy("https://a.example/start", {}, open, {
      fetch: net.fetch,
    });
    expect(result.url.href).toBe("https://b.example/end");
    expect(result.redirects).toBe(2);
    expect(net.cancelled).toEqual(["https://a.example/start", "https://a.example/next?x=1"]);
  });

  it("returns a 3xx without Location as the answer", async () => {
    const net = fakeNetwork({ "https://a.example/": () => new Response(null, { status: 302 }) });
    const result = await fetchWithinPolicy("https://a.example/", {}, open, { fetch: net.fetch });
    expect(result.response.status).toBe(302);
    expect(result.redirects).toBe(0);
  });

  it("turns a 303 into a GET and drops the body and its content headers", async () => {
    const net = fakeNetwork({
      "https://a.example/form": redirect(303, "/done"),
      "https://a.example/done": ok,
    });
    const result = await fetchWithinPolicy(
      "https://a.example/form",
      {
        method: "put",
        headers: { "content-type": "application/json", "content-language": "en", "x-keep": "1" },
        body: '{"a":1}',
      },
      open,
      { fetch: net.fetch },
    );
    expect(result.method).toBe("GET");
    const [first, second] = net.sent;
    expect(first).toMatchObject({ method: "PUT", body: '{"a":1}' });
    expect(second).toMatchObject({ method: "GET", body: null, headers: { "x-keep": "1" } });
    expect(second?.headers).not.toHaveProperty("content-type");
    expect(second?.headers).not.toHaveProperty("content-language");
  });

  it("turns a 301/302 POST into a GET but resends other methods and 307/308 bodies", async () => {
    const cases: [number, string, string, string | null][] = [
      [301, "POST", "GET", null],
      [302, "POST", "GET", null],
      [302, "PUT", "PUT", "data"],
      [307, "POST", "POST", "data"],
      [308, "PATCH", "PATCH", "data"],
      [303, "HEAD", "HEAD", null],
    ];
    for (const [status, method, expectedMethod, expectedBody] of cases) {
      const net = fakeNetwork({
        "https://a.example/": redirect(status, "/again"),
        "https://a.example/again": ok,
      });
      const body = method === "HEAD" ? null : "data";
      const result = await fetchWithinPolicy("https://a.example/", { method, body }, open, {
        fetch: net.fetch,
      });
      expect(result.method, `${status} ${method}`).toBe(expectedMethod);
      expect(net.sent[1], `${status} ${method}`).toMatchObject({
        method: expectedMethod,
        body: expectedBody,
      });
    }
  });

  it("drops credentials on a cross-origin hop, for the rest of the chain", async () => {
    const net = fakeNetwork({
      "https://a.example/": redirect(302, "/same"),
      "https://a.example/same": redirect(307, "https://b.example/other"),
      "https://b.example/other": redirect(307, "https://a.example/back"),
      "https://a.example/back": ok,
    });
    await fetchWithinPolicy(
      "https://a.example/",
      { headers: { authorization: "Bearer t", cookie: "s=1", "x-api": "keep" } },
      open,
      { fetch: net.fetch },
    );
    expect(net.sent.map((request) => Boolean(request.headers.authorization))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(net.sent.map((request) => Boolean(request.headers.cookie))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(net.sent.every((request) => request.headers["x-api"] === "keep")).toBe(true);
  });

  it("treats another port or scheme as another origin", async () => {
    for (const target of ["https://a.example:8443/", "http://a.example/"]) {
      const net = fakeNetwork({ "https://a.example/": redirect(302, target), [target]: ok });
      await fetchWithinPolicy("https://a.example/", { headers: { authorization: "x" } }, open, {
        fetch: net.fetch,
      });
      expect(net.sent[1]?.headers.authorization, target).toBeUndefined();
    }
  });

  it("rejects a redirect loop after maxRedirects hops", async () => {
    const net = fakeNetwork({
      "https://a.example/loop": redirect(302, "/loop"),
    });
    const error = await fetchWithinPolicy("https://a.example/loop", {}, open, {
      fetch: net.fetch,
      maxRedirects: 3,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as Error).message).toBe("https://a.example/loop redirected more than 3 times");
    expect(net.sent).toHaveLength(4);
    expect(net.cancelled).toHaveLength(4);
  });

  it("follows at most 5 redirects by default", async () => {
    const net = fakeNetwork({ "https://a.example/loop": redirect(307, "/loop") });
    await expect(
      fetchWithinPolicy("https://a.example/loop", {}, open, { fetch: net.fetch }),
    ).rejects.toThrow("redirected more than 5 times");
    expect(net.sent).toHaveLength(6);
  });

  it("rejects a Location that is not a URL", async () => {
    const net = fakeNetwork({ "https://a.example/": redirect(302, "http://[::1") });
    await expect(
      fetchWithinPolicy("https://a.example/", {}, open, { fetch: net.fetch }),
    ).rejects.toThrow(
      new RedirectError(
        "https://a.example/ redirected to an invalid URL",
        new URL("https://a.example/"),
      ),
    );
  });

  it("returns the unfollowable 3xx, unread, with unfollowable: return", async () => {
    const loop = fakeNetwork({ "https://a.example/loop": redirect(302, "/loop") });
    const looped = await fetchWithinPolicy("https://a.example/loop", {}, open, {
      fetch: loop.fetch,
      maxRedirects: 2,
      unfollowable: "return",
    });
    expect(looped).toMatchObject({ redirects: 2 });
    expect(looped.response.status).toBe(302);
    expect(looped.response.bodyUsed).toBe(false);
    const broken = fakeNetwork({ "https://a.example/": redirect(301, "http://[::1") });
    const answer = await fetchWithinPolicy("https://a.example/", {}, open, {
      fetch: broken.fetch,
      unfollowable: "return",
    });
    expect(answer.response.status).toBe(301);
  });

  it("still refuses a private hop with unfollowable: return", async () => {
    const net = fakeNetwork({ "https://a.example/": redirect(302, "http://127.0.0.1/") });
    await expect(
      fetchWithinPolicy("https://a.example/", {}, open, {
        fetch: net.fetch,
        unfollowable: "return",
      }),
    ).rejects.toBeInstanceOf(TargetRefusedError);
  });

  it("stops where beforeRedirect says no, after the policy check", async () => {
    const net = fakeNetwork({
      "https://a.example/": redirect(302, "/one"),
      "https://a.example/one": redirect(302, "/two"),
      "https://a.example/two": ok,
    });
    const asked: string[] = [];
    const result = await fetchWithinPolicy("https://a.example/", {}, open, {
      fetch: net.fetch,
      beforeRedirect: (next) => {
        asked.push(next.pathname);
        return asked.length < 2;
      },
    });
    expect(asked).toEqual(["/one", "/two"]);
    expect(result.url.pathname).toBe("/one");
    expect(result.response.status).toBe(302);
    expect(result.redirects).toBe(1);
  });

  it("refuses to resend a streamed body on a 307", async () => {
    const net = fakeNetwork({ "https://a.example/": redirect(307, "/again") });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("once"));
        controller.close();
      },
    });
    await expect(
      fetchWithinPolicy("https://a.example/", { method: "POST", body }, open, {
        fetch: net.fetch,
      }),
    ).rejects.toBeInstanceOf(RedirectError);
    expect(net.sent).toHaveLength(1);
  });

  it("honours the abort signal between hops", async () => {
    const controller = new AbortController();
    const net = fakeNetwork({
      "https://a.example/": () => {
        controller.abort(new Error("client gone"));
        return new Response(null, { status: 302, headers: { location: "/next" } });
      },
      "https://a.example/next": ok,
    });
    await expect(
      fetchWithinPolicy("https://a.example/", {}, open, {
        fetch: net.fetch,
        signal: controller.signal,
      }),
    ).rejects.toThrow("client gone");
    expect(net.sent).toHaveLength(1);
  });

  it("rejects a bad maxRedirects and a relative input", async () => {
    await expect(
      fetchWithinPolicy("https://a.example/", {}, open, { maxRedirects: -1 }),
    ).rejects.toThrow(RangeError);
    await expect(fetchWithinPolicy("/relative", {}, open)).rejects.toThrow(TypeError);
  });

  it("never sends to a URL the policy refuses, wherever it appears in the chain", async () => {
    const hosts = ["a.example", "b.example", "10.0.0.1", "[::1]", "localhost", "c.example"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...hosts), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(301, 302, 303, 307, 308),
        async (chain, status) => {
          const urls = chain.map((host, index) => `http://${host}/${index}`);
          const routes: Record<string, () => Response> = {};
          urls.forEach((url, index) => {
            const next = urls[index + 1];
            routes[url] = next === undefined ? ok : redirect(status, next);
          });
          const net = fakeNetwork(routes);
          const policy = { allowedHosts: ["a.example", "b.example"], allowPrivateNetworks: false };
          const outcome = await fetchWithinPolicy(urls[0] as string, {}, policy, {
            fetch: net.fetch,
            maxRedirects: 10,
          }).catch((error: unknown) => error);
          const firstRefused = urls.findIndex((url) => !/\/\/[ab]\.example\//.test(url));
          expect(net.sent.map((request) => request.url)).toEqual(
            firstRefused === -1 ? urls : urls.slice(0, firstRefused),
          );
          expect(outcome instanceof TargetRefusedError).toBe(firstRefused !== -1);
        },
      ),
      { numRuns: 100 },
    );
  });
});
