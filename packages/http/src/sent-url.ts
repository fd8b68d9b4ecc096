import type * as z from "zod";

// The URL parser drops leading and trailing C0 controls and spaces, and every tab, LF and CR,
// without a word (WHATWG URL, "basic URL parser"). A schema that rewrites nothing cannot see
// that, so the text the parser would lose is refused instead.
// biome-ignore lint/suspicious/noControlCharactersInRegex: it names the characters the parser drops.
const droppedByParser = /^[\x00-\x20]|[\x00-\x20]$|[\t\n\r]/;

/** Detail of a URL holding what the URL parser drops (see {@link sentAsGivenUrl}). */
export const URL_DROPPED_TEXT_DETAIL =
  "cannot start or end with a control character or space, nor hold a tab or line break: the URL parser would drop them, so they would never reach the upstream";

/** Detail of a URL holding userinfo, which fetch drops (see {@link sentAsGivenUrl}). */
export const URL_CREDENTIALS_DETAIL =
  "cannot hold a user name or password (user:password@): they would not be sent; put credentials in headers, e.g. authorization";

/** What {@link sentAsGivenUrl} needs besides the string schema it refines. */
export interface SentAsGivenUrlOptions {
  /** Detail of a value that is not an absolute URL (of one of `schemes`, when given). */
  notAbsolute: string;
  /**
   * Schemes accepted, lower case without the colon (e.g. `["http", "https"]`). When given, the
   * value must also start with `<scheme>://` (any case), so `http:example.com`, which the parser
   * reads as `http://example.com/`, is refused rather than rewritten. Default: any scheme.
   */
  schemes?: readonly string[];
}

/**
 * Refines a string schema so that it takes only a URL that the WHATWG URL parser and fetch send
 * without losing anything: it refuses (one issue per value, at the value's own path) a leading or
 * trailing C0 control or space and a tab, LF or CR anywhere ({@link URL_DROPPED_TEXT_DETAIL}: the
 * parser drops them), a value that is not an absolute URL (`options.notAbsolute`), and a user name
 * or password ({@link URL_CREDENTIALS_DETAIL}: fetch drops userinfo, and RFC 3986 §3.2.1
 * deprecates a password there). No check aborts, so the other checks of the enclosing object still
 * run and one 400 names every problem. The value passes through unchanged: what is stored reads
 * back byte for byte, and what is fetched is the parser's serialisation of it (no fragment, dot
 * segments resolved, scheme and host in lower case), which loses nothing a request carries.
 *
 * @param schema a string schema (e.g. `text("url").max(2048)`); its own checks run first
 * @param options the not-absolute detail and, optionally, the accepted schemes
 * @returns the same schema type, refined
 * @example
 * ```ts
 * import * as z from "zod";
 * import { sentAsGivenUrl, text } from "@edge-async/http";
 * const url = sentAsGivenUrl(text("url").max(2048), {
 *   notAbsolute: "must be an absolute http(s) URL",
 *   schemes: ["http", "https"],
 * });
 * console.assert(url.safeParse("https://example.com/a").success);
 * console.assert(!url.safeParse("https://user:secret@example.com/").success);
 * console.assert(!url.safeParse(" https://example.com/").success);
 * ```
 */
export function sentAsGivenUrl<T extends z.ZodString>(
  schema: T,
  options: SentAsGivenUrlOptions,
): T {
  const absolute = absoluteUrl(options.schemes);
  return schema
    .refine((value) => !droppedByParser.test(value), { error: URL_DROPPED_TEXT_DETAIL })
    .refine((value) => droppedByParser.test(value) || absolute(value), {
      error: options.notAbsolute,
    })
    .refine((value) => droppedByParser.test(value) || !absolute(value) || !hasCredentials(value), {
      error: URL_CREDENTIALS_DETAIL,
    });
}

function absoluteUrl(schemes: readonly string[] | undefined): (value: string) => boolean {
  if (schemes === undefined) return (value) => URL.canParse(value);
  const prefix = new RegExp(`^(?:${schemes.map(escapeRegExp).join("|")})://`, "i");
  const protocols = new Set(schemes.map((scheme) => `${scheme}:`));
  return (value) => {
    if (!prefix.test(value)) return false;
    const url = URL.parse(value);
    return url !== null && protocols.has(url.protocol);
  };
}

function hasCredentials(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.username !== "" || url.password !== "");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
