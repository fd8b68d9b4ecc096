import { defineConfig } from "tsdown";

// The typed client as a package of its own: JavaScript + .d.ts, the workspace packages it uses
// bundled in, so `npm pack` gives something any Node, Deno, Bun or Workers project can install.
export default defineConfig({
  entry: { client: "src/client.ts" },
  outDir: "dist-client",
  format: "esm",
  platform: "neutral",
  // Eager: the declarations of the bundled workspace packages (outside this tsconfig) are emitted too.
  dts: { tsc: { eager: true } },
  deps: { alwaysBundle: [/^@edge-async\//] },
});
