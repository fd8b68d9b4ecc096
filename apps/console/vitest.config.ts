import { workerSuite } from "@edge-async/testing/vitest";

// The other workers are stubbed per test (test/helpers.ts passes Fetchers in env); these
// bindings only stand in for the services wrangler.jsonc names, which no test starts.
const absent = () => new Response("no such worker in the unit tests", { status: 503 });

export default workerSuite({
  root: import.meta.dirname,
  bindings: { CONSOLE_SESSION_SECRET: "test-session-secret" },
  miniflare: { serviceBindings: { FEED: absent, JOBS_API: absent, AGGREGATOR: absent } },
});
