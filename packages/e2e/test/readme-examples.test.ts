import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { type PortMap, parseReadme, runExamples } from "../src/readme-examples.ts";
import { repoRoot, WORKERS } from "../src/stack.ts";

const urls = inject("urls");

// Every README of the repository, each run in its own shell and scratch folder against the
// stack; READMEs run side by side, their commands in order.
const readmes = [
  join(repoRoot, "README.md"),
  ...["apps", "packages"].flatMap((dir) =>
    readdirSync(join(repoRoot, dir)).map((name) => join(repoRoot, dir, name, "README.md")),
  ),
]
  .filter(existsSync)
  // E2E_README=apps/paginated-feed narrows the run to the READMEs whose path contains it.
  .filter((file) => file.includes(process.env.E2E_README ?? ""));

/** The dev port each worker's wrangler.jsonc gives `pnpm dev`, paired with the stack's. */
const ports: PortMap = WORKERS.map((name) => {
  const config = readFileSync(join(repoRoot, "apps", name, "wrangler.jsonc"), "utf8");
  const dev = /"dev"\s*:\s*\{\s*"port"\s*:\s*(\d+)/.exec(config)?.[1];
  if (dev === undefined) throw new Error(`${name}: no dev port in wrangler.jsonc`);
  return [Number(dev), Number(new URL(urls[name]).port)] as const;
});

const examples = readmes
  .map((file) => ({
    file: relative(repoRoot, file),
    blocks: parseReadme(readFileSync(file, "utf8")),
  }))
  .filter(({ blocks }) => blocks.length > 0);

describe("README examples", () => {
  it("are found in the READMEs that curl a worker", () => {
    const expected = [
      "apps/fetch-aggregator/README.md",
      "apps/paginated-feed/README.md",
      "apps/queue-worker/README.md",
    ].filter((file) => file.includes(process.env.E2E_README ?? ""));
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.map(({ file }) => file)).toEqual(expect.arrayContaining(expected));
  });

  it.concurrent.each(examples)(
    "$file: every example's output is the one shown",
    async ({ file, blocks }) => {
      const cwd = mkdtempSync(join(tmpdir(), "readme-examples-"));
      try {
        // A job that always fails takes about 30 s of backoff to end dead.
        const failures = await runExamples(blocks, { cwd, ports, settleMs: 90_000 });
        const report = failures.map(
          (failure) =>
            `${file}:${failure.line}\n$ ${failure.command}\n${failure.reason}\n--- whole output:\n${failure.output}`,
        );
        expect(report.join("\n\n")).toBe("");
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
    600_000,
  );
});
