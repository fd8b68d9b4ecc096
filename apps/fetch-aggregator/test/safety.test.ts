import { describe, expect, it } from "vitest";
import { checkTarget, forwardableHeaders, privateTargetReason } from "../src/safety.ts";
import { type AggregateAnswer, aggregate, uniqueKey, upstreamStats } from "./helpers.ts";

const closed = { allowedHosts: ["*"], allowPrivateNetworks: false };

describe("checkTarget", () => {
  it.each([
    "http://127.0.0.1/",
    "http://127.1.2.3:8080/",
    "http://0.0.0.0/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/",
    "http://2130706433/", // 127.0.0.1 as one integer
    "http://0x7f.0.0.1/", // hex octet
    "http://0177.0.0.1/", // octal octet
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[febf::1]/",
    "http://localhost/",
    "http://LOCALHOST:8787/",
    "http://api.localhost/",
    "http://localhost./",
  ])("refuses %s", (url) => {
    const verdict = checkTarget(new URL(url), closed);
    expect(verdict.allowed).toBe(false);
  });

  it.each([
    "https://api.example.com/",
    "http://8.8.8.8/",
    "http://172.32.0.1/",
    "http://192.169.0.1/",
    "http://100.128.0.1/",
    "http://[2606:4700::1111]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[2001:db8::1]:80/",
  ])("allows %s", (url) => {
    expect(checkTarget(new URL(url), closed)).toEqual({ allowed: true });
  });

  it("allows private targets only when configured to", () => {
    const open = { allowedHosts: ["127.0.0.1:8790"], allowPrivateNetworks: true };
    expect(checkTarget(new URL("http://127.0.0.1:8790/users/1"), open).allowed).toBe(true);
    expect(checkTarget(new URL("http://127.0.0.1:8791/"), open).allowed).toBe(false);
  });

  it("refuses schemes other than http and https", () => {
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "data:text/plain,hi",
      "ws://example.com/",
    ]) {
      const verdict = checkTarget(new URL(url), closed);
      expect(verdict.allowed).toBe(false);
    }
  });

  it("matches the allowlist by host, port and *.suffix", () => {
    const policy = {
      allowedHosts: ["api.example.com", "*.example.org", "cdn.example.net:8443"],
      allowPrivateNetworks: false,
    };
    const allowed = (url: string) => checkTarget(new URL(url), policy).allowed;
    expect(allowed("https://api.example.com/x")).toBe(true);
    expect(allowed("https://API.EXAMPLE.COM:9000/x")).toBe(true);
    expect(allowed("https://evil-api.example.com/")).toBe(false);
    expect(allowed("https://api.example.com.evil.net/")).toBe(false);
    expect(allowed("https://a.b.example.org/")).toBe(true);
    expect(allowed("https://example.org/")).toBe(false);
    expect(allowed("https://notexample.org/")).toBe(false);
    expect(allowed("https://cdn.example.net:8443/")).toBe(true);
    expect(allowed("https://cdn.example.net/")).toBe(false);
  });

  it("names the range it refused", () => {
    expect(privateTargetReason("[::ffff:7f00:1]")).toContain("127.0.0.0/8");
    expect(privateTargetReason("169.254.169.254")).toContain("link-local");
    expect(privateTargetReason("example.com")).toBeUndefined();
  });
});

describe("forwardableHeaders", () => {
  it("drops hop-by-hop, proxy-* and Connection-named headers", () => {
    const headers = forwardableHeaders({
      Accept: "application/json",
      Connection: "close, X-Trace",
      "x-trace": "1",
      "Keep-Alive": "timeout=5",
      "Proxy-Authorization": "Basic x",
      TE: "trailers",
      Trailer: "x",
      "Transfer-Encoding": "chunked",
      Upgrade: "h2c",
      Host: "internal",
      "Content-Length": "12",
      "x-api-key": "k",
    });
    expect([...headers.keys()].sort()).toEqual(["accept", "x-api-key"]);
  });
});

describe("SSRF refusals in a call", () => {
  it("answers refused targets as blocked results, never calling them", async () => {
    const key = uniqueKey("ssrf");
    const response = await aggregate({
      requests: [
        { id: "loopback", url: `http://127.0.0.1/json/${key}` },
        { id: "metadata", url: `http://169.254.169.254/json/${key}` },
        { id: "mapped", url: `http://[::ffff:127.0.0.1]/json/${key}` },
        { id: "localhost", url: `http://localhost:8787/json/${key}` },
        { id: "not-listed", url: `https://example.com/json/${key}` },
        { id: "scheme", url: `ftp://upstream.test/json/${key}` },
        { id: "fine", url: `http://upstream.test/json/${key}` },
      ],
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as AggregateAnswer;
    const codes = Object.fromEntries(answer.results.map((r) => [r.id, r.error?.code ?? "ok"]));
    expect(codes).toEqual({
      loopback: "blocked",
      metadata: "blocked",
      mapped: "blocked",
      localhost: "blocked",
      "not-listed": "blocked",
      scheme: "blocked",
      fine: "ok",
    });
    expect(
      answer.results.filter((r) => r.error?.code === "blocked").every((r) => r.attempts === 0),
    ).toBe(true);
    expect((await upstreamStats(key)).hits).toBe(1);
  });
});
