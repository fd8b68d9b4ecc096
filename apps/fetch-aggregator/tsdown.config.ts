import { defineConfig } from "tsdown";

// The typed client as a package of its own: JavaScript + .d.ts, the workspace packages it uses
// bundled in, so `npm pack` gives something any Node, Deno, Bun or Workers project can install.
export default defineConfig({
  entry: { client: "src/client.ts" },
  outDir: "dist-client",
  format: "esm",
  platform: "neutral",
  // Eager: otherwise tsc emits no declarations for the workspace packages bundled in (the shared
  // client's ApiError, ClientOptions, ...), and the .d.ts would have to import them.
  dts: { tsc: { eager: true } },
  deps: { alwaysBundle: [/^@edge-async\//] },
});
