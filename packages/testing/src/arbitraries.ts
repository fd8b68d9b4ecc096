import fc from "fast-check";

/**
 * One UTF-16 code unit or code point of the kinds that break text handling: any code unit alone
 * (lone surrogates included), any code point, controls, NUL, BOM, emoji, spaces.
 */
export const anyUnit: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.constantFrom("\u0000", "\u0001", "\u001f", "\u007f", "\u0085", " ", "\t", "\n", "\r"),
  fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff", "\ufeff", "\ufffd", "😀", "e\u0301"),
);

/** Strings of {@link anyUnit}: what a hostile client can put in any text field. */
export const anyText = (maxLength = 30): fc.Arbitrary<string> =>
  fc.string({ unit: anyUnit, maxLength });

/**
 * Raw URL text: valid and invalid percent-encoding, reserved characters, odd code points, and
 * the words a route knows (`words`), which reach deeper into its validation.
 */
export const urlText = (words: readonly string[] = []): fc.Arbitrary<string> => {
  const piece = fc.oneof(
    fc.constantFrom("%FF", "%ED%A0%80", "%", "%E2%82", "%00", "%25", "%2", "+", "=", "&", "%C0%AF"),
    fc.constantFrom("%F4%90%80%80", "%EF%BB%BF", "..", "/", "1e3", "%2F"),
    fc.constantFrom(...words, "-1", "0", "101", "9".repeat(40), "x".repeat(3000)),
    fc
      .uint8Array({ minLength: 1, maxLength: 6 })
      .map((bytes) => Array.from(bytes, (b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
    anyText(24).map((text) => encodeURIComponent(text.toWellFormed())),
    fc.uuid().map(String),
    fc.string({ unit: "grapheme", maxLength: 6 }),
  );
  return fc.array(piece, { maxLength: 4 }).map((pieces) => pieces.join(""));
};

/** Query strings over the parameter names a route knows (`keys`) and random ones. */
export const searchText = (
  keys: readonly string[],
  words: readonly string[] = [],
): fc.Arbitrary<string> => {
  const text = urlText(words);
  const key = fc.oneof(fc.constantFrom(...keys), text);
  return fc
    .array(fc.tuple(key, fc.option(text, { nil: undefined })), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join("&"));
};

/** Content-Type values, JSON most of the time so bodies reach the schemas. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 4 },
  fc.constantFrom(
    "application/json; charset=utf-8",
    "application/problem+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
    undefined,
  ),
);
