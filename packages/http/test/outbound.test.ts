import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkTarget,
  flagVar,
  forwardableHeaders,
  HOP_BY_HOP_HEADERS,
  hostListVar,
  privateTargetReason,
} from "../src/index.ts";

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
  it("lists the connection-level headers", () => {
    expect([...HOP_BY_HOP_HEADERS].sort()).toEqual([
      "connection",
      "content-length",
      "host",
      "keep-alive",
      "te",
      "trailer",
      "transfer-encoding",
      "upgrade",
    ]);
  });

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

describe("privateTargetReason", () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const v4 = fc.tuple(octet, octet, octet, octet).map((octets) => octets.join("."));

  it("judges an IPv4 address the same however a URL spells it", () => {
    fc.assert(
      fc.property(v4, (address) => {
        const [a, b, c, d] = address.split(".").map(Number) as [number, number, number, number];
        const asInteger = ((a * 256 + b) * 256 + c) * 256 + d;
        const plain = privateTargetReason(address) !== undefined;
        for (const spelling of [`http://${asInteger}/`, `http://[::ffff:${address}]/`]) {
          expect(privateTargetReason(new URL(spelling).hostname) !== undefined).toBe(plain);
        }
      }),
    );
  });

  it("refuses every address of the private IPv4 ranges", () => {
    fc.assert(
      fc.property(octet, octet, octet, (b, c, d) => {
        expect(privateTargetReason(`10.${b}.${c}.${d}`)).toContain("10.0.0.0/8");
        expect(privateTargetReason(`169.254.${c}.${d}`)).toContain("link-local");
        expect(privateTargetReason(`192.168.${c}.${d}`)).toContain("192.168.0.0/16");
      }),
    );
  });

  it("calls a malformed bracketed literal invalid rather than public", () => {
    expect(privateTargetReason("[1:2:3:4:5:6:7:8:9]")).toContain("not a valid IPv6 address");
  });
});

describe("hostListVar", () => {
  it("reads comma-separated and JSON lists, trimmed and lower-cased", () => {
    expect(hostListVar.parse(" API.example.com , *.example.org:8443,")).toEqual([
      "api.example.com",
      "*.example.org:8443",
    ]);
    expect(hostListVar.parse('["[::1]:8790", "*"]')).toEqual(["[::1]:8790", "*"]);
    expect(hostListVar.parse(["127.0.0.1:8790"])).toEqual(["127.0.0.1:8790"]);
  });

  it("refuses entries that are not hosts", () => {
    for (const bad of ["https://api.example.com", "a b", "api.example.com/path", "*example.com"]) {
      expect(hostListVar.safeParse(bad).success).toBe(false);
    }
  });
});

describe("flagVar", () => {
  it("reads the usual spellings and refuses anything else", () => {
    for (const yes of ["true", "TRUE", "1", "yes", "on", true])
      expect(flagVar.parse(yes)).toBe(true);
    for (const no of ["false", "0", "no", "off", "", false]) expect(flagVar.parse(no)).toBe(false);
    expect(flagVar.safeParse("maybe").success).toBe(false);
  });
});
