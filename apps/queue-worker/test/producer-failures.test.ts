import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { DEV_API_KEY } from "@edge-async/http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { database } from "../src/db/database.ts";
import worker, { app } from "../src/index.ts";
import { SWEEP_AFTER_MS, sweepUnsentJobs } from "../src/sweep.ts";
import { countingD1, type FailOptions } from "./fixtures/counting-d1.ts";
import { getJob } from "./fixtures/jobs.ts";

// A write that committed never answers 5xx: each failure after the insert is answered with what
// is stored, and what is stored but unsent is sent later by the sweep.

const later = { delaySeconds: 3600 };
const simulate = (extra: object = {}) => ({
  type: "simulate",
  payload: { durationMs: 1 },
  ...later,
  ...extra,
});
const key = () => `failure-${crypto.randomUUID()}`;

/** POSTs through a D1 binding that fails as `fail` says. */
function post(path: string, json: unknown, fail: FailOptions = {}) {
  const d1 = countingD1(env.DB, fail);
  const response = app.request(
    path,
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${DEV_API_KEY}` },
      body: JSON.stringify(json),
    },
    { ...env, DB: d1.binding },
  );
  return { response, roundTrips: d1.roundTrips };
}

async function rowsWithKey(prefix: string) {
  const { results } = await env.DB.prepare(
    "select id, status from jobs where idempotency_key like ? order by idempotency_key",
  )
    .bind(`${prefix}%`)
    .all<{ id: string; status: string }>();
  return results;
}

const isDelete = (sql: string) => sql.startsWith("delete");

/** The message bodies a `sendBatch` spy was given, over every call. */
function sentBodies(send: {
  mock: { calls: [Iterable<MessageSendRequest<unknown>>, ...unknown[]][] };
}) {
  return send.mock.calls.flatMap(([messages]) => [...messages].map((message) => message.body));
}
const queueDown = () => vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));

afterEach(() => vi.restoreAllMocks());

describe("recording", () => {
  it("records and reads back in one D1 batch, so nothing commits without its answer", async () => {
    const { response, roundTrips } = post("/v1/jobs", simulate({ idempotencyKey: key() }));
    expect((await response).status).toBe(202);
    expect(roundTrips).toHaveLength(1);
    expect(roundTrips[0]).toMatchObject({ kind: "batch" });
    const [insert, read] = (roundTrips[0] as { statements: string[] }).statements;
    expect(insert).toMatch(/^insert into "jobs"/);
    expect(read).toMatch(/^select .* from "jobs"/);
  });

  it("answers 503 nothing-enqueued when the batch fails and nothing was stored", async () => {
    const tag = key();
    const { response } = post("/v1/jobs", simulate({ idempotencyKey: tag }), {
      failBatch: (sqls) => sqls[0]?.startsWith("insert") ?? false,
    });
    const answer = await response;
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    expect(await answer.json()).toMatchObject({
      detail: expect.stringContaining("nothing was enqueued"),
    });
    expect(await rowsWithKey(tag)).toEqual([]);
  });

  it("answers 202 with the jobs when the batch committed but D1 failed to say so", async () => {
    const tag = key();
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const { response } = post(
      "/v1/jobs/batch",
      { jobs: [simulate({ idempotencyKey: `${tag}-a` }), simulate()] },
      {
        failBatch: (sqls) => (sqls[0]?.startsWith("insert") ? "after" : false),
      },
    );
    const answer = await response;
    expect(answer.status).toBe(202);
    const { jobs } = (await answer.json()) as { jobs: { id: string; created: boolean }[] };
    expect(jobs.map((job) => job.created)).toEqual([true, true]);
    expect((await rowsWithKey(tag)).map((row) => row.id)).toEqual([jobs[0]?.id]);
    // Each message also carries the request's traceparent (its run logs under the same id).
    expect(sentBodies(send)).toEqual(
      jobs.map((job) => ({ jobId: job.id, traceparent: expect.stringMatching(/^00-/) })),
    );
  });

  it("answers 503 outcome-unknown when neither the batch nor the read-back answers", async () => {
    const { response } = post("/v1/jobs", simulate(), { failBatches: true });
    const answer = await response;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ detail: expect.stringContaining("unknown") });
  });

  it("refuses an idempotency conflict before writing anything, so there is nothing to delete", async () => {
    const tag = key();
    expect((await post("/v1/jobs", simulate({ idempotencyKey: tag })).response).status).toBe(202);
    const { response, roundTrips } = post("/v1/jobs/batch", {
      jobs: [
        simulate({ idempotencyKey: `${tag}-new` }),
        simulate({ idempotencyKey: tag, payload: {} }),
      ],
    });
    expect((await response).status).toBe(409);
    expect(
      roundTrips
        .flatMap((trip) => (trip.kind === "batch" ? trip.statements : [trip.sql]))
        .some(isDelete),
    ).toBe(false);
    expect((await rowsWithKey(tag)).length).toBe(1);
  });
});

describe("a send that fails", () => {
  it("deletes the new rows and answers 503 when the delete works", async () => {
    const tag = key();
    queueDown();
    const answer = await post("/v1/jobs/batch", {
      jobs: [simulate({ idempotencyKey: `${tag}-1` }), simulate({ idempotencyKey: `${tag}-2` })],
    }).response;
    expect(answer.status).toBe(503);
    expect(await rowsWithKey(tag)).toEqual([]);
  });

  it("answers 202 with the stored jobs when the delete fails, and the sweep sends them later", async () => {
    const tag = key();
    queueDown();
    const answer = await post(
      "/v1/jobs/batch",
      {
        jobs: [simulate({ idempotencyKey: `${tag}-1` }), simulate({ idempotencyKey: `${tag}-2` })],
      },
      { failStatement: isDelete },
    ).response;
    expect(answer.status).toBe(202);
    const { jobs } = (await answer.json()) as { jobs: { id: string; status: string }[] };
    expect(jobs.map((job) => job.status)).toEqual(["queued", "queued"]);
    expect((await rowsWithKey(tag)).map((row) => row.id)).toEqual(jobs.map((job) => job.id));

    vi.restoreAllMocks();
    const send = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
    const db = database(env.DB);
    const due = Date.now() + 3_600_000;
    // Not yet: a job is swept only once it is SWEEP_AFTER_MS past due.
    await sweepUnsentJobs(env, db, { now: due + SWEEP_AFTER_MS - 1000 });
    const early = sentBodies(send);
    expect(early).not.toContainEqual({ jobId: jobs[0]?.id });
    await sweepUnsentJobs(env, db, { now: due + SWEEP_AFTER_MS + 1000 });
    const swept = sentBodies(send);
    for (const job of jobs) expect(swept).toContainEqual({ jobId: job.id });
    // Swept once: the next sweep within SWEEP_AFTER_MS leaves them alone.
    send.mockClear();
    await sweepUnsentJobs(env, db, { now: due + SWEEP_AFTER_MS + 2000 });
    const again = sentBodies(send);
    expect(again).not.toContainEqual({ jobId: jobs[0]?.id });
  });

  it("deletes none of the rows when one started meanwhile (its message got through), answering 202", async () => {
    const tag = key();
    vi.spyOn(env.JOBS, "sendBatch").mockImplementation(async () => {
      // The queue took the message after all, and a consumer claimed the first job.
      await env.DB.prepare(
        "update jobs set status = 'running', attempts = 1 where idempotency_key = ?",
      )
        .bind(`${tag}-1`)
        .run();
      throw new Error("send timed out");
    });
    const answer = await post("/v1/jobs/batch", {
      jobs: [simulate({ idempotencyKey: `${tag}-1` }), simulate({ idempotencyKey: `${tag}-2` })],
    }).response;
    expect(answer.status).toBe(202);
    expect((await rowsWithKey(tag)).map((row) => row.status)).toEqual(["running", "queued"]);
  });

  it("answers a replay all the same when its re-send fails", async () => {
    const tag = key();
    const first = await post("/v1/jobs", simulate({ idempotencyKey: tag })).response;
    const { id } = (await first.json()) as { id: string };
    queueDown();
    const replay = await post("/v1/jobs", simulate({ idempotencyKey: tag })).response;
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { id: string }).id).toBe(id);
    expect((await getJob(id)).status).toBe("queued");
  });
});

describe("the sweep", () => {
  it("runs from the cron trigger and leaves jobs that ran alone", async () => {
    const tag = key();
    queueDown();
    const answer = await post("/v1/jobs", simulate({ idempotencyKey: tag, delaySeconds: 0 }), {
      failStatement: isDelete,
    }).response;
    const { id } = (await answer.json()) as { id: string };
    const ran = await post(
      "/v1/jobs",
      simulate({ idempotencyKey: `${tag}-ran`, delaySeconds: 0 }),
      {
        failStatement: isDelete,
      },
    ).response;
    const { id: ranId } = (await ran.json()) as { id: string };
    await env.DB.prepare("update jobs set status = 'failed', attempts = 1 where id = ?")
      .bind(ranId)
      .run();
    vi.restoreAllMocks();
    const send = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + SWEEP_AFTER_MS + 1000 });
    try {
      await worker.scheduled(createScheduledController(), env, createExecutionContext());
    } finally {
      vi.useRealTimers();
    }
    const sent = sentBodies(send);
    expect(sent).toContainEqual({ jobId: id });
    expect(sent).not.toContainEqual({ jobId: ranId });
  });
});
