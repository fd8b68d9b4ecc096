/**
 * Outbound policy: which URLs a worker may fetch on a caller's behalf, and which headers it
 * forwards.
 *
 * Workers cannot resolve DNS before a fetch, so this module judges the URL as written: IP
 * literals in private, loopback and link-local ranges and `localhost` names are refused, but a
 * public hostname whose DNS record points at a private address cannot be caught here. The host
 * allowlist is the real boundary; keep it to hosts you control. Every redirect hop needs the same
 * check: fetch through `fetchWithinPolicy` (fetch-within-policy.ts), which does that.
 *
 * @module
 */
import * as z from "zod";

/**
 * What the policy needs from the worker's configuration.
 *
 * @example
 * ```ts
 * import type { TargetPolicy } from "@edge-async/http";
 * const policy: TargetPolicy = { allowedHosts: ["api.example.com"], allowPrivateNetworks: false };
 * ```
 */
export interface TargetPolicy {
  /** `*`, `host`, `host:port`, `*.suffix` or `[v6]:port` entries, lower case (see {@link hostListVar}). */
  allowedHosts: readonly string[];
  /** Lets loopback, private and link-local targets through (local development only). */
  allowPrivateNetworks: boolean;
}

/**
 * The verdict on one target URL.
 *
 * @example
 * ```ts
 * import type { TargetVerdict } from "@edge-async/http";
 * const verdict: TargetVerdict = { allowed: false, reason: "host evil.example is not on the allowlist" };
 * ```
 */
export type TargetVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Decides whether `url` may be fetched: http(s) only, a host on the allowlist, and no private,
 * loopback or link-local address unless the policy allows those.
 *
 * @example
 * ```ts
 * import { checkTarget } from "@edge-async/http";
 * const policy = { allowedHosts: ["*"], allowPrivateNetworks: false };
 * console.assert(checkTarget(new URL("https://api.example.com/"), policy).allowed);
 * console.assert(!checkTarget(new URL("http://[::ffff:127.0.0.1]/"), policy).allowed);
 * ```
 */
export function checkTarget(url: URL, policy: TargetPolicy): TargetVerdict {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return {
      allowed: false,
      reason: `scheme ${url.protocol} is not allowed (http and https only)`,
    };
  }
  const host = url.hostname.toLowerCase();
  if (!policy.allowPrivateNetworks) {
    const privateReason = privateTargetReason(host);
    if (privateReason !== undefined) return { allowed: false, reason: privateReason };
  }
  if (!hostAllowed(url, policy.allowedHosts)) {
    return { allowed: false, reason: `host ${url.host} is not on the allowlist` };
  }
  return { allowed: true };
}

/**
 * Why `hostname` (as `URL.hostname` spells it) is a private target, or undefined when it is not.
 *
 * @example
 * ```ts
 * import { privateTargetReason } from "@edge-async/http";
 * console.assert(privateTargetReason("[::ffff:7f00:1]")?.includes("127.0.0.0/8"));
 * ```
 */
export function privateTargetReason(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return `${host} is a loopback name`;
  const v4 = parseIPv4(host);
  if (v4 !== undefined) {
    const range = privateIPv4Range(v4);
    return range === undefined ? undefined : `${host} is in ${range}`;
  }
  if (host.startsWith("[") && host.endsWith("]")) {
    const v6 = parseIPv6(host.slice(1, -1));
    if (v6 === undefined) return `${host} is not a valid IPv6 address`;
    const range = privateIPv6Range(v6);
    return range === undefined ? undefined : `${host} is in ${range}`;
  }
  return undefined;
}

function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const port = url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port;
  for (const entry of allowedHosts) {
    if (entry === "*") return true;
    const { name, port: entryPort } = splitHostPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (name.startsWith("*.")) {
      if (host.endsWith(name.slice(1))) return true;
    } else if (name === host) {
      return true;
    }
  }
  return false;
}

function splitHostPort(entry: string): { name: string; port?: string } {
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return { name: bracketed[1] as string, port: bracketed[2] };
  const colon = entry.lastIndexOf(":");
  if (colon === -1) return { name: entry };
  return { name: entry.slice(0, colon), port: entry.slice(colon + 1) };
}

/** Dotted-quad to four octets; `URL` already normalised hex, octal and integer spellings. */
function parseIPv4(host: string): number[] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

const IPV4_PRIVATE_RANGES: readonly [string, number, number][] = [
  ["0.0.0.0/8 (this network)", 0x00000000, 8],
  ["10.0.0.0/8 (private)", 0x0a000000, 8],
  ["100.64.0.0/10 (carrier-grade NAT)", 0x64400000, 10],
  ["127.0.0.0/8 (loopback)", 0x7f000000, 8],
  ["169.254.0.0/16 (link-local)", 0xa9fe0000, 16],
  ["172.16.0.0/12 (private)", 0xac100000, 12],
  ["192.0.0.0/24 (IETF protocol assignments)", 0xc0000000, 24],
  ["192.168.0.0/16 (private)", 0xc0a80000, 16],
  ["198.18.0.0/15 (benchmarking)", 0xc6120000, 15],
  ["224.0.0.0/4 (multicast)", 0xe0000000, 4],
  ["240.0.0.0/4 (reserved, broadcast)", 0xf0000000, 4],
];

function privateIPv4Range(octets: readonly number[]): string | undefined {
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  for (const [name, base, bits] of IPV4_PRIVATE_RANGES) {
    const size = 2 ** (32 - bits);
    if (address >= base && address < base + size) return name;
  }
  return undefined;
}

/** An IPv6 address as eight 16-bit groups; accepts `::` and a trailing dotted IPv4. */
function parseIPv6(text: string): number[] | undefined {
  const address = text.split("%", 1)[0] as string;
  let tail: number[] = [];
  let body = address;
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (dotted !== null) {
    const v4 = parseIPv4(dotted[2] as string);
    if (v4 === undefined) return undefined;
    tail = [
      ((v4[0] as number) << 8) | (v4[1] as number),
      ((v4[2] as number) << 8) | (v4[3] as number),
    ];
    body = (dotted[1] as string).endsWith("::")
      ? (dotted[1] as string)
      : (dotted[1] as string).slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups = part
      .split(":")
      .map((group) => (/^[0-9a-f]{1,4}$/i.test(group) ? Number.parseInt(group, 16) : Number.NaN));
    return groups.some(Number.isNaN) ? undefined : groups;
  };
  const head = parseGroups(halves[0] as string);
  const rest = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 && known !== 8) return undefined;
  if (halves.length === 2 && known > 7) return undefined;
  return [...head, ...Array<number>(8 - known).fill(0), ...rest, ...tail];
}

function privateIPv6Range(groups: readonly number[]): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedV4 = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  const firstSix = [g0, g1, g2, g3, g4, g5];
  if (firstSix.every((group) => group === 0)) {
    if (g6 === 0 && g7 === 0) return "::/128 (unspecified)";
    if (g6 === 0 && g7 === 1) return "::1/128 (loopback)";
    // IPv4-compatible (deprecated) addresses still reach the embedded IPv4 host.
    const v4 = privateIPv4Range(embeddedV4);
    return v4 === undefined ? undefined : `::/96 (IPv4-compatible ${v4})`;
  }
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    const v4 = privateIPv4Range(embeddedV4);
    return v4 === undefined ? undefined : `::ffff:0:0/96 (IPv4-mapped ${v4})`;
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    const v4 = privateIPv4Range(embeddedV4);
    return v4 === undefined ? undefined : `64:ff9b::/96 (NAT64 of ${v4})`;
  }
  if ((g0 & 0xfe00) === 0xfc00) return "fc00::/7 (unique local)";
  if ((g0 & 0xffc0) === 0xfe80) return "fe80::/10 (link-local)";
  if ((g0 & 0xffc0) === 0xfec0) return "fec0::/10 (site-local)";
  if ((g0 & 0xff00) === 0xff00) return "ff00::/8 (multicast)";
  return undefined;
}

/**
 * Headers that describe one connection rather than the message (RFC 9110 §7.6.1), plus those the
 * runtime must compute itself. They are never forwarded upstream.
 *
 * @example
 * ```ts
 * import { HOP_BY_HOP_HEADERS } from "@edge-async/http";
 * console.assert(HOP_BY_HOP_HEADERS.has("transfer-encoding"));
 * ```
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/**
 * Builds the headers to send upstream from caller-supplied ones, dropping hop-by-hop headers,
 * `proxy-*` headers and any header the caller's `Connection` header names.
 *
 * @example
 * ```ts
 * import { forwardableHeaders } from "@edge-async/http";
 * const headers = forwardableHeaders({ accept: "application/json", connection: "x-debug", "x-debug": "1", host: "evil" });
 * console.assert([...headers.keys()].join() === "accept");
 * ```
 */
export function forwardableHeaders(input: Readonly<Record<string, string>> = {}): Headers {
  const named = new Set<string>();
  for (const [name, value] of Object.entries(input)) {
    if (name.toLowerCase() !== "connection") continue;
    for (const token of value.split(",")) named.add(token.trim().toLowerCase());
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(input)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || lower.startsWith("proxy-") || named.has(lower)) continue;
    headers.append(lower, value);
  }
  return headers;
}

const jsonArrayText = (value: unknown): unknown => {
  if (typeof value !== "string" || !value.trim().startsWith("[")) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

/**
 * Zod schema of an allowlist var: a JSON array or a comma-separated string of `*`, `host`,
 * `host:port`, `*.suffix` or `[v6]:port` entries, trimmed and lower-cased for {@link TargetPolicy}.
 *
 * @example
 * ```ts
 * import { hostListVar } from "@edge-async/http";
 * console.assert(hostListVar.parse("API.example.com, *.example.org:8443").length === 2);
 * ```
 */
export const hostListVar = z.preprocess(
  (value) => {
    const parsed = jsonArrayText(value);
    if (typeof parsed !== "string") return parsed;
    return parsed
      .split(",")
      .map((host) => host.trim())
      .filter((host) => host !== "");
  },
  z.array(
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(\*|(\*\.)?[a-z0-9.-]+(:\d{1,5})?|\[[0-9a-f:.]+\](:\d{1,5})?)$/, {
        message: 'expected "*", a host, "*.suffix", optionally with ":port"',
      }),
  ),
);

/**
 * Zod schema of a boolean var: a JSON boolean, or `true`/`1`/`yes`/`on` and
 * `false`/`0`/`no`/`off`/empty in any case (`wrangler dev --var NAME:true` passes a string).
 *
 * @example
 * ```ts
 * import { flagVar } from "@edge-async/http";
 * console.assert(flagVar.parse("TRUE") === true && flagVar.parse(false) === false);
 * ```
 */
export const flagVar = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  const text = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(text)) return true;
  if (["false", "0", "no", "off", ""].includes(text)) return false;
  return value;
}, z.boolean());
