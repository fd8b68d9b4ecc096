// Shared by the runtime and package test scripts: running a tool with a time limit, reading JUnit
// XML, and writing results in the shape of vitest's JSON report, which the root `pnpm test`
// (scripts/test.mjs) adds up into its final `N passed, N failed` line.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const packageDir: string = new URL("..", import.meta.url).pathname;

/** One test's outcome: `detail` says what went wrong. */
export interface Outcome {
  name: string;
  ok: boolean;
  detail?: string;
}

/** A group of outcomes, as one file of a vitest report. */
export interface Group {
  name: string;
  outcomes: Outcome[];
  /** Set when the group could not run at all: it then counts as one failure. */
  loadError?: string;
}

/** Output of a finished command; `status` is null when it was killed (e.g. at the time limit). */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Runs a command to completion with a time limit, echoing nothing; the caller decides. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? packageDir,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: result.status,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
    ...(result.error ? { error: result.error } : {}),
  };
}

/** A short account of a failed command for a failure message. */
export function describeRun(label: string, result: RunResult): string {
  const why = result.error
    ? result.error.message
    : result.status === null
      ? "killed (time limit)"
      : `exit ${result.status}`;
  const output = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-40).join("\n");
  return `${label}: ${why}\n${output}`;
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decode = (text: string): string =>
  text.replace(/&(?:(amp|lt|gt|quot|apos)|#(\d+));/g, (_, name?: string, code?: string) =>
    name ? (entities[name] ?? "") : String.fromCodePoint(Number(code)),
  );
const attribute = (attributes: string, name: string): string | undefined => {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return match?.[1] === undefined ? undefined : decode(match[1]);
};

/**
 * The test cases of a JUnit XML report (Deno's and Bun's), grouped by file. A case with a
 * `<failure>`, an `<error>` or a `<skipped>` counts as failed: this suite skips nothing.
 */
export function junitGroups(xml: string, prefix: string): Group[] {
  const groups = new Map<string, Outcome[]>();
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const [, attributes = "", body = ""] of xml.matchAll(testcase)) {
    const file = attribute(attributes, "file") ?? attribute(attributes, "classname") ?? "?";
    const classname = attribute(attributes, "classname");
    const title = attribute(attributes, "name") ?? "?";
    const name = classname && classname !== file ? `${classname} > ${title}` : title;
    const failed = /<(failure|error|skipped)\b/.exec(body);
    const outcome: Outcome = { name, ok: failed === null };
    if (failed) outcome.detail = decode(body.replace(/<[^>]+>/g, " ").trim()).slice(0, 2_000);
    // Deno files every case under the file that called Deno.test: the portable harness.
    const key = `${prefix}: ${file.replace(/^\.\//, "").replace(/harness\.ts$/, "*.test.ts")}`;
    groups.set(key, [...(groups.get(key) ?? []), outcome]);
  }
  return [...groups].map(([name, outcomes]) => ({ name, outcomes }));
}

/**
 * Writes `.test-results/<name>.json` shaped like vitest's JSON report (numPassedTests,
 * numFailedTests, testResults[].status and assertionResults), prints each failure and a summary
 * line, and returns the number of failures.
 */
export function writeReport(name: string, groups: Group[]): number {
  let passed = 0;
  let failed = 0;
  const testResults = groups.map((group) => {
    const groupFailed = group.loadError !== undefined || group.outcomes.some((o) => !o.ok);
    if (group.loadError !== undefined) console.error(`✗ ${group.name}\n${group.loadError}\n`);
    for (const outcome of group.outcomes) {
      if (outcome.ok) passed++;
      else {
        failed++;
        console.error(`✗ ${group.name} > ${outcome.name}\n${outcome.detail ?? ""}\n`);
      }
    }
    return {
      name: group.name,
      status: groupFailed ? "failed" : "passed",
      message: group.loadError ?? "",
      assertionResults: group.outcomes.map((outcome) => ({
        title: outcome.name,
        fullName: `${group.name} > ${outcome.name}`,
        status: outcome.ok ? "passed" : "failed",
        failureMessages: outcome.ok ? [] : [outcome.detail ?? ""],
      })),
    };
  });
  const loadErrors = groups.filter((group) => group.loadError !== undefined).length;
  const file = join(packageDir, ".test-results", `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const report = {
    numTotalTests: passed + failed,
    numPassedTests: passed,
    numFailedTests: failed,
    success: failed + loadErrors === 0,
    testResults,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  for (const group of groups) {
    const ok = group.outcomes.filter((o) => o.ok).length;
    const mark = group.loadError === undefined && ok === group.outcomes.length ? "✓" : "✗";
    console.log(`${mark} ${group.name} (${ok}/${group.outcomes.length})`);
  }
  console.log(`${name}: ${passed} tests passed and ${failed + loadErrors} failed`);
  return failed + loadErrors;
}
