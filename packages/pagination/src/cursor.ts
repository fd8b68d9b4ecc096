import { HttpProblem } from "@edge-async/http";
import type * as z from "zod";

/**
 * Encodes and verifies opaque, signed pagination cursors.
 *
 * A cursor is `base64url(payload).base64url(HMAC-SHA-256)`. The MAC covers the codec's
 * `purpose` (so a cursor from another endpoint, or signed with another secret, is refused) and
 * the payload, which carries a digest of the filters it was issued for (so reusing it with
 * other filters is refused instead of silently skipping or repeating rows).
 */
export interface CursorCodec<T> {
  /** Signs `position` for a listing filtered by `filters`. */
  encode(position: T, filters?: CursorFilters): Promise<string>;
  /** Verifies `token` against `filters` and returns its position, or throws a 400 problem. */
  decode(token: string, filters?: CursorFilters): Promise<T>;
}

/** The filters a cursor is bound to; key order does not matter, `undefined` values are dropped. */
export type CursorFilters = Record<string, string | number | boolean | null | undefined>;

export interface CursorCodecOptions<T> {
  /** Signing secret, from the worker's secrets. */
  secret: string;
  /** What the cursor pages through, e.g. `"feed.items"`; cursors do not cross purposes. */
  purpose: string;
  /** Shape of a position; a signed payload that fails it is treated as malformed. */
  schema: z.ZodType<T>;
}

/** Longest token accepted; anything longer is refused before any crypto runs. */
export const MAX_CURSOR_LENGTH = 1024;

const encoder = new TextEncoder();
// Only resolved keys are cached: a pending promise shared across requests is forbidden in Workers.
const keys = new Map<string, CryptoKey>();

/**
 * Creates a codec for signed cursors.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { createCursorCodec } from "@edge-async/pagination";
 * const cursors = createCursorCodec({
 *   secret: "dev-secret",
 *   purpose: "feed.items",
 *   schema: z.tuple([z.number(), z.number()]),
 * });
 * const token = await cursors.encode([1700000000000, 42], { topic: "rust" });
 * const position = await cursors.decode(token, { topic: "rust" }); // [1700000000000, 42]
 * ```
 */
export function createCursorCodec<T>(options: CursorCodecOptions<T>): CursorCodec<T> {
  const { secret, purpose, schema } = options;
  if (secret.length === 0) throw new TypeError("cursor secret must not be empty");

  async function sign(payload: string): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await keyFor(secret),
      encoder.encode(`${purpose}.${payload}`),
    );
    return encodeBase64Url(new Uint8Array(mac));
  }

  return {
    async encode(position, filters = {}) {
      const payload = encodeBase64Url(
        encoder.encode(JSON.stringify({ f: await filterDigest(filters), p: position })),
      );
      return `${payload}.${await sign(payload)}`;
    },

    async decode(token, filters = {}) {
      const [payload, mac, extra] = token.length <= MAX_CURSOR_LENGTH ? token.split(".") : [];
      // Strict decoding gives every cursor exactly one spelling (no padding, no stray spare bits).
      const payloadBytes = payload === undefined ? undefined : decodeBase64Url(payload);
      const macBytes = mac === undefined ? undefined : decodeBase64Url(mac);
      if (
        payloadBytes === undefined ||
        payloadBytes.length === 0 ||
        macBytes === undefined ||
        macBytes.length !== 32 ||
        extra !== undefined
      ) {
        throw cursorProblem(
          "The cursor is malformed or truncated; use the nextCursor of a previous page as is.",
        );
      }
      const valid = await crypto.subtle.verify(
        "HMAC",
        await keyFor(secret),
        macBytes,
        encoder.encode(`${purpose}.${payload}`),
      );
      if (!valid)
        throw cursorProblem("The cursor was not issued by this endpoint or has been altered.");
      let decoded: { f?: unknown; p?: unknown };
      try {
        decoded = JSON.parse(new TextDecoder().decode(payloadBytes));
      } catch {
        throw cursorProblem("The cursor is malformed.");
      }
      if (decoded.f !== (await filterDigest(filters))) {
        throw cursorProblem(
          "The cursor was issued for different filters; repeat the same filters, or start again without a cursor.",
        );
      }
      const position = schema.safeParse(decoded.p);
      if (!position.success) throw cursorProblem("The cursor is malformed.");
      return position.data;
    },
  };
}

function cursorProblem(detail: string): HttpProblem {
  return new HttpProblem(400, "invalid-cursor", "Invalid cursor", {
    detail,
    errors: [{ parameter: "cursor", detail }],
  });
}

async function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = await crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}

async function filterDigest(filters: CursorFilters): Promise<string> {
  const canonical = Object.keys(filters)
    .filter((key) => filters[key] !== undefined)
    .sort()
    .map((key) => [key, filters[key]]);
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(JSON.stringify(canonical)));
  return encodeBase64Url(new Uint8Array(digest, 0, 12));
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Six-bit value of each ASCII code, -1 outside the base64url alphabet.
const SEXTETS = Int8Array.from({ length: 128 }, (_, code) =>
  ALPHABET.indexOf(String.fromCharCode(code)),
);

/**
 * Base64url (RFC 4648 §5) without padding, the spelling cursors use.
 *
 * @param bytes - Any bytes.
 * @returns ASCII text of `ceil(4 * bytes.length / 3)` characters from `A-Z a-z 0-9 - _`.
 * @example
 * ```ts
 * import { encodeBase64Url } from "@edge-async/pagination";
 * console.assert(encodeBase64Url(new Uint8Array([251, 255])) === "-_8");
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const group = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) text += ALPHABET[(group >> (18 - 6 * k)) & 63];
  }
  return text;
}

/**
 * Decodes unpadded base64url strictly: the only text accepted for some bytes is the one
 * {@link encodeBase64Url} writes for them, so a token has exactly one spelling. Refused, as
 * `undefined`: characters outside `A-Z a-z 0-9 - _` (padding `=` and whitespace included), a
 * length that leaves one character over (`length % 4 === 1`), and a last character whose spare
 * low bits (2 or 4 of them) are not zero.
 *
 * @example
 * ```ts
 * import { decodeBase64Url } from "@edge-async/pagination";
 * console.assert(decodeBase64Url("-_8")?.join() === "251,255");
 * console.assert(decodeBase64Url("-_9") === undefined); // same bytes, a spare bit set
 * ```
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let buffer = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const sextet = SEXTETS[text.charCodeAt(i)] ?? -1;
    if (sextet < 0) return undefined;
    buffer = (buffer << 6) | sextet;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[written++] = buffer >> bits;
      buffer &= (1 << bits) - 1;
    }
  }
  return buffer === 0 ? bytes : undefined;
}
