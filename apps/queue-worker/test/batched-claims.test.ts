import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimBatchStatements, claimJob, claimJobs } from "../src/db/claims.ts";
import { HEARTBEAT_MS } from "../src/heartbeat.ts";
import { countingD1, statementKind } from "./fixtures/counting-d1.ts";
import { db, deliver, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";

const LEASE_MARGIN_MS = Number(env.LEASE_MARGIN_MS);

function kinds(statements: string[]) {
  return statements.map(statementKind);
}

function countOf(values: string[], value: string) {
  return values.filter((v) => v === value).length;
}

describe("batched status writes claim a queue batch in one D1 batch", () => {
  it("claims 100 jobs in one round trip, runs each once and writes the outcomes in a few more", async () => {
    const ids = await Promise.all(
      Array.from({ length: 100 }, () =>
        insertJob({ type: "simulate", payload: { durationMs: 0, failureRate: 0 } }),
      ),
    );
    const d1 = countingD1(env.DB);
    const { result, messageIds } = await deliver(ids, {
      env: { DB: d1.binding, STATUS_WRITES: "batched" },
    });

    expect(result.explicitAcks.sort()).toEqual([...messageIds].sort());
    expect(d1.roundTrips.every((trip) => trip.kind === "batch")).toBe(true);
    const [claims, ...outcomes] = d1.roundTrips;
    const claimKinds = kinds(claims?.kind === "batch" ? claims.statements : []);
    // One claim per message in delivery order, the lease extension, the runs' ledger lines, one
    // look-up of all 100 ids.
    expect(claimKinds).toEqual([...ids.map(() => "claim"), "lease", "ledger", "lookup"]);
    // Each outcome is written as its run ends, coalesced with those that end about together: a
    // few writes of outcome + ledger pairs, not one per job.
    const outcomeKinds = kinds(
      outcomes.flatMap((trip) => (trip.kind === "batch" ? trip.statements : [])),
    );
    expect(countOf(outcomeKinds, "outcome")).toBe(100);
    expect(countOf(outcomeKinds, "ledger")).toBe(100);
    expect(outcomeKinds).toHaveLength(200);
    expect(outcomes.length).toBeLessThan(50);
    for (const id of ids) {
      expect(await getJob(id)).toMatchObject({ status: "succeeded", attempts: 1, runToken: null });
      expect(await runsOf(id)).toHaveLength(1);
    }
  });

  it("reads the cancels of all running jobs in one query per heartbeat", async () => {
    const ids = await Promise.all(
      Array.from({ length: 4 }, () =>
        insertJob({ type: "simulate", payload: { durationMs: HEARTBEAT_MS + 500 } }),
      ),
    );
    const d1 = countingD1(env.DB);
    const { result } = await deliver(ids, { env: { DB: d1.binding, STATUS_WRITES: "batched" } });
    expect(result.explicitAcks).toHaveLength(4);
    // The four jobs run side by side past one beat: each beat is one statement for all of them.
    expect(d1.heartbeats.length).toBeGreaterThanOrEqual(1);
    expect(d1.heartbeats.length).toBeLessThanOrEqual(2);
    // Besides the throttled progress writes (at most one a second per job): the claim batch and
    // the outcome writes, the four outcomes ending about together.
    const progress = d1.roundTrips.filter(
      (trip) => trip.kind === "query" && statementKind(trip.sql) === "progress",
    );
    expect(progress.length).toBeLessThanOrEqual(4 * 3);
    const others = d1.roundTrips.filter((trip) => !progress.includes(trip));
    expect(others.every((trip) => trip.kind === "batch")).toBe(true);
    expect(others.length).toBeGreaterThanOrEqual(2);
    expect(others.length).toBeLessThanOrEqual(5);
  });

  it("per-message writes still claim each job with its own round trip", async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, () => insertJob({ type: "simulate", payload: {} })),
    );
    const d1 = countingD1(env.DB);
    const { result } = await deliver(ids, {
      env: { DB: d1.binding, STATUS_WRITES: "per-message" },
    });

    expect(result.explicitAcks).toHaveLength(10);
    const queries = d1.roundTrips.flatMap((trip) => (trip.kind === "query" ? [trip.sql] : []));
    const batches = d1.roundTrips.flatMap((trip) => (trip.kind === "batch" ? [trip] : []));
    // Each claim goes with its run's ledger line; each outcome with the line's outcome.
    expect(queries).toEqual([]);
    // (Claims and outcomes interleave as the run slots turn over.)
    const shapes = batches.map((batch) => kinds(batch.statements).join("+"));
    expect(countOf(shapes, "claim+ledger")).toBe(10);
    expect(countOf(shapes, "outcome+ledger")).toBe(10);
    expect(shapes).toHaveLength(20);
  });

  it("retries every message with backoff and claims nothing when the claim batch fails", async () => {
    const ids = await Promise.all(
      Array.from({ length: 3 }, () => insertJob({ type: "simulate", payload: {} })),
    );
    const d1 = countingD1(env.DB, { failBatches: true });
    const { result, messageIds } = await deliver(ids, {
      env: {
        DB: d1.binding,
        STATUS_WRITES: "batched",
        RETRY_BASE_DELAY_SECONDS: "2",
        RETRY_MAX_DELAY_SECONDS: "60",
      },
    });

    expect(d1.roundTrips.map((trip) => trip.kind)).toEqual(["batch"]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((retry) => retry.msgId).sort()).toEqual([...messageIds].sort());
    for (const retry of result.retryMessages) {
      expect(retry.delaySeconds).toBeGreaterThanOrEqual(0);
      expect(retry.delaySeconds).toBeLessThanOrEqual(2);
    }
    for (const id of ids) {
      expect(await getJob(id)).toMatchObject({ status: "queued", attempts: 0, runToken: null });
    }
  });
});

describe.each(["batched", "per-message"] as const)("one queue batch (%s status writes)", (mode) => {
  it("runs a job once when its message appears twice in the batch; the other waits out the lease", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: { durationMs: 50, failureRate: 0 },
      timeoutMs: 5_000,
    });
    const { result, messageIds } = await deliver([id, id], { env: { STATUS_WRITES: mode } });

    expect(await runsOf(id)).toHaveLength(1);
    expect(await getJob(id)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(1);
    // Retried after the winner's lease (5 s timeout + margin), as any delivery that finds its job
    // running under someone else's live lease.
    const leaseSeconds = (5_000 + LEASE_MARGIN_MS) / 1000;
    expect(result.retryMessages[0]?.delaySeconds).toBeGreaterThanOrEqual(leaseSeconds);
    expect(result.retryMessages[0]?.delaySeconds).toBeLessThanOrEqual(leaseSeconds + 1);
    if (mode === "batched") {
      // Claims follow delivery order: the first message wins.
      expect(result.explicitAcks).toEqual([messageIds[0]]);
      expect(result.retryMessages[0]?.msgId).toBe(messageIds[1]);
    }
  });

  it("settles a mix of claimable, finished, leased and missing jobs", async () => {
    const now = Date.now();
    const queued = await insertJob({ type: "simulate", payload: {} });
    const failed = await insertJob({
      type: "simulate",
      payload: {},
      status: "failed",
      attempts: 1,
      error: "Error: earlier failure",
    });
    const succeeded = await insertJob({
      type: "simulate",
      payload: {},
      status: "succeeded",
      attempts: 1,
      finishedAt: now,
    });
    const dead = await insertJob({
      type: "simulate",
      payload: {},
      status: "dead",
      attempts: 5,
      finishedAt: now,
    });
    const leased = await insertJob({
      type: "simulate",
      payload: {},
      status: "running",
      attempts: 1,
      runToken: "alive",
      leaseExpiresAt: now + 30_000,
    });
    const expired = await insertJob({
      type: "simulate",
      payload: {},
      status: "running",
      attempts: 1,
      runToken: "dead-runner",
      leaseExpiresAt: now - 1,
    });
    const unknownType = await insertJob({ type: "teleport", payload: {} });
    const missing = crypto.randomUUID();
    const order = [queued, failed, succeeded, dead, leased, expired, unknownType, missing];
    const before = new Map(
      await Promise.all(
        [succeeded, dead, leased].map(async (id) => [id, await getJob(id)] as const),
      ),
    );
    const d1 = countingD1(env.DB);

    const { result, messageIds } = await deliver(order, {
      env: { DB: d1.binding, STATUS_WRITES: mode },
    });

    const messageOf = (id: string) => messageIds[order.indexOf(id)];
    expect(result.explicitAcks.sort()).toEqual(
      [queued, failed, succeeded, dead, expired, unknownType, missing].map(messageOf).sort(),
    );
    expect(result.retryMessages.map((retry) => retry.msgId)).toEqual([messageOf(leased)]);
    expect(result.retryMessages[0]?.delaySeconds).toBeGreaterThanOrEqual(30);
    expect(result.retryMessages[0]?.delaySeconds).toBeLessThanOrEqual(31);

    expect(await getJob(queued)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await getJob(failed)).toMatchObject({ status: "succeeded", attempts: 2, error: null });
    expect(await getJob(expired)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(await getJob(unknownType)).toMatchObject({ status: "dead", attempts: 1 });
    expect((await getJob(unknownType)).error).toContain('unknown job type "teleport"');
    // Finished and leased jobs are not touched, and nothing ran for them.
    for (const [id, row] of before) {
      expect(await getJob(id)).toEqual(row);
      expect(await runsOf(id)).toHaveLength(0);
    }

    const queries = d1.roundTrips.flatMap((trip) => (trip.kind === "query" ? [trip.sql] : []));
    if (mode === "batched") {
      expect(queries).toEqual([]);
      expect(d1.roundTrips).toHaveLength(2);
      const [claims] = d1.roundTrips;
      expect(kinds(claims?.kind === "batch" ? claims.statements : [])).toEqual([
        ...order.map(() => "claim"),
        "lease",
        "ledger",
        "lookup",
      ]);
    } else {
      // One claim each (with its ledger line), then a look at each of the four jobs whose claim
      // missed.
      const claimBatches = d1.roundTrips.filter(
        (trip) => trip.kind === "batch" && statementKind(trip.statements[0] ?? "") === "claim",
      );
      expect(claimBatches).toHaveLength(order.length);
      expect(queries).toHaveLength(4);
    }
  });
});

describe("leases of a batch claimed up front", () => {
  it("cover the wait for a run slot: the sum of the timeouts ahead divided by the concurrency", async () => {
    const timeouts = [1_000, 2_000, 3_000, 4_000, 500];
    const [a, b, c, d, e] = await Promise.all(
      timeouts.map((timeoutMs) => insertJob({ type: "simulate", payload: {}, timeoutMs })),
    );
    const finished = await insertJob({
      type: "simulate",
      payload: {},
      status: "succeeded",
      timeoutMs: 60_000,
    });
    const now = Date.now();
    const margin = 10;
    // Concurrency 2: a and b start at once; a duplicate of a and a finished job run nothing and
    // add no wait; c waits at most (1000 + 2000) / 2, d (1000 + 2000 + 3000) / 2, e 10000 / 2.
    const attempts = await claimJobs(db, [a!, b!, a!, finished, c!, d!, e!], {
      now,
      leaseMarginMs: margin,
      concurrency: 2,
    });

    const leases = attempts.map((attempt) =>
      attempt.claimed ? (attempt.claim.job.leaseExpiresAt ?? 0) - now : null,
    );
    expect(leases).toEqual([
      1_000 + margin,
      2_000 + margin,
      null,
      null,
      3_000 + margin + 1_500,
      4_000 + margin + 3_000,
      500 + margin + 5_000,
    ]);
    // What the claims returned is what D1 holds.
    for (const [id, lease] of [
      [c!, 4_510],
      [e!, 5_510],
    ] as const) {
      expect((await getJob(id)).leaseExpiresAt).toBe(now + lease);
    }
    expect(attempts[2]).toEqual({
      claimed: false,
      job: { id: a, status: "running", leaseExpiresAt: now + 1_000 + margin, concurrencyKey: null },
    });
    expect(attempts[3]).toEqual({
      claimed: false,
      job: { id: finished, status: "succeeded", leaseExpiresAt: null, concurrencyKey: null },
    });
  });

  it("of the first `concurrency` jobs equal a single claim's lease", async () => {
    const [single, batched] = await Promise.all(
      [1, 2].map(() => insertJob({ type: "simulate", payload: {}, timeoutMs: 7_000 })),
    );
    const now = Date.now();
    const claim = await claimJob(db, single!, { now, leaseMarginMs: 15_000 });
    const [attempt] = await claimJobs(db, [batched!], {
      now,
      leaseMarginMs: 15_000,
      concurrency: 6,
    });
    expect(attempt?.claimed && attempt.claim.job.leaseExpiresAt).toBe(claim?.job.leaseExpiresAt);
    expect(claim?.job.leaseExpiresAt).toBe(now + 22_000);
  });

  it("runs queued behind a slot start later than the batch's claim", async () => {
    const ids = await Promise.all(
      Array.from({ length: 3 }, () =>
        insertJob({ type: "simulate", payload: { durationMs: 100, failureRate: 0 } }),
      ),
    );
    await deliver(ids, { env: { STATUS_WRITES: "batched", CONSUMER_CONCURRENCY: "1" } });
    const starts = await Promise.all(ids.map(async (id) => (await runsOf(id))[0]?.startedAt ?? 0));
    // One slot: each run starts after the one before it slept its 100 ms.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(90);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(90);
  });

  it("stay within D1's 100 bound parameters per statement for any batch size", () => {
    for (const size of [1, 100, 250]) {
      const ids = Array.from({ length: size }, (_, i) => `job-${i}`);
      const tokens = ids.map(() => crypto.randomUUID());
      const statements = claimBatchStatements(db, ids, tokens, {
        now: Date.now(),
        leaseMarginMs: 15_000,
        concurrency: 6,
      });
      // size claims, one lease extension, one look-up per 100 distinct ids.
      expect(statements).toHaveLength(size + 2 + Math.ceil(size / 100));
      for (const statement of statements) {
        const { params } = (statement as unknown as { toSQL(): { params: unknown[] } }).toSQL();
        expect(params.length).toBeLessThanOrEqual(100);
      }
    }
  });
});
