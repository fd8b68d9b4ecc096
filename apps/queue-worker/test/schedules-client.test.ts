import { env } from "cloudflare:workers";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import type * as z from "zod";
import { ApiError, type NewSchedule, type Schedule, type SchedulePage } from "../src/client.ts";
import type * as contract from "../src/schedules-contract.ts";
import { recordingClient } from "./fixtures/jobs.ts";

// The client's schedule methods against the worker itself (recordingClient), each request
// recorded so the tests see which route it took.

const every = (name: string): NewSchedule => ({
  name,
  cron: "*/5 * * * *",
  timezone: "America/New_York",
  job: { type: "simulate", payload: { durationMs: 1 }, timeoutMs: 2000 },
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the client's schedule types", () => {
  it("are the shapes the worker declares and validates", () => {
    expectTypeOf<NewSchedule>().toExtend<contract.NewSchedule>();
    expectTypeOf<contract.NewSchedule>().toExtend<NewSchedule>();
    expectTypeOf<Schedule>().toEqualTypeOf<z.output<typeof contract.scheduleView>>();
    expectTypeOf<SchedulePage>().toEqualTypeOf<z.output<typeof contract.schedulePage>>();
  });
});

describe("createQueueClient's schedules", () => {
  it("creates a schedule and reads it back", async () => {
    const { queue, requests } = recordingClient();
    const made = await queue.createSchedule(every("client-create"));
    expect(requests.at(-1)).toBe("POST /v1/schedules");
    expect(made).toMatchObject({
      name: "client-create",
      cron: "*/5 * * * *",
      timezone: "America/New_York",
      job: { type: "simulate", payload: { durationMs: 1, failureRate: 0 }, timeoutMs: 2000 },
      paused: false,
      lastJobId: null,
    });
    expect(await queue.schedule(made.id)).toEqual(made);
    expect(requests.at(-1)).toBe(`GET /v1/schedules/${made.id}`);
  });

  it("pauses, resumes and deletes a schedule", async () => {
    const { queue, requests } = recordingClient();
    const { id } = await queue.createSchedule(every("client-pause"));
    expect(await queue.pauseSchedule(id)).toMatchObject({ id, paused: true, nextRunAt: null });
    expect(requests.at(-1)).toBe(`POST /v1/schedules/${id}/pause`);
    const resumed = await queue.resumeSchedule(id);
    expect(resumed.paused).toBe(false);
    expect(Date.parse(resumed.nextRunAt!)).toBeGreaterThan(Date.now() - 1000);
    expect(requests.at(-1)).toBe(`POST /v1/schedules/${id}/resume`);
    await expect(queue.deleteSchedule(id)).resolves.toBeUndefined();
    expect(requests.at(-1)).toBe(`DELETE /v1/schedules/${id}`);
    const gone = await queue.schedule(id).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ status: 404 });
    await expect(queue.deleteSchedule(id)).rejects.toMatchObject({ status: 404 });
  });

  it("rejects a bad schedule with an ApiError naming the field", async () => {
    const { queue } = recordingClient();
    const error = await queue
      .createSchedule({ ...every("bad"), cron: "* * * * * *" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, problem: { errors: [{ pointer: "/cron" }] } });
  });

  it("walks every schedule with an async iterator, a page per request", async () => {
    const { queue, requests } = recordingClient();
    for (let index = 0; index < 5; index += 1) await queue.createSchedule(every(`walk-${index}`));
    const first = await queue.schedulePage({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    expect(requests.at(-1)).toBe("GET /v1/schedules?limit=2");
    requests.length = 0;
    const walked: Schedule[] = [];
    for await (const schedule of queue.schedules({ pageSize: 2 })) walked.push(schedule);
    expect(walked.length).toBeGreaterThanOrEqual(5);
    expect(new Set(walked.map((schedule) => schedule.id)).size).toBe(walked.length);
    expect(requests.length).toBe(Math.ceil(walked.length / 2));
    const aborted = AbortSignal.abort(new Error("stop"));
    await expect(queue.schedulePage({}, { signal: aborted })).rejects.toThrow("stop");
  });

  it("sends nothing to the queue: creating a schedule enqueues no job", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const { queue } = recordingClient();
    await queue.createSchedule(every("no-send"));
    expect(send).not.toHaveBeenCalled();
  });
});
