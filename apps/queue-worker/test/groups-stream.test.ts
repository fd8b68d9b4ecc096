import { ndjsonLines } from "@edge-async/client";
import { describe, expect, it } from "vitest";
import { findGroup } from "../src/db/groups.ts";
import { followGroup } from "../src/groups.ts";
import type { GroupView } from "../src/groups-contract.ts";
import { api, db } from "./fixtures/jobs.ts";

// GET /v1/groups/{id}?stream=ndjson while nothing finishes: heartbeat lines keep idle proxies from
// cutting the stream, and a follow that ends before the group is done says why in its last line,
// so a client tells a deadline from a dropped connection. The child is delayed a day: it never
// runs here.

type Line = {
  child?: unknown;
  heartbeat?: { at: string };
  summary?: GroupView;
  stopped?: string;
};

const polling = { firstMs: 5, maxMs: 10 };

async function idleGroup(): Promise<string> {
  const response = await api("/v1/groups", {
    method: "POST",
    json: { jobs: [{ type: "simulate", payload: {}, delaySeconds: 86_400 }] },
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Line[]> {
  const lines: Line[] = [];
  for await (const line of ndjsonLines<Line>(body)) lines.push(line);
  return lines;
}

describe("following a group that does not finish", () => {
  it("writes a heartbeat line while nothing changes, and nothing more when the client goes", async () => {
    const row = await findGroup(db, await idleGroup(), undefined);
    const lines: Line[] = [];
    const controller = new AbortController();
    const following = followGroup(db, row!, async (line) => lines.push(line as Line) > 0, {
      signal: controller.signal,
      maxAttempts: 5,
      polling,
      timing: { heartbeatMs: 20 },
    });
    await expect.poll(() => lines.length, { timeout: 10_000, interval: 10 }).toBeGreaterThan(1);
    controller.abort(new Error("client gone"));
    await following;
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(["heartbeat"]);
      expect(new Date(line.heartbeat!.at).toISOString()).toBe(line.heartbeat!.at);
    }
  });

  it("ends with the group as it stands and stopped: max-follow after the longest follow", async () => {
    const id = await idleGroup();
    const lines: Line[] = [];
    await followGroup(
      db,
      (await findGroup(db, id, undefined))!,
      async (line) => {
        lines.push(line as Line);
        return true;
      },
      {
        signal: new AbortController().signal,
        maxAttempts: 5,
        polling,
        timing: { maxFollowMs: 30 },
      },
    );
    const last = lines.at(-1);
    expect(last?.stopped).toBe("max-follow");
    expect(last?.summary).toMatchObject({ id, done: false, status: "running", total: 1 });
    expect(lines.filter((line) => line.summary !== undefined)).toHaveLength(1);
  });

  it("ends with stopped: deadline when request-timeout-ms runs out", async () => {
    const id = await idleGroup();
    const response = await api(`/v1/groups/${id}?stream=ndjson`, {
      headers: { "request-timeout-ms": "300" },
    });
    expect(response.status).toBe(200);
    const lines = await readAll(response.body!);
    expect(lines.at(-1)).toMatchObject({
      summary: { id, done: false, status: "running", counts: { queued: 1 } },
      stopped: "deadline",
    });
  });

  it.each([
    ["limit=1", ["limit"]],
    ["cursor=abc", ["cursor"]],
    ["limit=1&cursor=abc", ["limit", "cursor"]],
  ])("refuses %s with stream=ndjson with 400 naming it", async (query, names) => {
    const id = await idleGroup();
    const response = await api(`/v1/groups/${id}?stream=ndjson&${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { parameter?: string }[] };
    expect(problem.errors.map((error) => error.parameter)).toEqual(names);
  });
});
