import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { repoRoot } from "../src/stack.ts";

const run = promisify(execFile);
const urls = inject("urls");
const CLIENTS = ["paginated-feed", "queue-worker", "fetch-aggregator"] as const;

// The clients as a stranger gets them: built, packed, installed from the tarballs into a project
// outside the workspace (no workspace links, no TypeScript), imported from plain Node.
let scratch: string;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "edge-async-clients-"));
  const tarballs = join(scratch, "tarballs");
  mkdirSync(tarballs);
  for (const name of CLIENTS) {
    const cwd = join(repoRoot, "apps", name);
    await run("pnpm", ["run", "build:client"], { cwd });
    await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd });
  }
  const dependencies = Object.fromEntries(
    readdirSync(tarballs).map((file) => [
      `@edge-async/${file.replace(/^edge-async-/, "").replace(/-\d+\.\d+\.\d+\.tgz$/, "")}`,
      `file:tarballs/${file}`,
    ]),
  );
  writeFileSync(
    join(scratch, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module", dependencies }),
  );
  await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: scratch });
}, 240_000);
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function node(script: string): Promise<unknown> {
  const file = join(scratch, `check-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const { stdout } = await run(process.execPath, [file], {
    cwd: scratch,
    env: {
      ...process.env,
      ...Object.fromEntries(
        Object.entries(urls).map(([k, v]) => [k.toUpperCase().replaceAll("-", "_"), v]),
      ),
    },
  });
  return JSON.parse(stdout);
}

describe("the typed clients, installed from their tarballs", () => {
  it("paginated-feed: a page, an async walk across pages, and an ApiError", async () => {
    const out = await node(`
      import { createFeedClient } from "@edge-async/paginated-feed/client";
      const feed = createFeedClient({ baseUrl: process.env.PAGINATED_FEED, headers: { authorization: "Bearer ea_dev_local-development-only-never-deploy" } });
      const stored = await feed.ingest([{ externalKey: "pack-test-1", topic: "pack", title: "Packed", url: "https://example.com/1", publishedAt: "2026-11-01T00:00:00Z" }, { externalKey: "pack-test-2", topic: "pack", title: "Packed 2", url: "https://example.com/2", publishedAt: "2026-11-02T00:00:00Z" }]);
      const walked = [];
      for await (const item of feed.items({ topic: "pack" }, { pageSize: 1 })) walked.push(item.externalKey);
      const status = await feed.item(987654321).then(() => 0, (error) => error.status);
      console.log(JSON.stringify({ stored: stored.length, walked, status }));
    `);
    expect(out).toEqual({ stored: 2, walked: ["pack-test-2", "pack-test-1"], status: 404 });
  });

  it("queue-worker: enqueue, replay, read the job back and walk the listing", async () => {
    const out = await node(`
      import { createQueueClient } from "@edge-async/queue-worker/client";
      const jobs = createQueueClient({ baseUrl: process.env.QUEUE_WORKER, headers: { authorization: "Bearer ea_dev_local-development-only-never-deploy" } });
      const job = { type: "simulate", payload: { durationMs: 1, failureRate: 0 }, idempotencyKey: "pack-test-" + Date.now() };
      const first = await jobs.enqueue(job);
      const again = await jobs.enqueue(job);
      await jobs.enqueue({ ...job, idempotencyKey: job.idempotencyKey + "-b" });
      const read = await jobs.job(first.id);
      let listed = 0;
      for await (const _ of jobs.jobs({}, { pageSize: 1 })) if (++listed === 2) break;
      console.log(JSON.stringify({ same: first.id === again.id, created: [first.created, again.created], type: read.type, listed }));
    `);
    expect(out).toEqual({ same: true, created: [true, false], type: "simulate", listed: 2 });
  });

  it("fetch-aggregator: a view through the demo upstream and a streamed call", async () => {
    const out = await node(`
      import { createAggregatorClient } from "@edge-async/fetch-aggregator/client";
      const gateway = createAggregatorClient({ baseUrl: process.env.FETCH_AGGREGATOR, headers: { authorization: "Bearer ea_dev_local-development-only-never-deploy" } });
      const names = (await gateway.views()).map((view) => view.name).sort();
      const lines = [];
      for await (const line of gateway.stream({ requests: [{ id: "u", url: process.env.DEMO_UPSTREAM + "/users/1" }] })) lines.push("summary" in line ? "summary" : line.id);
      console.log(JSON.stringify({ names, lines }));
    `);
    expect(out).toEqual({ names: ["dashboard", "order"], lines: ["u", "summary"] });
  });
});
