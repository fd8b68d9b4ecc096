import * as z from "zod";

/**
 * Index and code unit of the first lone UTF-16 surrogate in `value`, or `undefined` when the
 * string is well-formed (what `String.prototype.isWellFormed` checks).
 *
 * @example
 * ```ts
 * import { loneSurrogate } from "@edge-async/http";
 * console.assert(loneSurrogate("x\udfffy")?.index === 1);
 * console.assert(loneSurrogate("😀") === undefined);
 * ```
 */
export function loneSurrogate(value: string): { index: number; codeUnit: number } | undefined {
  if (value.isWellFormed()) return undefined;
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = value.charCodeAt(index + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      index++;
      continue;
    }
    return { index, codeUnit: unit };
  }
  return undefined;
}

function loneSurrogateMessage(what: string, value: string): string {
  const found = loneSurrogate(value);
  const at =
    found === undefined
      ? ""
      : ` (U+${found.codeUnit.toString(16).toUpperCase()} at index ${found.index})`;
  return `${what} holds a lone UTF-16 surrogate${at}; send well-formed Unicode text, which storage can keep exactly`;
}

/**
 * The string type of every text field: a `z.string()` that refuses text that is not well-formed
 * UTF-16 and never rewrites what it accepts (no trimming, no Unicode normalisation, no
 * replacement), so accepted text reads back byte for byte.
 *
 * Why only lone surrogates: D1 (SQLite, UTF-8) stores a lone surrogate as its WTF-8 bytes and reads
 * it back as three U+FFFD, so such a string cannot round-trip; every other string can, NUL and
 * the other control characters included (tested against D1). A field whose meaning forbids more
 * (control characters in a topic, spaces in a key) adds its own `.regex`/`.refine` on top.
 * Chain `.min`, `.max`, `.regex` as on any `z.string()`; the lone-surrogate check runs first and
 * stops the others, so a client sees one precise issue.
 *
 * @param name - What to call the value in the message, e.g. `"title"`; default `"the text"`.
 * @returns A `z.ZodString`; a failing value gives a `custom` issue such as
 *   `title holds a lone UTF-16 surrogate (U+D800 at index 1); send well-formed Unicode text, ...`.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { text } from "@edge-async/http";
 * const item = z.strictObject({ title: text("title").min(1).max(500) });
 * console.assert(item.safeParse({ title: "a\u0000b" }).success); // kept as sent
 * console.assert(!item.safeParse({ title: "a\ud800b" }).success); // refused, not rewritten
 * ```
 */
export function text(name = "the text"): z.ZodString {
  return z.string().refine((value) => value.isWellFormed(), {
    abort: true,
    error: (issue) => loneSurrogateMessage(name, String(issue.input)),
  });
}

/** Limits of {@link wellFormedJson}. */
export interface WellFormedJsonOptions {
  /**
   * Deepest nesting of arrays and objects accepted (the top-level value is depth 1); deeper
   * documents are refused, since re-serialising them (`JSON.stringify`) can overflow the stack.
   * Default 64.
   */
  maxDepth?: number;
  /** Most issues reported; the walk stops there. Default 20. */
  maxIssues?: number;
}

type Path = (string | number)[];

/** Walks a JSON value without recursion, yielding an issue for each bad string or nesting. */
function* jsonIssues(root: unknown, maxDepth: number): Generator<{ path: Path; message: string }> {
  const stack: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      if (!value.isWellFormed())
        yield { path, message: loneSurrogateMessage("this string", value) };
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    if (path.length >= maxDepth) {
      yield { path, message: `nests deeper than ${maxDepth} levels of arrays and objects` };
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [index, item])
      : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      if (typeof key === "string" && !key.isWellFormed()) {
        yield { path: [...path, key], message: loneSurrogateMessage("this member's name", key) };
      }
      stack.push({ value: item, path: [...path, key] });
    }
  }
}

/**
 * Wraps the schema of a JSON document of any shape (a job payload, a body to forward) so that
 * every string in it, at any depth and object member names included, is well-formed UTF-16, and
 * its nesting is bounded; only then is `schema` applied. Each problem is an issue at its own
 * path, so {@link jsonBody} answers 400 naming its JSON pointer (e.g. `/payload/tags/0`). Nothing
 * is rewritten. See {@link text} for why lone surrogates are refused.
 *
 * @param schema - Applied to the document once it passes (a `z.pipe`).
 * @param options - {@link WellFormedJsonOptions}: `maxDepth` (default 64), `maxIssues` (default 20).
 * @returns A schema with `schema`'s output type; its input is `unknown`.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { jsonBody, wellFormedJson } from "@edge-async/http";
 * const envelope = wellFormedJson(z.strictObject({ payload: z.unknown() }));
 * console.assert(!envelope.safeParse({ payload: { tags: ["ok", "\udfff"] } }).success);
 * const middleware = jsonBody(envelope);
 * ```
 */
export function wellFormedJson<S extends z.ZodType>(
  schema: S,
  options: WellFormedJsonOptions = {},
): z.ZodPipe<z.ZodUnknown, S> {
  const { maxDepth = 64, maxIssues = 20 } = options;
  const checked = z.unknown().superRefine((value, context) => {
    let count = 0;
    for (const issue of jsonIssues(value, maxDepth)) {
      context.addIssue({ code: "custom", path: issue.path, message: issue.message, input: value });
      if (++count >= maxIssues) return;
    }
  });
  return checked.pipe(schema);
}

/** Paths where `kept` holds a string other than the one `sent` held at the same place. */
function* rewrittenStrings(sent: unknown, kept: unknown): Generator<{ path: Path; kept: string }> {
  const stack: { sent: unknown; kept: unknown; path: Path }[] = [{ sent, kept, path: [] }];
  while (stack.length > 0) {
    const pair = stack.pop()!;
    if (typeof pair.kept === "string") {
      if (typeof pair.sent === "string" && pair.sent !== pair.kept) {
        yield { path: pair.path, kept: pair.kept };
      }
    } else if (Array.isArray(pair.kept) && Array.isArray(pair.sent)) {
      const length = Math.min(pair.kept.length, pair.sent.length);
      for (let i = length - 1; i >= 0; i--) {
        stack.push({ sent: pair.sent[i], kept: pair.kept[i], path: [...pair.path, i] });
      }
    } else if (isRecord(pair.kept) && isRecord(pair.sent)) {
      for (const [key, value] of Object.entries(pair.kept)) {
        if (Object.hasOwn(pair.sent, key)) {
          stack.push({ sent: pair.sent[key], kept: value, path: [...pair.path, key] });
        }
      }
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Wraps a schema so that it may refuse input but never rewrite a string the client sent: when
 * `schema` accepts the input but its output holds, where the input held a string, a different
 * string (zod's `z.url()` trims and drops tabs and newlines; `.trim()`, `.toLowerCase()` and
 * similar rewrite too), the value is refused with an issue at that path saying what it would
 * have become. Strings the schema adds (defaults) and non-string outputs (a date parsed to
 * milliseconds) are not compared. Use it around any schema whose output is stored.
 *
 * @param schema - A synchronous schema; its issues are passed through unchanged.
 * @returns A schema with `schema`'s output type; its input is `unknown`.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { keptAsSent, text } from "@edge-async/http";
 * const url = keptAsSent(text("url").pipe(z.url()));
 * console.assert(url.safeParse("https://example.com/").success);
 * console.assert(!url.safeParse(" https://example.com/").success); // z.url() alone would trim it
 * ```
 */
export function keptAsSent<S extends z.ZodType>(schema: S) {
  return z.unknown().transform((sent, context): z.output<S> => {
    const parsed = schema.safeParse(sent);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ ...issue });
      return z.NEVER;
    }
    let count = 0;
    for (const { path, kept } of rewrittenStrings(sent, parsed.data)) {
      const shown = kept.length > 80 ? `${kept.slice(0, 80)}...` : kept;
      context.addIssue({
        code: "custom",
        path,
        input: sent,
        message: `would be stored altered, as ${JSON.stringify(shown)}; send the exact text to store`,
      });
      if (++count >= 20) break;
    }
    return parsed.data;
  });
}
