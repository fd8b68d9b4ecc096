import { afterEach, describe, expect, it, vi } from "vitest";
import { deliver, insertJob } from "./fixtures/jobs.ts";

const backoffEnv = { RETRY_BASE_DELAY_SECONDS: "2", RETRY_MAX_DELAY_SECONDS: "60" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The delay the consumer asks of the queue after the upstream answers 503 with `retryAfter`. */
async function retryDelayFor(retryAfter: string): Promise<number | undefined> {
  // The jitter draws 0, so any delay comes from the Retry-After hint.
  vi.spyOn(Math, "random").mockReturnValue(0);
  const url = `https://upstream.test/always-503?retryAfter=${encodeURIComponent(retryAfter)}`;
  const id = await insertJob({ type: "fetch", payload: { url, retries: 0 } });
  const { result } = await deliver([id], { env: backoffEnv });
  return result.retryMessages[0]?.delaySeconds;
}

describe("upstream Retry-After in the consumer", () => {
  it.each([["later 2099"], ["Retry 2"], ["1.5"], ["-5"]])(
    "ignores the unreadable %j (no hint, only the backoff)",
    async (value) => {
      expect(await retryDelayFor(value)).toBe(0);
    },
  );

  it("caps a longer wait at RETRY_MAX_DELAY_SECONDS", async () => {
    expect(await retryDelayFor("99999999999999999999")).toBe(60);
    const nextYear = new Date(Date.now() + 365 * 86_400_000).toUTCString();
    expect(await retryDelayFor(nextYear)).toBe(60);
  });

  it("waits what an HTTP date within the cap asks", async () => {
    const date = new Date(Date.now() + 30_000).toUTCString();
    const delay = await retryDelayFor(date);
    // HTTP dates have one-second resolution.
    expect(delay).toBeGreaterThanOrEqual(29);
    expect(delay).toBeLessThanOrEqual(30);
  });
});
