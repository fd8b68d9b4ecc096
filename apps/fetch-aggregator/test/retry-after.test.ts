import { describe, expect, it } from "vitest";
import { type AggregateAnswer, aggregate, uniqueHost, uniqueKey } from "./helpers.ts";

async function firstResult(retryAfter: string) {
  const key = uniqueKey("retry-after");
  const url = `http://${uniqueHost("ra")}/flaky/${key}?failures=1&retryAfter=${encodeURIComponent(retryAfter)}`;
  const response = await aggregate({ requests: [{ url, retries: 1 }] });
  expect(response.status).toBe(200);
  return ((await response.json()) as AggregateAnswer).results[0];
}

describe("upstream Retry-After", () => {
  // Both used to be read as dates: "later 2099" as 72 years away, so the call gave up at once.
  it.each([["later 2099"], ["Retry 2"]])(
    "retries after the usual backoff when the value %j is unreadable",
    async (value) => {
      expect(await firstResult(value)).toMatchObject({ ok: true, status: 200, attempts: 2 });
    },
  );

  it("gives up at once when Retry-After asks for more than RETRY_MAX_DELAY_MS", async () => {
    // RETRY_MAX_DELAY_MS is 2 500 in vitest.config.ts.
    expect(await firstResult("3")).toMatchObject({ ok: false, status: 503, attempts: 1 });
  });
});
