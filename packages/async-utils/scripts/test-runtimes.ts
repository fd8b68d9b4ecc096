// The portable suite (test/portable/) under Deno and Bun; vitest already runs it under Node and
// workerd with the rest of the unit suite. Checks first that the suite imports every export of
// the package, so a new primitive cannot ship untested on two of the four runtimes.
// Writes .test-results/runtimes.json for the root `pnpm test` count; exits 1 on any failure.
// Deno and Bun come from scripts/ensure-toolchain.sh (pinned npm binary packages in .tools/).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRun, type Group, junitGroups, packageDir, run, writeReport } from "./reports.ts";

const suiteDir = join(packageDir, "test", "portable");
const TIME_LIMIT_MS = 120_000;

/** Every runtime export of src/index.ts is imported by at least one portable test file. */
async function coverage(): Promise<Group> {
  const exported = Object.keys(await import(join(packageDir, "src", "index.ts"))).sort();
  const imported = new Set<string>();
  const fromIndex = /import\s*\{([^}]*)\}\s*from\s*"\.\.\/\.\.\/src\/index\.ts"/g;
  for (const file of readdirSync(suiteDir).filter((name) => name.endsWith(".test.ts"))) {
    for (const [, names = ""] of readFileSync(join(suiteDir, file), "utf8").matchAll(fromIndex)) {
      for (const name of names.split(",")) imported.add(name.replace(/^\s*type\s+/, "").trim());
    }
  }
  const missing = exported.filter((name) => !imported.has(name));
  return {
    name: "portable suite",
    outcomes: [
      {
        name: `imports every export of src/index.ts (${exported.length})`,
        ok: missing.length === 0,
        detail: `not covered by test/portable/: ${missing.join(", ")}`,
      },
    ],
  };
}

/** Runs one runtime's test command, which writes JUnit XML to the path it is given. */
function runtimeGroups(runtime: string, command: (junit: string) => string[]): Group[] {
  const scratch = mkdtempSync(join(tmpdir(), `async-utils-${runtime}-`));
  const junit = join(scratch, "junit.xml");
  try {
    const [bin = runtime, ...args] = command(junit);
    const result = run(bin, args, { timeoutMs: TIME_LIMIT_MS });
    let xml = "";
    try {
      xml = readFileSync(junit, "utf8");
    } catch {
      // No report at all: the runtime is missing or crashed; the load error below says which.
    }
    const groups = junitGroups(xml, runtime);
    const expected = readdirSync(suiteDir).filter((name) => name.endsWith(".test.ts")).length;
    const ran = groups.reduce((sum, group) => sum + group.outcomes.length, 0);
    const failedCases = groups.some((group) => group.outcomes.some((outcome) => !outcome.ok));
    // A clean exit with cases in the report is the only success. A failing exit that no failed
    // case explains (a crash, a hang, a file that failed to load) counts as a failure of its own.
    if ((result.status !== 0 && !failedCases) || ran === 0) {
      groups.push({
        name: `${runtime}: run`,
        outcomes: [],
        loadError:
          result.error && "code" in result.error && result.error.code === "ENOENT"
            ? `${runtime} is not on PATH: source scripts/ensure-toolchain.sh first`
            : describeRun(`${runtime} (${expected} portable files)`, result),
      });
    }
    return groups;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const groups: Group[] = [
  await coverage(),
  // --no-check: tsc checks these files already.
  ...runtimeGroups("deno", (junit) => [
    "deno",
    "test",
    "--no-check",
    "--no-lock",
    "--no-prompt",
    "--reporter=dot",
    `--junit-path=${junit}`,
    "test/portable/",
  ]),
  ...runtimeGroups("bun", (junit) => [
    "bun",
    "test",
    "--reporter=junit",
    `--reporter-outfile=${junit}`,
    "./test/portable/",
  ]),
];
process.exitCode = writeReport("runtimes", groups) === 0 ? 0 : 1;
