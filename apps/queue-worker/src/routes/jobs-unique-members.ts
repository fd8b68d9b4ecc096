import {
  contentCodingOf,
  invalidInput,
  type JsonBodyOptions,
  jsonInput,
  readDecoded,
  toPointer,
} from "@edge-async/http";
import type { MiddlewareHandler } from "hono";

type Frame =
  | { kind: "object"; names: Set<string>; name: string | undefined; expectsName: boolean }
  | { kind: "array"; index: number };

const pathOf = (stack: readonly Frame[]): (string | number)[] =>
  stack.map((frame) => (frame.kind === "array" ? frame.index : (frame.name ?? "")));

/** Index just past the string token that opens at `start` (its closing quote included). */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  // Bounded by the length too, so text that is not JSON cannot loop past its end.
  while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
  return at + 1;
}

/**
 * The path of the first member name given twice in one object of `text`, a document `JSON.parse`
 * accepted; undefined if every object names each member once. Names are compared as decoded, so
 * `"a"` and `"\u0061"` are the same name. One pass, no recursion: a deep document cannot overflow
 * the stack.
 */
export function duplicateMember(text: string): (string | number)[] | undefined {
  const stack: Frame[] = [];
  for (let at = 0; at < text.length; ) {
    const char = text[at]!;
    const top = stack.at(-1);
    if (char === '"') {
      const end = stringEnd(text, at);
      if (top?.kind === "object" && top.expectsName) {
        const name = JSON.parse(text.slice(at, end)) as string;
        top.name = name;
        top.expectsName = false;
        if (top.names.has(name)) return pathOf(stack);
        top.names.add(name);
      }
      at = end;
      continue;
    }
    if (char === "{")
      stack.push({ kind: "object", names: new Set(), name: undefined, expectsName: true });
    else if (char === "[") stack.push({ kind: "array", index: 0 });
    else if (char === "}" || char === "]") stack.pop();
    else if (char === "," && top?.kind === "object") top.expectsName = true;
    else if (char === "," && top?.kind === "array") top.index += 1;
    at += 1;
  }
  return undefined;
}

/**
 * `jsonInput`, refusing besides a body that gives one member name twice in an object (400 naming
 * it). `JSON.parse` keeps the last of them without a word, and RFC 8259 §4 leaves which one counts
 * to each parser, so a filter could run on a value the caller did not mean. The body is read twice
 * (a tee of the request): `jsonInput` checks it as it checks every body, then its decoded text is
 * scanned.
 */
export function uniqueMemberJsonInput(options: Required<JsonBodyOptions>): MiddlewareHandler {
  const read = jsonInput(options);
  return async (c, next) => {
    const copy = c.req.raw.clone();
    let scanned = false;
    try {
      await read(c, async () => {
        scanned = true;
        const coding = contentCodingOf(copy.headers.get("content-encoding"));
        const bytes =
          copy.body === null
            ? new Uint8Array()
            : await readDecoded(copy.body, coding, options.maxBytes);
        const path = duplicateMember(
          new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes),
        );
        if (path !== undefined) {
          const detail = "is given more than once in its object; send each member once";
          throw invalidInput([{ pointer: toPointer(path.map(String)), detail }]);
        }
        await next();
      });
    } finally {
      // A branch of the tee left unread would hold the whole body in memory.
      if (!scanned) await copy.body?.cancel();
    }
  };
}
