import { deadlineSignal } from "@edge-async/async-utils";
import { ConfigError, wantsNdjson } from "@edge-async/http";
import { describe, expect, it, vi } from "vitest";
import { runCall } from "../src/aggregate.ts";
import { parseConfig } from "../src/config.ts";
import { aggregateRequest } from "../src/contract.ts";
import { planAggregate } from "../src/plan.ts";
import { serverTiming } from "../src/server-timing.ts";
import { uniqueHost, uniqueKey, upstreamStats } from "./helpers.ts";

describe("parseConfig", () => {
  it("accepts JSON values and strings alike, with defaults", () => {
    const fromJson = parseConfig({
      ALLOWED_HOSTS: ["API.example.com", "*.example.org:8443"],
      ALLOW_PRIVATE_NETWORKS: true,
      MAX_REQUESTS: 10,
    });
    const fromStrings = parseConfig({
      ALLOWED_HOSTS: "api.example.com, *.example.org:8443",
      ALLOW_PRIVATE_NETWORKS: "true",
      MAX_REQUESTS: "10",
    });
    const fromJsonText = parseConfig({
      ALLOWED_HOSTS: '["api.example.com","*.example.org:8443"]',
      ALLOW_PRIVATE_NETWORKS: "1",
      MAX_REQUESTS: "10",
    });
    for (const config of [fromJson, fromStrings, fromJsonText]) {
      expect(config.allowedHosts).toEqual(["api.example.com", "*.example.org:8443"]);
      expect(config.allowPrivateNetworks).toBe(true);
      expect(config.maxRequests).toBe(10);
      expect(config.defaultConcurrency).toBe(6);
    }
    const defaults = parseConfig({});
    expect(defaults).toMatchObject({
      allowedHosts: [],
      allowPrivateNetworks: false,
      maxRequests: 50,
      cacheTtlSeconds: 0,
      views: {},
    });
  });

  it("throws ConfigError naming the var (503 not-configured) for a var that does not parse", () => {
    for (const env of [
      { MAX_REQUESTS: "lots" },
      { ALLOW_PRIVATE_NETWORKS: "maybe" },
      { ALLOWED_HOSTS: "http://x.com/" },
      { VIEWS: "{not json" },
    ]) {
      let thrown: unknown;
      try {
        parseConfig(env);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown).toMatchObject({ setting: Object.keys(env)[0] });
      expect((thrown as Error).message).toContain(Object.keys(env)[0]);
    }
  });
});

describe("small helpers", () => {
  it("reads Accept for NDJSON, honouring q=0", () => {
    expect(wantsNdjson("application/x-ndjson")).toBe(true);
    expect(wantsNdjson("application/json, application/x-ndjson;q=0.1")).toBe(true);
    expect(wantsNdjson("application/x-ndjson; q=0")).toBe(false);
    expect(wantsNdjson("*/*")).toBe(false);
    expect(wantsNdjson(undefined)).toBe(false);
  });

  it("quotes Server-Timing descriptions safely", () => {
    expect(serverTiming(12.345, { id: 'a"b\\c\ud83d\ude00', durationMs: 3 })).toBe(
      'total;dur=12.3, slowest;desc="a\\"b\\\\c??";dur=3',
    );
    expect(serverTiming(1)).toBe("total;dur=1");
  });
});

describe("runCall limits", () => {
  it("keeps retries within the call's subrequest budget", async () => {
    const config = parseConfig({
      ALLOWED_HOSTS: "*.test",
      MAX_SUBREQUESTS: "5",
      RETRY_BASE_DELAY_MS: "1",
    });
    const keys = [uniqueKey("budget-a"), uniqueKey("budget-b")];
    const body = aggregateRequest.parse({
      requests: keys.map((key) => ({
        url: `http://${uniqueHost("budget")}/flaky/${key}?failures=100`,
        retries: 5,
      })),
    });
    const report = await runCall(planAggregate(body, config), config);
    const attempts = report.results.reduce((sum, result) => sum + result.attempts, 0);
    // Two first attempts are reserved; three more subrequests are left for retries.
    expect(attempts).toBe(5);
    const hits =
      (await upstreamStats(keys[0] as string)).hits + (await upstreamStats(keys[1] as string)).hits;
    expect(hits).toBe(5);
    expect(report.results.every((result) => result.status === 503)).toBe(true);
  });

  it("makes no attempt once the caller's budget is spent, and reports none", async () => {
    const config = parseConfig({ ALLOWED_HOSTS: "*.test" });
    const key = uniqueKey("spent");
    const body = aggregateRequest.parse({
      requests: [{ url: `http://upstream.test/json/${key}` }],
    });
    // Only the clock is faked: the budget is spent, and its (real) timer has not fired yet.
    vi.useFakeTimers({ toFake: ["Date"] });
    let report: Awaited<ReturnType<typeof runCall>>;
    try {
      const signal = deadlineSignal(50);
      vi.setSystemTime(Date.now() + 100);
      report = await runCall(planAggregate(body, config), config, { signal });
    } finally {
      vi.useRealTimers();
    }
    expect(report.results[0]).toMatchObject({
      ok: false,
      attempts: 0,
      error: { code: "deadline", message: "The call's deadline of 50 ms passed" },
    });
    expect((await upstreamStats(key)).hits).toBe(0);
  });

  it("answers HEAD without a body", async () => {
    const config = parseConfig({ ALLOWED_HOSTS: "*.test" });
    const body = aggregateRequest.parse({
      requests: [{ url: `http://${uniqueHost("head")}/json/${uniqueKey("head")}`, method: "head" }],
    });
    const report = await runCall(planAggregate(body, config), config);
    expect(report.results[0]).toMatchObject({ ok: true, status: 200, attempts: 1 });
    expect(report.results[0]).not.toHaveProperty("body");
  });

  it("stops the call when the result consumer fails, and still drains it", async () => {
    const config = parseConfig({ ALLOWED_HOSTS: "*.test" });
    const slow = uniqueKey("consumer");
    const body = aggregateRequest.parse({
      requests: [
        { url: `http://upstream.test/json/${uniqueKey("first")}` },
        { url: `http://upstream.test/slow/${slow}?ms=5000` },
      ],
    });
    const report = await runCall(planAggregate(body, config), config, {
      onResult: () => {
        throw new Error("consumer gone");
      },
    });
    expect(report.results[1]?.error?.code).toBe("cancelled");
    await expect.poll(async () => (await upstreamStats(slow)).aborted).toBe(1);
  });
});
