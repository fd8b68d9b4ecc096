/**
 * Text as XML 1.0 may carry it. XML 1.0 allows tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and
 * U+10000-U+10FFFF; every other code point (C0 controls, U+FFFE, U+FFFF, and a lone surrogate,
 * which stored text never holds) becomes U+FFFD REPLACEMENT CHARACTER in the Atom feed only: the
 * stored text, the JSON answers and the JSON Feed keep it as sent.
 *
 * @module
 */

// The complement of XML 1.0's Char production; the `u` flag reads astral characters as one
// code point, so only unpaired surrogates match the surrogate ranges.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `value` with every character XML 1.0 does not allow replaced by U+FFFD. */
export function xmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, "\uFFFD");
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#xD;",
  "\n": "&#xA;",
  "\t": "&#x9;",
};

/**
 * `value` as XML character data or an attribute value: {@link xmlText}, then markup characters
 * escaped. Tab, LF and CR go out as character references, since a parser normalizes a raw CR
 * (and, in an attribute, tab and LF) away, which would change the text read back.
 */
export function escapeXml(value: string): string {
  return xmlText(value).replace(/[&<>"'\r\n\t]/g, (char) => ESCAPES[char]!);
}
