import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_QUEUE_DELAY_SECONDS } from "../src/backoff.ts";
import { database } from "../src/db/database.ts";
import { sendDueParkedJobs } from "../src/parked.ts";
import { api, getJob } from "./fixtures/jobs.ts";

// Delays: delaySeconds up to the queue's 24 hours, or runAt at any distance. A job due beyond the
// queue's longest delay is parked in D1 with no message; the cron sends it once it falls within
// that delay, exactly once even when two crons overlap.

const DAY_MS = 86_400_000;
const enqueue = (json: object) =>
  api("/v1/jobs", { method: "POST", json: { type: "simulate", payload: {}, ...json } });

function catchSendBatches() {
  return vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
}

afterEach(() => {
  vi.restoreAllMocks();
});

async function problemOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { errors: { pointer: string; detail: string }[] };
}

describe("delays", () => {
  it("takes delaySeconds up to 24 hours and sends the message with that delay", async () => {
    expect(MAX_QUEUE_DELAY_SECONDS).toBe(86_400);
    const sendBatch = catchSendBatches();
    const response = await enqueue({ delaySeconds: 86_400 });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(sendBatch).toHaveBeenCalledTimes(1);
    expect(sendBatch.mock.calls[0]?.[0]).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({ jobId: id }),
        delaySeconds: 86_400,
      }),
    ]);
    expect((await getJob(id)).parked).toBe(false);
  });

  it("refuses delaySeconds past 24 hours, runAt with delaySeconds, and a malformed runAt", async () => {
    const tooLong = await problemOf(await enqueue({ delaySeconds: 86_401 }));
    expect(tooLong.errors[0]?.pointer).toBe("/delaySeconds");
    const both = await problemOf(
      await enqueue({ delaySeconds: 5, runAt: new Date(Date.now() + 60_000).toISOString() }),
    );
    expect(both.errors[0]).toMatchObject({
      pointer: "/runAt",
      detail: expect.stringContaining("exclude"),
    });
    for (const runAt of [
      "tomorrow",
      "2026-12-01T09:00:00",
      "2026-13-01T09:00:00Z",
      1_700_000_000,
    ]) {
      const bad = await problemOf(await enqueue({ runAt }));
      expect(bad.errors[0]?.pointer).toBe("/runAt");
    }
    const inBatch = await api("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "simulate", payload: {} },
          { type: "simulate", payload: {}, delaySeconds: 1, runAt: "2030-01-01T00:00:00Z" },
        ],
      },
    });
    expect((await problemOf(inBatch)).errors[0]?.pointer).toBe("/jobs/1/runAt");
  });

  it("reads a runAt with lower case t and z as the same instant, answered in upper case UTC", async () => {
    catchSendBatches();
    const response = await enqueue({ runAt: "2030-06-01t09:00:00.5+02:00" });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await getJob(id)).runAt).toBe(Date.parse("2030-06-01T07:00:00.500Z"));
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { runAt: string };
    expect(view.runAt).toBe("2030-06-01T07:00:00.500Z");
  });

  it.each([
    ["9999-12-31T23:59:59-23:59", "runAt must fall within the years 0000 to 9999 in UTC"],
    ["0000-01-01T00:00:00+00:01", "runAt must fall within the years 0000 to 9999 in UTC"],
    [
      "2016-13-45T99:99:60Z",
      "runAt must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:30:00Z",
    ],
  ])("refuses runAt %s at /runAt, storing and sending nothing", async (runAt, detail) => {
    const sendBatch = catchSendBatches();
    const key = `runat-${crypto.randomUUID()}`;
    const problem = await problemOf(await enqueue({ runAt, idempotencyKey: key }));
    expect(problem.errors).toEqual([{ pointer: "/runAt", detail }]);
    expect(sendBatch).not.toHaveBeenCalled();
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE idempotency_key = ?")
      .bind(key)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });

  it("takes runAt 9999-12-31T23:59:59.999Z, the last instant it can write back", async () => {
    catchSendBatches();
    const response = await enqueue({ runAt: "9999-12-31T23:59:59.9999Z" });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { runAt: string };
    expect(view.runAt).toBe("9999-12-31T23:59:59.999Z");
  });

  it("refuses a leap second runAt saying so", async () => {
    const problem = await problemOf(await enqueue({ runAt: "2030-06-30T23:59:60Z" }));
    expect(problem.errors).toEqual([
      { pointer: "/runAt", detail: expect.stringMatching(/^runAt must not be a leap second/) },
    ]);
  });

  it("sends a runAt within 24 hours with the delay left", async () => {
    const sendBatch = catchSendBatches();
    const runAt = new Date(Date.now() + 3 * 3_600_000).toISOString();
    const response = await enqueue({ runAt });
    expect(response.status).toBe(202);
    const delay = [...(sendBatch.mock.calls[0]?.[0] ?? [])][0]?.delaySeconds ?? 0;
    expect(delay).toBeGreaterThan(3 * 3_600 - 60);
    expect(delay).toBeLessThanOrEqual(3 * 3_600);
  });

  it("parks a job due beyond 24 hours, then the cron sends it once it is within reach", async () => {
    const sendBatch = catchSendBatches();
    const runAt = Date.now() + 3 * DAY_MS;
    const response = await enqueue({ runAt: new Date(runAt).toISOString() });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    // Stored queued with its runAt; no message was sent.
    expect(sendBatch).not.toHaveBeenCalled();
    expect(await getJob(id)).toMatchObject({ status: "queued", parked: true, runAt });
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { runAt: string };
    expect(view.runAt).toBe(new Date(runAt).toISOString());

    const db = database(env.DB);
    // A day and a half ahead: still beyond the queue's reach.
    await sendDueParkedJobs(env, db, { now: runAt - 1.5 * DAY_MS });
    expect(sentIds(sendBatch)).not.toContain(id);
    // Twenty hours ahead: sent, with the twenty hours as its delay.
    const now = runAt - 20 * 3_600_000;
    await sendDueParkedJobs(env, db, { now });
    const message = sendBatch.mock.calls
      .flatMap((call) => [...call[0]])
      .find((entry) => (entry.body as { jobId: string }).jobId === id);
    expect(message?.delaySeconds).toBe(20 * 3_600);
    expect(await getJob(id)).toMatchObject({ status: "queued", parked: false });
    // A later cron does not send it again.
    await sendDueParkedJobs(env, db, { now: now + 60_000 });
    expect(sentIds(sendBatch).filter((sent) => sent === id)).toHaveLength(1);
  });

  it("two crons at once send each parked job exactly once", async () => {
    const sendBatch = catchSendBatches();
    const runAt = Date.now() + 2 * DAY_MS;
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const response = await enqueue({ runAt: new Date(runAt + i).toISOString() });
      ids.push(((await response.json()) as { id: string }).id);
    }
    const db = database(env.DB);
    const now = runAt - 3_600_000;
    await Promise.all([
      sendDueParkedJobs(env, db, { now }),
      sendDueParkedJobs(env, db, { now }),
      sendDueParkedJobs(env, db, { now }),
    ]);
    const sent = sentIds(sendBatch).filter((id) => ids.includes(id));
    expect(sent.sort()).toEqual([...ids].sort());
  });

  it("parks the job again when the send fails, for the next cron", async () => {
    const runAt = Date.now() + 2 * DAY_MS;
    const response = await enqueue({ runAt: new Date(runAt).toISOString() });
    const { id } = (await response.json()) as { id: string };
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    await sendDueParkedJobs(env, database(env.DB), { now: runAt - 3_600_000 });
    expect((await getJob(id)).parked).toBe(true);
  });
});

function sentIds(sendBatch: ReturnType<typeof catchSendBatches>): string[] {
  return sendBatch.mock.calls.flatMap((call) =>
    [...call[0]].map((entry) => (entry.body as { jobId: string }).jobId),
  );
}

describe("a number past what JSON numbers hold", () => {
  it.each(["delaySeconds", "timeoutMs"])(
    "%s: 1e400 is refused as a number too large, not as null",
    async (field) => {
      const response = await api("/v1/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"type":"simulate","payload":{},"${field}":1e400}`,
      });
      const problem = await problemOf(response);
      expect(problem.errors).toEqual([
        { pointer: `/${field}`, detail: expect.stringMatching(/number too large/) },
      ]);
    },
  );
});
