import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { countingD1 } from "./fixtures/counting-d1.ts";
import { api, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// POST /v1/jobs/retry: the caller's dead/cancelled jobs matching a filter go back queued, each 100
// in one D1 batch and one sendBatch; hasMore says the same call again has more to take.

const retryMany = (json: unknown, init: { env?: object } = {}) =>
  init.env === undefined
    ? api("/v1/jobs/retry", { method: "POST", json })
    : callWithDev(json, init.env);

async function callWithDev(json: unknown, bindings: object) {
  const { app } = await import("../src/index.ts");
  const { DEV_API_KEY } = await import("@edge-async/http");
  return app.request(
    "/v1/jobs/retry",
    {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(json),
    },
    bindings,
  );
}

function catchSendBatches() {
  return vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
}

/** A finished job of `type` in `status`, finished at `finishedAt`, with `error`. */
function finished(
  status: "dead" | "cancelled" | "succeeded",
  extra: { type?: string; error?: string; finishedAt?: number; owner?: string } = {},
) {
  return insertJob({
    type: extra.type ?? "simulate",
    payload: {},
    status,
    attempts: 2,
    error: extra.error ?? null,
    finishedAt: extra.finishedAt ?? Date.now(),
    owner: extra.owner ?? "",
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bulk retry", () => {
  it("retries only the jobs matching type, error substring, time range and status", async () => {
    const tag = crypto.randomUUID();
    const base = Date.UTC(2031, 0, 1);
    const match = await finished("dead", { type: "fetch", error: `503 ${tag}`, finishedAt: base });
    const matchToo = await finished("dead", {
      type: "fetch",
      error: `upstream 503 ${tag}`,
      finishedAt: base + 1_000,
    });
    const others = await Promise.all([
      finished("dead", { type: "simulate", error: `503 ${tag}`, finishedAt: base }),
      finished("dead", { type: "fetch", error: `404 ${tag}`, finishedAt: base }),
      finished("dead", { type: "fetch", error: `503 ${tag.toUpperCase()}x`, finishedAt: base }),
      finished("dead", { type: "fetch", error: `503 ${tag}`, finishedAt: base + 3_600_000 }),
      finished("cancelled", { type: "fetch", error: `503 ${tag}`, finishedAt: base }),
      finished("succeeded", { type: "fetch", error: `503 ${tag}`, finishedAt: base }),
    ]);
    const sendBatch = catchSendBatches();
    const response = await retryMany({
      type: "fetch",
      error: `503 ${tag}`,
      from: new Date(base).toISOString(),
      to: new Date(base + 60_000).toISOString(),
      status: ["dead"],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { retried: number; ids: string[]; hasMore: boolean };
    expect(body.retried).toBe(2);
    expect([...body.ids].sort()).toEqual([match, matchToo].sort());
    expect(body.hasMore).toBe(false);
    expect(sendBatch).toHaveBeenCalledTimes(1);
    for (const id of [match, matchToo]) {
      expect(await getJob(id)).toMatchObject({ status: "queued", attempts: 0, error: null });
    }
    for (const id of others) expect((await getJob(id)).status).not.toBe("queued");
  });

  it("takes 250 jobs in three D1 batches and three sendBatches, then reports nothing more", async () => {
    const tag = `bulk-${crypto.randomUUID()}`;
    const ids = await Promise.all(
      Array.from({ length: 250 }, () => finished("cancelled", { error: tag })),
    );
    const sendBatch = catchSendBatches();
    const d1 = countingD1(env.DB);
    const response = await retryMany(
      { error: tag, limit: 1_000 },
      { env: { ...env, DB: d1.binding } },
    );
    const body = (await response.json()) as { retried: number; ids: string[]; hasMore: boolean };
    expect(body.retried).toBe(250);
    expect(new Set(body.ids)).toEqual(new Set(ids));
    expect(body.hasMore).toBe(false);
    expect(sendBatch.mock.calls.map((call) => [...call[0]].length)).toEqual([100, 100, 50]);
    // One batch per 100 (plus the access check's own reads, which are not batches).
    expect(d1.roundTrips.filter((trip) => trip.kind === "batch")).toHaveLength(3);
    expect(await runsOf(ids[0]!)).toEqual([]);
  });

  it("answers ids oldest finished first, whatever order the jobs were stored in", async () => {
    const tag = `order-${crypto.randomUUID()}`;
    const base = Date.UTC(2031, 5, 1);
    // Stored newest first and shuffled, so storage order differs from finishing order.
    const offsets = [4, 1, 3, 0, 2];
    const ids: string[] = [];
    for (const offset of offsets) {
      ids.push(await finished("dead", { error: tag, finishedAt: base + offset * 1_000 }));
    }
    const oldestFirst = offsets
      .map((offset, index) => ({ offset, id: ids[index]! }))
      .sort((a, b) => a.offset - b.offset)
      .map((job) => job.id);
    catchSendBatches();
    const body = (await (await retryMany({ error: tag })).json()) as { ids: string[] };
    expect(body.ids).toEqual(oldestFirst);
  });

  it("answers ids oldest finished first across D1 batches of 100", async () => {
    const tag = `order-pages-${crypto.randomUUID()}`;
    const base = Date.UTC(2031, 6, 1);
    // Finished times descend as stored: 149 ms after base for the first stored, 0 for the last.
    const ids = await Promise.all(
      Array.from({ length: 150 }, (_, index) =>
        finished("cancelled", { error: tag, finishedAt: base + 149 - index }),
      ),
    );
    catchSendBatches();
    const body = (await (await retryMany({ error: tag, limit: 1_000 })).json()) as {
      ids: string[];
    };
    expect(body.ids).toEqual([...ids].reverse());
  });

  it("stops at the limit and says more match; the same call again goes on", async () => {
    const tag = `limit-${crypto.randomUUID()}`;
    await Promise.all(Array.from({ length: 5 }, () => finished("dead", { error: tag })));
    catchSendBatches();
    const first = (await (await retryMany({ error: tag, limit: 3 })).json()) as {
      retried: number;
      hasMore: boolean;
    };
    expect(first).toMatchObject({ retried: 3, hasMore: true });
    const second = (await (await retryMany({ error: tag, limit: 3 })).json()) as {
      retried: number;
      hasMore: boolean;
    };
    expect(second).toMatchObject({ retried: 2, hasMore: false });
  });

  it("retries only the caller's own jobs; an admin's retry takes any", async () => {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:write"],
      bob: ["jobs:write"],
      admin: ["jobs:admin"],
    });
    const tag = `owner-${crypto.randomUUID()}`;
    // A key's id (`ea_<id>_<secret>`) is the owner of the jobs it enqueues.
    const ownerOf = (key: string) => key.split("_")[1]!;
    const alices = await finished("dead", { error: tag, owner: ownerOf(keys.alice!) });
    const bobs = await finished("dead", { error: tag, owner: ownerOf(keys.bob!) });
    catchSendBatches();
    const as = (who: keyof typeof keys) =>
      callWith({ API_KEYS: apiKeys }, "/v1/jobs/retry", {
        key: keys[who],
        method: "POST",
        json: { error: tag },
      });
    const own = (await (await as("alice")).json()) as { ids: string[] };
    expect(own.ids).toEqual([alices]);
    expect((await getJob(bobs)).status).toBe("dead");
    const admin = (await (await as("admin")).json()) as { ids: string[] };
    expect(admin.ids).toEqual([bobs]);
  });

  it.each([
    [{ status: ["succeeded"] }, "/status/0"],
    [{ status: [] }, "/status"],
    [{ type: "teleport" }, "/type"],
    [{ error: "" }, "/error"],
    [{ from: "yesterday" }, "/from"],
    [{ to: "2031-01-01T00:00:00" }, "/to"],
    [{ from: "2031-01-02T00:00:00Z", to: "2031-01-01T00:00:00Z" }, "/to"],
    [{ limit: 0 }, "/limit"],
    [{ limit: 1_001 }, "/limit"],
    [{ limit: 1.5 }, "/limit"],
    [{ owner: "someone" }, ""],
    [[], ""],
  ])("refuses %j with problem+json pointing at %s", async (json, pointer) => {
    const response = await retryMany(json);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors?: { pointer?: string }[] };
    if (pointer !== "") expect(problem.errors?.[0]?.pointer).toBe(pointer);
  });

  it("refuses a status that is not a list with one error saying so", async () => {
    const response = await retryMany({ status: "dead" });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors?: object[] };
    expect(problem.errors).toEqual([
      { pointer: "/status", detail: 'status must be a list: ["dead"], ["cancelled"] or both' },
    ]);
  });

  it("refuses a body that is not JSON", async () => {
    const response = await api("/v1/jobs/retry", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
