import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffCeilingSeconds } from "../src/backoff.ts";
import { parseConfig } from "../src/config.ts";
import { deliver, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";

const backoffEnv = { RETRY_BASE_DELAY_SECONDS: "2", RETRY_MAX_DELAY_SECONDS: "60" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(["batched", "per-message"] as const)("consumer with %s status writes", (mode) => {
  const modeEnv = { STATUS_WRITES: mode };

  it("acks a job that succeeds and records its result and run", async () => {
    const id = await insertJob({ type: "simulate", payload: { durationMs: 1, failureRate: 0 } });
    const { result, messageIds } = await deliver([id], { env: modeEnv });
    expect(result.explicitAcks).toEqual(messageIds);
    expect(result.retryMessages).toEqual([]);
    const job = await getJob(id);
    expect(job).toMatchObject({ status: "succeeded", attempts: 1, runToken: null, error: null });
    expect(JSON.parse(job.result ?? "null")).toEqual({ sleptMs: 1, attempt: 1 });
    expect((await runsOf(id)).map((run) => run.outcome)).toEqual(["succeeded"]);
  });

  it("acks or retries each message of a batch on its own", async () => {
    const ok = await insertJob({ type: "simulate", payload: { failureRate: 0 } });
    const bad = await insertJob({ type: "simulate", payload: { failureRate: 1 } });
    const ok2 = await insertJob({ type: "simulate", payload: { failureRate: 0 } });
    const { result, messageIds } = await deliver([ok, bad, ok2], {
      env: { ...modeEnv, ...backoffEnv },
    });
    expect(result.ackAll).toBe(false);
    expect(result.retryBatch.retry).toBe(false);
    expect(result.explicitAcks.sort()).toEqual([messageIds[0], messageIds[2]].sort());
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([messageIds[1]]);
    expect((await getJob(bad)).status).toBe("failed");
    expect((await getJob(bad)).error).toContain("simulated failure");
    expect((await getJob(ok2)).status).toBe("succeeded");
  });
});

describe("retry delays", () => {
  it("grow exponentially up to the cap when the jitter draws its maximum", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const id = await insertJob({ type: "simulate", payload: { failureRate: 1 } });
    const delays: number[] = [];
    // Attempts 1..4 of 5: the consumer computes the delay from the D1 attempt count.
    for (let attempt = 1; attempt <= 4; attempt++) {
      const { result } = await deliver([id], { attempts: attempt, env: backoffEnv });
      delays.push(result.retryMessages[0]?.delaySeconds ?? -1);
    }
    expect(delays).toEqual([2, 4, 8, 16]);
    expect((await getJob(id)).attempts).toBe(4);
  });

  it("stay within [0, base * 2^(attempt-1)] capped by the max, with real jitter", async () => {
    const cap = { baseSeconds: 2, maxSeconds: 60 };
    for (let attempt = 1; attempt <= 4; attempt++) {
      const ids = await Promise.all(
        Array.from({ length: 20 }, () =>
          insertJob({ type: "simulate", payload: { failureRate: 1 }, attempts: attempt - 1 }),
        ),
      );
      const { result } = await deliver(ids, { attempts: attempt, env: backoffEnv });
      expect(result.retryMessages).toHaveLength(20);
      for (const retry of result.retryMessages) {
        expect(retry.delaySeconds).toBeGreaterThanOrEqual(0);
        expect(retry.delaySeconds).toBeLessThanOrEqual(backoffCeilingSeconds(attempt, cap));
        expect(Number.isInteger(retry.delaySeconds)).toBe(true);
      }
    }
    // The cap itself: attempt 10 would be 1024 s uncapped.
    expect(backoffCeilingSeconds(10, cap)).toBe(60);
  });

  it("hands the last attempt to the dead-letter queue without waiting", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const id = await insertJob({ type: "simulate", payload: { failureRate: 1 }, attempts: 4 });
    const { result } = await deliver([id], { attempts: 5, env: backoffEnv });
    expect(result.retryMessages).toEqual([{ msgId: expect.any(String), delaySeconds: 0 }]);
    expect((await getJob(id)).status).toBe("failed");
  });

  it("honours an upstream Retry-After as the lower bound", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/always-503?retryAfter=7", retries: 0 },
    });
    // The jitter draws 0, so only the hint can make the delay 7 s.
    const { result } = await deliver([id], { env: backoffEnv });
    expect(result.retryMessages[0]?.delaySeconds).toBe(7);
    expect((await getJob(id)).error).toContain("answered 503");
  });
});

describe("redelivery and duplicates", () => {
  it("acks a redelivered message of a job that already succeeded without running it again", async () => {
    const id = await insertJob({ type: "simulate", payload: { failureRate: 0 } });
    await deliver([id]);
    const before = await getJob(id);
    const { result, messageIds } = await deliver([id], { attempts: 2 });
    expect(result.explicitAcks).toEqual(messageIds);
    const after = await getJob(id);
    expect(after.attempts).toBe(before.attempts);
    expect(after.updatedAt).toBe(before.updatedAt);
    expect(await runsOf(id)).toHaveLength(1);
  });

  it("runs a job once when the same message is delivered twice at the same time", async () => {
    const id = await insertJob({ type: "simulate", payload: { durationMs: 200, failureRate: 0 } });
    const [first, second] = await Promise.all([deliver([id]), deliver([id])]);
    const runs = await runsOf(id);
    expect(runs).toHaveLength(1);
    expect((await getJob(id)).status).toBe("succeeded");
    // One delivery ran and acked; the other saw a live lease and comes back after it.
    const retried = [first, second].flatMap((d) => d.result.retryMessages);
    const acked = [first, second].flatMap((d) => d.result.explicitAcks);
    expect(acked).toHaveLength(1);
    expect(retried).toHaveLength(1);
    expect(retried[0]?.delaySeconds).toBeGreaterThan(0);
  });

  it("takes over a running job whose lease expired (its runner died)", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: { failureRate: 0 },
      status: "running",
      attempts: 1,
      runToken: "dead-runner",
      leaseExpiresAt: Date.now() - 1,
    });
    const { result, messageIds } = await deliver([id], { attempts: 2 });
    expect(result.explicitAcks).toEqual(messageIds);
    expect(await getJob(id)).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("drops a malformed message instead of retrying it forever", async () => {
    const { createMessageBatch, createExecutionContext, getQueueResult } = await import(
      "cloudflare:test"
    );
    const { default: worker } = await import("../src/index.ts");
    const batch = createMessageBatch("jobs", [
      { id: "junk", timestamp: new Date(), attempts: 1, body: { nope: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["junk"]);
  });
});

describe("unrunnable jobs", () => {
  it("marks a job of an unknown type dead at once and acks it", async () => {
    const id = await insertJob({ type: "teleport", payload: {} });
    const { result, messageIds } = await deliver([id]);
    expect(result.explicitAcks).toEqual(messageIds);
    const job = await getJob(id);
    expect(job.status).toBe("dead");
    expect(job.error).toContain('unknown job type "teleport"');
  });

  it("marks a job whose stored payload no longer validates dead at once", async () => {
    const id = await insertJob({ type: "fetch", payload: { url: "ftp://nope" } });
    const { result, messageIds } = await deliver([id]);
    expect(result.explicitAcks).toEqual(messageIds);
    const job = await getJob(id);
    expect(job.status).toBe("dead");
    expect(job.error).toMatch(/invalid fetch payload: \/url/);
  });
});

describe("per-job timeout", () => {
  it("aborts a run past its timeoutMs, the handler stops, and the job is retried", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: { durationMs: 60_000, failureRate: 0 },
      timeoutMs: 150,
    });
    const { result } = await deliver([id], { env: backoffEnv });
    expect(result.retryMessages).toHaveLength(1);
    const job = await getJob(id);
    expect(job.status).toBe("failed");
    expect(job.error).toContain("TimeoutError");
    expect(job.error).toContain("150 ms");
    const [run] = await runsOf(id);
    // The run ended at its deadline, not after the 60 s sleep.
    expect(run!.finishedAt! - run!.startedAt).toBeLessThan(10_000);
  });

  it("hands the handler a signal that aborts at the deadline", async () => {
    const { withTimeout } = await import("@edge-async/async-utils");
    const { jobTypes } = await import("../src/job-types/registry.ts");
    let seen: AbortSignal | undefined;
    await expect(
      withTimeout((signal) => {
        seen = signal;
        return jobTypes.simulate.run(
          { durationMs: 10_000, failureRate: 0 },
          {
            signal,
            env,
            outbound: parseConfig(env).outbound,
            jobId: "x",
            attempt: 1,
            progress: () => {},
          },
        );
      }, 50),
    ).rejects.toMatchObject({ name: "TimeoutError" });
    expect(seen?.aborted).toBe(true);
  });
});

describe("dead-letter queue", () => {
  it("marks a failed job dead with its last error", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: {},
      status: "failed",
      attempts: 5,
      error: "Error: simulated failure (failureRate 1, attempt 5)",
    });
    const { result, messageIds } = await deliver([id], { queue: "jobs-dlq", attempts: 1 });
    expect(result.explicitAcks).toEqual(messageIds);
    const job = await getJob(id);
    expect(job.status).toBe("dead");
    expect(job.error).toBe(
      "gave up after 5 attempt(s); last error: Error: simulated failure (failureRate 1, attempt 5)",
    );
    expect(job.finishedAt).not.toBeNull();
  });

  it("leaves a job that succeeded in the meantime alone", async () => {
    const id = await insertJob({ type: "simulate", payload: {}, status: "succeeded", attempts: 2 });
    const { result } = await deliver([id], { queue: "jobs-dlq" });
    expect(result.explicitAcks).toHaveLength(1);
    expect((await getJob(id)).status).toBe("succeeded");
  });

  it("comes back later for a job still running under a live lease", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: {},
      status: "running",
      attempts: 5,
      runToken: "alive",
      leaseExpiresAt: Date.now() + 20_000,
    });
    const { result } = await deliver([id], { queue: "jobs-dlq" });
    expect(result.retryMessages).toHaveLength(1);
    expect(result.retryMessages[0]!.delaySeconds).toBeGreaterThanOrEqual(20);
    expect((await getJob(id)).status).toBe("running");
  });

  it("the real local queue dead-letters a job that keeps failing", async () => {
    const response = await (await import("./fixtures/jobs.ts")).api("/v1/jobs", {
      method: "POST",
      json: { type: "simulate", payload: { failureRate: 1 } },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await vi.waitUntil(async () => (await getJob(id)).status === "dead", {
      timeout: 20_000,
      interval: 100,
    });
    const job = await getJob(id);
    expect(job.attempts).toBe(5);
    expect(job.error).toMatch(
      /^gave up after 5 attempt\(s\); last error: Error: simulated failure/,
    );
    expect(await runsOf(id)).toHaveLength(5);
  }, 30_000);
});
