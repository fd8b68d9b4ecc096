import { describe, expect, it } from "vitest";
import { type AggregateAnswer, aggregate, uniqueKey, upstreamStats } from "./helpers.ts";

// The URL policy itself (IP literals, schemes, allowlist, hop-by-hop headers) is tested in
// packages/http/test/outbound.test.ts; this checks that the gateway applies it.
describe("SSRF refusals in a call", () => {
  it("answers refused targets as blocked results, never calling them", async () => {
    const key = uniqueKey("ssrf");
    const response = await aggregate({
      requests: [
        { id: "loopback", url: `http://127.0.0.1/json/${key}` },
        { id: "metadata", url: `http://169.254.169.254/json/${key}` },
        { id: "mapped", url: `http://[::ffff:127.0.0.1]/json/${key}` },
        { id: "localhost", url: `http://localhost:8787/json/${key}` },
        { id: "not-listed", url: `https://example.com/json/${key}` },
        { id: "scheme", url: `ftp://upstream.test/json/${key}` },
        { id: "fine", url: `http://upstream.test/json/${key}` },
      ],
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as AggregateAnswer;
    const codes = Object.fromEntries(answer.results.map((r) => [r.id, r.error?.code ?? "ok"]));
    expect(codes).toEqual({
      loopback: "blocked",
      metadata: "blocked",
      mapped: "blocked",
      localhost: "blocked",
      "not-listed": "blocked",
      scheme: "blocked",
      fine: "ok",
    });
    expect(
      answer.results.filter((r) => r.error?.code === "blocked").every((r) => r.attempts === 0),
    ).toBe(true);
    expect((await upstreamStats(key)).hits).toBe(1);
  });
});
