// The package as a stranger gets it: `pnpm pack` (prepack builds dist/ and publishConfig swaps the
// exports to it), publint and Are the Types Wrong on the tarball, `deno publish --dry-run` for
// JSR, then the tarball installed with npm into a scratch project outside the workspace and
// imported from Node (ESM and require() of ESM), Deno and Bun. Last, the README's size table
// against `pnpm size`. Writes .test-results/package.json for the root `pnpm test` count.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  describeRun,
  type Outcome,
  packageDir,
  type RunResult,
  run,
  writeReport,
} from "./reports.ts";
import { measure, readmePath, readmeTable, sizeTable } from "./size.ts";

const scratch = mkdtempSync(join(tmpdir(), "async-utils-pack-"));
const outcomes: Outcome[] = [];

/** Records a command as a test: passed when it exits 0 (and `accept`, if given, agrees). */
function check(name: string, result: RunResult, accept: (r: RunResult) => string = () => ""): void {
  const problem = result.status === 0 ? accept(result) : describeRun(name, result);
  outcomes.push(problem ? { name, ok: false, detail: problem } : { name, ok: true });
}

// The same checks from every runtime: the exports (compared with the sources' list below) and a
// little real work through them, including errors that must keep their class across the build.
const smokeBody = `
  const results = [];
  const run = lib.limit(2);
  results.push((await Promise.all([1, 2, 3].map((n) => run(async (x) => x * 2, n)))).join() === "2,4,6");
  results.push((await lib.gather([() => "a", async () => "b"])).join() === "a,b");
  results.push(await lib.withTimeout((signal) => lib.sleep(60_000, { signal }), 5).then(
    () => false, (error) => error instanceof lib.TimeoutError && error.name === "TimeoutError"));
  results.push(lib.isAbortError(new lib.AbortError()));
  const queue = new lib.AsyncQueue({ capacity: 1 });
  await queue.put("x");
  results.push((await queue.get()) === "x");
  return { exports: Object.keys(lib).sort(), results };
`;
const files = {
  "smoke.mjs": `import * as lib from "@edge-async/async-utils";\nconst smoke = async () => {${smokeBody}};\nconsole.log(JSON.stringify(await smoke()));\n`,
  "smoke.cjs": `const lib = require("@edge-async/async-utils");\nconst smoke = async () => {${smokeBody}};\nsmoke().then((r) => console.log(JSON.stringify(r)));\n`,
};

/** The smoke script's verdict: every export present, every check true. */
function smokeVerdict(expected: string[]): (r: RunResult) => string {
  return ({ stdout }) => {
    try {
      const { exports, results } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as {
        exports: string[];
        results: boolean[];
      };
      if (exports.join() !== expected.join()) {
        return `exports differ from src/index.ts:\n got ${exports.join()}\n want ${expected.join()}`;
      }
      const failed = results.flatMap((ok, i) => (ok ? [] : [i + 1]));
      return failed.length ? `smoke checks ${failed.join(", ")} failed` : "";
    } catch (error) {
      return `no result from the smoke script (${error}):\n${stdout}`;
    }
  };
}

try {
  const packed = run("pnpm", ["pack", "--pack-destination", scratch]);
  const tarball = readdirSync(scratch).find((name) => name.endsWith(".tgz"));
  check("pnpm pack builds and packs the package", packed, () => (tarball ? "" : "no .tgz"));
  if (tarball === undefined) throw new Error(describeRun("pnpm pack", packed));
  const tgz = join(scratch, tarball);

  check(
    "publint --strict on the tarball",
    run("pnpm", ["exec", "publint", "run", tgz, "--strict"]),
  );
  check(
    "attw (esm-only profile) on the tarball",
    run("pnpm", ["exec", "attw", tgz, "--profile", "esm-only", "--format", "ascii"]),
  );
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const jsr = JSON.parse(readFileSync(join(packageDir, "jsr.json"), "utf8"));
  const differing = ["name", "version", "license"].filter((key) => jsr[key] !== manifest[key]);
  outcomes.push({
    name: "jsr.json names the package, version and license of package.json",
    ok: differing.length === 0,
    detail: `jsr.json differs in ${differing.join(", ")}`,
  });
  check(
    "deno publish --dry-run (JSR, no slow types)",
    run("deno", ["publish", "--dry-run", "--allow-dirty"]),
  );

  const project = join(scratch, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), '{ "name": "scratch", "private": true }\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  const installed = run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", tgz],
    { cwd: project },
  );
  check("npm installs the tarball into a project outside the workspace", installed);

  const expected = Object.keys(await import(join(packageDir, "src", "index.ts"))).sort();
  const verdict = smokeVerdict(expected);
  const inProject = { cwd: project, timeoutMs: 60_000 };
  check("Node imports it (ESM)", run("node", ["smoke.mjs"], inProject), verdict);
  check("Node require()s it (require of ESM)", run("node", ["smoke.cjs"], inProject), verdict);
  check(
    "Deno imports it from node_modules",
    run("deno", ["run", "--no-lock", "smoke.mjs"], inProject),
    verdict,
  );
  check("Bun imports it", run("bun", ["smoke.mjs"], inProject), verdict);

  const table = sizeTable(await measure(join(packageDir, "dist")));
  const inReadme = readmeTable(readFileSync(readmePath, "utf8"));
  outcomes.push({
    name: "README's size table is what `pnpm size` measures",
    ok: inReadme === table,
    detail: `README.md has:\n${inReadme}\n\`pnpm size\` measures:\n${table}\nrun \`pnpm --filter @edge-async/async-utils size --write\``,
  });
} catch (error) {
  outcomes.push({ name: "packing", ok: false, detail: String(error) });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

process.exitCode = writeReport("package", [{ name: "package", outcomes }]) === 0 ? 0 : 1;
