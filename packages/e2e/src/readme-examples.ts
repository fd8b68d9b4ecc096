/**
 * Executable README examples: every fenced `console` (or `sh`) block whose `$ ` commands call
 * `curl` is run, command by command, in one bash session per README against a started stack,
 * and each command's output is compared with the output the README shows under it. The format
 * (placeholders, captures, skips, retries) is documented in packages/e2e/README.md.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One `$ ` command of an example block and the output the README shows for it. */
export interface ExampleCommand {
  /** 1-based line of the `$ ` in the README. */
  line: number;
  /** The command without its `$ ` prompt, continuation lines included. */
  source: string;
  /** The shown output, one entry a line, trailing blank lines removed. */
  expected: string[];
}

/** A fenced block of commands and outputs. */
export interface ExampleBlock {
  /** 1-based line of the opening fence. */
  line: number;
  commands: ExampleCommand[];
  /** Why the block is not run, from a `<!-- e2e: skip <reason> -->` line just above it. */
  skip?: string;
}

/** What each placeholder stands for in shown output. */
export const PLACEHOLDERS: Readonly<Record<string, string>> = {
  id: String.raw`\d+`,
  n: String.raw`-?\d+(?:\.\d+)?`,
  ms: String.raw`\d+(?:\.\d+)?`,
  date: String.raw`\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d))?`,
  uuid: String.raw`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
  cursor: String.raw`[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`,
  etag: String.raw`(?:W/)?"[^"]*"`,
  hex: String.raw`[0-9a-f]+`,
  any: String.raw`.*?`,
};

const TOKEN = new RegExp(`<(${Object.keys(PLACEHOLDERS).join("|")})(?::([A-Z][A-Z0-9_]*))?>`, "g");
const FENCE = /^```(console|sh|shell|bash)\s*$/;
const SKIP = /^<!--\s*e2e:\s*skip\b\s*(.*?)\s*-->\s*$/;
/** A line of shown output that stands for any number of lines (or, in headers, the rest). */
const ELLIPSIS = /^\s*(?:…|\.\.\.)\s*$/;
/** Headers whose values change from run to run however the example is written. */
const UNCOMPARED_HEADERS = new Set(["content-length", "date"]);

/** True while `text` leaves a quote open or ends in a backslash: the command goes on. */
export function continues(text: string): boolean {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote === "'") {
      if (char === "'") quote = null;
    } else if (char === "\\") {
      i++;
    } else if (quote === '"') {
      if (char === '"') quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    }
  }
  return quote !== null || /\\$/.test(text);
}

/** The example blocks of a README: fenced console/sh blocks with a `$ ` command calling curl. */
export function parseReadme(markdown: string): ExampleBlock[] {
  const lines = markdown.split("\n");
  const blocks: ExampleBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i] ?? "")) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ""); i++) body.push(lines[i] ?? "");
    const commands = parseCommands(body, start + 2);
    if (!commands.some((command) => /(^|[\s;|&(])curl\s/.test(command.source))) continue;
    let above = start - 1;
    while (above >= 0 && lines[above]?.trim() === "") above--;
    const skip = SKIP.exec(lines[above] ?? "")?.[1];
    blocks.push({ line: start + 1, commands, ...(skip === undefined ? {} : { skip }) });
  }
  return blocks;
}

function parseCommands(body: string[], firstLine: number): ExampleCommand[] {
  const commands: ExampleCommand[] = [];
  for (let i = 0; i < body.length; i++) {
    const text = body[i] ?? "";
    if (!text.startsWith("$ ")) {
      commands.at(-1)?.expected.push(text);
      continue;
    }
    let source = text.slice(2);
    const line = firstLine + i;
    while (continues(source) && i + 1 < body.length) source += `\n${body[++i]}`;
    commands.push({ line, source, expected: [] });
  }
  for (const command of commands) {
    while (command.expected.length > 0 && command.expected.at(-1)?.trim() === "")
      command.expected.pop();
  }
  return commands;
}

function literal(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A regular expression for one shown line: literal text, placeholders as their patterns, a
 * capture `<kind:NAME>` as a named group the first time, the same value after (`vars` holds the
 * values captured by earlier commands).
 */
export function linePattern(expected: string, vars: Readonly<Record<string, string>>): RegExp {
  let source = "";
  let last = 0;
  const seen = new Set<string>();
  for (const match of expected.matchAll(TOKEN)) {
    source += literal(expected.slice(last, match.index));
    const [, kind = "", name] = match;
    if (name === undefined) source += `(?:${PLACEHOLDERS[kind]})`;
    else if (vars[name] !== undefined) source += literal(vars[name]);
    else if (seen.has(name)) source += `\\k<${name}>`;
    else {
      seen.add(name);
      source += `(?<${name}>${PLACEHOLDERS[kind]})`;
    }
    last = match.index + match[0].length;
  }
  return new RegExp(`^${source}${literal(expected.slice(last))}$`);
}

/** The result of comparing one command's output with the README's. */
export interface Comparison {
  ok: boolean;
  /** Values captured by `<kind:NAME>` placeholders. */
  captures: Record<string, string>;
  /** Why it differs, naming the first shown line that did not match. */
  reason?: string;
}

/** Matches shown lines against actual lines; `…` takes any number of lines. */
function matchLines(
  expected: readonly string[],
  actual: readonly string[],
  vars: Record<string, string>,
): Comparison {
  const captures: Record<string, string> = {};
  let a = 0;
  for (let e = 0; e < expected.length; e++) {
    const shown = expected[e] ?? "";
    if (ELLIPSIS.test(shown)) {
      const rest = expected.slice(e + 1);
      for (let from = a; from <= actual.length; from++) {
        const tail = matchLines(rest, actual.slice(from), { ...vars, ...captures });
        if (tail.ok) return { ok: true, captures: { ...captures, ...tail.captures } };
      }
      return { ok: false, captures, reason: `nothing after "…" matches: ${rest[0] ?? ""}` };
    }
    const got = actual[a];
    const match = got === undefined ? null : linePattern(shown, { ...vars, ...captures }).exec(got);
    if (!match) {
      return {
        ok: false,
        captures,
        reason: `shown:  ${shown}\nactual: ${got === undefined ? "(no more output)" : got}`,
      };
    }
    Object.assign(captures, match.groups);
    a++;
  }
  if (a < actual.length) return { ok: false, captures, reason: `extra output: ${actual[a]}` };
  return { ok: true, captures };
}

function splitHeaders(lines: readonly string[]): [string[], string[]] {
  const blank = lines.findIndex((line) => line.trim() === "");
  return blank === -1 ? [[...lines], []] : [lines.slice(0, blank), lines.slice(blank + 1)];
}

/** Each shown header must be among the actual ones (any order; others are ignored). */
function matchHeaders(
  expected: readonly string[],
  actual: readonly string[],
  vars: Record<string, string>,
): Comparison {
  const status = matchLines(expected.slice(0, 1), actual.slice(0, 1), vars);
  if (!status.ok) return status;
  const captures = { ...status.captures };
  const unused = actual.slice(1);
  for (const shown of expected.slice(1)) {
    if (ELLIPSIS.test(shown)) continue;
    const name = shown.slice(0, shown.indexOf(":")).trim().toLowerCase();
    const index = unused.findIndex((line) => {
      if (line.slice(0, line.indexOf(":")).trim().toLowerCase() !== name) return false;
      if (UNCOMPARED_HEADERS.has(name)) return true;
      const value = linePattern(shown.slice(shown.indexOf(":") + 1).trim(), {
        ...vars,
        ...captures,
      }).exec(line.slice(line.indexOf(":") + 1).trim());
      if (value) Object.assign(captures, value.groups);
      return value !== null;
    });
    if (index === -1) {
      const same = actual.filter((line) => line.toLowerCase().startsWith(`${name}:`));
      return {
        ok: false,
        captures,
        reason: `shown header:  ${shown}\nactual: ${same.join(" | ") || "(absent)"}`,
      };
    }
    unused.splice(index, 1);
  }
  return { ok: true, captures };
}

/**
 * Compares a command's actual output with the shown lines. Output that starts with an HTTP status
 * line (`curl -i`) is compared as a status line, a set of headers and a body.
 */
export function compareOutput(
  expected: readonly string[],
  actualText: string,
  vars: Readonly<Record<string, string>> = {},
): Comparison {
  const actual = actualText.replaceAll("\r\n", "\n").replace(/\n+$/, "").split("\n");
  if (actualText.trim() === "") actual.length = 0;
  const trimmed = expected.map((line) => line.trimEnd());
  const own = { ...vars };
  if (!trimmed[0]?.startsWith("HTTP/")) return matchLines(trimmed, actual, own);
  const [shownHeaders, shownBody] = splitHeaders(trimmed);
  const [actualHeaders, actualBody] = splitHeaders(actual);
  const headers = matchHeaders(shownHeaders, actualHeaders, own);
  if (!headers.ok) return headers;
  const body = matchLines(shownBody, actualBody, { ...own, ...headers.captures });
  return { ...body, captures: { ...headers.captures, ...body.captures } };
}

/** Dev port → this stack's port, per worker. */
export type PortMap = ReadonlyArray<readonly [dev: number, stack: number]>;

/** The command as run: the README's dev ports replaced by the stack's. */
export function toStackPorts(text: string, ports: PortMap): string {
  let out = text;
  for (const [dev, stack] of ports)
    out = out.replaceAll(
      new RegExp(`(127\\.0\\.0\\.1|localhost)(:|%3A)${dev}(?!\\d)`, "gi"),
      `$1$2${stack}`,
    );
  return out;
}

/** The output as shown: the stack's ports replaced by the README's dev ports. */
export function toDevPorts(text: string, ports: PortMap): string {
  return toStackPorts(
    text,
    ports.map(([dev, stack]) => [stack, dev] as const),
  );
}

const MARK = "\u001eEXAMPLE-DONE";

/** One bash process that runs commands in turn and keeps their variables and files. */
export class Shell {
  readonly #child: ChildProcessWithoutNullStreams;
  #buffer = "";
  #waiter: (() => void) | undefined;

  constructor(cwd: string, env: NodeJS.ProcessEnv = process.env) {
    this.#child = spawn("bash", ["--noprofile", "--norc"], { cwd, env });
    this.#child.stdout.on("data", (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      this.#waiter?.();
    });
    this.#child.stderr.on("data", (chunk: Buffer) => {
      this.#buffer += chunk.toString();
    });
  }

  /** Sets a shell variable for the commands that follow. */
  set(name: string, value: string): void {
    this.#child.stdin.write(`${name}='${value.replaceAll("'", "'\\''")}'\n`);
  }

  /** Runs one command; resolves with everything it printed (stdout and stderr). */
  async run(command: string, signal: AbortSignal): Promise<string> {
    this.#buffer = "";
    // `:;` keeps a command that is only a comment from leaving the group empty.
    this.#child.stdin.write(`{ :; ${command}\n} 2>&1; printf '\\n${MARK}\\n'\n`);
    for (;;) {
      const end = this.#buffer.indexOf(`\n${MARK}\n`);
      if (end !== -1) return this.#buffer.slice(0, end);
      if (this.#child.exitCode !== null) throw new Error(`bash exited: ${this.#buffer}`);
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.#child.kill("SIGKILL");
  }
}

/** Whether a failed comparison may be retried: a command that changes nothing (no body sent). */
export function isSafeToRepeat(command: string): boolean {
  return !/\s(-X\s*(POST|PUT|PATCH|DELETE)|-d|--data\S*|-F|--form)\b/.test(command);
}

/**
 * `$ cat FILE` shows a file the next commands use (`--data @body.json`): when the scratch folder
 * does not have it yet, the shown output is written to it, so the reader's file is the one sent.
 */
function writeShownFile(command: ExampleCommand, cwd: string): void {
  const name = /^cat ([\w.-]+)$/.exec(command.source.trim())?.[1];
  if (name === undefined || existsSync(join(cwd, name))) return;
  writeFileSync(join(cwd, name), `${command.expected.join("\n")}\n`);
}

/** One command that did not match, for the test's message. */
export interface ExampleFailure {
  line: number;
  command: string;
  reason: string;
  output: string;
}

/**
 * Runs a README's example blocks in order in one shell and returns every command whose output
 * differs (later ones may differ only because an earlier one did). A command that changes nothing
 * is repeated until it matches or `settleMs` passes (jobs finish asynchronously), as a reader
 * would; after a failure, the rest of that block is compared without waiting.
 */
export async function runExamples(
  blocks: readonly ExampleBlock[],
  options: { cwd: string; ports: PortMap; settleMs?: number; commandTimeoutMs?: number },
): Promise<ExampleFailure[]> {
  const shell = new Shell(options.cwd);
  const vars: Record<string, string> = {};
  const failures: ExampleFailure[] = [];
  let settleMs: number;
  try {
    for (const block of blocks) {
      if (block.skip !== undefined) continue;
      // After a failure the rest of its block are likely its echoes: compared once, not waited for.
      settleMs = options.settleMs ?? 20_000;
      for (const command of block.commands) {
        writeShownFile(command, options.cwd);
        const source = toStackPorts(command.source, options.ports);
        const until = Date.now() + (isSafeToRepeat(source) ? settleMs : 0);
        for (;;) {
          const signal = AbortSignal.timeout(options.commandTimeoutMs ?? 60_000);
          let output: string;
          try {
            output = toDevPorts(await shell.run(source, signal), options.ports);
          } catch (error) {
            // The shell is stuck or gone: nothing after this can be trusted.
            const reason = (error as Error).message;
            failures.push({ line: command.line, command: command.source, reason, output: "" });
            return failures;
          }
          const result = compareOutput(command.expected, output, vars);
          if (result.ok) {
            Object.assign(vars, result.captures);
            for (const [name, value] of Object.entries(result.captures)) shell.set(name, value);
            break;
          }
          if (Date.now() >= until) {
            failures.push({
              line: command.line,
              command: command.source,
              reason: result.reason ?? "",
              output,
            });
            settleMs = 0;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  } finally {
    shell.close();
  }
  return failures;
}
