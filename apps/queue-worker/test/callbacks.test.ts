import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CALLBACK_MAX_ATTEMPTS, callbackBackoffMs, signCallback } from "../src/callbacks.ts";
import { verifyCallbackSignature } from "../src/client.ts";
import { DEVELOPMENT_CALLBACK_SECRET, parseConfig } from "../src/config.ts";
import { database } from "../src/db/database.ts";
import { runJobUpkeep } from "../src/maintenance.ts";
import { api, deliver, getJob } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// Completion callbacks: the final job view POSTed to callbackUrl, signed Stripe-style in
// Webhook-Signature, retried with backoff by the cron, recorded on the job view.

const SECRET = "a-test-secret-of-enough-length";
const received = async (key: string) =>
  (await (await fetch(`https://upstream.test/callback-log?key=${key}`)).json()) as {
    signature: string | null;
    contentType: string | null;
    body: string;
  }[];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("verifyCallbackSignature", () => {
  it("accepts what the worker signs, and refuses a tampered body, an old time or another secret", async () => {
    const body = JSON.stringify({ id: "x", status: "succeeded", text: "é \u{1F600}" });
    const t = Math.floor(Date.now() / 1000);
    const header = await signCallback(body, SECRET, t);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyCallbackSignature(body, header, SECRET)).toBe(true);
    expect(await verifyCallbackSignature(`${body} `, header, SECRET)).toBe(false);
    expect(await verifyCallbackSignature(body, header, `${SECRET}!`)).toBe(false);
    // Past the tolerance, either way; within a custom one it passes.
    const late = { now: (t + 301) * 1000 };
    expect(await verifyCallbackSignature(body, header, SECRET, late)).toBe(false);
    expect(await verifyCallbackSignature(body, header, SECRET, { now: (t - 301) * 1000 })).toBe(
      false,
    );
    expect(
      await verifyCallbackSignature(body, header, SECRET, { ...late, toleranceSeconds: 600 }),
    ).toBe(true);
    // A replay under a fresh timestamp does not verify: the time is signed too.
    const replayed = header.replace(/^t=\d+/, `t=${t + 1}`);
    expect(await verifyCallbackSignature(body, replayed, SECRET)).toBe(false);
  });

  it("refuses malformed headers without throwing, and accepts any of several v1 entries", async () => {
    const body = "{}";
    const t = Math.floor(Date.now() / 1000);
    const good = await signCallback(body, SECRET, t);
    const v1 = good.split("v1=")[1];
    for (const header of [null, "", "v1=abc", `t=${t}`, `t=abc,v1=${v1}`, `t=${t},v1=${v1}zz`]) {
      expect(await verifyCallbackSignature(body, header, SECRET)).toBe(false);
    }
    expect(
      await verifyCallbackSignature(body, `t=${t},v1=${"0".repeat(64)},v1=${v1}`, SECRET),
    ).toBe(true);
  });
});

describe("callbackUrl on enqueue", () => {
  it("is refused (400) when the outbound policy refuses it, and when it is not http(s)", async () => {
    for (const callbackUrl of ["http://127.0.0.1/hook", "ftp://upstream.test/x", "not a url"]) {
      const response = await api("/v1/jobs", {
        method: "POST",
        json: { type: "simulate", payload: {}, callbackUrl },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { errors: { pointer: string }[] };
      expect(problem.errors[0]?.pointer).toBe("/callbackUrl");
    }
  });

  it("answers 503 not-configured in production while CALLBACK_SECRET is unset", async () => {
    const { keys, apiKeys } = await makeKeys({ writer: ["jobs:write"] });
    const json = { type: "simulate", payload: {}, callbackUrl: "https://upstream.test/callback" };
    const refused = await callWith({ API_KEYS: apiKeys }, "/v1/jobs", {
      key: keys.writer,
      method: "POST",
      json,
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ setting: "CALLBACK_SECRET" });
    const configured = await callWith({ API_KEYS: apiKeys, CALLBACK_SECRET: SECRET }, "/v1/jobs", {
      key: keys.writer,
      method: "POST",
      json: { ...json, delaySeconds: 3600 },
    });
    expect(configured.status).toBe(202);
  });
});

describe("delivery", () => {
  it("POSTs the signed final job view when the job succeeds", async () => {
    const key = crypto.randomUUID();
    const callbackUrl = `https://upstream.test/callback?key=${key}`;
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "simulate", payload: {}, callbackUrl, delaySeconds: 3600 },
    });
    const { id } = (await response.json()) as { id: string };
    await deliver([id]);
    const [post] = await received(key);
    expect(post?.contentType).toBe("application/json");
    expect(
      await verifyCallbackSignature(post!.body, post!.signature, DEVELOPMENT_CALLBACK_SECRET),
    ).toBe(true);
    expect(JSON.parse(post!.body)).toMatchObject({
      id,
      status: "succeeded",
      result: { sleptMs: 0 },
    });
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { callback: object };
    expect(view.callback).toMatchObject({ url: callbackUrl, status: "delivered", attempts: 1 });
  });

  it("retries a failing receiver with backoff from the cron until it succeeds", async () => {
    const key = crypto.randomUUID();
    const response = await api("/v1/jobs", {
      method: "POST",
      json: {
        type: "simulate",
        payload: {},
        callbackUrl: `https://upstream.test/callback?key=${key}&fails=2`,
        delaySeconds: 3600,
      },
    });
    const { id } = (await response.json()) as { id: string };
    await deliver([id]);
    // The first try, when the job finished, met a 500: due again after the backoff.
    const afterFirst = await getJob(id);
    expect(afterFirst).toMatchObject({
      callbackStatus: "pending",
      callbackAttempts: 1,
      callbackError: "the receiver answered 500",
    });
    expect(afterFirst.callbackNextAt).toBe(afterFirst.callbackUpdatedAt! + callbackBackoffMs(1));

    const db = database(env.DB);
    const config = parseConfig(env);
    // A cron before the backoff has passed leaves it alone.
    await runJobUpkeep(env, db, config, { now: afterFirst.callbackUpdatedAt! + 1_000 });
    expect((await received(key)).length).toBe(1);
    // The next crons, once it is due: a second failure, then the delivery.
    vi.useFakeTimers({ toFake: ["Date"], now: afterFirst.callbackNextAt! + 1 });
    try {
      await runJobUpkeep(env, db, config);
      expect(await getJob(id)).toMatchObject({ callbackStatus: "pending", callbackAttempts: 2 });
      vi.setSystemTime((await getJob(id)).callbackNextAt! + 1);
      await runJobUpkeep(env, db, config);
    } finally {
      vi.useRealTimers();
    }
    const posts = await received(key);
    expect(posts).toHaveLength(3);
    expect(await getJob(id)).toMatchObject({ callbackStatus: "delivered", callbackAttempts: 3 });
    for (const post of posts)
      expect(JSON.parse(post.body)).toMatchObject({ id, status: "succeeded" });
  });

  it("gives up after the last try and says so on the job view", async () => {
    const key = crypto.randomUUID();
    const response = await api("/v1/jobs", {
      method: "POST",
      json: {
        type: "simulate",
        payload: {},
        callbackUrl: `https://upstream.test/callback?key=${key}&fails=100`,
        delaySeconds: 3600,
      },
    });
    const { id } = (await response.json()) as { id: string };
    await deliver([id]);
    const db = database(env.DB);
    const config = parseConfig(env);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      for (let attempt = 2; attempt <= CALLBACK_MAX_ATTEMPTS; attempt += 1) {
        vi.setSystemTime((await getJob(id)).callbackNextAt! + 1);
        await runJobUpkeep(env, db, config);
      }
    } finally {
      vi.useRealTimers();
    }
    expect((await received(key)).length).toBe(CALLBACK_MAX_ATTEMPTS);
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { callback: object };
    expect(view.callback).toMatchObject({
      status: "failed",
      attempts: CALLBACK_MAX_ATTEMPTS,
      error: "the receiver answered 500",
    });
  });

  it("calls back when a waiting job is cancelled, and when a dead letter marks a job dead", async () => {
    const cancelKey = crypto.randomUUID();
    const cancelled = await api("/v1/jobs", {
      method: "POST",
      json: {
        type: "simulate",
        payload: {},
        callbackUrl: `https://upstream.test/callback?key=${cancelKey}`,
        delaySeconds: 3600,
      },
    });
    const { id } = (await cancelled.json()) as { id: string };
    expect((await api(`/v1/jobs/${id}/cancel`, { method: "POST" })).status).toBe(200);
    await vi.waitUntil(async () => (await received(cancelKey)).length === 1, { timeout: 10_000 });
    expect(JSON.parse((await received(cancelKey))[0]!.body)).toMatchObject({
      id,
      status: "cancelled",
    });

    const deadKey = crypto.randomUUID();
    const failing = await api("/v1/jobs", {
      method: "POST",
      json: {
        type: "simulate",
        payload: { failureRate: 1 },
        callbackUrl: `https://upstream.test/callback?key=${deadKey}`,
        delaySeconds: 3600,
      },
    });
    const dead = ((await failing.json()) as { id: string }).id;
    await deliver([dead], { attempts: 5 });
    await deliver([dead], { queue: env.DEAD_LETTER_QUEUE });
    expect((await getJob(dead)).callbackStatus).toBe("pending");
    await runJobUpkeep(env, database(env.DB), parseConfig(env));
    expect(JSON.parse((await received(deadKey))[0]!.body)).toMatchObject({
      id: dead,
      status: "dead",
    });
  });
});
