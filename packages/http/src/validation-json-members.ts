// Internal to the package (not re-exported by index.ts): the JSON body reader's check that each
// object names each member once (I-JSON, RFC 7493 §2.3).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

type Frame =
  | { array: false; names: Set<string>; name: string; expectsName: boolean }
  | { array: true; index: number };

const pathOf = (stack: readonly Frame[]): (string | number)[] =>
  stack.map((frame) => (frame.array ? frame.index : frame.name));

/**
 * Index just past the string token that opens at `start`. `indexOf` finds each candidate closing
 * quote natively; one is escaped when an odd run of backslashes precedes it. Each backslash is
 * counted back over once at most (the run before a quote ends at the previous quote), so long
 * strings cost one pass. Stops at the end of text that is not JSON.
 */
function stringEnd(text: string, start: number): number {
  for (let quote = text.indexOf('"', start + 1); quote !== -1; ) {
    let back = quote - 1;
    while (text.charCodeAt(back) === BACKSLASH) back -= 1;
    if ((quote - 1 - back) % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/** A member name as decoded; only a name holding an escape is handed to `JSON.parse`. */
function memberName(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  return raw.includes("\\") ? (JSON.parse(text.slice(start, end)) as string) : raw;
}

/**
 * The path of the first member name given twice in one object of `text`, a document `JSON.parse`
 * accepted; `undefined` when every object names each member once. Names are compared as decoded,
 * so `"a"` and `"\u0061"` are the same name. `JSON.parse` keeps the last of two without a word and
 * RFC 8259 §4 leaves the choice to each parser, so a body that repeats a member may mean something
 * else to its sender. One pass over the text without recursion: a deep document cannot overflow
 * the stack, and nothing is decoded but member names that hold an escape.
 */
export function duplicateMember(text: string): (string | number)[] | undefined {
  const stack: Frame[] = [];
  let top: Frame | undefined;
  for (let at = 0; at < text.length; ) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const end = stringEnd(text, at);
      if (top !== undefined && !top.array && top.expectsName) {
        const name = memberName(text, at, end);
        top.name = name;
        if (top.names.has(name)) return pathOf(stack);
        top.names.add(name);
        top.expectsName = false;
      }
      at = end;
      continue;
    }
    if (code === OPEN_OBJECT) {
      top = { array: false, names: new Set(), name: "", expectsName: true };
      stack.push(top);
    } else if (code === OPEN_ARRAY) {
      top = { array: true, index: 0 };
      stack.push(top);
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      stack.pop();
      top = stack.at(-1);
    } else if (code === COMMA && top !== undefined) {
      if (top.array) top.index += 1;
      else top.expectsName = true;
    }
    at += 1;
  }
  return undefined;
}
