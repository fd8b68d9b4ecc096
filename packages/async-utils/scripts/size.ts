// `pnpm size`: what the published build (dist/, from `tsdown`) costs a bundle, measured the way an
// application bundles it: esbuild, minified, tree-shaken, then gzip. Prints a Markdown table;
// `--write` puts it into the README between the size markers. The package test checks that the
// README's table is the one this prints.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { packageDir } from "./reports.ts";

/** One measured import: bytes after minification and after gzip (level 9). */
export interface Size {
  label: string;
  minified: number;
  gzipped: number;
}

const imports = [
  { label: "`import { limit }`", code: 'export { limit } from "./index.js";' },
  { label: "everything (`import *`)", code: 'export * from "./index.js";' },
];

/** Bundles each import against `distDir` (which holds index.js) and measures it. */
export async function measure(distDir: string): Promise<Size[]> {
  const sizes: Size[] = [];
  for (const { label, code } of imports) {
    const result = await build({
      stdin: { contents: code, resolveDir: distDir, loader: "js" },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "neutral",
      write: false,
      logLevel: "silent",
    });
    const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
    sizes.push({ label, minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length });
  }
  return sizes;
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

/** A Markdown table of `sizes`, padded the way Biome formats tables. */
export function sizeTable(sizes: Size[]): string {
  const rows = [
    ["import", "minified", "minified + gzip"],
    ...sizes.map((size) => [size.label, kB(size.minified), kB(size.gzipped)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  const rule = `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}

export const readmePath: string = join(packageDir, "README.md");
const START = "<!-- size:start -->";
const END = "<!-- size:end -->";

/** The table currently between the README's size markers, or undefined without markers. */
export function readmeTable(readme: string): string | undefined {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + START.length, end).trim();
}

// Run as a script (not imported by the package test).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = sizeTable(await measure(join(packageDir, "dist")));
  console.log(table);
  if (process.argv.includes("--write")) {
    const readme = readFileSync(readmePath, "utf8");
    if (readmeTable(readme) === undefined) throw new Error(`README.md has no ${START} block`);
    const start = readme.indexOf(START) + START.length;
    writeFileSync(
      readmePath,
      `${readme.slice(0, start)}\n\n${table}\n\n${readme.slice(readme.indexOf(END))}`,
    );
    console.log("README.md updated");
  }
}
