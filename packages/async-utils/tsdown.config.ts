import { defineConfig } from "tsdown";

// The published build: ESM JavaScript plus .d.ts, one output file per source file (unbundle), so
// that with `sideEffects: false` a bundler drops every module an application does not import.
// The workspace never needs it (its exports point at src/); `pnpm pack` and `pnpm publish` build
// it first (prepack) and swap in publishConfig.exports. ES2022 output lowers `using` for runtimes
// without explicit resource management (Node 22); runtime APIs are left to the engines field.
export default defineConfig({
  entry: { index: "src/index.ts" },
  outDir: "dist",
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
  unbundle: true,
  clean: true,
  fixedExtension: false,
  hash: false,
});
