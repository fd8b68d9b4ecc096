import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareOutput,
  continues,
  isSafeToRepeat,
  linePattern,
  parseReadme,
  runExamples,
  toDevPorts,
  toStackPorts,
} from "../src/readme-examples.ts";

// The harness itself, without workers: parsing, matching, ports and the shell session.
const fence = "```";

describe("parseReadme", () => {
  it("finds console and sh blocks that call curl, with multi-line commands and their output", () => {
    const blocks = parseReadme(
      [
        "# Title",
        `${fence}console`,
        "$ curl -s localhost:8788/v1/items -d '{",
        '  "a": 1',
        "}' | jq -c .",
        '{"a":1}',
        "",
        "$ CURSOR=abc",
        "$ curl -s localhost:8788/x \\",
        "    -H 'a: b'",
        "ok",
        fence,
        `${fence}sh`,
        "pnpm dev",
        fence,
        "<!-- e2e: skip needs a production key -->",
        "",
        `${fence}sh`,
        "$ curl -s localhost:8791/v1/stats",
        "401",
        fence,
      ].join("\n"),
    );
    expect(blocks).toEqual([
      {
        line: 2,
        commands: [
          {
            line: 3,
            source: "curl -s localhost:8788/v1/items -d '{\n  \"a\": 1\n}' | jq -c .",
            expected: ['{"a":1}'],
          },
          { line: 8, source: "CURSOR=abc", expected: [] },
          { line: 9, source: "curl -s localhost:8788/x \\\n    -H 'a: b'", expected: ["ok"] },
        ],
      },
      {
        line: 18,
        skip: "needs a production key",
        commands: [{ line: 19, source: "curl -s localhost:8791/v1/stats", expected: ["401"] }],
      },
    ]);
  });

  it("knows when a command goes on", () => {
    expect(continues("curl -d '{")).toBe(true);
    expect(continues(`curl -d "it's`)).toBe(true);
    expect(continues("curl x \\")).toBe(true);
    expect(continues(`curl -H "a: \\"b\\""`)).toBe(false);
    expect(continues("curl -d '{\"a\":1}'")).toBe(false);
  });
});

describe("compareOutput", () => {
  it("matches placeholders and captures named ones, which later commands must repeat", () => {
    const shown = ['{"id":"<uuid:JOB>","n":<n>,"at":"<date>","again":"<uuid:JOB>"}'];
    const id = "4376da0a-19b6-4c5c-8f88-b4c657fb2240";
    const ok = compareOutput(
      shown,
      `{"id":"${id}","n":12,"at":"2026-11-29T19:53:33.336Z","again":"${id}"}\n`,
    );
    expect(ok).toEqual({ ok: true, captures: { JOB: id } });
    const other = "00000000-19b6-4c5c-8f88-b4c657fb2240";
    expect(
      compareOutput(shown, `{"id":"${id}","n":1,"at":"2026-11-29","again":"${other}"}`).ok,
    ).toBe(false);
    expect(compareOutput(['{"id":"<uuid:JOB>"}'], `{"id":"${other}"}`, { JOB: id }).ok).toBe(false);
  });

  it("takes other angle brackets literally", () => {
    expect(compareOutput(["Bearer <API key>"], "Bearer <API key>").ok).toBe(true);
    expect(compareOutput(["Bearer <API key>"], "Bearer x").ok).toBe(false);
    expect(linePattern("a.b", {}).test("axb")).toBe(false);
  });

  it("fails on a changed value, a missing line and an extra line, naming the line", () => {
    const changed = compareOutput(['{"ids":[4524,8905]}'], '{"ids":[4524,8906]}');
    expect(changed.ok).toBe(false);
    expect(changed.reason).toContain("8905");
    expect(compareOutput(["a", "b"], "a").ok).toBe(false);
    expect(compareOutput(["a"], "a\nb").ok).toBe(false);
    expect(compareOutput([], "").ok).toBe(true);
    expect(compareOutput([], "something").ok).toBe(false);
  });

  it("lets … stand for any number of lines", () => {
    expect(compareOutput(["first", "…", "last"], "first\n1\n2\nlast").ok).toBe(true);
    expect(compareOutput(["first", "…", "last"], "first\nlast").ok).toBe(true);
    expect(compareOutput(["first", "…", "last"], "first\n1\nnot last").ok).toBe(false);
  });

  it("compares headers as a set of the shown ones, with the status and the body", () => {
    const actual = [
      "HTTP/1.1 304 Not Modified",
      'ETag: W/"dc9b"',
      "Content-Length: 99",
      "X-Other: 1",
      "",
      "",
    ].join("\r\n");
    expect(
      compareOutput(["HTTP/1.1 304 Not Modified", "etag: <etag>", "Content-Length: 12"], actual).ok,
    ).toBe(true);
    expect(compareOutput(["HTTP/1.1 200 OK", "ETag: <etag>"], actual).ok).toBe(false);
    const missing = compareOutput(["HTTP/1.1 304 Not Modified", "Vary: Origin"], actual);
    expect(missing).toMatchObject({ ok: false });
    expect(missing.reason).toContain("Vary");
    const withBody = 'HTTP/1.1 200 OK\r\nA: 1\r\n\r\n{"x":1}';
    expect(compareOutput(["HTTP/1.1 200 OK", "A: 1", "", '{"x":<n>}'], withBody).ok).toBe(true);
    expect(compareOutput(["HTTP/1.1 200 OK", "A: 1", "", '{"x":2}'], withBody).ok).toBe(false);
  });
});

describe("ports and repeats", () => {
  const ports = [
    [8788, 40001],
    [8790, 40003],
  ] as const;

  it("rewrites the dev ports of both host spellings, and back", () => {
    expect(toStackPorts("curl localhost:8788/x -d 'http://127.0.0.1:8790/a' :87880", ports)).toBe(
      "curl localhost:40001/x -d 'http://127.0.0.1:40003/a' :87880",
    );
    expect(toDevPorts('realm="127.0.0.1:40001"', ports)).toBe('realm="127.0.0.1:8788"');
    expect(toStackPorts("?url=http%3A%2F%2F127.0.0.1%3A8790%2Fa", ports)).toBe(
      "?url=http%3A%2F%2F127.0.0.1%3A40003%2Fa",
    );
  });

  it("repeats only commands that send nothing", () => {
    expect(isSafeToRepeat("curl -s localhost:8789/v1/jobs/$JOB | jq .")).toBe(true);
    expect(isSafeToRepeat("curl -s -X POST localhost:8789/v1/jobs")).toBe(false);
    expect(isSafeToRepeat("curl -s localhost:8788/v1/items -d '{}'")).toBe(false);
    expect(isSafeToRepeat("curl -s localhost:8788/v1/items --data @body.json")).toBe(false);
  });
});

describe("runExamples", () => {
  it("runs commands in one shell, keeps variables and captures, and reports what differs", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "readme-examples-"));
    try {
      const [block] = parseReadme(
        [
          `${fence}console`,
          '$ echo \'{"id":"abc-1"}\'  # curl stands in here',
          '{"id":"abc-<n:N>"}',
          '$ echo "n=$N"; X=5',
          "n=1",
          "$ echo $X; echo curl >&2",
          "5",
          "curl",
          "$ echo 6",
          "7",
          fence,
        ].join("\n"),
      );
      expect(block).toBeDefined();
      // "curl stands in" makes the block an example; the commands need no server.
      const failures = await runExamples([block!], { cwd, ports: [], settleMs: 0 });
      expect(failures).toEqual([
        expect.objectContaining({ line: 9, command: "echo 6", output: "6\n" }),
      ]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
