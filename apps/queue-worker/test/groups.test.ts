import { env } from "cloudflare:workers";
import { ndjsonLines } from "@edge-async/client";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findGroup } from "../src/db/groups.ts";
import { jobs } from "../src/db/schema.ts";
import { followGroup } from "../src/groups.ts";
import type { GroupView } from "../src/groups-contract.ts";
import { api, db, deliver, getJob, runsOf } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// POST /v1/groups and GET /v1/groups/{id}: TaskGroup for jobs. failFast: the first child that ends
// dead cancels the waiting siblings at once and aborts the running ones through their heartbeat;
// settle: every child runs and every outcome is recorded. The children are delayed an hour, so
// only the test's deliveries run them.

const later = { delaySeconds: 3600 };
const child = (payload: object = { durationMs: 1 }, extra: object = {}) => ({
  type: "simulate",
  payload,
  ...later,
  ...extra,
});

interface Created {
  id: string;
  jobs: { id: string }[];
}

async function createGroup(body: object): Promise<Created> {
  const response = await api("/v1/groups", { method: "POST", json: body });
  expect(response.status).toBe(202);
  const created = (await response.json()) as Created;
  expect(response.headers.get("location")).toBe(`/v1/groups/${created.id}`);
  return created;
}

async function groupOf(id: string, query = "") {
  const response = await api(`/v1/groups/${id}${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    group: GroupView;
    items: { id: string; status: string; error?: string; result?: unknown }[];
    nextCursor: string | null;
    hasMore: boolean;
  };
}

/** Makes a child die on its next run: a payload its type refuses is a permanent error. */
async function doomed(id: string) {
  await db
    .update(jobs)
    .set({ payload: JSON.stringify({ durationMs: -1 }) })
    .where(eq(jobs.id, id));
}

async function untilRunning(id: string) {
  await vi.waitUntil(async () => (await getJob(id)).status === "running", {
    timeout: 10_000,
    interval: 20,
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a failFast group", () => {
  it("cancels its queued siblings and aborts a running one when a child dies", async () => {
    const slow = child({ durationMs: 60_000 }, { timeoutMs: 120_000 });
    const { id, jobs: children } = await createGroup({
      failFast: true,
      jobs: [slow, child(), child()],
    });
    const [running, dying, waiting] = children.map((job) => job.id) as [string, string, string];
    const run = deliver([running]);
    await untilRunning(running);

    await doomed(dying);
    await deliver([dying]);
    expect(await getJob(dying)).toMatchObject({ status: "dead" });
    expect(await getJob(waiting)).toMatchObject({
      status: "cancelled",
      error: `cancelled: job ${dying} of its failFast group died`,
    });
    expect((await getJob(running)).cancelRequestedAt).not.toBeNull();

    // The running sibling's signal aborts within a heartbeat: far before its 60 s sleep ends.
    const { result, messageIds } = await run;
    expect(result.explicitAcks).toEqual(messageIds);
    expect(await getJob(running)).toMatchObject({ status: "cancelled" });
    expect((await runsOf(running)).map((r) => r.outcome)).toEqual(["cancelled"]);

    // The cancelled sibling's message is acked without a run.
    const late = await deliver([waiting]);
    expect(late.result.explicitAcks).toEqual(late.messageIds);
    expect(await runsOf(waiting)).toEqual([]);

    const { group } = await groupOf(id);
    expect(group).toMatchObject({
      status: "failed",
      failFast: true,
      done: true,
      total: 3,
      failedBy: dying,
      counts: { dead: 1, cancelled: 2, succeeded: 0, queued: 0, running: 0, failed: 0 },
    });
    expect(group.failedAt).toBeDefined();
  });

  it("fails when the dead-letter queue marks a child dead, too", async () => {
    const { id, jobs: children } = await createGroup({
      failFast: true,
      jobs: [child({ durationMs: 1, failureRate: 1 }), child()],
    });
    const [failing, sibling] = children.map((job) => job.id) as [string, string];
    await deliver([failing], { attempts: 5 });
    await deliver([failing], { queue: "jobs-dlq" });
    expect(await getJob(failing)).toMatchObject({ status: "dead" });
    expect(await getJob(sibling)).toMatchObject({ status: "cancelled" });
    expect((await groupOf(id)).group).toMatchObject({ status: "failed", failedBy: failing });
  });
});

describe("a group without failFast (settle)", () => {
  it("runs every child and records every outcome", async () => {
    const { id, jobs: children } = await createGroup({ jobs: [child(), child(), child()] });
    const ids = children.map((job) => job.id);
    await doomed(ids[1] as string);
    expect((await groupOf(id)).group).toMatchObject({ status: "running", done: false });
    await deliver(ids);
    const page = await groupOf(id);
    expect(page.group).toMatchObject({
      status: "completed",
      failFast: false,
      done: true,
      counts: { succeeded: 2, dead: 1, cancelled: 0 },
    });
    expect(page.group.failedBy).toBeUndefined();
    const byId = new Map(page.items.map((item) => [item.id, item]));
    expect(byId.get(ids[0] as string)).toMatchObject({
      status: "succeeded",
      result: { sleptMs: 1 },
    });
    expect(byId.get(ids[1] as string)?.status).toBe("dead");
    expect(byId.get(ids[1] as string)?.error).toMatch(/PermanentJobError/);
    expect(byId.get(ids[2] as string)?.status).toBe("succeeded");
  });

  it("is succeeded when every child succeeded", async () => {
    const { id, jobs: children } = await createGroup({ failFast: true, jobs: [child(), child()] });
    await deliver(children.map((job) => job.id));
    expect((await groupOf(id)).group).toMatchObject({ status: "succeeded", done: true });
  });
});

describe("GET /v1/groups/{id}", () => {
  it("pages the children in id order with signed cursors bound to the group", async () => {
    const { id, jobs: children } = await createGroup({
      jobs: Array.from({ length: 25 }, () => child()),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=10${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const response = await api(`/v1/groups/${id}${query}`);
      const page = (await response.json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      if (page.nextCursor !== null) expect(response.headers.get("link")).toContain('rel="next"');
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(children.map((job) => job.id).sort());

    const other = await createGroup({ jobs: [child(), child()] });
    const first = await groupOf(other.id, "?limit=1");
    const foreign = await api(
      `/v1/groups/${id}?cursor=${encodeURIComponent(first.nextCursor as string)}`,
    );
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get("content-type")).toBe("application/problem+json");
  });

  it("streams the children as they finish, then a summary line", async () => {
    const { id, jobs: children } = await createGroup({ jobs: [child(), child(), child()] });
    const ids = children.map((job) => job.id);
    await deliver([ids[0] as string]);
    const response = await api(`/v1/groups/${id}?stream=ndjson`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const lines: { child?: { id: string; status: string }; summary?: GroupView }[] = [];
    const reading = (async () => {
      for await (const line of ndjsonLines<(typeof lines)[number]>(response.body!)) {
        lines.push(line);
      }
    })();
    // The one finished already comes first; the others as they finish.
    await vi.waitUntil(() => lines.length === 1, { timeout: 10_000, interval: 20 });
    expect(lines[0]?.child?.id).toBe(ids[0]);
    await deliver([ids[1] as string, ids[2] as string]);
    await reading;
    expect(lines).toHaveLength(4);
    expect(new Set(lines.slice(0, 3).map((line) => line.child?.id))).toEqual(new Set(ids));
    expect(lines[3]?.summary).toMatchObject({ id, status: "succeeded", done: true, total: 3 });
  });

  it("stops following when its signal aborts or the client stops reading", async () => {
    const { id } = await createGroup({ jobs: [child()] });
    const row = await findGroup(db, id, undefined);
    const polling = { firstMs: 5, maxMs: 10 };
    const lines: unknown[] = [];
    const controller = new AbortController();
    const following = followGroup(db, row!, async (line) => lines.push(line) > 0, {
      signal: controller.signal,
      maxAttempts: 5,
      polling,
    });
    setTimeout(() => controller.abort(new Error("client gone")), 50);
    await following;
    expect(lines).toEqual([]);

    // A write that finds the client gone ends the follow at once, summary unwritten.
    await deliver([(await groupOf(id)).items[0]!.id]);
    const gone = await followGroup(db, row!, async () => false, {
      signal: new AbortController().signal,
      maxAttempts: 5,
      polling,
    });
    expect(gone).toBeUndefined();

    // Through the route: the client cancels the body; the group is untouched and still answers.
    const response = await api(`/v1/groups/${id}?stream=ndjson`);
    await response.body!.cancel();
    expect((await groupOf(id)).group.status).toBe("succeeded");
  });

  it("reads another key's group as missing", async () => {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:read", "jobs:write"],
      bob: ["jobs:read"],
    });
    const bindings = { API_KEYS: apiKeys, CURSOR_SECRET: "a-test-cursor-secret-of-32-chars" };
    const created = await callWith(bindings, "/v1/groups", {
      method: "POST",
      json: { jobs: [child()] },
      key: keys.alice,
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    expect((await callWith(bindings, `/v1/groups/${id}`, { key: keys.alice })).status).toBe(200);
    const bob = await callWith(bindings, `/v1/groups/${id}`, { key: keys.bob });
    expect(bob.status).toBe(404);
    expect(bob.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("POST /v1/groups", () => {
  it("records 1,000 children in one request and sends them 100 per sendBatch", async () => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const { id, jobs: children } = await createGroup({
      jobs: Array.from({ length: 1000 }, () => child()),
    });
    expect(children).toHaveLength(1000);
    expect(sendBatch).toHaveBeenCalledTimes(10);
    for (const [messages] of sendBatch.mock.calls) expect(messages).toHaveLength(100);
    const sent = sendBatch.mock.calls.flatMap(([messages]) =>
      [...messages].map((message) => (message.body as { jobId: string }).jobId),
    );
    expect(sent).toEqual(children.map((job) => job.id));
    expect((await groupOf(id, "?limit=1")).group).toMatchObject({ total: 1000 });
    expect((await groupOf(id, "?limit=1")).group.counts.queued).toBe(1000);
  });

  it("leaves nothing behind when the queue refuses the children", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    const before = await env.DB.prepare("select count(*) as n from job_groups").first<{
      n: number;
    }>();
    const response = await api("/v1/groups", {
      method: "POST",
      json: { jobs: [child(), child()] },
    });
    expect(response.status).toBe(503);
    const after = await env.DB.prepare("select count(*) as n from job_groups").first<{
      n: number;
    }>();
    expect(after?.n).toBe(before?.n);
  });
});
