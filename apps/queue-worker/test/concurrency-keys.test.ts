import { env } from "cloudflare:workers";
import { ConfigError } from "@edge-async/http";
import { and, eq, gte, inArray, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type KeyLimits, keyLimitsOf } from "../src/concurrency-keys.ts";
import { type Claim, claimJob, claimJobs } from "../src/db/claims.ts";
import { outcomeStatements } from "../src/db/outcomes.ts";
import { jobs } from "../src/db/schema.ts";
import { heartbeatStatement } from "../src/heartbeat.ts";
import { api, db, deliver, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";

// Per-key concurrency: a job with a `concurrencyKey` is claimed only while fewer than its key's
// limit of live runs (running, lease not expired) hold that key; the check sits in the claim's own
// UPDATE, so no interleaving of claims, redeliveries, expired leases and heartbeats gets past it.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the per-key limit under any mix of claims, redeliveries, crashes and heartbeats", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("batch" as const),
      picks: fc.array(fc.nat(11), { minLength: 1, maxLength: 6 }),
    }),
    fc.record({ kind: fc.constant("one" as const), pick: fc.nat(11) }),
    fc.record({
      kind: fc.constant("finish" as const),
      pick: fc.nat(20),
      outcome: fc.constantFrom("succeeded" as const, "failed" as const),
    }),
    // Live runners renew their leases; a crashed one (lease already past) never beats again.
    fc.record({ kind: fc.constant("beat" as const) }),
    fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 1_500 }) }),
  );
  const mix = fc.record({
    keys: fc.array(fc.constantFrom(0, 1, 2, 3), { minLength: 3, maxLength: 12 }),
    timeouts: fc.array(fc.integer({ min: 100, max: 1_000 }), { minLength: 12, maxLength: 12 }),
    ops: fc.array(op, { minLength: 5, maxLength: 30 }),
  });

  it("never lets more than a key's limit run at once", async () => {
    await fc.assert(
      fc.asyncProperty(mix, async ({ keys, timeouts, ops }) => {
        const tag = crypto.randomUUID().slice(0, 8);
        // k0 limit 1, k1 limit 2 (listed), k2 the default 3; index 3 means no key.
        const names = [`a-${tag}`, `b-${tag}`, `c-${tag}`];
        const keyLimits: KeyLimits = {
          limits: { [names[0]!]: 1, [names[1]!]: 2 },
          defaultLimit: 3,
        };
        const limitOf = (key: string) => keyLimits.limits[key] ?? 3;
        let now = Date.now();
        const ids: string[] = [];
        for (const [index, key] of keys.entries()) {
          ids.push(
            await insertJob({
              type: "simulate",
              payload: { durationMs: 1 },
              timeoutMs: timeouts[index] ?? 500,
              concurrencyKey: key === 3 ? null : (names[key] ?? null),
              createdAt: now,
            }),
          );
        }
        const claims: Claim[] = [];
        const pick = (n: number) => ids[n % ids.length] as string;
        for (const step of ops) {
          if (step.kind === "batch") {
            const attempts = await claimJobs(db, step.picks.map(pick), {
              now,
              leaseMarginMs: 0,
              concurrency: 2,
              keyLimits,
            });
            for (const attempt of attempts) if (attempt.claimed) claims.push(attempt.claim);
          } else if (step.kind === "one") {
            const claim = await claimJob(db, pick(step.pick), { now, leaseMarginMs: 0, keyLimits });
            if (claim !== undefined) claims.push(claim);
          } else if (step.kind === "finish" && claims.length > 0) {
            const [claim] = claims.splice(step.pick % claims.length, 1);
            const outcome =
              step.outcome === "succeeded"
                ? { kind: "succeeded" as const, result: null }
                : { kind: "failed" as const, error: "flaky" };
            await db.batch(outcomeStatements(db, claim!, outcome, now));
          } else if (step.kind === "beat") {
            const alive = await db
              .select({ runToken: jobs.runToken })
              .from(jobs)
              .where(
                and(
                  inArray(jobs.id, ids),
                  eq(jobs.status, "running"),
                  gte(jobs.leaseExpiresAt, now),
                ),
              );
            const tokens = alive.flatMap((row) => (row.runToken === null ? [] : [row.runToken]));
            if (tokens.length > 0) await heartbeatStatement(db, tokens, now + 1_000);
          } else if (step.kind === "advance") {
            now += step.ms;
          }
          const live = await db
            .select({ key: jobs.concurrencyKey, n: sql<number>`count(*)` })
            .from(jobs)
            .where(
              and(inArray(jobs.id, ids), eq(jobs.status, "running"), gte(jobs.leaseExpiresAt, now)),
            )
            .groupBy(jobs.concurrencyKey);
          for (const { key, n } of live) {
            if (key !== null) expect(n, `key ${key} at ${now}`).toBeLessThanOrEqual(limitOf(key));
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("the consumer with concurrency keys", () => {
  describe.each(["batched", "per-message"] as const)("(%s status writes)", (mode) => {
    it("runs a key's limit of jobs and re-sends the others' messages, spending no attempt", async () => {
      const key = `host-${crypto.randomUUID()}`;
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        ids.push(
          await insertJob({ type: "simulate", payload: { durationMs: 100 }, concurrencyKey: key }),
        );
      }
      const sendBatch = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
      const { result, messageIds } = await deliver(ids, {
        attempts: 3,
        env: { STATUS_WRITES: mode, CONCURRENCY_LIMITS: JSON.stringify({ [key]: 2 }) },
      });
      // Every message is acked: two ran, four were sent again (fresh deliveries) first.
      expect(result.explicitAcks.sort()).toEqual([...messageIds].sort());
      expect(result.retryMessages).toEqual([]);
      const resent = sendBatch.mock.calls.flatMap(([messages]) => [...messages]);
      expect(resent).toHaveLength(4);
      for (const message of resent) {
        expect(message.delaySeconds).toBeGreaterThanOrEqual(1);
        expect(message.delaySeconds).toBeLessThanOrEqual(3);
      }
      const rows = await Promise.all(ids.map(getJob));
      expect(rows.filter((row) => row.status === "succeeded")).toHaveLength(2);
      const waiting = rows.filter((row) => row.status === "queued");
      expect(waiting).toHaveLength(4);
      for (const row of waiting) {
        expect(row.attempts).toBe(0);
        expect(await runsOf(row.id)).toEqual([]);
      }
      expect(new Set(resent.map((message) => (message.body as { jobId: string }).jobId))).toEqual(
        new Set(waiting.map((row) => row.id)),
      );
    });
  });

  it("leaves a key with no limit (none listed, no default) to the consumer's own concurrency", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      ids.push(
        await insertJob({ type: "simulate", payload: { durationMs: 1 }, concurrencyKey: "free" }),
      );
    }
    await deliver(ids, {
      env: { CONCURRENCY_LIMITS: '{"other": 1}', DEFAULT_KEY_CONCURRENCY: "" },
    });
    for (const id of ids) expect((await getJob(id)).status).toBe("succeeded");
  });

  it("retries the messages as they are when the re-send fails", async () => {
    const key = `host-${crypto.randomUUID()}`;
    const holder = await insertJob({
      type: "simulate",
      payload: {},
      status: "running",
      runToken: "live",
      leaseExpiresAt: Date.now() + 60_000,
      concurrencyKey: key,
    });
    const id = await insertJob({ type: "simulate", payload: {}, concurrencyKey: key });
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    const { result } = await deliver([id], { env: { DEFAULT_KEY_CONCURRENCY: "1" } });
    expect(result.retryMessages).toHaveLength(1);
    expect(result.retryMessages[0]?.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(await getJob(id)).toMatchObject({ status: "queued", attempts: 0 });
    expect(await getJob(holder)).toMatchObject({ status: "running" });
  });
});

describe("concurrency keys at enqueue and in config", () => {
  it("stores a job's concurrencyKey exactly as sent and shows it", async () => {
    const concurrencyKey = "tenant:ünïcode 42";
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "simulate", payload: {}, delaySeconds: 3600, concurrencyKey },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { concurrencyKey?: string };
    expect(view.concurrencyKey).toBe(concurrencyKey);
  });

  it.each([" ", "\u0000", "x\ny", "  padded  ", "padded ", "\tx", "a\u007fb"])(
    "refuses the concurrencyKey %j with 400 naming /concurrencyKey, storing nothing",
    async (concurrencyKey) => {
      const before = await db.select({ n: sql<number>`count(*)` }).from(jobs);
      const response = await api("/v1/jobs", {
        method: "POST",
        json: { type: "simulate", payload: {}, delaySeconds: 3600, concurrencyKey },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { errors: { pointer?: string }[] };
      expect(problem.errors.map((error) => error.pointer)).toContain("/concurrencyKey");
      expect(await db.select({ n: sql<number>`count(*)` }).from(jobs)).toEqual(before);
    },
  );

  it.each([
    [{ CONCURRENCY_LIMITS: "{not json" }, "CONCURRENCY_LIMITS"],
    [{ CONCURRENCY_LIMITS: '{"a": 0}' }, "CONCURRENCY_LIMITS"],
    [{ CONCURRENCY_LIMITS: '["a"]' }, "CONCURRENCY_LIMITS"],
    [{ DEFAULT_KEY_CONCURRENCY: "two" }, "DEFAULT_KEY_CONCURRENCY"],
  ])("refuses %j naming %s", (vars, setting) => {
    const parse = () =>
      keyLimitsOf({ CONCURRENCY_LIMITS: "{}", DEFAULT_KEY_CONCURRENCY: "", ...vars });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(setting);
  });

  it("reads the limits and the default", () => {
    expect(keyLimitsOf({ CONCURRENCY_LIMITS: '{"a": 2}', DEFAULT_KEY_CONCURRENCY: "4" })).toEqual({
      limits: { a: 2 },
      defaultLimit: 4,
    });
  });
});
